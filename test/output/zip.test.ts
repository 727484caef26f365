import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFile, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { OutputError } from '../../src/errors.js';
import { zipDirectory } from '../../src/output/zip.js';
import { zipName } from '../../src/output/naming.js';
import { artifactsDir, media } from '../helpers/shared.js';

interface CentralEntry {
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
}

/**
 * Reads a ZIP's central directory (APPNOTE 4.3.12/4.3.16): the end record at the file's tail
 * points at one 46-byte header (+ name, extra, comment) per entry.
 */
function readCentralDirectory(zip: Buffer): CentralEntry[] {
  let end = zip.length - 22;
  while (end >= 0 && zip.readUInt32LE(end) !== 0x06054b50) end--;
  assert.ok(end >= 0, 'end of central directory record found');
  const count = zip.readUInt16LE(end + 10);
  let offset = zip.readUInt32LE(end + 16);
  const entries: CentralEntry[] = [];
  for (let i = 0; i < count; i++) {
    assert.equal(zip.readUInt32LE(offset), 0x02014b50, `central header ${i} signature`);
    const nameLength = zip.readUInt16LE(offset + 28);
    const extraLength = zip.readUInt16LE(offset + 30);
    const commentLength = zip.readUInt16LE(offset + 32);
    entries.push({
      method: zip.readUInt16LE(offset + 10),
      compressedSize: zip.readUInt32LE(offset + 20),
      size: zip.readUInt32LE(offset + 24),
      localHeaderOffset: zip.readUInt32LE(offset + 42),
      name: zip.toString('utf8', offset + 46, offset + 46 + nameLength),
    });
    offset += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/** An entry's bytes, read through its local header and inflated when deflated. */
function entryData(zip: Buffer, entry: CentralEntry): Buffer {
  const local = entry.localHeaderOffset;
  assert.equal(zip.readUInt32LE(local), 0x04034b50);
  const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
  const raw = zip.subarray(start, start + entry.compressedSize);
  return entry.method === 8 ? inflateRawSync(raw) : Buffer.from(raw);
}

const root = artifactsDir('zip');

/** A job folder as the pipeline writes it: two cameras, each with video, CSV and JSON. */
async function makeJobFolder(name: string): Promise<{ dir: string; files: Map<string, Buffer> }> {
  const dir = path.join(root, name);
  await rm(dir, { recursive: true, force: true });
  const files = new Map<string, Buffer>();
  for (const camera of [0, 1]) {
    const cameraDir = path.join(dir, `camera_${camera}`);
    await mkdir(cameraDir, { recursive: true });
    const video = path.join(cameraDir, 'output_20240115_143022.mp4');
    await copyFile(media(`multicam/cam${camera + 1}_with_tracking_overlay.mp4`), video);
    files.set(`${name}/camera_${camera}/output_20240115_143022.mp4`, await readFile(video));
    const csv = Buffer.from(`frame_index,timestamp\n${Array.from({ length: 2000 }, (_, i) => `${i},${(i / 18).toFixed(3)}`).join('\n')}\n`);
    await writeFile(path.join(cameraDir, 'tracks_20240115_143022.csv'), csv);
    files.set(`${name}/camera_${camera}/tracks_20240115_143022.csv`, csv);
    const json = Buffer.from(JSON.stringify({ camera, zones: [] }, null, 2));
    await writeFile(path.join(cameraDir, 'zones_20240115_143022.json'), json);
    files.set(`${name}/camera_${camera}/zones_20240115_143022.json`, json);
  }
  return { dir, files };
}

test('zips the job folder under its own name; entries, sizes and contents read back', async () => {
  const { dir, files } = await makeJobFolder('multi_stream_2024-01-15-14-30');
  const zipPath = zipName(dir);
  await rm(zipPath, { force: true });
  const result = await zipDirectory(dir, zipPath);
  const zip = await readFile(zipPath);
  assert.equal(result.bytes, zip.length);
  assert.equal(result.bytes, (await stat(zipPath)).size);

  const entries = readCentralDirectory(zip).filter((e) => !e.name.endsWith('/'));
  assert.deepEqual(entries.map((e) => e.name).sort(), [...files.keys()].sort());
  assert.ok(result.entries >= files.size && result.entries === readCentralDirectory(zip).length, `entries ${result.entries}`);
  for (const entry of entries) {
    const original = files.get(entry.name)!;
    assert.equal(entry.size, original.length, `${entry.name} size`);
    assert.ok(entryData(zip, entry).equals(original), `${entry.name} content`);
    // Videos are stored (method 0), text is deflated (method 8) and smaller.
    if (entry.name.endsWith('.mp4')) assert.equal(entry.method, 0, `${entry.name} stored`);
    if (entry.name.endsWith('.csv')) assert.ok(entry.method === 8 && entry.compressedSize < entry.size, `${entry.name} deflated`);
  }
  assert.deepEqual((await readdir(root)).filter((f) => f.includes('.partial')), [], 'no temporary file left');

  // Cross-check with Info-ZIP when the machine has it.
  let hasUnzip = true;
  try {
    execFileSync('which', ['unzip'], { stdio: 'ignore' });
  } catch {
    hasUnzip = false;
  }
  if (hasUnzip) {
    const listing = execFileSync('unzip', ['-l', zipPath], { encoding: 'utf8' });
    for (const [name, data] of files) {
      assert.match(listing, new RegExp(`^\\s*${data.length}\\s+\\S+\\s+\\S+\\s+${name.replaceAll('.', '\\.')}$`, 'm'), `unzip -l lists ${name} with ${data.length} bytes`);
    }
    execFileSync('unzip', ['-tq', zipPath]); // throws when any CRC is wrong
  }
});

test('failures reject with OutputError and leave no ZIP, partial or otherwise', async () => {
  const { dir } = await makeJobFolder('multi_stream_2024-01-15-14-31');
  await assert.rejects(zipDirectory(path.join(root, 'missing-folder'), path.join(root, 'x.zip')), (e: unknown) => e instanceof OutputError && e.message.includes('missing-folder'));
  await assert.rejects(zipDirectory(dir, path.join(dir, 'inside.zip')), (e: unknown) => e instanceof OutputError && e.message.includes('inside the folder'));

  const unwritable = path.join(root, 'no-such-dir', 'out.zip');
  await assert.rejects(zipDirectory(dir, unwritable), (e: unknown) => e instanceof OutputError && e.code === 'OUTPUT_FAILED' && e.message.includes(unwritable));
  assert.equal(existsSync(path.join(root, 'no-such-dir')), false);

  // An entry archiver cannot store (a named pipe) makes the archive incomplete: archiver only
  // warns, zipDirectory fails. The pipe sorts last, so part of the ZIP is written by then.
  execFileSync('mkfifo', [path.join(dir, 'camera_1', 'zz_pipe')]);
  const zipPath = zipName(dir);
  await rm(zipPath, { force: true });
  await assert.rejects(zipDirectory(dir, zipPath), (e: unknown) => e instanceof OutputError && e.message.includes(zipPath) && e.message.includes('zz_pipe'));
  assert.equal(existsSync(zipPath), false, 'no ZIP under the final name');
  assert.deepEqual((await readdir(root)).filter((f) => f.includes('.partial')), [], 'temporary file removed');
});
