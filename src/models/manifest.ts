/**
 * The model manifest (`models/manifest.json`): one entry per supported model with where to
 * get it, how to check it and exactly how to feed it and read its output. The package ships
 * this file, never the weights. A compatible model of your own is one more entry — in a
 * manifest file of your own (merged over the package's) or passed inline to
 * `PersonDetector.load({ modelEntry })` / `ReidEmbedder.load({ modelEntry })` — not code.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { ModelError } from '../errors.js';

/** A dimension of a tensor shape: a fixed size, or a symbolic name for a dynamic axis. */
const dimension = z.union([z.number().int().positive(), z.string().min(1)]);
const rgbTriple = z.tuple([z.number(), z.number(), z.number()]);

const preprocessSchema = z
  .object({
    channelOrder: z.enum(['rgb', 'bgr']),
    scale: z.number().positive(),
    mean: rgbTriple,
    std: z.tuple([z.number().positive(), z.number().positive(), z.number().positive()]),
    letterbox: z.enum(['top-left', 'center', 'none']),
    padValue: z.number().min(0).max(255),
  })
  .strict();

const modelEntrySchema = z
  .object({
    id: z.string().min(1),
    task: z.enum(['detector', 'embedder']),
    format: z.enum(['yolox', 'yolov8', 'embedding', 'osnet']),
    file: z.string().min(1),
    url: z.string().url().optional(),
    sha256: z.string().regex(/^[0-9a-f]{64}$/, 'lower-case hex SHA-256').optional(),
    bytes: z.number().int().positive().optional(),
    license: z.string().optional(),
    source: z.string().optional(),
    input: z.object({ name: z.string().min(1), shape: z.array(dimension).length(4), layout: z.enum(['NCHW', 'NHWC']) }).strict(),
    output: z.object({ name: z.string().min(1), shape: z.array(dimension).min(2).max(3) }).strict(),
    preprocess: preprocessSchema,
    classes: z.number().int().positive().optional(),
    personClass: z.number().int().nonnegative().optional(),
    strides: z.array(z.number().int().positive()).min(1).optional(),
    defaults: z.object({ scoreThreshold: z.number().min(0).max(1).optional(), nmsThreshold: z.number().min(0).max(1).optional() }).strict().optional(),
    rectangularInput: z.boolean().optional(),
    inputShape: z.enum(['fixed', 'rectangular']).optional(),
  })
  .strict()
  .superRefine((entry, ctx) => {
    const issue = (pathTo: string, message: string) => ctx.addIssue({ code: 'custom', path: pathTo.split('.'), message });
    const detectorFormat = entry.format === 'yolox' || entry.format === 'yolov8';
    if (entry.task === 'detector') {
      if (!detectorFormat) issue('format', `a detector's format is 'yolox' or 'yolov8', not '${entry.format}'`);
      if (entry.classes === undefined) issue('classes', 'is required for a detector');
      if (entry.personClass === undefined) issue('personClass', 'is required for a detector');
      if (entry.classes !== undefined && entry.personClass !== undefined && entry.personClass >= entry.classes) issue('personClass', `must be below classes (${entry.classes})`);
      if (entry.output.shape.length !== 3) issue('output.shape', 'a detector output has three axes');
    } else {
      if (detectorFormat) issue('format', `an embedder's format is 'embedding', not '${entry.format}'`);
      if (entry.preprocess.letterbox !== 'none') issue('preprocess.letterbox', "embedders resize each crop to the input (letterbox: 'none')");
      if (entry.output.shape.length !== 2) issue('output.shape', 'an embedder output is [batch, dimension]');
      for (const key of ['classes', 'personClass', 'strides', 'defaults', 'rectangularInput', 'inputShape'] as const) {
        if (entry[key] !== undefined) issue(key, 'applies to detectors only');
      }
    }
    if (entry.inputShape === 'rectangular' && entry.rectangularInput !== true) issue('inputShape', "'rectangular' needs rectangularInput: true");
  });

const manifestSchema = z.object({ version: z.literal(1), models: z.array(z.unknown()) }).strict();

/** One model of the manifest, as validated (see `models/README.md` for every field). */
export type ModelEntry = z.infer<typeof modelEntrySchema>;
/**
 * A manifest entry as a user writes it, in a manifest file or inline in
 * `PersonDetector.load({ modelEntry })` / `ReidEmbedder.load({ modelEntry })`.
 */
export type ModelEntryInput = z.input<typeof modelEntrySchema>;
/** How a model wants its input pixels: channel order, value scaling, normalisation, letterbox. */
export type PreprocessSpec = ModelEntry['preprocess'];
/** Tensor layouts a model input can have. */
export type TensorLayout = ModelEntry['input']['layout'];
/** A validated manifest. */
export interface ModelManifest {
  version: 1;
  models: ModelEntry[];
}

