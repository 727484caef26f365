/**
 * `startServer()`: the detection service and its web page on node:http. Host applications call
 * it (tests do, on port 0); `main.ts` runs it from the command line (`npm run serve`).
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequestHandler, type StaticAsset } from './app.js';
import { contentTypeOf } from './files.js';
import { JobManager, type JobPipeline } from './jobs.js';
import { DetectionTrackingPipeline, DistributedPipeline, resolveConfig, type PipelineConfigInput } from './library.js';

export interface StartServerOptions {
  /** TCP port; 0 picks a free one (see the returned `port`). @default 8003, the seed's port */
  port?: number;
  /**
   * Interface to listen on. The default keeps the service on this machine; use '0.0.0.0' only
   * behind something that authenticates users — the service has no accounts of its own, and a
   * job's `video_path` may name local files readable by the server.
   * @default '127.0.0.1'
   */
  host?: string;
  /** Parent of the job folders (`<outputDir>/<job_id>/multi_stream_…`). @default 'outputs' */
  outputDir?: string;
  /**
   * Jobs processed at once; later ones wait as `queued`. Each job already runs its cameras in
   * parallel and shares the models, so raise this only with spare cores.
   * @default 2
   */
  concurrency?: number;
  /** Pipeline configuration: an object or the path of a YAML/JSON file (see configs/config.yaml). */
  config?: PipelineConfigInput | string;
  /** Seconds between preview images per camera on the page. @default 1 */
  previewInterval?: number;
  /** Seconds an ended job stays available for status and downloads. @default 3600 */
  retainEndedSeconds?: number;
  /**
   * Publish every job's events on this MQTT broker (`mqtt://user:pass@host:1883`; see
   * docs/mqtt.md): the configuration's `mqtt:` block with this URL. A broker that is down
   * fails each job before any work.
   */
  mqtt?: string;
  /**
   * Queue mode: run the jobs' cameras on `multicam-reid worker` processes through this Redis
   * (`redis://[user:password@]host[:port]`); `outputDir` must then be a folder every worker
   * reaches. The API and the page stay the same. Redis is checked before the server listens.
   */
  redis?: string;
  /** Queue mode: prefix of the queues and keys, the workers' too. @default 'multicam-reid' */
  prefix?: string;
}

export interface RunningServer {
  /** Base URL, e.g. `http://127.0.0.1:8003`. */
  url: string;
  port: number;
  host: string;
  server: Server;
  jobs: JobManager;
  /** The local pipeline, or the distributed one in queue mode (see {@link mode}). */
  pipeline: JobPipeline;
  /** `local`: cameras run in this process; `queue`: on workers through Redis. */
  mode: 'local' | 'queue';
  /** Cancels every job, waits for their outputs to be finalised, closes connections and releases the models. */
  close(): Promise<void>;
}

const PUBLIC_DIR = fileURLToPath(new URL('./public/', import.meta.url));
const PAGE_FILES = ['index.html', 'app.js', 'style.css'];

/** The page's files, read once: only these names are ever served as static files. */
function loadAssets(): Map<string, StaticAsset> {
  return new Map(PAGE_FILES.map((name) => [`/${name}`, { contentType: contentTypeOf(name), body: readFileSync(path.join(PUBLIC_DIR, name)) }]));
}

/** The configuration with its `mqtt:` block pointed at `url`, when one is given. */
function withMqtt(config: PipelineConfigInput | string | undefined, url: string | undefined): PipelineConfigInput | string | undefined {
  if (url === undefined) return config;
  const resolved = resolveConfig(config);
  return { ...resolved, mqtt: { ...resolved.mqtt, url } };
}

/** Builds the pipeline (validating the config), then listens. Resolves once the port is open. */
export async function startServer(options: StartServerOptions = {}): Promise<RunningServer> {
  const concurrency = options.concurrency ?? 2;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError(`concurrency must be a whole number ≥ 1, got ${concurrency}`);
  let pipeline: JobPipeline;
  if (options.redis !== undefined) {
    const distributed = new DistributedPipeline({ redis: options.redis, config: withMqtt(options.config, options.mqtt), ...(options.prefix === undefined ? {} : { prefix: options.prefix }) });
    await distributed.connect(); // a bad URL, a refused password or no Redis: an error before listening
    pipeline = distributed;
  } else pipeline = new DetectionTrackingPipeline(withMqtt(options.config, options.mqtt));
  const mode = options.redis !== undefined ? 'queue' : 'local';
  const jobs = new JobManager({
    pipeline,
    outputDir: path.resolve(options.outputDir ?? 'outputs'),
    concurrency,
    previewInterval: options.previewInterval ?? 1,
    retainEndedSeconds: options.retainEndedSeconds,
  });
  const server = createServer(createRequestHandler(jobs, loadAssets(), mode));
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 8003, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    host,
    server,
    jobs,
    pipeline,
    mode,
    close() {
      closing ??= (async () => {
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        await jobs.close(); // ends every SSE stream with an `end` event
        server.closeAllConnections();
        await stopped;
        await pipeline.release();
      })();
      return closing;
    },
  };
}
