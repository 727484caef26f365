/**
 * The result objects of a job and its cameras, built the same way by the local runner and
 * the distributed submitter and worker.
 */
import path from 'node:path';
import { MulticamReidError } from '../errors.js';
import { emptyStageTimings } from './camera-worker.js';
import type { CameraResult, CameraStopReason, EmitFn, JobResult, JobStatus } from './events.js';
import type { WarningLog } from './warnings.js';

/** A camera's result before (or without) any processing: no frames, its files' paths in `dir`. */
export function emptyCameraResult(c: { cameraIndex: number; source: string; status: JobStatus; stopReason: CameraStopReason; dir: string; stamp: string }): CameraResult {
  return {
    cameraIndex: c.cameraIndex,
    source: c.source,
    status: c.status,
    stopReason: c.stopReason,
    frames: 0,
    detectedFrames: 0,
    detections: 0,
    tracks: 0,
    globalIds: [],
    droppedFrames: 0,
    framesRepeated: 0,
    videoStartTime: 0,
    csvPath: path.join(c.dir, `tracks_${c.stamp}.csv`),
    zonesPath: path.join(c.dir, `zones_${c.stamp}.json`),
  };
}

/** A job's result as it starts: failed until it says otherwise. */
export function newJobResult(jobId: string, started: number, warnings: WarningLog, identities: number): JobResult {
  return {
    jobId,
    status: 'failed',
    cameras: [],
    identities,
    startedAt: new Date(started).toISOString(),
    endedAt: '',
    elapsedSeconds: 0,
    stages: emptyStageTimings(),
    warnings: warnings.kept,
    warningsSuppressed: 0,
    stopReason: 'error',
  };
}

/**
 * Completes `result` with its status, times and (credentials masked) error, and emits the
 * job's last event: `done`, `cancelled` or `error`.
 */
export function endJob(result: JobResult, status: JobStatus, error: MulticamReidError | undefined, started: number, warnings: WarningLog, redact: (text: string) => string, emit: EmitFn): JobResult {
  result.status = status;
  if (status === 'cancelled') result.stopReason = 'cancelled';
  if (status === 'failed') result.stopReason = 'error';
  result.endedAt = new Date().toISOString();
  result.elapsedSeconds = (Date.now() - started) / 1000;
  result.warningsSuppressed = warnings.suppressed;
  if (error !== undefined) {
    // Our own error, about to reach the caller: mask credentials in its message and culprit.
    error.message = redact(error.message);
    if (error.culprit !== undefined) (error as { culprit?: string }).culprit = redact(error.culprit);
    result.error = { code: error.code, message: error.message };
  }
  if (status === 'cancelled') emit('cancelled', result);
  else if (status === 'failed') emit('error', error ?? new MulticamReidError('INTERNAL', 'job failed'), result);
  else emit('done', result);
  return result;
}
