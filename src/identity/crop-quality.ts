/**
 * Which detections make a good ReID crop. An embedding is only as good as its crop: a person
 * half hidden behind another, cut by the frame edge, tiny or squashed gives an embedding that
 * matches the wrong people. The pipeline embeds only crops that pass, and the gallery builds
 * each track's descriptor from them.
 */

/** A box in frame pixels with its detection score. */
export interface ScoredBox {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  score: number;
}

/** The rules a crop must pass. */
export interface CropQualityOptions {
  /** Narrowest crop, pixels. @default 16 */
  minWidth: number;
  /** Shortest crop, pixels. @default 32 */
  minHeight: number;
  /** Lowest detection score. @default 0.5 */
  minScore: number;
  /**
   * Height / width range of a crop: people seen from the side or from a high camera stand
   * taller than wide; a wide box is usually two people or a partial detection.
   * @default [1, 5]
   */
  aspectRange: readonly [number, number];
  /**
   * Largest share of the crop's area covered by another detection: above it, the crop shows
   * two people.
   * @default 0.25
   */
  maxOverlap: number;
  /** A box within this many pixels of the frame border is cut off: not trusted. @default 2 */
  edgeMargin: number;
}

export const DEFAULT_CROP_QUALITY: Readonly<CropQualityOptions> = Object.freeze({
  minWidth: 16,
  minHeight: 32,
  minScore: 0.5,
  aspectRange: [1, 5] as const,
  maxOverlap: 0.25,
  edgeMargin: 2,
});

/** A crop's verdict: good enough to embed, and how good (for choosing a best crop). */
export interface CropQuality {
  good: boolean;
  /** 0–1: detection score × size (saturating at 64×128) × the uncovered share. 0 when not good. */
  score: number;
}

/** Reference crop area at which size stops adding quality (OSNet's input is 128×256). */
const FULL_QUALITY_AREA = 64 * 128;

/**
 * Judges `boxes[index]` among all boxes of its frame. Allocates nothing.
 * @param frameWidth the frame's width in pixels (for the edge rule)
 */
export function judgeCrop(boxes: readonly ScoredBox[], index: number, frameWidth: number, frameHeight: number, o: Readonly<CropQualityOptions> = DEFAULT_CROP_QUALITY): CropQuality {
  const box = boxes[index]!;
  const width = box.x2 - box.x1;
  const height = box.y2 - box.y1;
  if (width < o.minWidth || height < o.minHeight || box.score < o.minScore) return NOT_GOOD;
  const aspect = height / width;
  if (aspect < o.aspectRange[0] || aspect > o.aspectRange[1]) return NOT_GOOD;
  const m = o.edgeMargin;
  if (box.x1 <= m || box.y1 <= m || box.x2 >= frameWidth - m || box.y2 >= frameHeight - m) return NOT_GOOD;
  const area = width * height;
  let covered = 0;
  for (let j = 0; j < boxes.length; j++) {
    if (j === index) continue;
    const other = boxes[j]!;
    const iw = Math.min(box.x2, other.x2) - Math.max(box.x1, other.x1);
    const ih = Math.min(box.y2, other.y2) - Math.max(box.y1, other.y1);
    if (iw > 0 && ih > 0) covered = Math.max(covered, (iw * ih) / area);
  }
  if (covered > o.maxOverlap) return NOT_GOOD;
  return { good: true, score: box.score * Math.min(1, area / FULL_QUALITY_AREA) * (1 - covered) };
}

const NOT_GOOD: CropQuality = Object.freeze({ good: false, score: 0 });
