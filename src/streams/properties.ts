/** What `StreamReader.getProperties()` reports about one reader. */
import type { StreamState } from './events.js';
import type { PixelFormat } from './frame.js';
import type { SourceKind } from './url.js';

/** A snapshot of one reader, from `StreamReader.getProperties()`. */
export interface StreamProperties {
  /** The source's display form (credentials replaced by `***`). */
  source: string;
  cameraIndex: number;
  kind: SourceKind;
  /** The effective read mode (`'auto'` resolved). */
  mode: 'file' | 'live';
  /**
   * Size of the delivered frames (after any downscale); 0 before `open()` resolved. Fixed for
   * the reader's life: a live source that comes back at another resolution is scaled to it.
   */
  width: number;
  height: number;
  /** Size of the source video (of its latest connection, for live sources). */
  sourceWidth: number;
  sourceHeight: number;
  /** Nominal frame rate reported by the source (0 when unknown). */
  fps: number;
  codec: string;
  pixelFormat: PixelFormat;
  /** Seconds of video of a file; undefined when unknown and for live sources. */
  duration: number | undefined;
  state: StreamState;
  /** Frames waiting in the buffer now. */
  queueDepth: number;
  bufferSize: number;
  /** Frames received from ffmpeg. */
  framesDecoded: number;
  /** Frames handed to the consumer. */
  framesRead: number;
  /** Frames discarded because the live buffer was full. */
  framesDropped: number;
  /** Successful restarts of a live source. */
  reconnects: number;
  /** `Date.now()` of the last frame received, if any. */
  lastFrameAt: number | undefined;
  /** Pixel buffers allocated so far: stays flat once consumers release their frames. */
  buffersAllocated: number;
  /** Frames whose pixel buffer was a released one, reused. */
  buffersReused: number;
}
