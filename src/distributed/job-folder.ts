/**
 * The job folder on the shared storage, named and laid out as a local job's: created by the
 * submitter before any camera is queued, and completed for cameras that never ran.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { finaliseCameraOutputs, openCameraOutputs } from '../pipeline/camera-outputs.js';
import type { CameraResult } from '../pipeline/events.js';
import { zipName } from '../output/naming.js';
import { ZoneMonitor } from '../zones/index.js';

/**
 * Creates `root/base`, or `base_2`, `base_3`… when a job of the same minute has it (the local
 * runner's rule: `mkdir` without `recursive` fails on an existing folder, so two submitters
 * starting together cannot pick the same one).
 */
export async function createJobFolder(root: string, base: string): Promise<string> {
  await mkdir(root, { recursive: true });
  for (let n = 1; ; n++) {
    const name = n === 1 ? base : `${base}_${n}`;
    if (existsSync(path.join(root, zipName(name)))) continue;
    try {
      await mkdir(path.join(root, name));
      return name;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
}

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
