/** Shared option handling of the eval scripts: `--config F`, `--tracker JSON`, `--json out.json`, `--media DIR`, `--work DIR`. */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { resolveConfig, type PipelineConfigInput } from '../src/pipeline/config.js';
import { defaultMotDir } from './eval-mot.js';

/** The options every pipeline eval takes, and the configuration they make. */
export interface EvalRun {
  config: PipelineConfigInput;
  /** For headings: the config file (or "defaults") and any `--tracker` override. */
  label: string;
  /** For JSON output: the config file (null for the defaults) and the `--tracker` options (or null). */
  configFile: string | null;
  trackerOverride: Record<string, unknown> | null;
  json: string | undefined;
  media: string;
  work: string | undefined;
}

/** Parses the shared eval options (`--media` defaults to the TUD videos in `../shared`). */
export function parseEvalArgs(args: string[]): EvalRun {
  const { values } = parseArgs({
    args,
    options: {
      config: { type: 'string' },
      tracker: { type: 'string' },
      json: { type: 'string' },
      media: { type: 'string', default: defaultMotDir },
      work: { type: 'string' },
    },
  });
  const label = `config ${values.config ?? 'defaults'}${values.tracker === undefined ? '' : `, tracker ${values.tracker}`}`;
  return {
    config: runConfig(values.config, values.tracker),
    label,
    configFile: values.config ?? null,
    trackerOverride: values.tracker === undefined ? null : (JSON.parse(values.tracker) as Record<string, unknown>),
    json: values.json,
    media: values.media!,
    work: values.work,
  };
}

/** The pipeline configuration of a run: the file (or the defaults) with `--tracker` options merged into its `tracker:` block. */
export function runConfig(configFile: string | undefined, trackerJson: string | undefined): PipelineConfigInput {
  const base = resolveConfig(configFile);
  if (trackerJson === undefined) return base;
  return { ...base, tracker: { ...base.tracker, ...(JSON.parse(trackerJson) as Record<string, unknown>) } };
}

/** Writes `value` as pretty JSON (NaN and infinities become null), creating the folder. */
export async function writeJson(file: string, value: unknown): Promise<void> {
  await mkdir(path.dirname(path.resolve(file)), { recursive: true });
  await writeFile(file, `${JSON.stringify(value, null, 2)}\n`);
  console.log(`\nJSON written to ${file}`);
}
