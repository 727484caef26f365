/**
 * Each attempt of a camera writes into a staging folder of its own inside the job folder
 * (`<job>/.attempts/<camera>-<attempt>-<token>/`, the layout of a job folder), and only an
 * attempt that ended moves its files into place. A worker killed mid-camera therefore leaves
 * half-written files only in its staging folder: the next attempt starts clean, the camera's
 * folder ends with one complete set of outputs, and the submitter removes what is left of
 * `.attempts/` before the ZIP.
 */
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { CameraResult } from '../pipeline/events.js';

/** Name of the staging area inside a job folder (removed before the ZIP). */
export const STAGING_DIR = '.attempts';

/** The staging folder of one attempt (created), laid out like a job folder. */
export async function createStaging(jobDir: string, cameraIndex: number, attempt: number, token: string): Promise<string> {
  const dir = path.join(jobDir, STAGING_DIR, `camera_${cameraIndex}-attempt_${attempt}-${token.replace(/[^\w-]/g, '').slice(0, 16)}`);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  return dir;
}

/**
 * Moves an ended attempt's outputs into the job folder: `camera_<i>/` replaces any earlier one
 * (renames on one file system are atomic), and its identity crops and part join
 * `identities/`. Rewrites the result's paths to their final place and removes the staging
 * folder.
 */
export async function promoteStaging(staging: string, jobDir: string, result: CameraResult): Promise<void> {
  const name = `camera_${result.cameraIndex}`;
  const from = path.join(staging, name);
  const to = path.join(jobDir, name);
  if (await exists(from)) {
    await rm(to, { recursive: true, force: true });
    await rename(from, to);
  }
  // This camera's crops and part from an earlier attempt that ended but was not acknowledged go first.
  const target = path.join(jobDir, 'identities');
  const own = new RegExp(`(_cam${result.cameraIndex}\\.jpg|^camera_${result.cameraIndex}\\.json)$`);
  for (const file of await readdir(target).catch(() => [] as string[])) if (own.test(file)) await rm(path.join(target, file), { force: true });
  const identities = path.join(staging, 'identities');
  const files = await readdir(identities).catch(() => [] as string[]);
  if (files.length > 0) {
    await mkdir(target, { recursive: true });
    for (const file of files) await rename(path.join(identities, file), path.join(target, file));
  }
  const move = (p: string) => (p.startsWith(staging + path.sep) ? path.join(jobDir, path.relative(staging, p)) : p);
  result.csvPath = move(result.csvPath);
  result.zonesPath = move(result.zonesPath);
  if (result.videoPath !== undefined) result.videoPath = move(result.videoPath);
  if (result.heatmapPath !== undefined) result.heatmapPath = move(result.heatmapPath);
  await rm(staging, { recursive: true, force: true });
}

/** Removes an attempt that will not be kept (handed back, or its job is gone). */
export async function discardStaging(staging: string): Promise<void> {
  await rm(staging, { recursive: true, force: true });
}

/** Removes the whole staging area of a job folder (left-overs of killed attempts). */
export async function removeStagingArea(jobDir: string): Promise<void> {
  await rm(path.join(jobDir, STAGING_DIR), { recursive: true, force: true });
}

async function exists(p: string): Promise<boolean> {
  try {
    await readdir(p);
    return true;
  } catch {
    return false;
  }
}
