/**
 * multicam-reid — multi-camera person detection, tracking and re-identification for Node.js.
 *
 * The main entry points are {@link DetectionTrackingPipeline} / {@link processVideo} (the whole
 * job), {@link MultiStreamReader} and {@link parseStreamUrls} (reading cameras). The stages
 * are exported too, for hosts that wire their own loop.
 *
 * @packageDocumentation
 */
export * from './errors.js';

// The main job
export { DetectionTrackingPipeline, processVideo, type LoadedModels } from './pipeline/pipeline.js';
export { Job, type JobEmitter, type JobDriver } from './pipeline/job.js';
export { JOB_PHASE_CHANNEL, type JobPhase, type JobPhaseMessage, type AddSourceOptions } from './pipeline/job-runner.js';
export { FRAME_PROCESSED_CHANNEL, type FrameProcessedMessage } from './pipeline/camera-worker.js';
export { parseConfig, loadConfigFile, resolveConfig, pipelineConfigSchema, PIPELINE_TRACKER_DEFAULTS } from './pipeline/config.js';
export type { PipelineConfig, PipelineConfigInput } from './pipeline/config.js';
export type { ProcessVideoOptions, ReferencePersonOption, ZonesOption } from './pipeline/options.js';
export type * from './pipeline/events.js';

// Streams
export { redactSource, redactText, sourceSecrets } from './streams/redact.js';
export type { Frame, ImageView, PixelFormat } from './streams/frame.js';
export * from './streams/index.js';

// Models
export type { Detection } from './models/types.js';
export { PersonDetector, type PersonDetectorOptions, type InputShape, type PreprocessLocation } from './models/person-detector.js';
export { ReidEmbedder, type ReidEmbedderOptions, type EmbedBox, type EmbedBatching } from './models/reid-embedder.js';
export { loadManifest, getModelEntry, knownModelIds, parseModelEntry, type ModelEntry, type ModelEntryInput, type ModelManifest } from './models/manifest.js';
export { knownExecutionProviders } from './models/session.js';
export type { DetectorFormat } from './models/detector-model.js';
export { cosineSimilarity, l2Normalize } from './models/similarity.js';
export { resolveModel, locateModel, pullModel, type ResolveModelOptions, type ResolvedModel, type DownloadProgress, type ModelSource, type ModelLocation, type PullResult } from './models/resolver.js';

// Tracking and evaluation
export type { Track, TrackerDetection, TrackerUpdate, TrackState } from './tracking/types.js';
export { ByteTracker } from './tracking/byte-tracker.js';
export { DEFAULT_BYTE_TRACKER_OPTIONS, BYTETRACK_REFERENCE_PRESET, type ByteTrackerOptions, type AppearanceFusion, type ByteTrackerMode, type AssignmentRule } from './tracking/options.js';
export { computeMotMetrics, aggregateMotMetrics, formatMotTable, type MotMetrics, type MotMetricsOptions } from './eval/mot-metrics.js';
export { readMotFile, parseMot, type MotRecord } from './eval/mot-file.js';

// Identity, zones, outputs
export * from './identity/index.js';
export * from './zones/index.js';
export { FrameAnnotator, type Overlay, type OverlayBox, type OverlayZone, type FrameAnnotatorOptions } from './output/annotator.js';
export { VideoWriter, X264_PRESETS, type VideoWriterOptions, type VideoWriterResult, type X264Preset, type WriterPixelFormat } from './output/video-writer.js';
export { TracksCsvWriter, TRACKS_CSV_COLUMNS, parseTracksCsv, type TrackCsvRow, type TracksCsvWriterOptions } from './output/tracks-csv.js';
export { writeZoneReport, type ZoneReportDocument } from './output/zone-report.js';
export { jobFolderName, fileStamp, zipName, DEFAULT_TIME_ZONE } from './output/naming.js';
export { zipDirectory, type ZipDirectoryOptions, type ZipResult } from './output/zip.js';

// Services around a job
export * from './service/index.js';

// Scale-out: camera jobs on BullMQ workers
export * from './distributed/index.js';
