/**
 * Real live sources for the stream tests: ffmpeg processes sending sample clips as UDP MPEG-TS,
 * and GStreamer's RTSP server. Plus a check that this test process has no ffmpeg child left.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { once } from 'node:events';
import type { EventEmitter } from 'eventemitter3';
import type { StreamEvents } from '../../src/streams/events.js';
import { resolveFfmpegPath } from '../../src/streams/ffmpeg-path.js';
import { childPidsNamed } from '../helpers/processes.js';
import { repoRoot } from '../helpers/shared.js';

/** A port in an unusual high range, different on every call, to avoid clashes with other suites. */
let portCursor = 47_000 + Math.floor(Math.random() * 8_000);
export function freshPort(): number {
  portCursor += 1 + Math.floor(Math.random() * 7);
  return portCursor;
}

/** PIDs of ffmpeg (and ffprobe) processes whose parent is this test process. */
export function childFfmpegPids(): number[] {
  return childPidsNamed('ffmpeg', 'ffprobe');
}

/** Stops a helper process and waits for it to be gone. */
export async function stopProcess(child: ChildProcess | undefined): Promise<void> {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}

/** How a test sender encodes. */
export interface UdpSenderOptions {
  /** Frames between keyframes. @default 9 (a receiver starts decoding within half a second) */
  gop?: number;
  /** Output frame rate (constant: frames are repeated to reach it); the clip's own when undefined. */
  fps?: number;
}

/**
 * An ffmpeg sending `clip` in a loop at its native rate as MPEG-TS to udp://127.0.0.1:port,
 * re-encoded with a keyframe every `gop` frames (a fixed GOP: no extra keyframes at scene cuts).
 */
export function startUdpSender(clip: string, port: number, options: UdpSenderOptions = {}): ChildProcess {
  return startSender(['-re', '-stream_loop', '-1', '-i', clip], port, options);
}

/**
 * An ffmpeg sending SMPTE colour bars (seven vertical bars: grey, yellow, cyan, green, magenta,
 * red, blue) of `size` as MPEG-TS to udp://127.0.0.1:port at 25 fps: content whose every column
 * is known, so a test can tell a well-cut frame from a misaligned one.
 */
export function startBarsSender(port: number, size: string, options: UdpSenderOptions = {}): ChildProcess {
  return startSender(['-re', '-f', 'lavfi', '-i', `smptebars=size=${size}:rate=25`], port, options);
}

function startSender(input: string[], port: number, options: UdpSenderOptions): ChildProcess {
  const gop = String(options.gop ?? 9);
  const args = [
    '-hide_banner', '-nostdin', '-loglevel', 'error',
    ...input,
    '-an', '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-pix_fmt', 'yuv420p',
    // MPEG-TS takes variable rates: without -vsync cfr, -r would relabel frames instead of repeating them.
    ...(options.fps !== undefined ? ['-vsync', 'cfr', '-r', String(options.fps)] : []),
    '-g', gop, '-keyint_min', gop, '-sc_threshold', '0',
    '-f', 'mpegts', `udp://127.0.0.1:${port}?pkt_size=1316`,
  ];
  const child = spawn(resolveFfmpegPath(), args, { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr!.resume();
  return child;
}

/** The RTSP fixture server and what it reported. */
export interface RtspServer {
  process: ChildProcess;
  /** TEARDOWN requests received so far. */
  teardowns(): number;
}

/**
 * Starts test/fixtures/rtsp-server.py serving `clip` at rtsp://127.0.0.1:port/mount; resolves
 * once it listens. With `auth` ("user:password") clients must log in (basic auth).
 */
export async function startRtspServer(clip: string, port: number, mount: string, options: { auth?: string } = {}): Promise<ChildProcess & RtspServer> {
  const script = path.join(repoRoot, 'test', 'fixtures', 'rtsp-server.py');
  const extra = options.auth !== undefined ? ['--auth', options.auth] : [];
  const child = spawn('/usr/bin/python3', [script, String(port), mount, clip, ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  let out = '';
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`RTSP server did not start within 10 s: ${log}`)), 10_000);
    const onData = () => {
      if (out.includes('READY')) {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`RTSP server exited with ${code}: ${log}`));
    });
  });
  return Object.assign(child, { process: child, teardowns: () => out.split('\n').filter((l) => l === 'TEARDOWN').length });
}

/** What ffmpeg itself says about a clip: frames decoded from its first video stream, size and fps. */
export function ffmpegReport(clip: string): { frames: number; width: number; height: number; fps: number } {
  const run = spawnSync(resolveFfmpegPath(), ['-hide_banner', '-nostdin', '-i', clip, '-map', '0:v:0', '-vsync', 'passthrough', '-f', 'null', '-'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
  });
  if (run.status !== 0) throw new Error(`ffmpeg could not decode ${clip}: ${run.stderr}`);
  const stderr = run.stderr;
  return parseReport(stderr);
}

function parseReport(stderr: string): { frames: number; width: number; height: number; fps: number } {
  const video = /Stream #0:0[^\n]*Video: [^\n]*?, (\d+)x(\d+)[^\n]*?, ([\d.]+) fps/.exec(stderr);
  const frames = [...stderr.matchAll(/frame=\s*(\d+)/g)].pop();
  if (!video || !frames) throw new Error(`cannot parse ffmpeg's report:\n${stderr}`);
  return { frames: Number(frames[1]), width: Number(video[1]), height: Number(video[2]), fps: Number(video[3]) };
}

/** Resolves with the first event `name` from `emitter` for which `accept` holds; rejects after `ms`. */
export function waitForEvent<E extends keyof StreamEvents>(
  emitter: EventEmitter<StreamEvents>,
  name: E,
  ms: number,
  accept: (event: Parameters<StreamEvents[E]>[0]) => boolean = () => true,
): Promise<Parameters<StreamEvents[E]>[0]> {
  type Payload = Parameters<StreamEvents[E]>[0];
  const loose = emitter as unknown as EventEmitter<string>;
  return new Promise((resolve, reject) => {
    const listener = (event: Payload) => {
      if (!accept(event)) return;
      clearTimeout(timer);
      loose.off(name, listener);
      resolve(event);
    };
    const timer = setTimeout(() => {
      loose.off(name, listener);
      reject(new Error(`no "${name}" event within ${ms} ms`));
    }, ms);
    loose.on(name, listener);
  });
}
