/**
 * Checks a job's options against the configuration before anything starts, and turns them
 * into the plan the runner follows. Every bad option throws a typed error here, so nothing is
 * written and no process is started for a job that could not run.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../errors.js';
import { classifySource, parseStreamUrls } from '../streams/url.js';
import { redactSource, redactText, sourceSecrets } from '../streams/redact.js';
import { loadZonesFile, parseZones, zonesForCamera, type ZoneDefinition, type ZonesByCamera } from '../zones/index.js';
import { jobFolderName } from '../output/naming.js';
import type { PipelineConfig } from './config.js';
import type { ProcessVideoOptions } from './options.js';

/** One camera of a job: its raw source (for ffmpeg only) and its display form (for everything else). */
export interface PlannedSource {
  source: string;
  display: string;
  live: boolean;
}

/** Options validated before a job starts, with the configuration's defaults applied. */
export interface JobPlan {
  sources: PlannedSource[];
  similarityThreshold: number;
  outputRoot: string;
  outputVideoPath?: string;
  maxDurationSeconds?: number;
  zones: ZonesByCamera;
  detectionStride: number;
  realtime: boolean;
  previewInterval?: number;
  timeZone: string;
  now: Date;
  referencePersons: Array<{ name: string; imagePaths: string[] }>;
  /** Masks the credentials of every source of the job (and of sources added later) in a text. */
  redactor: Redactor;
}

/** Masks URL credentials, and the passwords of a job's sources wherever they appear, in any text. */
export class Redactor {
  private readonly secrets: string[] = [];

  /** Adds the password of `source` to the secrets masked from now on. */
  add(source: string): void {
    for (const secret of sourceSecrets(source)) if (!this.secrets.includes(secret)) this.secrets.push(secret);
  }

  readonly text = (text: string): string => redactText(text, this.secrets);
}

/** Longest delay a Node timer takes (2^31 − 1 ms); longer ones fire at once. */
const MAX_TIMER_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

/** Validates the options of one job; throws a {@link ConfigError} or StreamError naming the culprit. */
export function planJob(options: ProcessVideoOptions, cfg: PipelineConfig): JobPlan {
  if (options.sources !== undefined && options.videoPath !== undefined) {
    throw new ConfigError('INVALID_OPTION', 'give either videoPath or sources, not both', { culprit: 'sources' });
  }
  const list = options.sources !== undefined ? options.sources.flatMap((s) => parseStreamUrls(s)) : parseStreamUrls(options.videoPath ?? '');
  if (list.length === 0) throw new ConfigError('INVALID_OPTION', 'no source given: set videoPath (one URL/path, or several separated by commas or newlines) or sources', { culprit: 'videoPath' });
  const sources = list.map(planSource);

  const similarityThreshold = options.similarityThreshold ?? cfg.identity.similarityThreshold;
  checkRange('similarityThreshold', similarityThreshold, 0, 1);
  if (options.maxDurationSeconds !== undefined) checkRange('maxDurationSeconds', options.maxDurationSeconds, Number.MIN_VALUE, MAX_TIMER_SECONDS);
  const detectionStride = options.detectionStride ?? cfg.processing.detectionStride;
  if (!Number.isInteger(detectionStride) || detectionStride < 1) {
    throw new ConfigError('INVALID_OPTION', `detectionStride must be a whole number ≥ 1, got ${detectionStride}`, { culprit: 'detectionStride' });
  }
  if (options.previewInterval !== undefined) checkRange('previewInterval', options.previewInterval, Number.MIN_VALUE, MAX_TIMER_SECONDS);
  if (options.outputVideoPath !== undefined && sources.length > 1) {
    throw new ConfigError('INVALID_OPTION', 'outputVideoPath is for single-camera jobs; a multi-camera job writes one video per camera in its folder', { culprit: 'outputVideoPath' });
  }
  const zoneOptions = { cameraCount: sources.length };
  const zones = typeof options.zones === 'string' ? loadZonesFile(options.zones, zoneOptions) : parseZones(options.zones ?? [], zoneOptions);
  const referencePersons = options.referencePersons ?? [];
  for (const person of referencePersons) {
    for (const imagePath of person.imagePaths) {
      if (!existsSync(imagePath)) throw new ConfigError('INVALID_OPTION', `reference image of "${person.name}" not found: ${imagePath}`, { culprit: imagePath });
    }
  }
  const timeZone = options.timeZone ?? cfg.output.timeZone;
  const now = options.now ?? new Date();
  jobFolderName(now, timeZone); // validates the time zone before any work
  const redactor = new Redactor();
  for (const s of sources) redactor.add(s.source);
  return {
    sources,
    similarityThreshold,
    outputRoot: path.resolve(options.outputDir ?? cfg.output.dir),
    outputVideoPath: options.outputVideoPath,
    maxDurationSeconds: options.maxDurationSeconds,
    zones,
    detectionStride,
    realtime: options.realtime ?? cfg.processing.realtime,
    previewInterval: options.previewInterval,
    timeZone,
    now,
    referencePersons,
    redactor,
  };
}

/** Validates one source (also for cameras added while a job runs). */
export function planSource(source: string): PlannedSource {
  const info = classifySource(source);
  return { source: info.source, display: redactSource(info.source), live: info.live };
}

/** The zones of camera `index`: its own entry, or the list given for every camera. */
export function zonesOf(plan: JobPlan, index: number): readonly ZoneDefinition[] {
  return zonesForCamera(plan.zones, index);
}

/** Throws a ConfigError unless `value` is a finite number in [min, max]. */
function checkRange(name: string, value: number, min: number, max: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    const range = min === Number.MIN_VALUE ? `above 0 and at most ${max}` : `between ${min} and ${max}`;
    throw new ConfigError('INVALID_OPTION', `${name} must be a number ${range}, got ${String(value)}`, { culprit: name });
  }
}
