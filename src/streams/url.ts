/**
 * Stream source strings: splitting a user's list, validating each entry, and classifying it
 * (local file or which network protocol, live or not). Nothing here touches the network or
 * spawns a process, so every malformed entry is rejected before any work starts.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { StreamError } from '../errors.js';
import { redactSource } from './redact.js';

/** What kind of source an entry is; decides the ffmpeg input flags and the default read mode. */
export type SourceKind = 'file' | 'udp' | 'rtsp' | 'rtmp' | 'http' | 'hls' | 'srt';

/** A validated, classified source. */
export interface SourceInfo {
  /** The entry as the user wrote it (trimmed). Goes to ffmpeg only; show {@link display}. */
  source: string;
  /**
   * The display form: the entry with the credentials of its URL replaced by `***`
   * (`rtsp://***:***@cam/live`). Use it in every message, event, log line and file.
   */
  display: string;
  kind: SourceKind;
  /** Network sources are live (no end, may drop); local files are not. */
  live: boolean;
  /** URL scheme without the colon (`'file'` for plain paths). */
  scheme: string;
  /**
   * The exact argv entry given to ffmpeg after `-i`. Local files become `file:/abs/path` so that
   * ffmpeg never reads a file name as another protocol or as an option.
   */
  ffmpegInput: string;
  /** Absolute path for file sources. */
  filePath?: string;
}

const NETWORK_SCHEMES = new Set(['udp', 'rtsp', 'rtsps', 'rtmp', 'rtmps', 'http', 'https', 'srt']);
const SCHEME_PATTERN = /^([a-zA-Z][a-zA-Z0-9+.-]*):/;
const SUPPORTED = 'udp://, rtsp://, rtsps://, rtmp://, http(s)://, srt://, file:// or a local path';

/**
 * Splits a comma- or newline-separated list of sources, trims each entry, drops empty ones and
 * validates every entry (see {@link classifySource}).
 *
 * @example
 * parseStreamUrls('udp://127.0.0.1:1905, udp://127.0.0.1:1906')
 * // → ['udp://127.0.0.1:1905', 'udp://127.0.0.1:1906']
 * @throws StreamError `INVALID_URL` naming the first bad entry and why it is bad.
 */
export function parseStreamUrls(input: string): string[] {
  if (typeof input !== 'string') {
    throw new StreamError('INVALID_URL', `stream list must be a string of comma/newline-separated URLs, got ${typeof input}`);
  }
  const entries = input
    .split(/[,\r\n]+/)
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  for (const entry of entries) classifySource(entry);
  return entries;
}

function invalid(entry: string, reason: string): StreamError {
  const display = redactSource(entry);
  return new StreamError('INVALID_URL', `invalid stream source "${display}": ${reason}`, { culprit: display });
}

/**
 * Validates one source and tells what it is.
 *
 * Rules: an entry must not begin with `-` (it would become an ffmpeg option); a URL must use a
 * supported scheme and name a host (UDP also a port); anything without a `scheme:` prefix is a
 * local path. A relative path whose first segment contains `:` must be written as `./name`.
 *
 * @throws StreamError `INVALID_URL` naming the entry and the reason.
 */
export function classifySource(entry: string): SourceInfo {
  const source = typeof entry === 'string' ? entry.trim() : '';
  if (source === '') throw invalid(String(entry), 'empty entry');
  if (source.startsWith('-')) {
    throw invalid(source, 'it begins with "-", which ffmpeg would read as an option; write a path as ./name or use a URL');
  }
  if (/[\u0000-\u001f]/.test(source)) throw invalid(source, 'it contains control characters');

  const schemeMatch = SCHEME_PATTERN.exec(source);
  // One-letter "schemes" are Windows drive letters (C:\video.mp4): treat them as paths.
  if (schemeMatch === null || schemeMatch[1]!.length === 1) return fileSource(source, path.resolve(source));

  const scheme = schemeMatch[1]!.toLowerCase();
  if (scheme === 'file') {
    let filePath: string;
    try {
      filePath = fileURLToPath(source);
    } catch (cause) {
      throw invalid(source, `not a valid file:// URL (${(cause as Error).message}); use file:///absolute/path`);
    }
    return fileSource(source, filePath);
  }
  if (!NETWORK_SCHEMES.has(scheme)) {
    throw invalid(source, `unsupported scheme "${scheme}:"; use ${SUPPORTED}`);
  }
  if (!source.slice(scheme.length + 1).startsWith('//')) {
    throw invalid(source, `expected "${scheme}://host…" after the scheme`);
  }
  let url: URL;
  try {
    url = new URL(source);
  } catch {
    throw invalid(source, `malformed URL; expected ${scheme}://host[:port][/path]`);
  }
  if (url.hostname === '') throw invalid(source, `no host; expected ${scheme}://host[:port][/path]`);
  if (scheme === 'udp' && url.port === '') throw invalid(source, 'no port; expected udp://host:port');
  if (scheme === 'srt' && url.port === '') throw invalid(source, 'no port; expected srt://host:port');

  const kind = networkKind(scheme, url);
  return { source, display: redactSource(source), kind, live: true, scheme, ffmpegInput: source };
}

function networkKind(scheme: string, url: URL): SourceKind {
  switch (scheme) {
    case 'udp':
      return 'udp';
    case 'rtsp':
    case 'rtsps':
      return 'rtsp';
    case 'rtmp':
    case 'rtmps':
      return 'rtmp';
    case 'srt':
      return 'srt';
    default:
      return url.pathname.toLowerCase().endsWith('.m3u8') ? 'hls' : 'http';
  }
}

function fileSource(source: string, filePath: string): SourceInfo {
  const absolute = path.resolve(filePath);
  return { source, display: redactSource(source), kind: 'file', live: false, scheme: 'file', ffmpegInput: `file:${absolute}`, filePath: absolute };
}
