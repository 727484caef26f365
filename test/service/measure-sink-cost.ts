/**
 * Not a test: measures what the MQTT sink costs on the job's path — the time inside
 * `job.emit` per event with the sink attached, against the same emits with no listener —
 * on a real Mosquitto, for QoS 0 and 1. Medians of 7 rounds of 20 000 events (9 in 10
 * `track:new`, 1 in 10 a two-camera `progress` with a credentialed source).
 *
 *   node --import tsx test/service/measure-sink-cost.ts
 */
import { performance } from 'node:perf_hooks';
import { Job } from '../../src/pipeline/job.js';
import type { ProgressEvent } from '../../src/pipeline/events.js';
import { MqttEventSink } from '../../src/service/index.js';
import { startMosquitto } from './mosquitto.js';

const EVENTS = 20_000;
const ROUNDS = 7;
const source = 'rtsp://admin:SECRET@10.0.0.5/live';
const track = { cameraIndex: 1, trackId: 17, globalId: 4, frameIndex: 0, timestamp: 68.55 };
const progress: ProgressEvent = {
  jobId: 'x',
  elapsedSeconds: 12.3,
  totalFps: 35.2,
  cameras: [0, 1].map((cameraIndex) => ({ cameraIndex, source, state: 'connected' as const, frames: 1234, fps: 17.6, position: 68.5, activeTracks: 3 })),
};

/** Microseconds per event spent in `job.emit`. */
function emitAll(job: Job): number {
  const t0 = performance.now();
  for (let i = 0; i < EVENTS; i++) {
    if (i % 10 === 0) job.emit('progress', progress);
    else job.emit('track:new', { ...track, frameIndex: i });
  }
  return ((performance.now() - t0) / EVENTS) * 1000;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
/** A job that emits only what the measurement emits, and never settles. */
const idle = () => ({ run: () => new Promise<never>(() => undefined), addSource: () => 0, removeSource: () => undefined, warn: () => undefined });
const broker = await startMosquitto();
try {
  for (const qos of [0, 1] as const) {
    const sink = await MqttEventSink.connect({ url: broker.url, qos, closeTimeout: 30 });
    const bare: number[] = [];
    const attached: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      bare.push(emitAll(new Job(`bare-${round}`, idle)));
      const job = new Job(`sink-${round}`, idle);
      const detach = sink.attach(job, { sources: [source] });
      attached.push(emitAll(job));
      detach();
      await new Promise((resolve) => setTimeout(resolve, 500)); // let the socket drain between rounds
    }
    const stats = await sink.close();
    console.log(
      `QoS ${qos}: µs per event in job.emit, median of ${ROUNDS} × ${EVENTS}: no listener ${median(bare).toFixed(2)}, with the sink ${median(attached).toFixed(2)}` +
        ` (sent ${stats.sent}, dropped ${stats.dropped}, failed ${stats.failed})`,
    );
  }
} finally {
  await broker.dispose();
}
