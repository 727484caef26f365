/**
 * Control messages from a submitter to the workers, over one Redis pub/sub channel (the
 * BullMQ way of cancelling a job in another process: each worker that runs one of the job's
 * cameras calls `worker.cancelJob` for it). Pub/sub is not stored, so each message is
 * backed by a flag in Redis that a worker reads when it takes a camera and after reconnecting.
 */
import type { Redis } from 'ioredis';
import { JobKeys, controlChannel } from './keys.js';

export type ControlMessage =
  /** Cancel every camera of the job. */
  | { type: 'cancel'; jobId: string; reason: string }
  /** End one camera of the job (`removeSource`). */
  | { type: 'remove'; jobId: string; cameraIndex: number };

/** Seconds the flags stay in Redis: long enough for any camera still queued to see them. */
const FLAG_TTL_SECONDS = 7 * 24 * 3600;

/** Sets the job's cancel flag and tells every worker. */
export async function publishCancel(redis: Redis, prefix: string, jobId: string, reason: string): Promise<void> {
  const keys = new JobKeys(prefix, jobId);
  const message: ControlMessage = { type: 'cancel', jobId, reason };
  await redis.multi().set(keys.cancelled, reason, 'EX', FLAG_TTL_SECONDS).publish(controlChannel(prefix), JSON.stringify(message)).exec();
}

/** Marks one camera removed and tells every worker. */
export async function publishRemove(redis: Redis, prefix: string, jobId: string, cameraIndex: number): Promise<void> {
  const keys = new JobKeys(prefix, jobId);
  const message: ControlMessage = { type: 'remove', jobId, cameraIndex };
  await redis.multi().sadd(keys.removed, String(cameraIndex)).expire(keys.removed, FLAG_TTL_SECONDS).publish(controlChannel(prefix), JSON.stringify(message)).exec();
}
