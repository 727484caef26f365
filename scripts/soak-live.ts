/**
 * Live soak test (not part of the CI suite): N UDP cameras on loopback, processed by the main
 * job with a detection stride, for several minutes. Prints, per camera and per minute, the age
 * of each processed frame (now − capture time) as p50/p95, the frames processed, and the
 * process RSS; at the end RSS growth between minute 1 and the last minute, dropped frames,
 * and the verdict against the targets (age p95 < 500 ms, RSS growth < 5 %).
 *
 *   MULTICAM_REID_MODELS=../shared/models node --import tsx scripts/soak-live.ts [--duration 300]
 *     [--cameras 4] [--fps 15] [--stride 2] [--clip ../shared/media/videos/plaza_overhead_pedestrians_720p.mp4]
 *     [--port 23000] [--max-width 640] [--no-video] [--buffer-size n] [--keep-outputs]
 *     [--baseline-minute 1] [--preset memory]
 *
 * `--preset memory` is the bounded-memory check of a 24/7 job: 2 cameras for 30 minutes, RSS
 * growth measured from minute 2 (after the models, buffers and encoders have warmed up)
 * to the last minute; it must stay within 5 %. Explicit flags override the preset.
 *
 * `--max-width` makes the readers' ffmpeg downscale the 720p frames (0: keep 1280×720):
 * detection, annotation and encoding then work on 640×360. On 2 cores, four full-size
 * streams with annotated 720p MP4s need more CPU than there is (see docs/performance.md).
 * `--no-video` turns the annotated MP4s off (CSV and zone reports stay on). `--buffer-size`
 * sets the readers' queue (default: the library's, 30 frames); a live queue that stays full
 * adds bufferSize / fps seconds to every frame's age, so a short one bounds the age when the
 * machine cannot keep up (at the price of dropped frames).
 *
 * The senders stream a copy of the clip prepared once (15 fps, 1 s GOP, H.264 in MPEG-TS,
 * 720p) with `-re -stream_loop -1 -c copy`, so they cost almost no CPU and the pipeline gets
 * the machine. Frame ages come from the `multicam-reid:frame-processed` diagnostics channel
 * that CameraWorker publishes to. Results also go to bench-results/soak-<date>.json.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import diagnosticsChannel from 'node:diagnostics_channel';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DetectionTrackingPipeline } from '../src/pipeline/pipeline.js';
import { FRAME_PROCESSED_CHANNEL, type FrameProcessedMessage } from '../src/pipeline/camera-worker.js';
import { resolveFfmpegPath } from '../src/streams/ffmpeg-path.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '300' },
    cameras: { type: 'string', default: '4' },
    fps: { type: 'string', default: '15' },
    stride: { type: 'string', default: '2' },
    clip: { type: 'string', default: path.resolve(root, '..', 'shared', 'media', 'videos', 'plaza_overhead_pedestrians_720p.mp4') },
    port: { type: 'string', default: '23000' },
    'max-width': { type: 'string', default: '640' },
    'buffer-size': { type: 'string' },
    video: { type: 'boolean', default: true },
    'keep-outputs': { type: 'boolean', default: false },
    'baseline-minute': { type: 'string' },
    preset: { type: 'string' },
  },
});
if (args.preset !== undefined && args.preset !== 'memory') throw new Error(`--preset must be "memory", got ${args.preset}`);
const memoryPreset = args.preset === 'memory';
const given = new Set(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=')[0]));
const durationSeconds = Number(memoryPreset && !given.has('duration') ? 1800 : args.duration);
const cameraCount = Number(memoryPreset && !given.has('cameras') ? 2 : args.cameras);
const baselineMinute = Number(args['baseline-minute'] ?? (memoryPreset ? 2 : 1));
const senderFps = Number(args.fps);
const stride = Number(args.stride);
const basePort = Number(args.port);
const maxWidth = Number(args['max-width']);
const bufferSize = args['buffer-size'] === undefined ? undefined : Number(args['buffer-size']);
for (const [name, value] of [['duration', durationSeconds], ['cameras', cameraCount], ['fps', senderFps], ['stride', stride], ['port', basePort]] as const) {
  if (!(Number.isFinite(value) && value > 0)) throw new Error(`--${name} must be a positive number, got ${String(value)}`);
}

const ffmpeg = resolveFfmpegPath();
const work = mkdtempSync(path.join(os.tmpdir(), 'multicam-soak-'));
const senders: ChildProcess[] = [];

function stopSenders(): void {
  for (const child of senders) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}
process.on('exit', stopSenders);

/** The clip at the sender rate with a 1 s GOP, so a receiver joining late decodes within a second. */
function prepareStream(): string {
  const file = path.join(work, `soak-${senderFps}fps.ts`);
  const gop = String(Math.round(senderFps));
  const result = spawnSync(ffmpeg, [
    '-hide_banner', '-loglevel', 'error', '-i', args.clip!, '-an', '-vf', `fps=${senderFps}`,
    '-c:v', 'libx264', '-preset', 'veryfast', '-g', gop, '-keyint_min', gop, '-sc_threshold', '0', '-bf', '0',
    '-f', 'mpegts', '-y', file,
  ], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`preparing the sender stream failed: ${result.stderr}`);
  return file;
}

