/**
 * Test helpers for the server: raw HTTP requests on loopback (the path is sent exactly as
 * written, so `../` and `%2e%2e` reach the server unnormalised), a Server-Sent Events reader,
 * status polling and a ZIP central-directory reader.
 */
import http from 'node:http';
import { inflateRawSync } from 'node:zlib';

export interface HttpAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  text: string;
  json: () => any;
}

export function request(
  baseUrl: string,
  method: string,
  rawPath: string,
  options: { json?: unknown; body?: string; headers?: Record<string, string> } = {},
): Promise<HttpAnswer> {
  const url = new URL(baseUrl);
  const body = options.json !== undefined ? JSON.stringify(options.json) : options.body;
  const headers: Record<string, string> = { ...(options.json !== undefined ? { 'Content-Type': 'application/json' } : {}), ...options.headers };
  return new Promise((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, method, path: rawPath, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const buffer = Buffer.concat(chunks);
        const text = buffer.toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: buffer, text, json: () => JSON.parse(text) });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

export interface SseEvent {
  event: string;
  data: any;
}

/** Reads `GET /events/:id`; `next(pred)` resolves with the first event (seen so far or later) matching it. */
export class EventStream {
  readonly events: SseEvent[] = [];
  closed = false;
  private waiters: Array<{ pred: (e: SseEvent) => boolean; resolve: (e: SseEvent) => void; reject: (e: Error) => void; from: number }> = [];
  private readonly req: http.ClientRequest;

  constructor(baseUrl: string, rawPath: string) {
    const url = new URL(baseUrl);
    let pending = '';
    this.req = http.get({ host: url.hostname, port: url.port, path: rawPath }, (res) => {
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        pending += chunk;
        let cut: number;
        while ((cut = pending.indexOf('\n\n')) !== -1) {
          const block = pending.slice(0, cut);
          pending = pending.slice(cut + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event !== undefined && data !== undefined) this.push({ event, data: JSON.parse(data) });
        }
      });
      res.on('end', () => this.close());
    });
    this.req.on('error', () => this.close());
  }

  next(pred: (e: SseEvent) => boolean, from = 0): Promise<SseEvent> {
    const seen = this.events.slice(from).find(pred);
    if (seen !== undefined) return Promise.resolve(seen);
    if (this.closed) return Promise.reject(new Error(`event stream closed; events seen: ${this.names()}`));
    return new Promise((resolve, reject) => this.waiters.push({ pred, resolve, reject, from }));
  }

  names(): string {
    return [...new Set(this.events.map((e) => e.event))].join(', ');
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.req.destroy();
    for (const w of this.waiters) w.reject(new Error(`event stream closed; events seen: ${this.names()}`));
    this.waiters = [];
  }

  private push(event: SseEvent): void {
    this.events.push(event);
    this.waiters = this.waiters.filter((w) => {
      if (!w.pred(event)) return true;
      w.resolve(event);
      return false;
    });
  }
}

/** Polls `GET /status/:id` until `pred` holds; fails with the last status after `limitMs` (a hang guard, not a timing check). */
export async function waitForStatus(baseUrl: string, jobId: string, pred: (s: any) => boolean, limitMs = 60_000): Promise<any> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const status = (await request(baseUrl, 'GET', `/status/${jobId}`)).json();
    if (pred(status)) return status;
    if (Date.now() > deadline) throw new Error(`job ${jobId} never reached the expected state; last status: ${JSON.stringify(status)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Names of the entries of a ZIP (from its central directory), and a reader for one entry. */
export function zipEntries(zip: Buffer): { names: string[]; read: (name: string) => Buffer } {
  let eocd = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 65_535); i--) {
    if (zip.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd === -1) throw new Error('not a ZIP: no end-of-central-directory record');
  const count = zip.readUInt16LE(eocd + 10);
  let offset = zip.readUInt32LE(eocd + 16);
  const entries = new Map<string, { method: number; compressedSize: number; localOffset: number }>();
  for (let i = 0; i < count; i++) {
    if (zip.readUInt32LE(offset) !== 0x02014b50) throw new Error(`bad central directory entry ${i}`);
    const method = zip.readUInt16LE(offset + 10);
    const compressedSize = zip.readUInt32LE(offset + 20);
    const nameLength = zip.readUInt16LE(offset + 28);
    const extraLength = zip.readUInt16LE(offset + 30);
    const commentLength = zip.readUInt16LE(offset + 32);
    const localOffset = zip.readUInt32LE(offset + 42);
    const name = zip.toString('utf8', offset + 46, offset + 46 + nameLength);
    entries.set(name, { method, compressedSize, localOffset });
    offset += 46 + nameLength + extraLength + commentLength;
  }
  return {
    names: [...entries.keys()],
    read(name) {
      const entry = entries.get(name);
      if (entry === undefined) throw new Error(`no entry ${name} in the ZIP`);
      const local = entry.localOffset;
      const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
      const data = zip.subarray(start, start + entry.compressedSize);
      return entry.method === 0 ? data : inflateRawSync(data);
    },
  };
}
