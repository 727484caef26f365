import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { getModelEntry, loadManifest, packageModelsDir, type ModelEntry } from '../../src/models/manifest.js';
import { ReidEmbedder } from '../../src/models/reid-embedder.js';
import { MODELS_ENV_VAR, resolveModel, type DownloadProgress } from '../../src/models/resolver.js';
import { openSession, singleInputOutput } from '../../src/models/session.js';
import { artifactsDir, modelFile } from '../helpers/shared.js';

const root = artifactsDir('resolver');
const savedEnv = process.env[MODELS_ENV_VAR];
afterEach(() => {
  if (savedEnv === undefined) delete process.env[MODELS_ENV_VAR];
  else process.env[MODELS_ENV_VAR] = savedEnv;
});
after(() => rmSync(root, { recursive: true, force: true }));

function folderWith(name: string, file: string): string {
  const dir = path.join(root, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, file), `copy in ${name}`);
  return dir;
}

describe('the manifest', () => {
  it('describes the shared model files exactly (SHA-256, size, shapes)', async () => {
    const manifest = loadManifest();
    assert.deepEqual(manifest.models.map((m) => m.id), ['yolox-nano', 'bytetrack-nano-mot17', 'osnet-x0.25-msmt17', 'osnet-x0.5-msmt17', 'reid-retail-0287']);
    for (const entry of manifest.models) {
      const bytes = readFileSync(modelFile(entry.file));
      assert.equal(createHash('sha256').update(bytes).digest('hex'), entry.sha256, `${entry.file} SHA-256`);
      assert.equal(bytes.length, entry.bytes);
      const session = await openSession(modelFile(entry.file), { intraOpNumThreads: 1 }, entry.task);
      const { input, output } = singleInputOutput(session, entry.file, entry.task);
      assert.deepEqual({ name: input.name, shape: input.shape }, { name: entry.input.name, shape: entry.input.shape });
      assert.deepEqual({ name: output.name, shape: output.shape }, { name: entry.output.name, shape: entry.output.shape });
      await session.release();
    }
  });

  it('ships no weights in the package models/ folder', () => {
    assert.deepEqual(readdirSync(packageModelsDir()).filter((f) => f.endsWith('.onnx')), []);
  });
});

describe('resolveModel search order', () => {
  const entry = getModelEntry('yolox-nano');
  const env = folderWith('env', entry.file);
  const pkg = folderWith('pkg', entry.file);
  const cache = folderWith('cache', entry.file);
  const explicit = path.join(folderWith('explicit', entry.file), entry.file);

  it('explicit path, then $MULTICAM_REID_MODELS, then the package folder, then the cache', async () => {
    process.env[MODELS_ENV_VAR] = env;
    const opts = { packageModelsDir: pkg, cacheDir: cache };
    assert.deepEqual(await resolveModel('yolox-nano', { ...opts, path: explicit }), { path: explicit, source: 'explicit', entry });
    assert.deepEqual(await resolveModel('yolox-nano', opts), { path: path.join(env, entry.file), source: 'env', entry });
    delete process.env[MODELS_ENV_VAR];
    assert.deepEqual(await resolveModel('yolox-nano', opts), { path: path.join(pkg, entry.file), source: 'package', entry });
    process.env[MODELS_ENV_VAR] = path.join(root, 'empty');
    assert.deepEqual(await resolveModel('yolox-nano', { ...opts, packageModelsDir: path.join(root, 'empty') }), { path: path.join(cache, entry.file), source: 'cache', entry });
  });

  it('a missing model lists every place looked and how to fix it', async () => {
    process.env[MODELS_ENV_VAR] = path.join(root, 'nowhere-env');
    const error = await resolveModel('yolox-nano', { packageModelsDir: path.join(root, 'nowhere-pkg'), cacheDir: path.join(root, 'nowhere-cache') }).catch((e: unknown) => e);
    assert.ok(error instanceof Error && 'code' in error && error.code === 'MODEL_NOT_FOUND', String(error));
    console.log(error.message);
    for (const looked of ['nowhere-env', 'nowhere-pkg', 'nowhere-cache', 'allowDownload: true', MODELS_ENV_VAR, entry.url!]) assert.ok(error.message.includes(looked), `message lacks ${looked}`);
  });

  it('an explicit path that does not exist is an error, not a fall-back', async () => {
    process.env[MODELS_ENV_VAR] = env;
    await assert.rejects(resolveModel('yolox-nano', { path: path.join(root, 'missing.onnx') }), { code: 'MODEL_NOT_FOUND', message: /missing\.onnx/ });
  });
});

