/**
 * The same 2-camera job (the two store clips, whole, files as fast as possible, annotated MP4
 * + CSV + zones, shared identity gallery) run locally and on two `multicam-reid worker`
 * processes through a redis-server on loopback, on this one machine: same CPUs, so similar
 * throughput is the honest outcome; the difference is the distributed mode's overhead.
 *
 *   npm run bench -- distributed                        # one local and one distributed run
 *   BENCH_REPEATS=3 npm run bench -- distributed        # alternating runs, medians
 *
 * Local: one process with the default detector pool (one single-thread session per core).
 * Distributed: two workers with one session each (the same two sessions in total), models
 * loaded before the clock starts in both cases. Figures:
 *
 * - **frames/s**: frames of both cameras ÷ wall time from `processVideo` to the result.
 * - **overhead ms/frame**: (distributed wall − local wall) ÷ frames, from the median runs.
 * - **CPU ms/frame**: CPU of every process involved (this one, the workers, their ffmpeg
 *   children, redis-server) ÷ frames.
 * - **Redis ops/frame**: commands redis-server processed during the job (INFO stats, every
 *   client: BullMQ's locks and markers too) ÷ frames; beside it our own traffic by part:
 *   event stream and shared-gallery round trips per frame (from DISTRIBUTED_TRAFFIC_CHANNEL).
 * - **waited ends / ms waited**: tracks that ended undecided, whose camera loop waited for the
 *   shared gallery's final id, and the total time it waited (the only blocking call).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import diagnosticsChannel from 'node:diagnostics_channel';
import { once } from 'node:events';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { DistributedPipeline } from '../src/distributed/pipeline.js';
import { DISTRIBUTED_TRAFFIC_CHANNEL, type DistributedTrafficMessage } from '../src/distributed/submitter.js';
import { DetectionTrackingPipeline } from '../src/pipeline/pipeline.js';
import type { JobResult } from '../src/pipeline/events.js';
import { median, printTable } from './util.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const clips = ['cam1_with_tracking_overlay.mp4', 'cam2_with_tracking_overlay.mp4'].map((c) => path.resolve(root, '..', 'shared', 'media', 'multicam', c));
/** Local and distributed runs each (alternating), `BENCH_REPEATS`. */
const REPEATS = Number(process.env.BENCH_REPEATS ?? 1);
const outputDir = path.join(root, 'bench-results', 'distributed-outputs');

interface RunFigures {
  mode: 'local' | 'distributed';
  frames: number;
  wall: number;
  fps: number;
  cpuMsPerFrame: number;
  identities: number;
  redisOpsPerFrame?: number;
  eventRoundTripsPerFrame?: number;
  galleryRoundTripsPerFrame?: number;
  ownerRoundTripsPerFrame?: number;
  waitedEnds?: number;
  waitedMs?: number;
}

/** CPU seconds of a process and its reaped children, from /proc/<pid>/stat. */
function cpuSecondsOf(pid: number | 'self'): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0) / 100;
  } catch {
    return 0;
  }
}

