/**
 * Runs a {@link ByteTracker} over MOTChallenge detections (no frames needed) and returns its
 * output as MOTChallenge records, one per active track per frame, boxes from the Kalman state
 * as ByteTrack writes them.
 */
import { ByteTracker } from '../tracking/byte-tracker.js';
import type { ByteTrackerOptions } from '../tracking/options.js';
import type { TrackerDetection } from '../tracking/types.js';
import { groupByFrame, type MotRecord } from './mot-file.js';

/**
 * Tracks `detections` frame by frame from frame 1 to the last detection frame (frames without
 * detections are passed as empty updates, so that lost tracks age correctly).
 */
export function trackMotDetections(
  detections: readonly MotRecord[],
  options: Partial<ByteTrackerOptions> = {},
): MotRecord[] {
  const tracker = new ByteTracker(options);
  const frames = groupByFrame(detections);
  const lastFrame = Math.max(0, ...frames.keys());
  const output: MotRecord[] = [];
  for (let frame = 1; frame <= lastFrame; frame++) {
    const input: TrackerDetection[] = (frames.get(frame) ?? []).map((r) => ({
      x1: r.x,
      y1: r.y,
      x2: r.x + r.width,
      y2: r.y + r.height,
      score: r.confidence,
      classId: 0,
    }));
    for (const t of tracker.update(input).active) {
      output.push({ frame, id: t.id, x: t.x1, y: t.y1, width: t.x2 - t.x1, height: t.y2 - t.y1, confidence: t.score });
    }
  }
  return output;
}
