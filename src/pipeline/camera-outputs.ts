/**
 * One camera's output files: opened together before the camera starts, finalised together
 * however the job ends. Opening is all-or-nothing: a writer that fails to open closes the
 * ones opened before it, so nothing is left half-open.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { VideoWriter, type X264Preset } from '../output/video-writer.js';
import { TracksCsvWriter } from '../output/tracks-csv.js';
import { writeZoneReport } from '../output/zone-report.js';
import type { ZoneMonitor } from '../zones/index.js';
import type { CameraResult } from './events.js';

export interface CameraOutputs {
  csv: TracksCsvWriter;
  video?: VideoWriter;
  csvPath: string;
  zonesPath: string;
  videoPath?: string;
}

export interface CameraOutputOptions {
  /** The camera's folder, `<job folder>/camera_{i}`. */
  dir: string;
  /** `YYYYMMDD_HHMMSS` of the job's start. */
  stamp: string;
  width: number;
  height: number;
  fps: number;
  /** Write the annotated MP4. */
  video: boolean;
  preset: X264Preset;
  crf: number;
  ffmpegPath?: string;
}

/** Creates the camera folder and opens its CSV and (when asked) its video writer. */
export async function openCameraOutputs(o: CameraOutputOptions): Promise<CameraOutputs> {
  await mkdir(o.dir, { recursive: true });
  const csvPath = path.join(o.dir, `tracks_${o.stamp}.csv`);
  const zonesPath = path.join(o.dir, `zones_${o.stamp}.json`);
  const csv = await TracksCsvWriter.open(csvPath);
  if (!o.video) return { csv, csvPath, zonesPath };
  const videoPath = path.join(o.dir, `output_${o.stamp}.mp4`);
  try {
    const video = await VideoWriter.open(videoPath, {
      width: o.width,
      height: o.height,
      fps: o.fps,
      inputPixelFormat: 'rgb24', // the annotator draws into the frame itself
      preset: o.preset,
      crf: o.crf,
      ffmpegPath: o.ffmpegPath,
    });
    return { csv, video, csvPath, zonesPath, videoPath };
  } catch (error) {
    await csv.close().catch(() => undefined);
    throw error;
  }
}

/**
 * Closes the CSV, finalises the MP4 and writes the zone report. Each step runs even when an
 * earlier one failed; failures are handed to `warn` rather than thrown, so the other cameras
 * and the ZIP are still finalised.
 */
export async function finaliseCameraOutputs(
  outputs: CameraOutputs,
  zoneMonitor: ZoneMonitor,
  camera: CameraResult,
  timeZone: string,
  warn: (message: string) => void,
): Promise<void> {
  const steps: Array<[string, () => Promise<unknown>]> = [
    ['closing the tracks CSV', () => outputs.csv.close()],
    ['closing the video', async () => outputs.video?.close()],
    [
      'writing the zone report',
      () =>
        writeZoneReport(outputs.zonesPath, {
          ...zoneMonitor.report(),
          camera: camera.cameraIndex,
          source: camera.source,
          frames: camera.frames,
          status: camera.status,
          timeZone,
        }),
    ],
  ];
  for (const [what, step] of steps) {
    try {
      await step();
    } catch (error) {
      warn(`${what} failed: ${(error as Error).message}`);
    }
  }
}
