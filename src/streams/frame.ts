/** Packed 8-bit, 3-channel pixel layouts the readers can produce. */
export type PixelFormat = 'rgb24' | 'bgr24';

/** A packed image: `width * height * 3` bytes, row-major, no padding. */
export interface ImageView {
  data: Uint8Array;
  width: number;
  height: number;
  pixelFormat: PixelFormat;
}

/** One decoded video frame from one camera. */
export interface Frame extends ImageView {
  /** Index of the camera (source) in the reader, 0-based. */
  cameraIndex: number;
  /** 0-based index of this frame among the frames delivered by this camera. */
  frameIndex: number;
  /** Presentation timestamp in seconds, from the start of the source. */
  pts: number;
  /** Wall-clock time (ms since epoch, `Date.now()`) when the frame left the decoder. */
  capturedAt: number;
}
