/**
 * Serving files from a job's folder: path containment (nothing outside the folder, whatever the
 * encoding or symlinks) and byte-range responses so a <video> element can seek in the MP4.
 */
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';

const CONTENT_TYPES: Record<string, string> = {
  '.mp4': 'video/mp4',
  '.csv': 'text/csv; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.zip': 'application/zip',
  '.jpg': 'image/jpeg',
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

export function contentTypeOf(filePath: string): string {
  return CONTENT_TYPES[path.extname(filePath).toLowerCase()] ?? 'application/octet-stream';
}

/**
 * Decodes the raw (still percent-encoded) path segments a client sent after the job id and
 * returns the relative path, or undefined when any segment could step outside: `.`/`..`, an
 * encoded separator (`%2f`, `%5c`), a NUL, an empty segment (`//etc`) or bad encoding.
 */
export function decodeRelativePath(rawSegments: string[]): string | undefined {
  if (rawSegments.length === 0) return undefined;
  const decoded: string[] = [];
  for (const raw of rawSegments) {
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      return undefined;
    }
    if (segment === '' || segment === '.' || segment === '..' || /[/\\\u0000]/.test(segment)) return undefined;
    decoded.push(segment);
  }
  return decoded.join('/');
}

/**
 * The absolute path of `relative` inside `root`, or undefined when it is not inside — checked
 * on the lexical path and again after resolving symlinks, so a link pointing out is refused.
 * Missing files are undefined too.
 */
export async function resolveInside(root: string, relative: string): Promise<string | undefined> {
  if (relative.includes('\u0000') || path.isAbsolute(relative)) return undefined;
  const base = path.resolve(root);
  const target = path.resolve(base, relative);
  if (!isWithin(base, target)) return undefined;
  try {
    const [realBase, realTarget] = await Promise.all([realpath(base), realpath(target)]);
    return isWithin(realBase, realTarget) ? realTarget : undefined;
  } catch {
    return undefined;
  }
}

function isWithin(base: string, target: string): boolean {
  return target !== base && target.startsWith(base + path.sep);
}

/** Parses a single `Range: bytes=…` request against a file size; 'invalid' → 416. */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | 'invalid' | undefined {
  if (header === undefined) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (match === null) return undefined; // several ranges or another unit: answer with the whole file
  const [, from, to] = match;
  if (from === '' && to === '') return 'invalid';
  let start: number;
  let end: number;
  if (from === '') {
    const suffix = Number(to);
    if (suffix === 0) return 'invalid';
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(from);
    end = to === '' ? size - 1 : Math.min(Number(to), size - 1);
  }
  if (start >= size || start > end) return 'invalid';
  return { start, end };
}

/**
 * Sends a file with its Content-Type, `Accept-Ranges: bytes` and 206 partial answers for Range
 * requests. `downloadName` adds `Content-Disposition: attachment` so browsers save it.
 */
export async function sendFile(req: IncomingMessage, res: ServerResponse, filePath: string, options: { downloadName?: string } = {}): Promise<void> {
  const info = await stat(filePath);
  const size = info.size;
  const headers: Record<string, string | number> = {
    'Content-Type': contentTypeOf(filePath),
    'Accept-Ranges': 'bytes',
    'Last-Modified': info.mtime.toUTCString(),
    'Cache-Control': 'no-cache',
  };
  if (options.downloadName !== undefined) headers['Content-Disposition'] = `attachment; filename="${options.downloadName.replace(/["\\\r\n]/g, '_')}"`;

  const range = parseRange(req.headers.range, size);
  if (range === 'invalid') {
    res.writeHead(416, { ...headers, 'Content-Range': `bytes */${size}` }).end();
    return;
  }
  const { start, end } = range ?? { start: 0, end: size - 1 };
  const length = size === 0 ? 0 : end - start + 1;
  if (range !== undefined) headers['Content-Range'] = `bytes ${start}-${end}/${size}`;
  res.writeHead(range !== undefined ? 206 : 200, { ...headers, 'Content-Length': length });
  if (req.method === 'HEAD' || length === 0) {
    res.end();
    return;
  }
  try {
    await pipeline(createReadStream(filePath, { start, end }), res);
  } catch {
    res.destroy(); // the client went away mid-transfer, or the file vanished: nothing to answer
  }
}