describe('resolveModel download', () => {
  const served = readFileSync(modelFile('osnet_x0_25_msmt17.onnx'));
  let server: Server;
  let base = '';
  const requests: string[] = [];

  before(async () => {
    server = createServer((req, res) => {
      requests.push(req.url ?? '');
      if (req.url === '/osnet.onnx') {
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': served.length });
        // Several writes, so progress arrives in several events.
        for (let offset = 0; offset < served.length; offset += 100_000) res.write(served.subarray(offset, offset + 100_000));
        res.end();
      } else {
        res.writeHead(404).end('not here');
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const entryAt = (url: string, sha256?: string): ModelEntry => ({ ...getModelEntry('osnet-x0.25-msmt17'), url, ...(sha256 ? { sha256 } : {}) });
  const empty = () => ({ packageModelsDir: path.join(root, 'no-pkg') });

  it('is off unless allowed', async () => {
    delete process.env[MODELS_ENV_VAR];
    const cacheDir = path.join(root, 'dl-off');
    await assert.rejects(resolveModel(entryAt(`${base}/osnet.onnx`), { ...empty(), cacheDir }), { code: 'MODEL_NOT_FOUND' });
    assert.equal(requests.length, 0);
  });

  it('downloads into the cache with progress events, verifies SHA-256, and the model loads', async () => {
    delete process.env[MODELS_ENV_VAR];
    const cacheDir = path.join(root, 'dl-ok');
    const progress: DownloadProgress[] = [];
    const resolved = await resolveModel(entryAt(`${base}/osnet.onnx`), { ...empty(), cacheDir, allowDownload: true, onProgress: (p) => progress.push(p) });
    assert.equal(resolved.source, 'download');
    assert.equal(resolved.path, path.join(cacheDir, 'osnet_x0_25_msmt17.onnx'));
    assert.deepEqual(readFileSync(resolved.path), served);
    assert.ok(progress.length >= 3, `${progress.length} progress events`);
    assert.equal(progress[0]!.receivedBytes, 0);
    assert.equal(progress.at(-1)!.receivedBytes, served.length);
    assert.ok(progress.every((p, i) => p.totalBytes === served.length && (i === 0 || p.receivedBytes >= progress[i - 1]!.receivedBytes)));
    assert.deepEqual(readdirSync(cacheDir), ['osnet_x0_25_msmt17.onnx'], 'no partial file left behind');
    const embedder = await ReidEmbedder.load({ modelPath: resolved.path, modelId: 'osnet-x0.25-msmt17', intraOpNumThreads: 1 });
    await embedder.release();
    // Found in the cache next time, without a request.
    const count = requests.length;
    assert.equal((await resolveModel(entryAt(`${base}/osnet.onnx`), { ...empty(), cacheDir, allowDownload: true })).source, 'cache');
    assert.equal(requests.length, count);
  });

  it('discards a download whose SHA-256 does not match', async () => {
    delete process.env[MODELS_ENV_VAR];
    const cacheDir = path.join(root, 'dl-bad-hash');
    await assert.rejects(resolveModel(entryAt(`${base}/osnet.onnx`, '0'.repeat(64)), { ...empty(), cacheDir, allowDownload: true }), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'CHECKSUM_MISMATCH');
      assert.match(error.message, new RegExp(`expects ${'0'.repeat(64)}`));
      return true;
    });
    assert.deepEqual(readdirSync(cacheDir), [], 'nothing kept');
  });

  it('reports an HTTP error as DOWNLOAD_FAILED', async () => {
    delete process.env[MODELS_ENV_VAR];
    const cacheDir = path.join(root, 'dl-404');
    await assert.rejects(resolveModel(entryAt(`${base}/missing.onnx`), { ...empty(), cacheDir, allowDownload: true }), { code: 'DOWNLOAD_FAILED', message: /HTTP 404/ });
    assert.equal(existsSync(path.join(cacheDir, 'osnet_x0_25_msmt17.onnx')), false);
  });
});
