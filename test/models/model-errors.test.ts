import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { ModelError } from '../../src/errors.js';
import { PersonDetector } from '../../src/models/person-detector.js';
import { ReidEmbedder } from '../../src/models/reid-embedder.js';
import { artifactsDir, modelFile } from '../helpers/shared.js';

const dir = artifactsDir('model-errors');
mkdirSync(dir, { recursive: true });
after(() => rmSync(dir, { recursive: true, force: true }));

describe('clear errors for bad model files', () => {
  it('a missing explicit path is MODEL_NOT_FOUND naming the path', async () => {
    const missing = path.join(dir, 'nope.onnx');
    await assert.rejects(PersonDetector.load({ modelPath: missing }), (error: unknown) => {
      assert.ok(error instanceof ModelError);
      assert.equal(error.code, 'MODEL_NOT_FOUND');
      assert.match(error.message, /nope\.onnx/);
      return true;
    });
    await assert.rejects(ReidEmbedder.load({ modelPath: missing }), { code: 'MODEL_NOT_FOUND' });
  });

  it('the ReID model given as the detector is MODEL_MISMATCH, and vice versa', async () => {
    await assert.rejects(PersonDetector.load({ modelPath: modelFile('osnet_x0_25_msmt17.onnx') }), (error: unknown) => {
      assert.ok(error instanceof ModelError);
      assert.equal(error.code, 'MODEL_MISMATCH');
      assert.match(error.message, /\[batch, 512\].*ReID embedder/);
      console.log(error.message);
      return true;
    });
    await assert.rejects(ReidEmbedder.load({ modelPath: modelFile('yolox_nano.onnx') }), { code: 'MODEL_MISMATCH', message: /looks like a detector/ });
    // Naming the wrong manifest id is caught before any file is read.
    await assert.rejects(PersonDetector.load({ modelId: 'osnet-x0.25-msmt17' }), { code: 'MODEL_MISMATCH', message: /not a detector/ });
  });

  it('a file that does not match its manifest entry is MODEL_MISMATCH', async () => {
    await assert.rejects(PersonDetector.load({ modelId: 'yolox-nano', modelPath: modelFile('osnet_x0_25_msmt17.onnx') }), {
      code: 'MODEL_MISMATCH',
      message: /does not match the manifest entry "yolox-nano"/,
    });
  });

  it('a corrupt file is MODEL_CORRUPT', async () => {
    const corrupt = path.join(dir, 'corrupt.onnx');
    writeFileSync(corrupt, 'this is not a protobuf model\n'.repeat(100));
    await assert.rejects(PersonDetector.load({ modelPath: corrupt }), { code: 'MODEL_CORRUPT', message: /corrupt\.onnx is not a loadable ONNX model/ });
    await assert.rejects(ReidEmbedder.load({ modelPath: corrupt }), { code: 'MODEL_CORRUPT' });
  });

  it('an unknown model id lists the known ones', async () => {
    await assert.rejects(PersonDetector.load({ modelId: 'yolo-giant' }), (error: unknown) => {
      assert.ok(error instanceof ModelError);
      assert.equal(error.code, 'MODEL_NOT_FOUND');
      for (const id of ['yolox-nano', 'bytetrack-nano-mot17', 'osnet-x0.25-msmt17', 'osnet-x0.5-msmt17', 'reid-retail-0287']) assert.ok(error.message.includes(`"${id}"`), `${id} missing from: ${error.message}`);
      return true;
    });
    await assert.rejects(ReidEmbedder.load({ modelId: 'osnet-giant' }), { code: 'MODEL_NOT_FOUND', message: /unknown model id "osnet-giant".*"reid-retail-0287"/ });
  });

  it('an unavailable execution provider is INVALID_OPTION', async () => {
    await assert.rejects(PersonDetector.load({ executionProviders: ['no-such-provider'] }), { code: 'INVALID_OPTION', culprit: 'executionProviders' });
  });
});
