/**
 * The ffmpeg argument vector for one source: input flags per protocol, then the first video
 * stream decoded to packed raw pixels on stdout. Returned as an array for `spawn` — no shell
 * ever sees a URL or path. stdin stays open (no `-nostdin`): the reader stops ffmpeg with `q`.
 */
import type { PixelFormat } from './frame.js';
import type { SourceInfo } from './url.js';

/** What shapes the command line besides the source itself. */
export interface FfmpegArgsOptions {
  pixelFormat: PixelFormat;
  /** Read at native frame rate (`-re`); only meaningful for files. */
  realtime: boolean;
  maxWidth: number | undefined;
  maxHeight: number | undefined;
  rtspTransport: 'tcp' | 'udp';
  /**
   * Log one `showinfo` line per frame (its presentation time and size), which the reader pairs
   * with the frame's bytes. With `checksum=0` it makes no pass over the pixels: ffmpeg's CPU time
   * per frame (`npm run bench -- streams`, showinfo table, medians of 5, `-threads 1`) went from
   * 0.79 to 0.85 ms at 640×360 and from 2.89 to 3.02 ms at 1280×720, against 1.22 and 4.27 ms
   * with showinfo's default checksums. Needs ffmpeg ≥ 4.1 (the `checksum` option).
   */
  frameTimestamps: boolean;
  /**
   * Scale every frame to exactly this size (the reader's fixed frame size), whatever the source
   * sends, instead of the `maxWidth`/`maxHeight` limits. A no-op when the source already has it.
   */
  frameSize?: { width: number; height: number } | undefined;
  /**
   * Files: start decoding at this many seconds from the file's start (`-ss` before `-i`: ffmpeg
   * seeks to the keyframe before and drops the frames before it, so the first frame is the one
   * at or after it). Its timestamps then count from this point.
   */
  seekTo?: number | undefined;
}

/** Receive-buffer of ffmpeg's UDP reader in 188-byte packets (≈ 9 MB): rides out consumer hiccups. */
const UDP_FIFO_PACKETS = 50_000;
/**
 * The UDP socket's kernel buffer (SO_RCVBUF; Linux caps it at net.core.rmem_max): a keyframe
 * arrives as one burst of packets that the default ~200 KB drops, leaving the picture corrupt.
 */
const UDP_SOCKET_BUFFER = 4 * 1024 * 1024;

/** Builds the argv (without the binary) decoding `source` to raw frames on `pipe:1`. */
export function buildFfmpegArgs(source: SourceInfo, options: FfmpegArgsOptions): string[] {
  const args = ['-hide_banner', '-nostats', '-loglevel', 'info'];
  args.push(...inputFlags(source, options));
  args.push('-i', inputUrl(source));
  args.push('-map', '0:v:0', '-an', '-sn', '-dn');
  const scale = options.frameSize !== undefined ? exactScaleFilter(options.frameSize) : scaleFilter(options.maxWidth, options.maxHeight);
  // showinfo last: the size it prints is the size of the raw frame on stdout.
  const filters = [scale, options.frameTimestamps ? 'showinfo=checksum=0' : undefined].filter((f): f is string => f !== undefined);
  if (filters.length > 0) args.push('-vf', filters.join(','));
  // Every decoded frame exactly once: no duplication or dropping to force a constant rate.
  args.push('-vsync', 'passthrough');
  args.push('-f', 'rawvideo', '-pix_fmt', options.pixelFormat, 'pipe:1');
  return args;
}

function inputFlags(source: SourceInfo, options: FfmpegArgsOptions): string[] {
  switch (source.kind) {
    case 'file':
      return [...(options.realtime ? ['-re'] : []), ...(options.seekTo !== undefined ? ['-ss', options.seekTo.toFixed(6)] : [])];
    case 'rtsp':
      return ['-rtsp_transport', options.rtspTransport, ...LOW_LATENCY];
    case 'http':
    case 'hls':
      // Let ffmpeg itself ride out short HTTP drops before the reader's own restart kicks in.
      return ['-reconnect', '1', '-reconnect_streamed', '1', '-reconnect_delay_max', '2', ...LOW_LATENCY];
    default:
      return [...LOW_LATENCY];
  }
}

/**
 * Live inputs: analyse at most ~1 s / 1 MB before starting, instead of ffmpeg's 5 s. (Not
 * `-fflags nobuffer`: with the bundled ffmpeg it makes RTSP streams deliver no frame at all.)
 * Small limits also suit a source joined between keyframes: ffmpeg stops probing ("could not
 * find codec parameters"), keeps reading and decodes from the next keyframe as it arrives.
 * Measured with a 10-s GOP UDP sender joined 1.5 s after it started: first frame after 12.6 s
 * with these limits, 25 s with `-analyzeduration 31 s -probesize 60 MB` (it probes to the end).
 */
const LOW_LATENCY = ['-probesize', '1000000', '-analyzeduration', '1000000'];

/** UDP: a large receive FIFO and no abort when it overruns (stale packets are dropped instead). */
function inputUrl(source: SourceInfo): string {
  if (source.kind !== 'udp') return source.ffmpegInput;
  const url = new URL(source.ffmpegInput);
  if (!url.searchParams.has('fifo_size')) url.searchParams.set('fifo_size', String(UDP_FIFO_PACKETS));
  if (!url.searchParams.has('overrun_nonfatal')) url.searchParams.set('overrun_nonfatal', '1');
  if (!url.searchParams.has('buffer_size')) url.searchParams.set('buffer_size', String(UDP_SOCKET_BUFFER));
  return url.toString();
}

/** The size of the frames after {@link scaleFilter}: the same arithmetic, for sizes known in advance. */
export function fittedSize(width: number, height: number, maxWidth: number | undefined, maxHeight: number | undefined): { width: number; height: number } {
  if (maxWidth === undefined && maxHeight === undefined) return { width, height };
  const factor = Math.min(1, maxWidth !== undefined ? maxWidth / width : 1, maxHeight !== undefined ? maxHeight / height : 1);
  return { width: Math.trunc((width * factor) / 2) * 2, height: Math.trunc((height * factor) / 2) * 2 };
}

/** Scales to exactly `width × height` (a pass-through when the frame has that size already). */
export function exactScaleFilter(size: { width: number; height: number }): string {
  return `scale=w=${size.width}:h=${size.height}:flags=area`;
}

/**
 * Downscale-only filter fitting the frame inside maxWidth × maxHeight, keeping the aspect ratio
 * and rounding both sides down to even numbers (chroma-subsampled encoders downstream need it).
 */
export function scaleFilter(maxWidth: number | undefined, maxHeight: number | undefined): string | undefined {
  if (maxWidth === undefined && maxHeight === undefined) return undefined;
  const limits = [maxWidth !== undefined ? `${maxWidth}/iw` : undefined, maxHeight !== undefined ? `${maxHeight}/ih` : undefined].filter(
    (l): l is string => l !== undefined,
  );
  // Commas inside filter expressions are escaped for the filtergraph parser (not for a shell).
  const factor = limits.length === 2 ? `min(1\\,min(${limits[0]}\\,${limits[1]}))` : `min(1\\,${limits[0]})`;
  return `scale=w=trunc(iw*${factor}/2)*2:h=trunc(ih*${factor}/2)*2:flags=area`;
}
