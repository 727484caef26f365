/**
 * multicam-reid — multi-camera person detection, tracking and re-identification for Node.js.
 *
 * @packageDocumentation
 */
export * from './errors.js';
export type { Frame, ImageView, PixelFormat } from './streams/frame.js';
export type { Detection } from './models/types.js';
export type { Track, TrackerDetection, TrackerUpdate, TrackState } from './tracking/types.js';

// The main job
export { DetectionTrackingPipeline, processVideo } from './pipeline/pipeline.js';
export { Job } from './pipeline/job.js';
export { parseConfig, loadConfigFile, pipelineConfigSchema } from './pipeline/config.js';
export type { PipelineConfig, PipelineConfigInput } from './pipeline/config.js';
export type { ProcessVideoOptions, ReferencePersonOption, ZonesOption } from './pipeline/options.js';
export type * from './pipeline/events.js';