async function freePort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function startProcess(command: string, args: string[], ready: RegExp): Promise<ChildProcess> {
  const child = spawn(command, args, { cwd: root, env: { ...process.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (ready.test(output)) resolve(child);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${command} exited (${code}) before it was ready:\n${output}`)));
  });
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  await exited;
  clearTimeout(timer);
}

function cleanOutputs(result: JobResult): void {
  if (result.outputDir) rmSync(result.outputDir, { recursive: true, force: true });
  if (result.zipPath) rmSync(result.zipPath, { force: true });
}

async function runLocal(pipeline: DetectionTrackingPipeline): Promise<RunFigures> {
  const cpu0 = cpuSecondsOf('self');
  const t0 = performance.now();
  const result = await pipeline.processVideo({ sources: clips, outputDir }).result;
  const wall = (performance.now() - t0) / 1000;
  if (result.status !== 'completed') throw new Error(`local bench job ${result.status}: ${result.error?.message}`);
  const frames = result.cameras.reduce((s, c) => s + c.frames, 0);
  const cpu = cpuSecondsOf('self') - cpu0;
  cleanOutputs(result);
  return { mode: 'local', frames, wall, fps: frames / wall, cpuMsPerFrame: (1000 * cpu) / frames, identities: result.identities };
}

async function runDistributed(pipeline: DistributedPipeline, redis: Redis, pids: number[]): Promise<RunFigures> {
  let traffic: DistributedTrafficMessage | undefined;
  const onTraffic = (message: unknown) => (traffic = message as DistributedTrafficMessage);
  diagnosticsChannel.subscribe(DISTRIBUTED_TRAFFIC_CHANNEL, onTraffic);
  const commands0 = await totalCommands(redis);
  const cpu0 = cpuSecondsOf('self') + pids.reduce((s, p) => s + cpuSecondsOf(p), 0);
  const t0 = performance.now();
  const result = await pipeline.processVideo({ sources: clips, outputDir }).result;
  const wall = (performance.now() - t0) / 1000;
  const cpu = cpuSecondsOf('self') + pids.reduce((s, p) => s + cpuSecondsOf(p), 0) - cpu0;
  const commands = (await totalCommands(redis)) - commands0;
  diagnosticsChannel.unsubscribe(DISTRIBUTED_TRAFFIC_CHANNEL, onTraffic);
  if (result.status !== 'completed') throw new Error(`distributed bench job ${result.status}: ${result.error?.message}`);
  const frames = result.cameras.reduce((s, c) => s + c.frames, 0);
  const sum = (pick: (c: DistributedTrafficMessage['cameras'][number]) => number) => (traffic?.cameras ?? []).reduce((s, c) => s + pick(c), 0);
  cleanOutputs(result);
  return {
    mode: 'distributed',
    frames,
    wall,
    fps: frames / wall,
    cpuMsPerFrame: (1000 * cpu) / frames,
    identities: result.identities,
    redisOpsPerFrame: commands / frames,
    eventRoundTripsPerFrame: (sum((c) => c.events?.roundTrips ?? 0) + (traffic?.reader.roundTrips ?? 0)) / frames,
    galleryRoundTripsPerFrame: sum((c) => c.gallery?.roundTrips ?? 0) / frames,
    ownerRoundTripsPerFrame: (traffic?.owner?.roundTrips ?? 0) / frames,
    waitedEnds: sum((c) => c.gallery?.waitedEnds ?? 0),
    waitedMs: sum((c) => c.gallery?.waitedMs ?? 0),
  };
}

async function totalCommands(redis: Redis): Promise<number> {
  const info = await redis.info('stats');
  return Number(/total_commands_processed:(\d+)/.exec(info)?.[1] ?? 0);
}

export async function run(): Promise<unknown> {
  mkdirSync(outputDir, { recursive: true });
  const workerConfig = path.join(outputDir, 'worker-config.yaml');
  writeFileSync(workerConfig, 'detector:\n  sessions: 1\n');
  const port = await freePort();
  const redisServer = await startProcess('/usr/bin/redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], /Ready to accept connections/);
  const url = `redis://127.0.0.1:${port}`;
  const workers: ChildProcess[] = [];
  const local = new DetectionTrackingPipeline({});
  const distributed = new DistributedPipeline({ redis: url, config: {} });
  const redis = new Redis(port, '127.0.0.1');
  const runs: RunFigures[] = [];
  try {
    for (let i = 0; i < 2; i++) {
      workers.push(await startProcess(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'worker', '--redis', url, '--config', workerConfig], /taking camera jobs/));
    }
    await local.load();
    const pids = [...workers.map((w) => w.pid!), redisServer.pid!];
    for (let i = 0; i < REPEATS; i++) {
      runs.push(await runLocal(local));
      runs.push(await runDistributed(distributed, redis, pids));
    }
  } finally {
    await local.release();
    await distributed.release();
    redis.disconnect();
    await Promise.all(workers.map(stopProcess));
    await stopProcess(redisServer);
  }
  const pick = (mode: RunFigures['mode']) => {
    const list = runs.filter((r) => r.mode === mode);
    const m = median(list.map((r) => r.wall));
    return list.reduce((best, r) => (Math.abs(r.wall - m) < Math.abs(best.wall - m) ? r : best));
  };
  const l = pick('local');
  const d = pick('distributed');
  const overheadMsPerFrame = (1000 * (d.wall - l.wall)) / d.frames;
  printTable(runs.map((r) => ({
    mode: r.mode,
    frames: r.frames,
    'wall s': r.wall,
    'frames/s': r.fps,
    'CPU ms/frame': r.cpuMsPerFrame,
    identities: r.identities,
    'Redis ops/frame': r.redisOpsPerFrame ?? '–',
    'event RT/frame': r.eventRoundTripsPerFrame ?? '–',
    'gallery RT/frame': r.galleryRoundTripsPerFrame ?? '–',
    'owner RT/frame': r.ownerRoundTripsPerFrame ?? '–',
    'waited ends': r.waitedEnds ?? '–',
    'ms waited': r.waitedMs ?? '–',
  })));
  console.log(`\noverhead of the distributed mode (median runs): ${overheadMsPerFrame.toFixed(2)} ms of wall time per frame; ratio ${(d.fps / l.fps).toFixed(2)}`);
  return { runs, local: l, distributed: d, overheadMsPerFrame, ratio: d.fps / l.fps };
}

export function summarize(result: unknown): string[] {
  const r = result as { local: RunFigures; distributed: RunFigures; overheadMsPerFrame: number; ratio: number };
  return [
    `- local ${r.local.fps.toFixed(1)} frames/s, distributed (2 workers) ${r.distributed.fps.toFixed(1)} frames/s (ratio ${r.ratio.toFixed(2)}); overhead ${r.overheadMsPerFrame.toFixed(2)} ms/frame`,
    `- Redis: ${r.distributed.redisOpsPerFrame?.toFixed(2)} commands/frame in all; events ${r.distributed.eventRoundTripsPerFrame?.toFixed(2)}, shared gallery ${r.distributed.galleryRoundTripsPerFrame?.toFixed(2)} (+ owner ${r.distributed.ownerRoundTripsPerFrame?.toFixed(2)}) round trips/frame; ${r.distributed.waitedEnds} track ends waited ${r.distributed.waitedMs?.toFixed(1)} ms in all`,
  ];
}
