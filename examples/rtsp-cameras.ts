/**
 * Several RTSP cameras given as a newline-separated list — the seed's second example.
 *
 *   node --import tsx examples/rtsp-cameras.ts "rtsp://10.0.0.5/stream
 *   rtsp://10.0.0.6/stream" [seconds]
 *
 * With no argument it reads the list from the CAMERAS environment variable.
 */
import { DetectionTrackingPipeline, parseStreamUrls } from 'multicam-reid';

const cameras = process.argv[2] ?? process.env.CAMERAS ?? '';
const seconds = Number(process.argv[3] ?? 30);
console.log(`cameras: ${parseStreamUrls(cameras).join(', ')}`);

const pipeline = new DetectionTrackingPipeline({ streams: { rtspTransport: 'tcp' } });
const job = pipeline.processVideo({
  videoPath: cameras,
  similarityThreshold: 0.8,
  maxDurationSeconds: seconds,
  outputDir: process.env.OUTPUT_DIR ?? 'outputs',
});
job.on('identity:assigned', (e) => console.log(`camera ${e.cameraIndex} track ${e.trackId} → person ${e.globalId}`));
job.on('warning', (w) => console.warn(`warning: ${w.message}`));

const result = await job.result;
await pipeline.release();
for (const camera of result.cameras) console.log(`camera ${camera.cameraIndex}: ${camera.frames} frames → ${camera.csvPath}`);
console.log(`status: ${result.status}, ZIP: ${result.zipPath}`);
process.exitCode = result.status === 'completed' ? 0 : 1;
