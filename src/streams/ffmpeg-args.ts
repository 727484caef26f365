/**
 * The ffmpeg argument vector for one source: input flags per protocol, then the first video
 * stream decoded to packed raw pixels on stdout. Returned as an array for `spawn` — no shell
 * ever sees a URL or path.
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
   * Log one `showinfo` line per frame so the reader learns each frame's source timestamp.
   * Costs a checksum pass per frame inside ffmpeg (measured ≈ 0.25 ms at 640×360, ≈ 1.3 ms at
   * 1280×720), so it is used for live sources only, where the frame rate is the camera's.
   */
  frameTimestamps: boolean;
}

/** Receive-buffer of ffmpeg's UDP reader in 188-byte packets (≈ 9 MB): rides out consumer hiccups. */
const UDP_FIFO_PACKETS = 50_000;

/** Builds the argv (without the binary) decoding `source` to raw frames on `pipe:1`. */
export function buildFfmpegArgs(source: SourceInfo, options: FfmpegArgsOptions): string[] {
  const args = ['-hide_banner', '-nostdin', '-nostats', '-loglevel', 'info'];
  args.push(...inputFlags(source, options));
  args.push('-i', inputUrl(source));
  args.push('-map', '0:v:0', '-an', '-sn', '-dn');
  const filters = [scaleFilter(options.maxWidth, options.maxHeight), options.frameTimestamps ? 'showinfo' : undefined].filter(
    (f): f is string => f !== undefined,
  );
  if (filters.length > 0) args.push('-vf', filters.join(','));
  // Every decoded frame exactly once: no duplication or dropping to force a constant rate.
  args.push('-vsync', 'passthrough');
  args.push('-f', 'rawvideo', '-pix_fmt', options.pixelFormat, 'pipe:1');
  return args;
}

function inputFlags(source: SourceInfo, options: FfmpegArgsOptions): string[] {
  switch (source.kind) {
    case 'file':
      return options.realtime ? ['-re'] : [];
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
 */
const LOW_LATENCY = ['-probesize', '1000000', '-analyzeduration', '1000000'];

/** UDP: a large receive FIFO and no abort when it overruns (stale packets are dropped instead). */
function inputUrl(source: SourceInfo): string {
  if (source.kind !== 'udp') return source.ffmpegInput;
  const url = new URL(source.ffmpegInput);
  if (!url.searchParams.has('fifo_size')) url.searchParams.set('fifo_size', String(UDP_FIFO_PACKETS));
  if (!url.searchParams.has('overrun_nonfatal')) url.searchParams.set('overrun_nonfatal', '1');
  return url.toString();
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
