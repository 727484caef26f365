/**
 * `executionProviders`: `['cuda', 'cpu']` runs on CUDA where onnxruntime-node's CUDA build
 * finds a GPU and falls back to the CPU with a warning elsewhere; `['cuda']` alone never falls
 * back. Which case applies is read from the installed package (the CUDA provider library is
 * there or not), so the test asserts the behaviour of this machine, whichever it is.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, it } from 'node:test';
import { PersonDetector } from '../../src/models/person-detector.js';
import { ReidEmbedder } from '../../src/models/reid-embedder.js';
import { knownExecutionProviders } from '../../src/models/session.js';
import { decodeImageFile } from '../../src/streams/image-file.js';
import { media } from '../helpers/shared.js';

const ortDir = path.dirname(createRequire(import.meta.url).resolve('onnxruntime-node/package.json'));
const cudaLibrary = path.join(ortDir, 'bin', 'napi-v6', process.platform, process.arch, 'libonnxruntime_providers_cuda.so');
const cudaInstalled = existsSync(cudaLibrary);

describe('execution providers', () => {
  it('knows the providers of this onnxruntime-node build', () => {
    const known = knownExecutionProviders();
    assert.equal(known[0], 'cpu');
    if (process.platform === 'linux' && process.arch === 'x64') assert.ok(known.includes('cuda'), known.join());
  });

  it("['cuda', 'cpu'] runs, on CUDA when it loads and on the CPU with a warning when it does not", async () => {
    const warnings: string[] = [];
    const detector = await PersonDetector.load({ executionProviders: ['cuda', 'cpu'], sessions: 2, onWarning: (m) => warnings.push(m) });
    const embedder = await ReidEmbedder.load({ executionProviders: ['cuda', 'cpu'], onWarning: (m) => warnings.push(m) });
    try {
      console.log(`CUDA provider library ${cudaInstalled ? 'present' : 'absent'} (${cudaLibrary}); running on ${detector.executionProviders.join(', ')}; warnings: ${warnings.join(' | ') || 'none'}`);
      if (cudaInstalled) {
        assert.deepEqual(detector.executionProviders, ['cuda', 'cpu']);
      } else {
        assert.deepEqual([detector.executionProviders, embedder.executionProviders], [['cpu'], ['cpu']]);
        // One warning per model, not one per session.
        assert.equal(warnings.length, 2);
        for (const w of warnings) assert.match(w, /execution providers \["cuda","cpu"\] are not available .*running on \["cpu"\]/);
      }
      const bus = await decodeImageFile(media('images/bus.jpg'));
      assert.ok((await detector.detect(bus)).length >= 3);
      assert.equal((await embedder.embedImage(bus)).length, 512);
    } finally {
      await detector.release();
      await embedder.release();
    }
  });

  it("['cuda'] alone fails with INVALID_OPTION where CUDA is not available; unknown names are refused before loading", async () => {
    if (!cudaInstalled) {
      await assert.rejects(PersonDetector.load({ executionProviders: ['cuda'], sessions: 1 }), (error: Error & { code?: string; culprit?: string }) => {
        assert.equal(error.code, 'INVALID_OPTION');
        assert.equal(error.culprit, 'executionProviders');
        assert.match(error.message, /\["cuda"\] are not available.*\['cuda', 'cpu'\]/s);
        return true;
      });
    }
    await assert.rejects(ReidEmbedder.load({ executionProviders: ['gpu'] }), { code: 'INVALID_OPTION', message: /"gpu" is not one this onnxruntime-node build knows \(cpu, / });
  });
});