function startSender(file: string, port: number): ChildProcess {
  const child = spawn(ffmpeg, ['-hide_banner', '-loglevel', 'error', '-re', '-stream_loop', '-1', '-i', file, '-c', 'copy', '-f', 'mpegts', `udp://127.0.0.1:${port}?pkt_size=1316`], { stdio: ['ignore', 'ignore', 'inherit'] });
  senders.push(child);
  return child;
}

/** Nearest-rank percentile of an unsorted list (sorted in place). */
function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  values.sort((a, b) => a - b);
  return values[Math.min(values.length - 1, Math.ceil((p / 100) * values.length) - 1)]!;
}

interface MinuteFigures {
  minute: number;
  rssMb: number;
  /** CPU of this process (all threads; ffmpeg children not included) over the minute, % of one core. */
  cpuPercent: number;
  /** The machine's 1-minute load average at the end of the minute (other work shares the cores). */
  loadAverage: number;
  cameras: Array<{ camera: number; frames: number; fps: number; p50Ms: number; p95Ms: number; maxMs: number }>;
}

const stream = prepareStream();
const sources = Array.from({ length: cameraCount }, (_, i) => `udp://127.0.0.1:${basePort + 2 * i}`);
sources.forEach((url, i) => startSender(stream, basePort + 2 * i));

const minuteMs = Math.min(60_000, durationSeconds * 1000);
let ages: number[][] = sources.map(() => []);
const allAges: number[][] = sources.map(() => []);
const onFrame = (message: unknown): void => {
  const m = message as FrameProcessedMessage;
  const age = m.processedAt - m.capturedAt;
  ages[m.cameraIndex]!.push(age);
  allAges[m.cameraIndex]!.push(age);
};
diagnosticsChannel.subscribe(FRAME_PROCESSED_CHANNEL, onFrame);

const minutes: MinuteFigures[] = [];
let cpuMark = process.cpuUsage();
let minuteStart = performance.now();
function closeMinute(): void {
  const bucket = ages;
  ages = sources.map(() => []);
  const cpu = process.cpuUsage(cpuMark);
  cpuMark = process.cpuUsage();
  const seconds = (performance.now() - minuteStart) / 1000;
  minuteStart = performance.now();
  const figures: MinuteFigures = {
    minute: minutes.length + 1,
    rssMb: process.memoryUsage.rss() / 2 ** 20,
    cpuPercent: (cpu.user + cpu.system) / 1e4 / seconds,
    loadAverage: os.loadavg()[0]!,
    cameras: bucket.map((list, camera) => ({
      camera,
      frames: list.length,
      fps: list.length / seconds,
      maxMs: list.length > 0 ? Math.max(...list) : NaN,
      p50Ms: percentile(list, 50),
      p95Ms: percentile(list, 95),
    })),
  };
  minutes.push(figures);
  const cams = figures.cameras.map((c) => `cam${c.camera} ${c.fps.toFixed(1)} fps, age p50 ${c.p50Ms.toFixed(0)} / p95 ${c.p95Ms.toFixed(0)} ms`).join(' | ');
  console.log(`minute ${figures.minute}: RSS ${figures.rssMb.toFixed(0)} MB, CPU ${figures.cpuPercent.toFixed(0)} %, load ${figures.loadAverage.toFixed(1)} | ${cams}`);
}

