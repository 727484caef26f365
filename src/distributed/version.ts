/** The library version, read once from our package.json: it travels in every camera job. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../models/manifest.js';

let cached: string | undefined;

/** `version` of the installed multicam-reid package, e.g. `0.1.0`. */
export function libraryVersion(): string {
  cached ??= (JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
  return cached;
}
