/**
 * The HTTP routes (node:http, no framework): the page, the seed's API, SSE and downloads.
 * Paths are matched on the raw request target, segment by segment, so `..` and encoded
 * separators never reach the file system (see files.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { describeError, type JobManager, type ServerJob } from './jobs.js';
import { decodeRelativePath, resolveInside, sendFile } from './files.js';
import { MulticamReidError } from './library.js';
import { parseAddSourceRequest, parseDetectRequest, RequestError } from './schema.js';
import { OUTPUT_NAMES, outputPath, statusView, type OutputName } from './status.js';

/** A static asset of the page, held in memory. */
export interface StaticAsset {
  contentType: string;
  body: Buffer;
}

const MAX_BODY_BYTES = 256 * 1024;
const JOB_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const SSE_HEARTBEAT_MS = 15_000;

const SECURITY_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'Content-Security-Policy': "default-src 'self'; img-src 'self' data:; media-src 'self'; object-src 'none'; frame-ancestors 'none'",
};

export function createRequestHandler(manager: JobManager, assets: ReadonlyMap<string, StaticAsset>, mode: 'local' | 'queue' = 'local') {
  return (req: IncomingMessage, res: ServerResponse): void => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
    route(req, res, manager, assets, mode).catch((error: unknown) => sendError(res, error));
  };
}

async function route(req: IncomingMessage, res: ServerResponse, manager: JobManager, assets: ReadonlyMap<string, StaticAsset>, mode: 'local' | 'queue'): Promise<void> {
  const target = req.url ?? '/';
  const queryStart = target.indexOf('?');
  const rawPath = queryStart === -1 ? target : target.slice(0, queryStart);
  const query = new URLSearchParams(queryStart === -1 ? '' : target.slice(queryStart + 1));
  const [head = '', id = '', ...rest] = rawPath.split('/').slice(1);
  const method = req.method ?? 'GET';
  const read = method === 'GET' || method === 'HEAD';

  const asset = assets.get(rawPath === '/' ? '/index.html' : rawPath);
  if (asset !== undefined) {
    if (!read) return methodNotAllowed(res, 'GET, HEAD');
    res.writeHead(200, { 'Content-Type': asset.contentType, 'Content-Length': asset.body.length, 'Cache-Control': 'no-cache' });
    res.end(method === 'HEAD' ? undefined : asset.body);
    return;
  }

  switch (head) {
    case 'health':
      return sendJson(res, 200, { status: 'ok', mode });
    case 'detect':
      if (id !== '' || rest.length > 0) break;
      if (method !== 'POST') return methodNotAllowed(res, 'POST');
      return detect(req, res, manager);
    case 'jobs': {
      // POST /jobs/:id/sources (add a camera) · DELETE /jobs/:id/sources/:index (remove one)
      const job = JOB_ID.test(id) ? manager.get(id) : undefined;
      if (rest[0] !== 'sources' || rest.length > 2) break;
      if (job === undefined) return sendJson(res, 404, { error: { code: 'JOB_NOT_FOUND', message: `no job with id "${safeText(id)}"` } });
      if (rest.length === 1) {
        if (method !== 'POST') return methodNotAllowed(res, 'POST');
        return addSource(req, res, manager, job);
      }
      if (method !== 'DELETE') return methodNotAllowed(res, 'DELETE');
      return removeSource(res, manager, job, rest[1]!);
    }
    case 'status':
    case 'cancel':
    case 'events':
    case 'download':
    case 'files':
    case 'preview': {
      const job = JOB_ID.test(id) ? manager.get(id) : undefined;
      if (job === undefined) return sendJson(res, 404, { error: { code: 'JOB_NOT_FOUND', message: `no job with id "${safeText(id)}"` } });
      if (head === 'cancel') {
        if (rest.length > 0) break;
        if (method !== 'POST') return methodNotAllowed(res, 'POST');
        return cancel(res, manager, job);
      }
      if (!read) return methodNotAllowed(res, 'GET, HEAD');
      if (head === 'status' && rest.length === 0) return sendJson(res, 200, statusView(job, manager));
      if (head === 'events' && rest.length === 0) return streamEvents(req, res, job, manager);
      if (head === 'download') return download(req, res, job, rest, query);
      if (head === 'files') return serveJobFile(req, res, job, rest);
      if (head === 'preview' && rest.length === 1) return preview(res, job, rest[0]!);
      break;
    }
  }
  sendJson(res, 404, { error: { code: 'NOT_FOUND', message: 'no such route' } });
}

async function detect(req: IncomingMessage, res: ServerResponse, manager: JobManager): Promise<void> {
  const body = await readJsonBody(req);
  const job = manager.submit(parseDetectRequest(body));
  sendJson(res, 200, { job_id: job.id, status: job.status });
}

async function addSource(req: IncomingMessage, res: ServerResponse, manager: JobManager, job: ServerJob): Promise<void> {
  const request = parseAddSourceRequest(await readJsonBody(req));
  const cameraIndex = manager.addSource(job, request);
  sendJson(res, 200, { job_id: job.id, camera_index: cameraIndex, source: job.cameras[cameraIndex]?.source ?? null, status: 'added' });
}

function removeSource(res: ServerResponse, manager: JobManager, job: ServerJob, rawIndex: string): void {
  if (!/^\d{1,3}$/.test(rawIndex)) return sendJson(res, 400, { error: { code: 'INVALID_REQUEST', message: 'the camera index must be a whole number such as 0' } });
  const cameraIndex = Number(rawIndex);
  manager.removeSource(job, cameraIndex);
  sendJson(res, 200, { job_id: job.id, camera_index: cameraIndex, status: 'removing', message: 'Camera removal requested; its outputs are finalised while the other cameras go on' });
}

