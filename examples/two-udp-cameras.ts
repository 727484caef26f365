/**
 * Two UDP cameras (MPEG-TS), processed for a fixed time — the seed's first example.
 *
 *   node --import tsx examples/two-udp-cameras.ts [udp://127.0.0.1:1905] [udp://127.0.0.1:1906] [seconds]
 *
 * Send something to the ports first, e.g.
 *   ffmpeg -re -stream_loop -1 -i clip.mp4 -c copy -f mpegts udp://127.0.0.1:1905
 */
import { DetectionTrackingPipeline } from 'multicam-reid';

const [first = 'udp://127.0.0.1:1905', second = 'udp://127.0.0.1:1906', seconds = '60'] = process.argv.slice(2);

const pipeline = new DetectionTrackingPipeline();
const job = pipeline.processVideo({
  videoPath: `${first}, ${second}`,
  similarityThreshold: 0.8,
  maxDurationSeconds: Number(seconds),
  outputDir: process.env.OUTPUT_DIR ?? 'outputs',
});
job.on('camera:status', (e) => console.log(`camera ${e.cameraIndex}: ${e.reason}`));
job.on('progress', (p) => console.log(p.cameras.map((c) => `cam ${c.cameraIndex}: ${c.frames} frames`).join(' | ')));

const result = await job.result;
await pipeline.release();
console.log(`status: ${result.status} (${result.stopReason}), ZIP: ${result.zipPath}`);
process.exitCode = result.status === 'completed' ? 0 : 1;
