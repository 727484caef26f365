/**
 * Real parts for the distributed tests: a redis-server of the test's own on a free loopback
 * port (no persistence unless asked), `multicam-reid worker` processes started from the CLI,
 * short clips cut by ffmpeg, and checks that nothing (worker, ffmpeg, redis-server) outlives
 * a test.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before } from 'node:test';
import { ffmpegPath } from '../helpers/ffmpeg.js';
import { alive, descendantsOf } from '../helpers/processes.js';
import { artifactsDir, media, modelsDir, repoRoot } from '../helpers/shared.js';

export const REDIS_SERVER = '/usr/bin/redis-server';
export const STORE_CLIPS = [media('multicam/cam1_with_tracking_overlay.mp4'), media('multicam/cam2_with_tracking_overlay.mp4')];

/** A free TCP port on loopback (the OS picks it). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface RedisOptions {
  password?: string;
  /** Keep the data on restart (append-only file in a temporary folder). */
  persistent?: boolean;
}

/** A redis-server child of this test process. */
export class RedisServer {
  private child: ChildProcess | undefined;
  private readonly dir: string;

  private constructor(
    readonly port: number,
    private readonly options: RedisOptions,
  ) {
    this.dir = mkdtempSync(path.join(os.tmpdir(), 'multicam-reid-redis-'));
  }

  static async start(options: RedisOptions = {}): Promise<RedisServer> {
    const server = new RedisServer(await freePort(), options);
    await server.launch();
    return server;
  }

