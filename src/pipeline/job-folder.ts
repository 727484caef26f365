/**
 * The job folder, the same for a local job and a distributed one: created under the seed's
 * name before any camera writes into it, and completed when the last camera has ended with
 * the job's own files — `identities.json`, the ZIP, and the copy of a single camera's video.
 */
import { existsSync } from 'node:fs';
import { copyFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { zipName } from '../output/naming.js';
import { zipDirectory } from '../output/zip.js';
import type { CameraResult, JobResult } from './events.js';
import { mergeIdentityParts } from './identities.js';

/**
 * Creates `root/base`, or `base_2`, `base_3`… when a job of the same minute already has it.
 * `mkdir` without `recursive` fails on an existing folder, so two jobs starting together
 * (also two submitters on one shared storage) cannot pick the same one.
 * @returns the folder's name.
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

/** What {@link finaliseJobFolder} needs to know of the job. */
export interface JobFolderEnd {
  outputRoot: string;
  folderName: string;
  jobId: string;
  cameras: readonly CameraResult[];
  /** Write the ZIP of the folder. */
  zip: boolean;
  /** Single-camera jobs: where to copy camera 0's video. */
  outputVideoPath?: string;
  /** Identities the gallery forgot, for identities.json. */
  evicted: number;
  warn: (message: string, cameraIndex: number | undefined, code: string) => void;
}

/**
 * Merges the cameras' identities into `identities.json`, zips the folder and copies the video;
 * each step runs whatever happened to the others, a failure becomes a warning.
 */
export async function finaliseJobFolder(end: JobFolderEnd): Promise<Pick<JobResult, 'identitiesPath' | 'zipPath' | 'outputVideoPath'>> {
  const outputDir = path.join(end.outputRoot, end.folderName);
  const written: Pick<JobResult, 'identitiesPath' | 'zipPath' | 'outputVideoPath'> = {};
  try {
    const file = await mergeIdentityParts(outputDir, { jobId: end.jobId, evicted: end.evicted });
    if (file !== undefined) written.identitiesPath = file;
  } catch (error) {
    end.warn(`writing identities.json failed: ${(error as Error).message}`, undefined, 'OUTPUT_FAILED');
  }
  if (end.zip) {
    const zipPath = path.join(end.outputRoot, zipName(end.folderName));
    try {
      await zipDirectory(outputDir, zipPath);
      written.zipPath = zipPath;
    } catch (error) {
      end.warn(`writing the ZIP failed: ${(error as Error).message}`, undefined, 'OUTPUT_FAILED');
    }
  }
  const first = end.cameras[0];
  if (end.outputVideoPath !== undefined && first?.videoPath !== undefined && first.frames > 0) {
    try {
      await mkdir(path.dirname(path.resolve(end.outputVideoPath)), { recursive: true });
      await copyFile(first.videoPath, end.outputVideoPath);
      written.outputVideoPath = path.resolve(end.outputVideoPath);
    } catch (error) {
      end.warn(`copying the video to ${end.outputVideoPath} failed: ${(error as Error).message}`, 0, 'OUTPUT_FAILED');
    }
  }
  return written;
}
