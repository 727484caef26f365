/**
 * Live jobs over real UDP senders: a camera that is down at the start joins when its sender
 * comes (the other camera runs meanwhile), and a camera that goes down keeps its place on the
 * video's timeline (the MP4 lasts as long as the job saw, not as long as the frames it got).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DetectionTrackingPipeline } from '../../src/pipeline/pipeline.js';
import type { CameraStatusEvent, ProgressEvent } from '../../src/pipeline/events.js';
import { artifactsDir, media } from '../helpers/shared.js';
import { childFfmpegPids, freshPort, inspectVideo, startUdpSender, stopProcess } from '../helpers/ffmpeg.js';

const clips = [media('multicam/cam1_with_tracking_overlay.mp4'), media('multicam/cam2_with_tracking_overlay.mp4')];
const outRoot = artifactsDir('pipeline-live');
rmSync(outRoot, { recursive: true, force: true });

// Short timeouts keep the test short; the defaults are longer (connectTimeout 15 s).
const pipeline = new DetectionTrackingPipeline({ streams: { connectTimeout: 4, stallTimeout: 2, reconnect: { initialDelay: 0.3, maxDelay: 1 } }, output: { zip: false } });
after(() => pipeline.release());

test('a live camera down at the start joins when its sender comes; the other one runs meanwhile', { timeout: 120_000 }, async () => {
  const ports = [freshPort(), freshPort()];
  const early = startUdpSender(clips[0]!, ports[0]!);
  let late: ReturnType<typeof startUdpSender> | undefined;
  try {
    const job = pipeline.processVideo({ sources: ports.map((p) => `udp://127.0.0.1:${p}`), outputDir: path.join(outRoot, 'late'), maxDurationSeconds: 22 });
    const statuses: CameraStatusEvent[] = [];
    job.on('camera:status', (e) => statuses.push(e));
    let startedAt = 0;
    job.once('start', () => (startedAt = performance.now()));
    const lateTimer = setTimeout(() => (late = startUdpSender(clips[1]!, ports[1]!)), 10_000);
    const result = await job.result;
    clearTimeout(lateTimer);
    const trail = statuses.map((e) => `${e.cameraIndex}:${e.state}/${e.reason}`).join(' ');
    console.log(`camera states: ${trail}; frames ${result.cameras.map((c) => c.frames).join(' + ')}; video start of camera 1 at ${result.cameras[1]!.videoStartTime.toFixed(1)} s`);
    assert.ok(startedAt > 0, 'the job started without waiting for the late camera');
    assert.equal(result.status, 'completed', JSON.stringify(result.error));
    assert.equal(result.stopReason, 'max-duration');
    assert.ok(statuses.some((e) => e.cameraIndex === 1 && e.state === 'waiting'), `camera 1 was waiting: ${trail}`);
    assert.ok(statuses.some((e) => e.cameraIndex === 1 && e.state === 'connected'), `camera 1 connected later: ${trail}`);
    const [first, second] = result.cameras;
    assert.ok(first!.frames > 100, `camera 0 ran all along (${first!.frames} frames)`);
    assert.ok(second!.frames > 20, `camera 1 recorded once it came (${second!.frames} frames)`);
    assert.ok(second!.videoStartTime > 8, `camera 1's video starts when it joined (${second!.videoStartTime} s)`);
    assert.equal((await inspectVideo(second!.videoPath!)).codec, 'h264');
  } finally {
    await Promise.all([stopProcess(early), stopProcess(late)]);
  }
  assert.deepEqual(childFfmpegPids(), []);
});

test('a camera that goes down keeps the timeline: its MP4 lasts as long as the job, progress says it is down', { timeout: 120_000 }, async () => {
  const ports = [freshPort(), freshPort()];
  const senders = ports.map((port, i) => startUdpSender(clips[i]!, port));
  let restarted: ReturnType<typeof startUdpSender> | undefined;
  try {
    const job = pipeline.processVideo({ sources: ports.map((p) => `udp://127.0.0.1:${p}`), outputDir: path.join(outRoot, 'outage'), maxDurationSeconds: 20 });
    const states = new Set<string>();
    // Until stallTimeout (2 s) has passed the reader cannot know the camera is down: a run of
    // "connected at 0 fps" samples longer than that would be the old lie.
    let idleConnected = 0;
    let longestIdleConnected = 0;
    job.on('progress', (p: ProgressEvent) => {
      const camera = p.cameras[0]!;
      if (camera.fps === 0 && camera.frames > 0) states.add(camera.state);
      idleConnected = camera.fps === 0 && camera.frames > 0 && camera.state === 'connected' ? idleConnected + 1 : 0;
      longestIdleConnected = Math.max(longestIdleConnected, idleConnected);
    });
    job.once('start', () => {
      void (async () => {
        await sleep(4000);
        await stopProcess(senders[0]);
        await sleep(7000);
        restarted = startUdpSender(clips[0]!, ports[0]!);
      })();
    });
    const result = await job.result;
    const camera = result.cameras[0]!;
    const video = await inspectVideo(camera.videoPath!);
    const videoSeconds = video.frames / video.fps;
    console.log(`camera 0: ${camera.frames} frames processed, video ${video.frames} frames = ${videoSeconds.toFixed(1)} s (${camera.framesRepeated} repeats); progress states while down: ${[...states].join(', ')}`);
    assert.equal(result.status, 'completed', JSON.stringify(result.error));
    assert.ok(videoSeconds > 15, `the MP4 covers the outage (${videoSeconds.toFixed(1)} s of a 20-s job)`);
    assert.ok(camera.framesRepeated > 0);
    assert.equal(video.frames, camera.frames + camera.framesRepeated, 'every processed frame and every repeat is in the MP4');
    assert.ok(longestIdleConnected <= 3, `progress said "connected" at 0 fps for ${longestIdleConnected} s in a row`);
    assert.ok(states.has('stalled') || states.has('reconnecting'), `progress said the camera was down (states: ${[...states].join(', ')})`);
  } finally {
    await Promise.all([...senders.map(stopProcess), stopProcess(restarted)]);
  }
  assert.deepEqual(childFfmpegPids(), []);
});
