/**
 * `multicam-reid models` and `models pull` as a user runs them: the CLI in a child process,
 * downloads from a real HTTP server on loopback serving the shared model files, pointed at by
 * a manifest file of the test's own.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { getModelEntry } from '../../src/models/manifest.js';
import { artifactsDir, modelFile, modelsDir, repoRoot } from '../helpers/shared.js';

const cli = path.join(repoRoot, 'src', 'cli', 'main.ts');
const root = artifactsDir('models-command');
rmSync(root, { recursive: true, force: true });
mkdirSync(root, { recursive: true });
after(() => rmSync(root, { recursive: true, force: true }));

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI without blocking this process (the HTTP server lives here). */
function runCli(args: string[], env: Record<string, string | undefined> = {}, viaTerminal = false): Promise<Run> {
  const baseEnv = { ...process.env, MULTICAM_REID_MODELS: undefined, ...env };
  const argv = [process.execPath, '--import', 'tsx', cli, ...args];
  // `script` gives the child a pseudo-terminal, where the progress bars are drawn.
  const [command, commandArgs] = viaTerminal ? ['script', ['-qec', argv.map((a) => `'${a}'`).join(' '), '/dev/null']] : [argv[0]!, argv.slice(1)];
  return new Promise((resolve, reject) => {
    const child = spawn(command as string, commandArgs as string[], { cwd: repoRoot, env: baseEnv });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

describe('multicam-reid models', () => {
  let server: Server;
  let base = '';
  const requests: string[] = [];
  const manifest = path.join(root, 'loopback-manifest.json');

  before(async () => {
    server = createServer((req, res) => {
      requests.push(req.url ?? '');
      const name = decodeURIComponent((req.url ?? '').slice(1));
      if (!/^[\w.-]+\.onnx$/.test(name) || !existsSync(path.join(modelsDir(), name))) {
        res.writeHead(404).end('not here');
        return;
      }
      const bytes = readFileSync(modelFile(name));
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': bytes.length });
      // Small chunks with pauses, so the progress bar has something to show.
      let offset = 0;
      const next = () => {
        if (offset >= bytes.length) return void res.end();
        res.write(bytes.subarray(offset, offset + 256 * 1024));
        offset += 256 * 1024;
        setTimeout(next, 5);
      };
      next();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const at = (id: string, file: string, extra: object = {}) => ({ ...getModelEntry(id), url: `${base}/${file}`, ...extra });
    writeFileSync(
      manifest,
      JSON.stringify({
        version: 1,
        models: [
          at('osnet-x0.25-msmt17', 'osnet_x0_25_msmt17.onnx'),
          at('reid-retail-0287', 'person-reidentification-retail-0287.onnx'),
          // Served bytes that are not the file the entry's SHA-256 describes.
          { ...at('osnet-x0.5-msmt17', 'osnet_x0_25_msmt17.onnx'), id: 'tampered-osnet' },
        ],
      }),
    );
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('lists every model with kind, input, size, licence and where its file is', async () => {
    const cacheDir = path.join(root, 'empty-cache');
    const missing = await runCli(['models', 'list', '--cache-dir', cacheDir]);
    assert.equal(missing.status, 0, missing.stderr);
    console.log(missing.stdout);
    for (const line of ['yolox-nano +detector +images \\[1,3,416,416\\] NCHW +3\\.7 MB +Apache-2\\.0 +missing — run: multicam-reid models pull yolox-nano', 'reid-retail-0287 +embedder +inputs:0 \\[1,256,128,3\\] NHWC +2\\.5 MB +Apache-2\\.0 +missing']) {
      assert.match(missing.stdout, new RegExp(line));
    }
    assert.match(missing.stdout, /searched, in order: MULTICAM_REID_MODELS, package models folder, user cache/);
    const found = await runCli(['models', '--json'], { MULTICAM_REID_MODELS: modelsDir() });
    assert.equal(found.status, 0, found.stderr);
    const rows = JSON.parse(found.stdout) as Array<{ id: string; found: { source: string; path: string } | null }>;
    assert.deepEqual(rows.map((r) => r.id), ['yolox-nano', 'bytetrack-nano-mot17', 'osnet-x0.25-msmt17', 'osnet-x0.5-msmt17', 'reid-retail-0287']);
    for (const r of rows) assert.equal(r.found?.source, 'env', r.id);
    assert.equal(rows[1]!.found!.path, modelFile('bytetrack_nano_mot17.onnx'));
  });

  it('pulls models into the cache with a progress bar, verifying SHA-256; a second pull downloads nothing', async () => {
    const cacheDir = path.join(root, 'cache');
    const pulled = await runCli(['models', 'pull', 'osnet-x0.25-msmt17', 'reid-retail-0287', '--manifest', manifest, '--cache-dir', cacheDir], {}, true);
    assert.equal(pulled.status, 0, pulled.stdout + pulled.stderr);
    // Through the pseudo-terminal stdout and stderr arrive together: bars, then the summary.
    assert.match(pulled.stdout, /reid-retail-0287 \|[█░]+\| 100% \| 2\.5 MB of 2\.5 MB/);
    assert.match(pulled.stdout, /osnet-x0\.25-msmt17: downloaded 0\.9 MB, SHA-256 verified: .*cache\/osnet_x0_25_msmt17\.onnx/);
    assert.deepEqual(readdirSync(cacheDir).sort(), ['osnet_x0_25_msmt17.onnx', 'person-reidentification-retail-0287.onnx']);
    for (const id of ['osnet-x0.25-msmt17', 'reid-retail-0287']) {
      const entry = getModelEntry(id);
      assert.equal(sha256(path.join(cacheDir, entry.file)), entry.sha256);
    }
    const count = requests.length;
    const again = await runCli(['models', 'pull', 'reid-retail-0287', '--manifest', manifest, '--cache-dir', cacheDir]);
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout, /reid-retail-0287: already in the cache, SHA-256 verified/);
    assert.equal(requests.length, count, 'nothing downloaded again');
    const listed = await runCli(['models', 'list', '--manifest', manifest, '--cache-dir', cacheDir]);
    assert.match(listed.stdout, /reid-retail-0287 .* cache: .*person-reidentification-retail-0287\.onnx/);
    assert.match(listed.stdout, /tampered-osnet .* missing/);
  });

  it('a checksum mismatch is a typed error, exits 1 and leaves no file behind', async () => {
    const cacheDir = path.join(root, 'bad-cache');
    const result = await runCli(['models', 'pull', 'tampered-osnet', '--manifest', manifest, '--cache-dir', cacheDir]);
    assert.equal(result.status, 1, result.stdout + result.stderr);
    assert.match(result.stderr, /tampered-osnet: fetching http:\/\/127\.0\.0\.1:\d+\/osnet_x0_25_msmt17\.onnx/);
    assert.match(result.stderr, new RegExp(`has SHA-256 ${getModelEntry('osnet-x0.25-msmt17').sha256}, but the manifest expects ${getModelEntry('osnet-x0.5-msmt17').sha256}\\. The file was discarded`));
    assert.deepEqual(existsSync(cacheDir) ? readdirSync(cacheDir) : [], []);
  });

  it('an unknown id exits 2 listing the known ids, before downloading anything', async () => {
    const count = requests.length;
    const result = await runCli(['models', 'pull', 'reid-retail-0287', 'osnet-giant', '--manifest', manifest, '--cache-dir', path.join(root, 'unused')]);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /unknown model id "osnet-giant"; the manifest lists "yolox-nano", .*"tampered-osnet"/);
    assert.equal(requests.length, count);
    assert.equal(existsSync(path.join(root, 'unused')), false);
  });
});
