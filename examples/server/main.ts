/**
 * Runs the detection service: `npm run serve`, or
 * `PORT=8003 HOST=127.0.0.1 node --import tsx examples/server/main.ts`.
 *
 * Environment: PORT (8003), HOST (127.0.0.1), OUTPUT_DIR (outputs), MAX_CONCURRENT_JOBS (2),
 * MULTICAM_REID_CONFIG (a YAML/JSON config file), MULTICAM_REID_MODELS (the ONNX models' folder),
 * MQTT_URL (publish every job's events on this broker, see docs/mqtt.md).
 * MULTICAM_REID_REDIS (queue mode: the cameras run on `multicam-reid worker` processes through
 * this Redis; `--redis <url>` on the command line does the same).
 * Ctrl-C cancels running jobs, waits for their outputs to be finalised, then exits.
 */
import { startServer } from './server.js';

function numberFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) {
    console.error(`${name} must be a whole number, got "${raw}"`);
    process.exit(2);
  }
  return value;
}

/** `--redis <url>` (or `--redis=<url>`), else MULTICAM_REID_REDIS. */
function redisUrl(): string | undefined {
  const args = process.argv.slice(2);
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--redis') return args[i + 1];
    if (args[i]!.startsWith('--redis=')) return args[i]!.slice('--redis='.length);
  }
  return process.env.MULTICAM_REID_REDIS || undefined;
}

let server: Awaited<ReturnType<typeof startServer>>;
try {
  server = await startServer({
    port: numberFromEnv('PORT', 8003),
    host: process.env.HOST || '127.0.0.1',
    outputDir: process.env.OUTPUT_DIR || 'outputs',
    concurrency: Math.max(1, numberFromEnv('MAX_CONCURRENT_JOBS', 2)),
    config: process.env.MULTICAM_REID_CONFIG || undefined,
    mqtt: process.env.MQTT_URL || undefined,
    redis: redisUrl(),
  });
} catch (error) {
  // A bad configuration, or Redis unreachable or refusing the password in queue mode.
  console.error(`multicam-reid detection service: ${(error as Error).message}`);
  process.exit(2);
}
console.log(`multicam-reid detection service on ${server.url} (${server.mode === 'queue' ? 'cameras on the workers of the queue' : 'cameras in this process'}; open it in a browser; Ctrl-C stops)`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) process.exit(130); // a second Ctrl-C: leave now
    stopping = true;
    console.log('stopping: cancelling jobs and finalising their outputs…');
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  });
}