/** What each field means, appended to a validation message so the fix is in the error. */
const FIELD_HELP: Record<string, string> = {
  'input.layout': "'NCHW' (planar, most PyTorch exports) or 'NHWC' (interleaved, TensorFlow/OpenVINO exports)",
  'preprocess.channelOrder': "'rgb' or 'bgr': the channel order the model was trained on",
  'preprocess.scale': 'multiplier applied to 0–255 pixel values before mean/std (1 for raw values, 1/255 for 0–1)',
  'preprocess.mean': 'per-channel mean subtracted after scaling, in the model channel order ([0, 0, 0] for none)',
  'preprocess.std': 'per-channel standard deviation divided by after the mean ([1, 1, 1] for none)',
  'preprocess.letterbox': "'top-left' (YOLOX), 'center' (Ultralytics) or 'none' (plain resize)",
  'preprocess.padValue': 'pixel value (0–255, before scaling) that fills the letterbox border, e.g. 114',
  classes: 'number of classes the detector scores (80 for COCO)',
  personClass: 'index of the person class among them (0 for COCO)',
  format: "output decoding: 'yolox' or 'yolov8' for detectors, 'embedding' for ReID embedders",
};

/**
 * Validates one entry.
 * @param origin - Where the entry came from (a manifest file, or "the modelEntry option"), for messages.
 * @throws ModelError `INVALID_MODEL_ENTRY` naming the entry, the first bad field and what it should hold.
 */
export function parseModelEntry(raw: unknown, origin: string): ModelEntry {
  const parsed = modelEntrySchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const field = issue.path.join('.');
  const id = raw !== null && typeof raw === 'object' && typeof (raw as { id?: unknown }).id === 'string' ? `"${(raw as { id: string }).id}"` : '(no id)';
  const missing = issue.code === 'invalid_type' && /received undefined/.test(issue.message);
  const problem = field === '' ? issue.message : missing ? `is missing ${field}` : `${field}: ${issue.message}`;
  const help = FIELD_HELP[field] ?? FIELD_HELP[String(issue.path[0])];
  throw new ModelError('INVALID_MODEL_ENTRY', `model entry ${id} in ${origin} ${field === '' ? `is invalid: ${problem}` : problem}${help ? ` (${field}: ${help})` : ''}. See models/README.md for every field.`, { culprit: field === '' ? id : field });
}

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
 * @throws ModelError `MODEL_CORRUPT` for a file that is not a manifest, `INVALID_MODEL_ENTRY`
 *   for an entry missing or misstating a field (named in the message), or two entries with one id.
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
    throw new ModelError('MODEL_CORRUPT', `invalid model manifest ${target}: ${issue.path.join('.') || '(top level)'}: ${issue.message}. A manifest is { "version": 1, "models": [ … ] }.`, { culprit: target });
  }
  const models = parsed.data.models.map((m) => parseModelEntry(m, target));
  const seen = new Set<string>();
  for (const m of models) {
    if (seen.has(m.id)) throw new ModelError('INVALID_MODEL_ENTRY', `model id "${m.id}" appears twice in ${target}; ids must be unique`, { culprit: m.id });
    seen.add(m.id);
  }
  const manifest: ModelManifest = { version: 1, models };
  if (file === undefined) cached = manifest;
  return manifest;
}

/**
 * The package manifest with the entries of `extraFiles` merged over it, in order: an entry of a
 * later file replaces one with the same id, other entries are added. This is how users add
 * models without editing the installed package.
 */
export function manifestWith(extraFiles: string | readonly string[] | undefined): ModelManifest {
  const files = extraFiles === undefined ? [] : typeof extraFiles === 'string' ? [extraFiles] : extraFiles;
  if (files.length === 0) return loadManifest();
  const byId = new Map(loadManifest().models.map((m) => [m.id, m]));
  for (const file of files) for (const m of loadManifest(path.resolve(file)).models) byId.set(m.id, m);
  return { version: 1, models: [...byId.values()] };
}

/** Ids of the models the package's manifest knows. */
export function knownModelIds(manifest: ModelManifest = loadManifest()): string[] {
  return manifest.models.map((m) => m.id);
}

/**
 * The manifest entry for a model id.
 * @throws ModelError `MODEL_NOT_FOUND` naming the known ids when the id is unknown.
 */
export function getModelEntry(id: string, manifest: ModelManifest = loadManifest()): ModelEntry {
  const entry = manifest.models.find((m) => m.id === id);
  if (!entry) {
    const known = manifest.models.map((m) => `"${m.id}"`).join(', ');
    throw new ModelError('MODEL_NOT_FOUND', `unknown model id "${id}"; the manifest lists ${known}. Pass one of those, a modelPath to your own file, or a modelEntry describing it.`, { culprit: id });
  }
  return entry;
}

/** The input's spatial size and batch as the entry declares them (numbers, or undefined for a symbolic axis). */
export function declaredInput(entry: Pick<ModelEntry, 'input'>): { batch: number | undefined; height: number | undefined; width: number | undefined; channels: number | undefined } {
  const s = entry.input.shape;
  const num = (d: number | string | undefined) => (typeof d === 'number' ? d : undefined);
  return entry.input.layout === 'NCHW'
    ? { batch: num(s[0]), channels: num(s[1]), height: num(s[2]), width: num(s[3]) }
    : { batch: num(s[0]), height: num(s[1]), width: num(s[2]), channels: num(s[3]) };
}