/** The seed's exact answer; repeating it, or cancelling a queued job, is harmless. */
function cancel(res: ServerResponse, manager: JobManager, job: ServerJob): void {
  if (job.status === 'completed' || job.status === 'failed') {
    return sendJson(res, 409, { job_id: job.id, status: job.status, message: `Job already ${job.status}; nothing to cancel` });
  }
  manager.cancel(job);
  sendJson(res, 200, { job_id: job.id, status: 'cancelled', message: 'Job cancellation requested' });
}

/** `/download/:id` → the ZIP; `/download/:id/video|csv|json[?camera=i]` → one camera's output. */
async function download(req: IncomingMessage, res: ServerResponse, job: ServerJob, rest: string[], query: URLSearchParams): Promise<void> {
  if (rest.length > 1 || (rest.length === 1 && !OUTPUT_NAMES.includes(rest[0] as OutputName))) {
    return sendJson(res, 404, { error: { code: 'NOT_FOUND', message: `unknown output; use /download/${job.id} (ZIP) or /download/${job.id}/{${OUTPUT_NAMES.join(',')}}` } });
  }
  if (!job.isEnded) {
    return sendJson(res, 409, { error: { code: 'JOB_NOT_FINISHED', message: `job is ${job.status}; its outputs are ready once it has ended` } });
  }
  let file: string | undefined;
  if (rest.length === 0) {
    file = job.result?.zipPath;
  } else {
    const camera = query.get('camera') ?? '0';
    if (!/^\d{1,3}$/.test(camera)) return sendJson(res, 400, { error: { code: 'INVALID_REQUEST', message: 'camera must be a camera index such as 0' } });
    file = outputPath(job, rest[0] as OutputName, Number(camera));
  }
  const inside = file === undefined ? undefined : await resolveInside(job.root, path.relative(job.root, file));
  if (inside === undefined) return sendJson(res, 404, { error: { code: 'OUTPUT_NOT_FOUND', message: 'this job has no such output' } });
  await sendFile(req, res, inside, { downloadName: path.basename(inside) });
}

/** `/files/:id/<path inside the job folder>`: any output, nothing outside the folder. */
async function serveJobFile(req: IncomingMessage, res: ServerResponse, job: ServerJob, rest: string[]): Promise<void> {
  const relative = decodeRelativePath(rest);
  const file = relative === undefined ? undefined : await resolveInside(job.root, relative);
  if (file === undefined) return sendJson(res, 404, { error: { code: 'FILE_NOT_FOUND', message: 'no such file in this job folder' } });
  if (!job.isEnded) return sendJson(res, 409, { error: { code: 'JOB_NOT_FINISHED', message: `job is ${job.status}; its files are final once it has ended` } });
  await sendFile(req, res, file);
}

function preview(res: ServerResponse, job: ServerJob, rawCamera: string): void {
  const image = /^\d{1,3}$/.test(rawCamera) ? job.previews.get(Number(rawCamera)) : undefined;
  if (image === undefined) return sendJson(res, 404, { error: { code: 'NO_PREVIEW', message: 'no preview for this camera yet' } });
  res.writeHead(200, { 'Content-Type': 'image/jpeg', 'Content-Length': image.jpeg.length, 'Cache-Control': 'no-store' });
  res.end(image.jpeg);
}

/**
 * Server-Sent Events: a `status` snapshot first, then every event of the job as it happens
 * (the library's event names and payloads; `preview` carries an image URL instead of pixels),
 * and a final `end` after which the stream closes.
 */
function streamEvents(req: IncomingMessage, res: ServerResponse, job: ServerJob, manager: JobManager): void {
  res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-cache, no-transform', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
  const send = (event: string, data: unknown) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  res.write('retry: 2000\n\n');
  send('status', statusView(job, manager));
  if (job.isEnded) {
    send('end', { job_id: job.id, status: job.status });
    res.end();
    return;
  }
  const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), SSE_HEARTBEAT_MS);
  const unsubscribe = job.subscribe((event, data) => {
    send(event, data);
    if (event === 'end') res.end();
  });
  res.on('close', () => {
    clearInterval(heartbeat);
    unsubscribe();
  });
}

async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const type = req.headers['content-type'] ?? '';
  if (!/^application\/json\b/i.test(type)) throw new RequestError(415, 'UNSUPPORTED_MEDIA_TYPE', 'send the body as JSON with Content-Type: application/json');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new RequestError(413, 'BODY_TOO_LARGE', `the body is larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch (cause) {
    throw new RequestError(400, 'INVALID_JSON', `the body is not valid JSON: ${(cause as Error).message}`);
  }
}

function sendError(res: ServerResponse, error: unknown): void {
  if (error instanceof RequestError) return sendJson(res, error.status, { error: { code: error.code, message: error.message, field: error.field } });
  if (error instanceof MulticamReidError) return sendJson(res, 400, { error: { code: error.code, message: error.message, field: error.culprit } });
  console.error('multicam-reid server: unexpected error', error);
  sendJson(res, 500, { error: describeError(error) });
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-store' });
  res.end(text);
}

function methodNotAllowed(res: ServerResponse, allow: string): void {
  res.setHeader('Allow', allow);
  sendJson(res, 405, { error: { code: 'METHOD_NOT_ALLOWED', message: `use ${allow}` } });
}

/** An id echoed back, cut short and stripped of control characters. */
function safeText(text: string): string {
  return text.slice(0, 80).replace(/[\u0000-\u001f\u007f]/g, '?');
}
