/**
 * The model manifest (`models/manifest.json`): one entry per supported model with where to
 * get it, how to check it and how to feed it. The package ships this file, never the weights.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { ModelError } from '../errors.js';

/** A dimension of a tensor shape: a fixed size, or a symbolic name for a dynamic axis. */
const dimension = z.union([z.number().int().positive(), z.string().min(1)]);

const modelEntrySchema = z.object({
  id: z.string().min(1),
  task: z.enum(['detector', 'embedder']),
  format: z.enum(['yolox', 'yolov8', 'osnet']),
  file: z.string().min(1),
  url: z.string().url().optional(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'lower-case hex SHA-256').optional(),
  bytes: z.number().int().positive().optional(),
  license: z.string().optional(),
  source: z.string().optional(),
  input: z.object({ name: z.string(), shape: z.array(dimension).min(1), layout: z.literal('NCHW') }),
  output: z.object({ name: z.string(), shape: z.array(dimension).min(1) }),
  preprocess: z.object({
    channelOrder: z.enum(['rgb', 'bgr']),
    scale: z.number().positive(),
    mean: z.tuple([z.number(), z.number(), z.number()]),
    std: z.tuple([z.number().positive(), z.number().positive(), z.number().positive()]),
    letterbox: z.enum(['top-left', 'center', 'none']),
    padValue: z.number(),
  }),
  classes: z.number().int().positive().optional(),
  personClass: z.number().int().nonnegative().optional(),
});

const manifestSchema = z.object({ version: z.literal(1), models: z.array(modelEntrySchema) });

/** One model of the manifest. */
export type ModelEntry = z.infer<typeof modelEntrySchema>;
/** How a model wants its input pixels: channel order, value scaling, normalisation, letterbox. */
export type PreprocessSpec = ModelEntry['preprocess'];
/** The whole manifest file. */
export type ModelManifest = z.infer<typeof manifestSchema>;

/** Root folder of the installed package (the folder holding its package.json). */
export function packageRoot(): string {
  // Works from src/models (tsx) and from dist/src/models (compiled): walk up to our package.json.
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(dir, 'package.json');
    if (existsSync(candidate)) {
      const name = (JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string }).name;
      if (name === 'multicam-reid') return dir;
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new ModelError('MODEL_NOT_FOUND', 'cannot find the multicam-reid package root (package.json) above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
}

/** The package's `models/` folder (manifest, README, and optionally weights placed there by the user). */
export function packageModelsDir(): string {
  return path.join(packageRoot(), 'models');
}

let cached: ModelManifest | undefined;

/**
 * Reads and validates a manifest file.
 * @param file - Path of a manifest JSON file. Default: the package's `models/manifest.json`
 *   (parsed once and cached).
 */
export function loadManifest(file?: string): ModelManifest {
  if (file === undefined && cached !== undefined) return cached;
  const target = file ?? path.join(packageModelsDir(), 'manifest.json');
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(target, 'utf8'));
  } catch (cause) {
    throw new ModelError('MODEL_CORRUPT', `cannot read the model manifest ${target}: ${(cause as Error).message}`, { culprit: target, cause });
  }
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ModelError('MODEL_CORRUPT', `invalid model manifest ${target}: ${issue.path.join('.')}: ${issue.message}`, { culprit: target });
  }
  if (file === undefined) cached = parsed.data;
  return parsed.data;
}

/** Ids of the models the package's manifest knows. */
export function knownModelIds(): string[] {
  return loadManifest().models.map((m) => m.id);
}

/**
 * The manifest entry for a model id.
 * @throws ModelError `MODEL_NOT_FOUND` naming the known ids when the id is unknown.
 */
export function getModelEntry(id: string, manifest: ModelManifest = loadManifest()): ModelEntry {
  const entry = manifest.models.find((m) => m.id === id);
  if (!entry) {
    const known = manifest.models.map((m) => `"${m.id}"`).join(', ');
    throw new ModelError('MODEL_NOT_FOUND', `unknown model id "${id}"; the manifest lists ${known}. Pass one of those, or a modelPath to your own file.`, { culprit: id });
  }
  return entry;
}
