/**
 * `multicam-reid models`: the model zoo from the command line.
 * - `models [list]` shows every manifest entry — id, kind, input, size, licence — and where its
 *   file is found along the resolver's search order, or that it is missing;
 * - `models pull <id…>` downloads models into the user cache, verifying each SHA-256, with a
 *   progress bar: what a user without the weights runs first.
 * Both take `--manifest FILE` (entries of your own, merged over the package's) and `--cache-dir DIR`.
 */
import path from 'node:path';
import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import { MulticamReidError } from '../errors.js';
import { getModelEntry, manifestWith, type ModelEntry } from '../models/manifest.js';
import { locateModel, pullModel, type DownloadProgress } from '../models/resolver.js';
import { EXIT } from './program.js';

interface ModelsFlags {
  manifest?: string[];
  cacheDir?: string;
  json?: boolean;
  progress?: boolean;
}

const INVALID_INPUT_CODES = new Set(['MODEL_NOT_FOUND', 'INVALID_MODEL_ENTRY', 'MODEL_CORRUPT', 'INVALID_OPTION']);

function megabytes(bytes: number | undefined): string {
  return bytes === undefined ? '?' : `${(bytes / 1e6).toFixed(1)} MB`;
}

function describeInput(entry: ModelEntry): string {
  return `${entry.input.name} [${entry.input.shape.join(',')}] ${entry.input.layout}`;
}

/** Pads the columns of rows of cells to a plain-text table. */
function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!))).join('  ')).join('\n');
}

function list(flags: ModelsFlags): number {
  const manifest = manifestWith(flags.manifest);
  const where = manifest.models.map((entry) => ({ entry, location: locateModel(entry, flags.cacheDir !== undefined ? { cacheDir: flags.cacheDir } : {}) }));
  if (flags.json === true) {
    const rows = where.map(({ entry, location }) => ({
      id: entry.id,
      kind: entry.task,
      format: entry.format,
      input: { name: entry.input.name, shape: entry.input.shape, layout: entry.input.layout },
      bytes: entry.bytes,
      license: entry.license,
      file: entry.file,
      found: location.found ?? null,
      looked: location.found === undefined ? location.looked : undefined,
    }));
    console.log(JSON.stringify(rows, null, 2));
    return EXIT.completed;
  }
  const rows = [['id', 'kind', 'input', 'size', 'licence', 'file']];
  for (const { entry, location } of where) {
    const file = location.found !== undefined ? `${location.found.source}: ${location.found.path}` : `missing — run: multicam-reid models pull ${entry.id}`;
    rows.push([entry.id, entry.task, describeInput(entry), megabytes(entry.bytes), entry.license ?? '?', file]);
  }
  console.log(table(rows));
  const missing = where.filter((w) => w.location.found === undefined);
  if (missing.length > 0) {
    console.log(`\nsearched, in order: ${missing[0]!.location.looked.map((l) => l.replace(/: .*$/, '')).join(', ')} (the user cache is ${missing[0]!.location.cacheDir})`);
  }
  return EXIT.completed;
}

async function pull(ids: string[], flags: ModelsFlags): Promise<number> {
  const manifest = manifestWith(flags.manifest);
  const entries = ids.map((id) => getModelEntry(id, manifest)); // every id checked before any download
  const controller = new AbortController();
  const onSigint = () => controller.abort(new Error('interrupted by user'));
  process.once('SIGINT', onSigint);
  const showBars = flags.progress !== false && process.stderr.isTTY === true;
  try {
    for (const entry of entries) {
      // One bar per model, one model at a time: the bar is finished before its summary line.
      const bar = showBars ? new cliProgress.SingleBar({ format: ' {id} |{bar}| {percentage}% | {got} of {size}', barsize: 30, hideCursor: true, stream: process.stderr }, cliProgress.Presets.shades_classic) : undefined;
      let started = false;
      const onProgress = (p: DownloadProgress) => {
        if (bar === undefined) return;
        const total = p.totalBytes ?? Math.max(p.receivedBytes, 1);
        if (!started) bar.start(total, 0, { id: entry.id, got: megabytes(0), size: megabytes(p.totalBytes) });
        started = true;
        bar.setTotal(total);
        bar.update(p.receivedBytes, { got: megabytes(p.receivedBytes) });
      };
      if (bar === undefined && flags.progress !== false) console.error(`${entry.id}: fetching ${entry.url ?? '(no url)'} …`);
      let result: Awaited<ReturnType<typeof pullModel>>;
      try {
        result = await pullModel(entry, { ...(flags.cacheDir !== undefined ? { cacheDir: flags.cacheDir } : {}), onProgress, signal: controller.signal });
      } finally {
        if (started) bar?.stop();
      }
      const what = result.action === 'present' ? 'already in the cache' : `downloaded ${megabytes(result.bytes)}`;
      console.log(`${entry.id}: ${what}, SHA-256 verified: ${result.path}`);
    }
    return EXIT.completed;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

/** Runs a subcommand, turning the library's typed errors into a message and an exit code. */
async function guarded(work: () => number | Promise<number>): Promise<number> {
  try {
    return await work();
  } catch (error) {
    if (!(error instanceof MulticamReidError)) throw error;
    console.error(`multicam-reid: ${error.message}`);
    return INVALID_INPUT_CODES.has(error.code) ? EXIT.invalidInput : EXIT.failed;
  }
}

const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), path.resolve(value)];

/** Adds `models` (list) and `models pull` to the program. */
export function registerModelsCommand(program: Command): void {
  const models = program.command('models').description('list the model zoo and where each file is, or pull models into the user cache');
  models
    .command('list', { isDefault: true })
    .description('list every model of the manifest: id, kind, input, size, licence, and where its file was found (or that it is missing)')
    .option('-m, --manifest <file>', 'a manifest of your own, merged over the package one (repeatable)', collect)
    .option('--cache-dir <dir>', 'user cache folder (default: $XDG_CACHE_HOME/multicam-reid/models or ~/.cache/multicam-reid/models)')
    .option('--json', 'print the list as JSON')
    .action(async (flags: ModelsFlags) => {
      process.exitCode = await guarded(() => list(flags));
    });
  models
    .command('pull')
    .description('download models into the user cache, verifying each SHA-256 against the manifest')
    .argument('<ids...>', 'model ids (see `multicam-reid models`)')
    .option('-m, --manifest <file>', 'a manifest of your own, merged over the package one (repeatable)', collect)
    .option('--cache-dir <dir>', 'user cache folder (default: $XDG_CACHE_HOME/multicam-reid/models or ~/.cache/multicam-reid/models)')
    .option('--no-progress', 'do not show download progress')
    .action(async (ids: string[], flags: ModelsFlags) => {
      process.exitCode = await guarded(() => pull(ids, flags));
    });
}
