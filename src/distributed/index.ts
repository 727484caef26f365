/**
 * The distributed mode (BullMQ on Redis): `DistributedPipeline` submits jobs whose cameras run
 * on `startWorker()` processes anywhere, with the local pipeline's `Job`, events, result and
 * output layout.
 */
export { DistributedPipeline, type DistributedPipelineOptions } from './pipeline.js';
export { startWorker, type StartWorkerOptions, type WorkerHandle } from './worker.js';
export { DISTRIBUTED_TRAFFIC_CHANNEL, type DistributedTrafficMessage } from './submitter.js';
export { parseRedisUrl, checkRedis, type RedisTarget } from './redis.js';
export { libraryVersion } from './version.js';
export { DEFAULT_PREFIX } from './keys.js';
export type { GalleryMode } from './job-data.js';
export type { RedisTraffic } from './event-stream.js';
export type { WorkerIdentity } from './wire.js';
