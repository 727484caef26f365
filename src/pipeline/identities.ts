/**
 * `identities.json` of a job: each camera writes its part (`identities/camera_<k>.json`, beside
 * its crops) when it ends — locally or on a distributed worker, into the shared job folder —
 * and the job merges the parts into one file when the last camera has ended.
 */
import { readFile, readdir, rm, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { mergeIdentityEntries, writeIdentitiesJson, type IdentityCameraEntry } from '../output/identity-album.js';

const PART = /^camera_(\d+)\.json$/;

/** Writes one camera's entries as its part file. */
export async function writeIdentityPart(jobDir: string, cameraIndex: number, entries: IdentityCameraEntry[]): Promise<void> {
  const dir = path.join(jobDir, 'identities');
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, `camera_${cameraIndex}.json`), JSON.stringify(entries));
}

/**
 * Merges the cameras' parts into `<jobDir>/identities.json` and removes the parts. Writes
 * nothing when no camera saw anyone.
 * @returns the file written, or undefined.
 */
export async function mergeIdentityParts(jobDir: string, extra: Record<string, unknown> = {}): Promise<string | undefined> {
  const dir = path.join(jobDir, 'identities');
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => PART.test(n)).sort();
  } catch {
    return undefined;
  }
  const entries: IdentityCameraEntry[] = [];
  for (const name of names) entries.push(...(JSON.parse(await readFile(path.join(dir, name), 'utf8')) as IdentityCameraEntry[]));
  const file = path.join(jobDir, 'identities.json');
  await writeIdentitiesJson(file, mergeIdentityEntries(entries), extra);
  await Promise.all(names.map((name) => rm(path.join(dir, name), { force: true })));
  return file;
}
