/**
 * `npm run bench [-- part…]`: runs the selected benchmark parts (all by default), prints each
 * part's Markdown table, then a short Markdown summary of every part, and writes every result
 * as JSON under bench-results/ (git-ignored). Each part lives in bench/<part>.ts and exports
 * `run(): Promise<unknown>`, and may export `summarize(result): string[]` for the summary.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const PARTS = ['streams', 'models', 'tracking', 'identity', 'pipeline', 'distributed'] as const;
const benchDir = path.dirname(fileURLToPath(import.meta.url));

interface BenchPart {
  run: () => Promise<unknown>;
  summarize?: (result: unknown) => string[];
}

const requested = process.argv.slice(2);
const unknown = requested.filter((p) => !(PARTS as readonly string[]).includes(p));
if (unknown.length > 0) {
  console.error(`unknown bench part(s): ${unknown.join(', ')}; choose from ${PARTS.join(', ')}`);
  process.exit(2);
}
const selected = requested.length > 0 ? requested : PARTS.filter((p) => existsSync(path.join(benchDir, `${p}.ts`)));

const outDir = path.resolve(benchDir, '..', 'bench-results');
mkdirSync(outDir, { recursive: true });
const stamp = new Date().toISOString().replace(/[:.]/g, '-');
const results: Record<string, unknown> = {};
const summary: string[] = [];
for (const part of selected) {
  console.log(`\n## bench: ${part}\n`);
  const mod = (await import(`./${part}.ts`)) as BenchPart;
  const t0 = performance.now();
  results[part] = await mod.run();
  const seconds = (performance.now() - t0) / 1000;
  summary.push(`### ${part} (${seconds.toFixed(0)} s)`, ...(mod.summarize?.(results[part]) ?? ['- see the table above']));
}
const file = path.join(outDir, `bench-${stamp}.json`);
writeFileSync(file, JSON.stringify({ date: new Date().toISOString(), node: process.version, results }, null, 2));
console.log(`\n## Summary\n\n${summary.join('\n')}\n\nresults written to ${path.relative(process.cwd(), file)}`);
