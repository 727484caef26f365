/**
 * The job folder on the shared storage, laid out as a local job's (created and finalised by
 * src/pipeline/job-folder.ts): completed here for cameras that never ran.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { finaliseCameraOutputs, openCameraOutputs } from '../pipeline/camera-outputs.js';
import type { CameraResult } from '../pipeline/events.js';
import { ZoneMonitor } from '../zones/index.js';

/**
 * The outputs of a camera that never ran (cancelled or removed while queued, or lost): a CSV
 * with its header and a zone report, as a local camera that never started leaves. Existing
 * outputs are left alone.
 */
export async function writeEmptyOutputs(result: CameraResult, stamp: string, timeZone: string, warn: (message: string) => void): Promise<void> {
  if (existsSync(result.csvPath)) return;
  const outputs = await openCameraOutputs({ dir: path.dirname(result.csvPath), stamp, width: 2, height: 2, fps: 25, video: false, preset: 'superfast', crf: 23 });
  await finaliseCameraOutputs(outputs, new ZoneMonitor([], { frameWidth: 1, frameHeight: 1 }), result, timeZone, warn);
}
