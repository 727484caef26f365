/** One detected object, in frame pixel coordinates (x1,y1 top-left; x2,y2 bottom-right). */
export interface Detection {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  /** Confidence in [0, 1] (objectness × class score for YOLOX). */
  score: number;
  /** COCO class index; 0 is "person". */
  classId: number;
}
