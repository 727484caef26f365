/**
 * multicam-reid — multi-camera person detection, tracking and re-identification for Node.js.
 *
 * @packageDocumentation
 */
export * from './errors.js';
export type { Frame, ImageView, PixelFormat } from './streams/frame.js';
export type { Detection } from './models/types.js';
export type { Track, TrackerDetection, TrackerUpdate, TrackState } from './tracking/types.js';
