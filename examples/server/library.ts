/**
 * The one place the example imports the library from. A host application copying the server
 * replaces this path with `'multicam-reid'`; everything used is public API.
 */
export { DetectionTrackingPipeline, MulticamReidError, redactSource, resolveConfig } from '../../src/index.js';
export type { Job, JobResult, PipelineConfigInput, PreviewEvent, ProcessVideoOptions, CameraState } from '../../src/index.js';
// The distributed mode; in the package: `import { DistributedPipeline } from 'multicam-reid'`.
export { DistributedPipeline } from '../../src/distributed/index.js';
