/**
 * Cancel at any moment, deterministically: the job is aborted exactly when it enters each
 * phase (subscribed to JOB_PHASE_CHANNEL, which runs synchronously at the boundary) or at its
 * first tracked person. Every run must end `cancelled` — a lost cancel would complete the files
 * or time out on the silent source — with what exists finalised and valid, and no ffmpeg left.
 * The cancel → result latency of each phase is printed for the notes (no timing assertions).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import diagnosticsChannel from 'node:diagnostics_channel';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { getEventListeners } from 'node:events';
import path from 'node:path';
import { DetectionTrackingPipeline } from '../../src/pipeline/pipeline.js';
import { JOB_PHASE_CHANNEL, type JobPhase, type JobPhaseMessage } from '../../src/pipeline/job-runner.js';
import type { Job } from '../../src/pipeline/job.js';
import type { JobResult } from '../../src/pipeline/events.js';
import { parseTracksCsv } from '../../src/output/tracks-csv.js';
import { artifactsDir, media } from '../helpers/shared.js';
import { childFfmpegPids, freshPort, inspectVideo, listZip } from '../helpers/ffmpeg.js';

const clips = [media('multicam/cam1_with_tracking_overlay.mp4'), media('multicam/cam2_with_tracking_overlay.mp4')];
const outRoot = artifactsDir('pipeline-cancel-phases');
rmSync(outRoot, { recursive: true, force: true });

const pipeline = new DetectionTrackingPipeline();
after(() => pipeline.release());
const latencies: string[] = [];
after(() => console.log(`cancel → result latency per point: ${latencies.join(', ')}`));

/** Aborts `controller` when `job` enters `phase`; resolves the moment of the abort. */
function abortAtPhase(job: () => Job | undefined, phase: JobPhase, controller: AbortController, delayMs = 0): { abortedAt: () => number; dispose: () => void } {
  let at = 0;
  const onMessage = (message: unknown) => {
    const m = message as JobPhaseMessage;
    if (m.phase !== phase || m.jobId !== job()?.id || at !== 0) return;
    const abort = () => {
      at = performance.now();
      controller.abort();
    };
    if (delayMs === 0) abort();
    else setTimeout(abort, delayMs);
  };
  diagnosticsChannel.subscribe(JOB_PHASE_CHANNEL, onMessage);
  return { abortedAt: () => at, dispose: () => diagnosticsChannel.unsubscribe(JOB_PHASE_CHANNEL, onMessage) };
}

/** Every output that exists is valid: MP4s decode to the processed frame count, CSVs and reports parse, the ZIP opens. */
async function assertFinalised(result: JobResult): Promise<void> {
  assert.deepEqual(childFfmpegPids(), [], 'no ffmpeg child is left when the result arrives');
  if (result.outputDir === undefined) return;
  assert.ok(result.zipPath !== undefined && existsSync(result.zipPath), 'the ZIP is written after a cancel');
  const entries = listZip(result.zipPath);
  for (const camera of result.cameras) {
    const rows = parseTracksCsv(readFileSync(camera.csvPath, 'utf8'));
    assert.ok(rows.every((r) => r.frameIndex < camera.frames), 'CSV rows only for processed frames');
    const report = JSON.parse(readFileSync(camera.zonesPath, 'utf8')) as { camera: number };
    assert.equal(report.camera, camera.cameraIndex);
    assert.ok(entries.some((e) => e.endsWith(path.basename(camera.csvPath))), 'the CSV is in the ZIP');
    if (camera.frames > 0) {
      const video = await inspectVideo(camera.videoPath!);
      assert.equal(video.frames, camera.frames, `camera ${camera.cameraIndex}: the MP4 holds every processed frame`);
    }
  }
}

async function cancelAt(label: string, phase: JobPhase | 'first-track', options: { sources: string[]; pipeline?: DetectionTrackingPipeline; delayMs?: number }): Promise<JobResult> {
  const controller = new AbortController();
  let job: Job | undefined;
  let abortedAt = () => 0;
  let dispose = () => undefined as void;
  if (phase !== 'first-track') ({ abortedAt, dispose } = abortAtPhase(() => job, phase, controller, options.delayMs));
  job = (options.pipeline ?? pipeline).processVideo({ sources: options.sources, outputDir: path.join(outRoot, label), signal: controller.signal });
  if (phase === 'first-track') {
    let at = 0;
    abortedAt = () => at;
    job.once('track:new', () => {
      at = performance.now();
      controller.abort();
    });
  }
  const result = await job.result;
  dispose();
  assert.ok(abortedAt() > 0, `${label}: the cancel point was reached`);
  latencies.push(`${label} ${(performance.now() - abortedAt()).toFixed(0)} ms`);
  assert.equal(result.status, 'cancelled', `${label}: ${JSON.stringify(result.error)}`);
  assert.equal(result.stopReason, 'cancelled');
  assert.equal(getEventListeners(controller.signal, 'abort').length, 0, 'the job removed its listener from the caller signal');
  await assertFinalised(result);
  return result;
}

test('cancel while the models load: nothing is written', { timeout: 120_000 }, async () => {
  const fresh = new DetectionTrackingPipeline();
  try {
    const result = await cancelAt('models', 'models', { sources: clips, pipeline: fresh });
    assert.equal(result.outputDir, undefined);
    assert.equal(existsSync(path.join(outRoot, 'models')), false);
  } finally {
    await fresh.release();
  }
});

test('cancel while the sources open, also a source that never answers', { timeout: 120_000 }, async () => {
  await pipeline.load();
  const files = await cancelAt('sources-files', 'sources', { sources: clips });
  assert.equal(files.outputDir, undefined);
  // Nothing listens on this UDP port: open() would wait for connectTimeout (15 s) without the cancel.
  const silent = await cancelAt('sources-silent-udp', 'sources', { sources: [`udp://127.0.0.1:${freshPort()}`], delayMs: 500 });
  assert.equal(silent.outputDir, undefined);
});

test('cancel between open and the first frame: empty but valid outputs', { timeout: 120_000 }, async () => {
  const result = await cancelAt('before-first-frame', 'outputs', { sources: clips });
  assert.ok(result.outputDir !== undefined);
  for (const camera of result.cameras) {
    assert.equal(camera.frames, 0);
    assert.equal(camera.stopReason, 'cancelled');
    assert.ok(existsSync(camera.csvPath) && existsSync(camera.zonesPath), 'the camera folder holds a CSV header and a report');
  }
});

test('cancel mid-run, at the first tracked person', { timeout: 120_000 }, async () => {
  const result = await cancelAt('mid-run', 'first-track', { sources: clips });
  assert.ok(result.cameras.some((c) => c.frames > 0), 'frames were processed before the cancel');
  assert.ok(result.cameras.every((c) => c.frames < 419), 'no camera ran to the end of its file');
});

test('cancel during finalisation: the outputs are complete', { timeout: 120_000 }, async () => {
  const short = path.join(outRoot, 'short.mp4');
  const { spawnSync } = await import('node:child_process');
  const { ffmpegPath } = await import('../helpers/ffmpeg.js');
  const cut = spawnSync(ffmpegPath, ['-hide_banner', '-loglevel', 'error', '-y', '-i', clips[0]!, '-frames:v', '40', '-an', '-c:v', 'libx264', '-preset', 'ultrafast', short]);
  assert.equal(cut.status, 0, String(cut.stderr));
  const result = await cancelAt('finalising', 'finalising', { sources: [short] });
  assert.equal(result.cameras[0]!.frames, 40, 'the camera had run to its end');
  assert.equal(result.cameras[0]!.stopReason, 'end-of-input');
});
