/** The stream layer: source parsing, single- and multi-camera readers over ffmpeg. */
export { parseStreamUrls, classifySource, type SourceInfo, type SourceKind } from './url.js';
export { StreamReader, type StreamProperties } from './stream-reader.js';
export { MultiStreamReader, type FrameSet, type MultiStreamProperties } from './multi-stream-reader.js';
export type { StreamReaderOptions, MultiStreamReaderOptions, ReconnectOptions, ReadMode, OpenRetry } from './options.js';
export type {
  StreamEvents,
  StreamState,
  StreamEventBase,
  ConnectedEvent,
  WaitingEvent,
  WaitingReason,
  StalledEvent,
  ReconnectingEvent,
  ReconnectedEvent,
  EndedEvent,
  EndReason,
  StreamErrorEvent,
} from './events.js';
export { hstack, combinedSize } from './combine.js';
export { resolveFfmpegPath, resolveFfprobePath } from './ffmpeg-path.js';
export { redactSource, redactText, sourceSecrets } from './redact.js';
export { decodeImageFile } from './image-file.js';
export type { Frame, ImageView, PixelFormat } from './frame.js';