  /** `redis://[:password@]127.0.0.1:port`. */
  get url(): string {
    return `redis://${this.options.password === undefined ? '' : `:${this.options.password}@`}127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Stops it (SIGTERM: a persistent server writes its data) and waits until it is gone. */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }

  /** Stops it and starts it again on the same port. */
  async restart(downMs = 0): Promise<void> {
    await this.stop();
    if (downMs > 0) await new Promise((resolve) => setTimeout(resolve, downMs));
    await this.launch();
  }

  /** Stops it for good and removes its folder. */
  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async launch(): Promise<void> {
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--dir', this.dir];
    args.push('--appendonly', this.options.persistent === true ? 'yes' : 'no');
    if (this.options.password !== undefined) args.push('--requirepass', this.options.password);
    const child = spawn(REDIS_SERVER, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    let output = '';
    const ready = new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Ready to accept connections')) resolve();
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.once('exit', (code) => reject(new Error(`redis-server exited (${code}) before it was ready:\n${output}`)));
    });
    const timeout = setTimeout(() => child.kill('SIGKILL'), 10_000);
    try {
      await ready;
    } finally {
      clearTimeout(timeout);
    }
    child.stdout!.resume();
    child.stderr!.resume();
  }
}

/** The worker's machine configuration for the tests: one detector session per worker (2 cores, several processes). */
export function testWorkerConfig(): string {
  const dir = artifactsDir('distributed');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'worker-config.yaml');
  writeFileSync(file, 'detector:\n  sessions: 1\n');
  return file;
}

/** Short BullMQ timings for the tests: a dead worker is noticed within a few seconds. */
export const FAST_STALL = ['--lock-duration', '4000', '--stalled-interval', '1000'];

/** A `multicam-reid worker` process started from the CLI. */
export class WorkerProcess {
  readonly lines: string[] = [];
  /** `Date.now()` at which each line of {@link lines} arrived. */
  readonly times: number[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private constructor(readonly child: ChildProcess) {
    const take = (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) {
        if (line === '') continue;
        this.lines.push(line);
        this.times.push(Date.now());
      }
    };
    child.stdout!.on('data', take);
    child.stderr!.on('data', take);
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  /** Starts a worker and waits until it takes jobs (or fails to start, with its output). */
  static async start(redisUrl: string, extra: string[] = []): Promise<WorkerProcess> {
    const worker = WorkerProcess.spawn(redisUrl, extra);
    await worker.waitFor(/taking camera jobs/);
    return worker;
  }

  /** Starts a worker without waiting (for start-up failures). */
  static spawn(redisUrl: string, extra: string[] = []): WorkerProcess {
    const args = ['--import', 'tsx', path.join(repoRoot, 'src/cli/main.ts'), 'worker', '--redis', redisUrl, '--config', testWorkerConfig(), ...extra];
    const child = spawn(process.execPath, args, { cwd: repoRoot, env: { ...process.env, MULTICAM_REID_MODELS: modelsDir() }, stdio: ['ignore', 'pipe', 'pipe'] });
    return new WorkerProcess(child);
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Resolves with the first log line matching `pattern` (seen or to come); fails if the worker exits first. */
  async waitFor(pattern: RegExp, limitMs = 120_000): Promise<string> {
    const deadline = Date.now() + limitMs;
    for (;;) {
      const line = this.lines.find((l) => pattern.test(l));
      if (line !== undefined) return line;
      if (this.child.exitCode !== null || this.child.signalCode !== null) throw new Error(`worker ${this.pid} exited before ${pattern}:\n${this.lines.join('\n')}`);
      if (Date.now() > deadline) throw new Error(`worker ${this.pid} never logged ${pattern}:\n${this.lines.join('\n')}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** When the first line matching `pattern` after line `from` arrived, or undefined. */
  timeOf(pattern: RegExp, from = 0): number | undefined {
    const i = this.lines.findIndex((l, k) => k >= from && pattern.test(l));
    return i < 0 ? undefined : this.times[i];
  }

  /** Descendant processes of the worker (its ffmpeg readers and encoders). */
  descendants(): number[] {
    return descendantsOf(this.pid);
  }

  kill(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /** Stops the worker (SIGTERM, then SIGKILL) and waits until it is gone. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 20_000);
    await this.exited;
    clearTimeout(timer);
  }
}

/** Waits until none of `pids` is alive; fails naming the survivors. */
export async function assertGone(pids: number[], what: string, limitMs = 15_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (pids.some(alive) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  assert.deepEqual(pids.filter(alive), [], `${what} still running`);
}

/** Every live process below this test process, as `pid command…` (none may be left after a test). */
export function ownDescendants(): string[] {
  return descendantsOf(process.pid)
    .filter(alive)
    .map((pid) => {
      try {
        return `${pid} ${readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim()}`;
      } catch {
        return '';
      }
    })
    .filter((line) => line !== '' && !/esbuild --service/.test(line)); // tsx's own compiler service, not ours
}

/** Waits (a little) until this test process has no child left; fails naming them. */
export async function assertNoChildren(limitMs = 10_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (ownDescendants().length > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  assert.deepEqual(ownDescendants(), [], 'no child process of the test is left');
}

/** A test file's Redis and worker processes: started before its tests, stopped after them, and checked gone. */
export interface Cluster {
  redis: RedisServer;
  workers: WorkerProcess[];
}

/** Registers the file's hooks for a Redis server and `count` workers; the fields are set once `before` has run. */
export function useCluster(count = 2): Cluster {
  const cluster = { workers: [] } as unknown as Cluster;
  before(async () => {
    cluster.redis = await RedisServer.start();
    cluster.workers = await Promise.all(Array.from({ length: count }, () => WorkerProcess.start(cluster.redis.url)));
  });
  after(async () => {
    const pids = cluster.workers.flatMap((w) => [w.pid, ...w.descendants()]);
    if (cluster.redis?.pid !== undefined) pids.push(cluster.redis.pid);
    await Promise.all(cluster.workers.map((w) => w.stop()));
    await cluster.redis?.dispose();
    await assertGone(pids, 'worker, ffmpeg or redis-server');
    await assertNoChildren();
  });
  return cluster;
}

/** The first `frames` frames of a clip, re-encoded (keyframe every 9 frames), cached under test-artifacts. */
export function cutClip(clip: string, frames: number): string {
  const dir = artifactsDir('distributed/clips');
  mkdirSync(dir, { recursive: true });
  const out = path.join(dir, `${path.basename(clip, '.mp4')}-${frames}.mp4`);
  const result = spawnSync(ffmpegPath, ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', '-i', clip, '-frames:v', String(frames), '-an', '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '9', out], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`ffmpeg could not cut ${clip}: ${result.stderr}`);
  return out;
}

/** A fresh output folder for one test. */
export function outputFolder(name: string): string {
  const dir = artifactsDir(path.join('distributed', name));
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Names of the files under `dir`, relative, sorted. */
export function listFiles(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(path.join(dir, prefix), { withFileTypes: true })) {
    const relative = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory()) out.push(...listFiles(dir, relative));
    else out.push(relative);
  }
  return out.sort();
}
