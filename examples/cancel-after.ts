/**
 * Cancellation from another timer — the seed's third example, with an AbortController
 * instead of a threading.Event. The outputs written before the cancel are still finalised.
 *
 *   node --import tsx examples/cancel-after.ts <sources> [seconds-before-cancel]
 */
import { processVideo } from 'multicam-reid';

const sources = process.argv[2] ?? '../shared/media/multicam/cam1_with_tracking_overlay.mp4, ../shared/media/multicam/cam2_with_tracking_overlay.mp4';
const cancelAfter = Number(process.argv[3] ?? 30);

const controller = new AbortController();
const job = processVideo({ videoPath: sources, realtime: true, signal: controller.signal, outputDir: process.env.OUTPUT_DIR ?? 'outputs' });

const timer = setTimeout(() => {
  console.log('Cancellation requested!');
  controller.abort();
}, cancelAfter * 1000);

const result = await job.result;
clearTimeout(timer);
console.log(`Processing stopped: ${result.status}, ${result.cameras.map((c) => c.frames).join(' + ')} frames, ZIP: ${result.zipPath}`);
process.exitCode = result.status === 'failed' ? 1 : 0;