const outputDir = path.join(work, 'outputs');
const pipeline = new DetectionTrackingPipeline({
  output: { dir: outputDir, zip: false, video: args.video },
  streams: { ...(maxWidth > 0 ? { maxWidth } : {}), ...(bufferSize !== undefined ? { bufferSize } : {}) },
});
await pipeline.load();
console.log(`soak: ${cameraCount} UDP cameras at ${senderFps} fps (720p) on loopback, detection stride ${stride}, ${durationSeconds} s, ` +
  `processed at ${maxWidth > 0 ? `max width ${maxWidth}` : 'full size'}, annotated MP4 ${args.video ? 'on' : 'off'}, ` +
  `reader buffer ${pipeline.config.streams.bufferSize} frames; ${os.availableParallelism()} cores`);
let minuteTimer: NodeJS.Timeout | undefined;
const job = pipeline.processVideo({ sources, detectionStride: stride, maxDurationSeconds: durationSeconds });
job.on('start', () => {
  cpuMark = process.cpuUsage();
  minuteStart = performance.now();
  minuteTimer = setInterval(closeMinute, minuteMs);
});
job.on('warning', (w) => console.log(`warning: ${w.cameraIndex === undefined ? '' : `camera ${w.cameraIndex}: `}${w.message}`));
process.once('SIGINT', () => job.cancel());
const result = await job.result;
clearInterval(minuteTimer);
if (ages.some((list) => list.length > minuteMs / 1000)) closeMinute(); // a last partial minute worth reporting
diagnosticsChannel.unsubscribe(FRAME_PROCESSED_CHANNEL, onFrame);
await pipeline.release();
stopSenders();

const first = minutes[Math.min(minutes.length, baselineMinute) - 1];
const last = minutes[minutes.length - 1];
const growth = first && last ? (100 * (last.rssMb - first.rssMb)) / first.rssMb : NaN;
const overall = allAges.map((list, camera) => ({ camera, frames: list.length, p50Ms: percentile(list, 50), p95Ms: percentile(list, 95), maxMs: list.length ? list[list.length - 1]! : NaN }));
const dropped = result.cameras.map((c) => c.droppedFrames);
console.log(`\nstatus ${result.status} (${result.stopReason}); ${result.elapsedSeconds.toFixed(0)} s`);
console.log('| camera | frames | age p50 ms | age p95 ms | age max ms | dropped frames |');
console.log('|---|---|---|---|---|---|');
for (const o of overall) console.log(`| ${o.camera} | ${o.frames} | ${o.p50Ms.toFixed(0)} | ${o.p95Ms.toFixed(0)} | ${o.maxMs.toFixed(0)} | ${dropped[o.camera] ?? '?'} |`);
console.log(`RSS per minute (MB): ${minutes.map((m) => m.rssMb.toFixed(0)).join(' ')}`);
console.log(`RSS minute ${first?.minute}: ${first?.rssMb.toFixed(0)} MB, minute ${last?.minute}: ${last?.rssMb.toFixed(0)} MB, growth ${growth.toFixed(1)} %`);
const worstP95 = Math.max(...minutes.flatMap((m) => m.cameras.map((c) => c.p95Ms)));
console.log(`targets: age p95 < 500 ms in every minute: ${worstP95 < 500 ? 'met' : 'NOT met'} (worst ${worstP95.toFixed(0)} ms); ` +
  `RSS growth < 5 % after minute ${first?.minute}: ${Math.abs(growth) < 5 ? 'met' : 'NOT met'}`);

const resultsDir = path.join(root, 'bench-results');
mkdirSync(resultsDir, { recursive: true });
const file = path.join(resultsDir, `soak-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(file, JSON.stringify({ cameras: cameraCount, fps: senderFps, stride, durationSeconds, maxWidth, video: args.video, bufferSize: pipeline.config.streams.bufferSize, status: result.status, minutes, overall, dropped, rssGrowthPercent: growth }, null, 2));
console.log(`results written to ${path.relative(process.cwd(), file)}`);
if (!args['keep-outputs']) rmSync(work, { recursive: true, force: true });
else console.log(`outputs kept in ${outputDir}`);
