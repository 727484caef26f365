/** Shared option handling of the eval scripts: `--config F`, `--tracker JSON`, `--json out.json`. */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { resolveConfig, type PipelineConfigInput } from '../src/pipeline/config.js';

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
