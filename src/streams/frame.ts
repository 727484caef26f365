/** Packed 8-bit, 3-channel pixel layouts the readers can produce. */
export type PixelFormat = 'rgb24' | 'bgr24';

/** A packed image: `width * height * 3` bytes, row-major, no padding. */
export interface ImageView {
  data: Uint8Array;
  width: number;
  height: number;
  pixelFormat: PixelFormat;
}

/**
 * One decoded video frame from one camera.
 *
 * Ownership of the pixels: a frame from a reader owns `data` until it is released. Call
 * {@link Frame.release} once nothing reads the pixels any more (after detection, drawing,
 * encoding…) and the reader reuses the buffer for a later frame — no allocation per frame. A frame
 * that is never released stays valid for as long as it is referenced and is garbage-collected
 * like any object (the reader then allocates a new buffer instead of reusing). `data` is backed
 * by a `SharedArrayBuffer`, so a worker thread can read the pixels without a copy.
 */
export interface Frame extends ImageView {
  /** Index of the camera (source) in the reader, 0-based. */
  cameraIndex: number;
  /** 0-based index of this frame among the frames delivered by this camera. */
  frameIndex: number;
  /**
   * Presentation timestamp in seconds. Files: the decoder's presentation time of this frame minus
   * that of the first frame (so the first frame is 0; exact on variable-frame-rate files).
   * Live: seconds since the reader's time origin, following the source clock.
   */
  pts: number;
  /** Wall-clock time (ms since epoch, `Date.now()`) when the frame left the decoder. */
  capturedAt: number;
  /**
   * Hands the pixel buffer back to the reader for reuse. After this call `data` may be
   * overwritten by a later frame at any time: do not read it again. Calling it twice, or on a
   * frame whose reader was released, does nothing.
   */
  release(): void;
}
