/**
 * DetectionTrackingPipeline: loads the models once, then runs jobs. A job reads every camera
 * independently and in parallel, runs detection → tracking → ReID → identity → zones →
 * outputs per frame (see CameraWorker), and finalises every output however it ends.
 */
import { randomUUID } from 'node:crypto';
import { PersonDetector } from '../models/person-detector.js';
import { ReidEmbedder } from '../models/reid-embedder.js';
import type { ModelEntryInput } from '../models/manifest.js';
import { resolveByteTrackerOptions, type ByteTrackerOptions } from '../tracking/options.js';
import { resolveIdentityGalleryOptions } from '../identity/options.js';
import { resolveMqttSinkOptions } from '../service/mqtt-options.js';
import { resolveConfig, type PipelineConfig, type PipelineConfigInput } from './config.js';
import type { ProcessVideoOptions } from './options.js';
import { Job } from './job.js';
import { JobRunner } from './job-runner.js';
import { planJob } from './plan.js';

/** The models a pipeline loads once and shares between its jobs and cameras. */
export interface LoadedModels {
  detector: PersonDetector;
  embedder?: ReidEmbedder;
}

export class DetectionTrackingPipeline {
  /** The validated configuration (defaults applied). */
  readonly config: PipelineConfig;
  private models?: Promise<LoadedModels>;
  private readonly trackerOptions: ByteTrackerOptions;

  /**
   * @param config a configuration object, or the path of a YAML/JSON configuration file
   *   (see `configs/config.yaml`). Invalid fields throw a {@link ConfigError} naming the field.
   */
  constructor(config?: PipelineConfigInput | string) {
    this.config = resolveConfig(config);
    // The tracker and gallery check their own options: do it now, before any job writes anything.
    this.trackerOptions = resolveByteTrackerOptions(this.config.tracker as Partial<ByteTrackerOptions>);
    resolveIdentityGalleryOptions(this.config.identity);
    if (this.config.mqtt !== undefined) resolveMqttSinkOptions(this.config.mqtt, 'configuration mqtt'); // a bad broker URL fails here
  }

  /** Loads (once) and returns the detector and the ReID embedder. Missing or wrong models reject with a ModelError. */
  load(): Promise<LoadedModels> {
    this.models ??= this.loadModels().catch((error: unknown) => {
      this.models = undefined; // let a later call retry, e.g. after the user fixed the path
      throw error;
    });
    return this.models;
  }

  /**
   * Starts a job. Invalid options (sources, zones, thresholds) throw here, synchronously,
   * before anything is written; failures after that (a model that cannot load, a source that
   * cannot be opened) make `job.result` resolve with status `failed` and emit 'error'.
   */
  processVideo(options: ProcessVideoOptions): Job {
    const plan = planJob(options, this.config);
    const deps = { config: this.config, trackerOptions: this.trackerOptions, loadModels: () => this.load() };
    return new Job(randomUUID(), (job, stop) => new JobRunner(job, plan, deps, stop), options.signal);
  }

  /**
   * Checks job options the way {@link processVideo} does (sources, zones, thresholds, paths)
   * without starting anything: throws the same {@link ConfigError} / StreamError. Useful for a
   * service that queues jobs and wants to reject bad requests at once.
   */
  validate(options: ProcessVideoOptions): void {
    planJob(options, this.config);
  }

  /** Releases the ONNX sessions. */
  async release(): Promise<void> {
    const models = this.models;
    this.models = undefined;
    if (models === undefined) return;
    const loaded = await models.catch(() => undefined);
    await loaded?.detector.release();
    await loaded?.embedder?.release();
  }

  private async loadModels(): Promise<LoadedModels> {
    const { detector: d, reid: r, modelsDir } = this.config;
    const detector = await PersonDetector.load({
      modelPath: d.modelPath,
      modelId: d.modelId,
      modelEntry: d.model as ModelEntryInput | undefined,
      manifest: d.manifest,
      inputShape: d.inputShape,
      format: d.format,
      scoreThreshold: d.scoreThreshold,
      nmsThreshold: d.nmsThreshold,
      classes: d.classes,
      sessions: d.sessions,
      intraOpNumThreads: d.intraOpNumThreads,
      executionProviders: d.executionProviders,
      modelsDir,
    });
    if (!r.enabled) return { detector };
    try {
      const embedder = await ReidEmbedder.load({
        modelPath: r.modelPath,
        modelId: r.modelId,
        modelEntry: r.model as ModelEntryInput | undefined,
        manifest: r.manifest,
        maxBatch: r.maxBatch,
        batching: r.batching,
        intraOpNumThreads: r.intraOpNumThreads,
        executionProviders: r.executionProviders,
        modelsDir,
      });
      return { detector, embedder };
    } catch (error) {
      await detector.release(); // no half-loaded pipeline keeps inference threads alive
      throw error;
    }
  }
}

/**
 * Runs one job with a pipeline built from `options.config` (or the defaults) and releases
 * the models when the job ends. For several jobs, build one {@link DetectionTrackingPipeline}.
 */
export function processVideo(options: ProcessVideoOptions & { config?: PipelineConfigInput | string }): Job {
  const pipeline = new DetectionTrackingPipeline(options.config);
  const job = pipeline.processVideo(options);
  void job.result.finally(() => pipeline.release());
  return job;
}
