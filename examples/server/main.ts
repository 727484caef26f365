/**
 * Runs the detection service: `npm run serve`, or
 * `PORT=8003 HOST=127.0.0.1 node --import tsx examples/server/main.ts`.
 *
 * Environment: PORT (8003), HOST (127.0.0.1), OUTPUT_DIR (outputs), MAX_CONCURRENT_JOBS (2),
 * MULTICAM_REID_CONFIG (a YAML/JSON config file), MULTICAM_REID_MODELS (the ONNX models' folder),
 * MQTT_URL (publish every job's events on this broker, see docs/mqtt.md).
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

const running = await startServer({
  port: numberFromEnv('PORT', 8003),
  host: process.env.HOST || '127.0.0.1',
  outputDir: process.env.OUTPUT_DIR || 'outputs',
  concurrency: Math.max(1, numberFromEnv('MAX_CONCURRENT_JOBS', 2)),
  config: process.env.MULTICAM_REID_CONFIG || undefined,
  mqtt: process.env.MQTT_URL || undefined,
});
console.log(`multicam-reid detection service on ${running.url} (open it in a browser; Ctrl-C stops)`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) process.exit(130); // a second Ctrl-C: leave now
    stopping = true;
    console.log('stopping: cancelling jobs and finalising their outputs…');
    running.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  });
}
