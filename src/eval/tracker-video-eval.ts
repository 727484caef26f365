/**
 * ByteTracker on real video with appearance: every frame of a video is detected and every
 * detection embedded (the pipeline's detector and ReID model, from a pipeline configuration),
 * once; then any number of tracker configurations run on those same detections and are scored.
 * This is how appearance fusion is compared with the official ByteTrack on the same detections
 * (`mode: 'reference'`), which the whole-pipeline eval cannot do: the pipeline embeds tracks
 * after tracking and gives the tracker no embeddings.
 */
import { ConfigError } from '../errors.js';
import { PersonDetector } from '../models/person-detector.js';
import { ReidEmbedder } from '../models/reid-embedder.js';
import { resolveConfig, type PipelineConfigInput } from '../pipeline/config.js';
import { StreamReader } from '../streams/stream-reader.js';
import { ByteTracker } from '../tracking/byte-tracker.js';
import type { ByteTrackerOptions } from '../tracking/options.js';
import type { TrackerDetection } from '../tracking/types.js';
import { computeHota } from './hota.js';
import { readMotFile, type MotRecord } from './mot-file.js';
import { computeMotMetrics } from './mot-metrics.js';
import type { SequenceScores, VideoSequence } from './video-eval.js';

/** One video's detections, frame by frame (decoded frame k = MOT frame k + 1), each with its embedding. */
export interface VideoDetections {
  name: string;
  frameRate: number;
  frames: TrackerDetection[][];
}

/**
 * Detects and embeds every frame of each sequence with the models of `config` (its
 * `detector` and `reid` blocks; defaults when omitted).
 * @throws ConfigError, ModelError, StreamError as the models and the reader do.
 */
export async function collectVideoDetections(sequences: readonly VideoSequence[], config?: PipelineConfigInput | string): Promise<VideoDetections[]> {
  const cfg = resolveConfig(config);
  const d = cfg.detector;
  const detector = await PersonDetector.load({
    modelPath: d.modelPath,
    modelId: d.modelId,
    format: d.format,
    scoreThreshold: d.scoreThreshold,
    nmsThreshold: d.nmsThreshold,
    classes: d.classes,
    sessions: 1,
    intraOpNumThreads: d.intraOpNumThreads,
    modelsDir: cfg.modelsDir,
  });
  const embedder = await ReidEmbedder.load({ modelPath: cfg.reid.modelPath, modelId: cfg.reid.modelId, intraOpNumThreads: cfg.reid.intraOpNumThreads, modelsDir: cfg.modelsDir }).catch(async (error: unknown) => {
    await detector.release();
    throw error;
  });
  try {
    const out: VideoDetections[] = [];
    for (const sequence of sequences) {
      const reader = new StreamReader(sequence.video, { pixelFormat: 'rgb24', ffmpegPath: cfg.streams.ffmpegPath });
      const { fps } = await reader.open();
      const frames: TrackerDetection[][] = [];
      for await (const frame of reader) {
        const detections = await detector.detect(frame);
        const embeddings = detections.length > 0 ? await embedder.embed(frame, detections) : [];
        frames.push(detections.map((det, i) => ({ ...det, embedding: embeddings[i]! })));
      }
      out.push({ name: sequence.name, frameRate: fps > 0 ? fps : 30, frames });
    }
    return out;
  } finally {
    await detector.release();
    await embedder.release();
  }
}

/**
 * Tracks one video's detections with `options` (frame rate from the video unless given);
 * `withEmbeddings: false` hands the tracker the boxes only.
 */
export function trackVideoDetections(video: VideoDetections, options: Partial<ByteTrackerOptions>, withEmbeddings = true): MotRecord[] {
  const tracker = new ByteTracker({ frameRate: video.frameRate, ...options });
  const out: MotRecord[] = [];
  video.frames.forEach((detections, k) => {
    const input = withEmbeddings ? detections : detections.map(({ embedding: _, ...box }) => box);
    for (const t of tracker.update(input).active) {
      out.push({ frame: k + 1, id: t.id, x: t.x1, y: t.y1, width: t.x2 - t.x1, height: t.y2 - t.y1, confidence: t.score });
    }
  });
  return out;
}

/** A tracker configuration to compare: its options and whether it gets the embeddings. */
export interface TrackerVariant {
  name: string;
  options: Partial<ByteTrackerOptions>;
  /** @default true */
  withEmbeddings?: boolean;
}

/** Scores every variant on every video against its sequence's ground truth. */
export async function scoreTrackerVariants(
  videos: readonly VideoDetections[],
  sequences: readonly VideoSequence[],
  variants: readonly TrackerVariant[],
): Promise<Array<{ variant: string; sequences: SequenceScores[] }>> {
  const groundTruth = new Map<string, MotRecord[]>();
  for (const s of sequences) groundTruth.set(s.name, await readMotFile(s.groundTruth));
  return variants.map((variant) => ({
    variant: variant.name,
    sequences: videos.map((video) => {
      const gt = groundTruth.get(video.name);
      if (gt === undefined) throw new ConfigError('INVALID_OPTION', `no ground truth for video "${video.name}": pass its sequence in \`sequences\``, { culprit: video.name });
      const hyp = trackVideoDetections(video, variant.options, variant.withEmbeddings ?? true);
      return { name: video.name, mot: computeMotMetrics(gt, hyp), hota: computeHota(gt, hyp) };
    }),
  }));
}
