/**
 * End-to-end throughput of the main job on the sample store clips reused as N cameras
 * (files as fast as possible, detection every frame, ReID gated, annotated MP4 + CSV + zones
 * on), against detector-only inference measured in the same run.
 *
 *   npm run bench -- pipeline                 # 1, 2 and 4 cameras
 *   BENCH_CAMERAS=2,8 npm run bench -- pipeline
 */
import { readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DetectionTrackingPipeline } from '../src/pipeline/pipeline.js';
import type { JobResult, StageTimings } from '../src/pipeline/events.js';
import { printTable, trackPeakRss } from './util.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const clips = ['cam1_with_tracking_overlay.mp4', 'cam2_with_tracking_overlay.mp4'].map((c) => path.resolve(root, '..', 'shared', 'media', 'multicam', c));

/** CPU seconds of this process and its reaped children (ffmpeg), from /proc/self/stat. */
function cpuSeconds(): number {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
  const ticks = [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0); // utime stime cutime cstime
  return ticks / 100;
}

export async function run(): Promise<unknown> {
  const counts = (process.env.BENCH_CAMERAS ?? '1,2,4').split(',').map(Number);
  const pipeline = new DetectionTrackingPipeline({ output: { dir: path.join(root, 'bench-results', 'pipeline-outputs') } });
  const { detector } = await pipeline.load();
  const outputs: Array<Record<string, unknown>> = [];
  const rows: Array<Record<string, string | number>> = [];
  for (const cameras of counts) {
    // Inference-only rate measured right before each run: the machine is shared and noisy.
    const inferMs = await detector.measureInferenceOnly(30);
    const inferenceFps = 1000 / inferMs;
    const sources = Array.from({ length: cameras }, (_, i) => clips[i % clips.length]!);
    const rss = trackPeakRss();
    const cpu0 = cpuSeconds();
    const t0 = performance.now();
    const job = pipeline.processVideo({ sources, zones: path.join(root, 'configs', 'zones.sample.yaml') });
    const result: JobResult = await job.result;
    const wall = (performance.now() - t0) / 1000;
    const cpu = cpuSeconds() - cpu0;
    const peakRss = rss.stop();
    if (result.status !== 'completed') throw new Error(`bench job ${result.status}: ${result.error?.message}`);
    const frames = result.cameras.reduce((s, c) => s + c.frames, 0);
    const totalFps = frames / wall;
    const stagesPerFrame = Object.fromEntries(Object.entries(result.stages).map(([k, v]) => [k, v / frames])) as unknown as StageTimings;
    rows.push({
      cameras,
      frames,
      'total fps': totalFps,
      'fps/camera': totalFps / cameras,
      'inference-only fps': inferenceFps,
      ratio: totalFps / inferenceFps,
      'CPU %': (100 * cpu) / wall,
      'peak RSS MB': Math.round(peakRss),
      ...Object.fromEntries(Object.entries(stagesPerFrame).map(([k, v]) => [`${k} ms/f`, v as number])),
    });
    outputs.push({ cameras, frames, wall, totalFps, inferenceFps, ratio: totalFps / inferenceFps, cpuPercent: (100 * cpu) / wall, peakRssMb: peakRss, stagesMsPerFrame: stagesPerFrame, identities: result.identities });
    if (result.outputDir) rmSync(result.outputDir, { recursive: true, force: true });
    if (result.zipPath) rmSync(result.zipPath, { force: true });
  }
  await pipeline.release();
  console.log(`machine: ${os.cpus().length} cores, ${os.cpus()[0]?.model}; stage times are summed over cameras (per processed frame)`);
  printTable(rows);
  return outputs;
}
