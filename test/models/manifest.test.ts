import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { ModelError } from '../../src/errors.js';
import { getModelEntry, loadManifest, manifestWith, parseModelEntry, type ModelEntryInput } from '../../src/models/manifest.js';
import { PersonDetector } from '../../src/models/person-detector.js';
import { ReidEmbedder } from '../../src/models/reid-embedder.js';
import { decodeImageFile } from '../../src/streams/image-file.js';
import { artifactsDir, media, modelFile } from '../helpers/shared.js';

const dir = artifactsDir('manifest');
mkdirSync(dir, { recursive: true });
after(() => rmSync(dir, { recursive: true, force: true }));

/** A copy of a shipped entry, as plain JSON a user would write. */
function entryLike(id: string): Record<string, unknown> {
  return JSON.parse(JSON.stringify(getModelEntry(id))) as Record<string, unknown>;
}

function without(entry: Record<string, unknown>, dotted: string): Record<string, unknown> {
  const copy = JSON.parse(JSON.stringify(entry)) as Record<string, unknown>;
  const keys = dotted.split('.');
  let target = copy;
  for (const k of keys.slice(0, -1)) target = target[k] as Record<string, unknown>;
  delete target[keys.at(-1)!];
  return copy;
}

function expectEntryError(fn: () => unknown, field: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof ModelError, String(error));
    assert.equal(error.code, 'INVALID_MODEL_ENTRY');
    assert.match(error.message, field);
    return true;
  });
}

describe('manifest entries', () => {
  it('the shipped entries describe the pre-processing of every model (MODELS.md)', () => {
    const byId = new Map(loadManifest().models.map((m) => [m.id, m]));
    const imagenet = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };
    const pedestrian = byId.get('bytetrack-nano-mot17')!;
    assert.deepEqual(pedestrian.preprocess, { channelOrder: 'rgb', scale: 1 / 255, ...imagenet, letterbox: 'top-left', padValue: 114 });
    assert.deepEqual([pedestrian.input.shape, pedestrian.classes, pedestrian.personClass, pedestrian.defaults?.nmsThreshold], [[1, 3, 608, 1088], 1, 0, 0.7]);
    const yolox = byId.get('yolox-nano')!;
    assert.deepEqual(yolox.preprocess, { channelOrder: 'bgr', scale: 1, mean: [0, 0, 0], std: [1, 1, 1], letterbox: 'top-left', padValue: 114 });
    for (const id of ['osnet-x0.25-msmt17', 'osnet-x0.5-msmt17']) assert.deepEqual(byId.get(id)!.preprocess, { channelOrder: 'rgb', scale: 1 / 255, ...imagenet, letterbox: 'none', padValue: 0 });
    assert.deepEqual([byId.get('osnet-x0.5-msmt17')!.input.name, byId.get('osnet-x0.5-msmt17')!.output.name], ['input', 'output']);
    const retail = byId.get('reid-retail-0287')!;
    assert.deepEqual(retail.input, { name: 'inputs:0', shape: [1, 256, 128, 3], layout: 'NHWC' });
    assert.deepEqual(retail.preprocess, { channelOrder: 'bgr', scale: 1, mean: [0, 0, 0], std: [1, 1, 1], letterbox: 'none', padValue: 0 });
    // Rectangular input by default for both: the whole-pipeline eval on TUD scores within 0.01 of fixed input (docs/models.md).
    for (const id of ['yolox-nano', 'bytetrack-nano-mot17']) assert.deepEqual([byId.get(id)!.rectangularInput, byId.get(id)!.inputShape], [true, 'rectangular']);
  });

  it('an entry missing a pre-processing field is INVALID_MODEL_ENTRY naming the field', () => {
    const base = entryLike('bytetrack-nano-mot17');
    for (const field of ['preprocess.channelOrder', 'preprocess.scale', 'preprocess.mean', 'preprocess.std', 'preprocess.letterbox', 'preprocess.padValue', 'input.layout', 'classes', 'personClass', 'format']) {
      expectEntryError(() => parseModelEntry(without(base, field), 'test'), new RegExp(`"bytetrack-nano-mot17" in test is missing ${field.replace('.', '\\.')}|${field.replace('.', '\\.')}`));
    }
    const error = (() => {
      try {
        parseModelEntry(without(base, 'preprocess.mean'), 'my-manifest.json');
      } catch (e) {
        return e as ModelError;
      }
      return undefined;
    })();
    console.log(error?.message);
    assert.equal(error?.culprit, 'preprocess.mean');
    assert.match(error!.message, /per-channel mean/, 'the message says what the field holds');
  });

  it('rejects contradictory or misspelt fields', () => {
    const detector = entryLike('yolox-nano');
    expectEntryError(() => parseModelEntry({ ...detector, preprocess: { ...(detector.preprocess as object), chanelOrder: 'rgb' } }, 'test'), /Unrecognized key|chanelOrder/);
    expectEntryError(() => parseModelEntry({ ...detector, input: { ...(detector.input as object), layout: 'CHW' } }, 'test'), /input\.layout/);
    expectEntryError(() => parseModelEntry({ ...detector, personClass: 80 }, 'test'), /personClass: must be below classes/);
    expectEntryError(() => parseModelEntry({ ...detector, rectangularInput: false, inputShape: 'rectangular' }, 'test'), /inputShape/);
    const embedder = entryLike('osnet-x0.25-msmt17');
    expectEntryError(() => parseModelEntry({ ...embedder, classes: 1 }, 'test'), /classes: applies to detectors only/);
    expectEntryError(() => parseModelEntry({ ...embedder, format: 'yolox' }, 'test'), /format/);
  });

  it('a manifest file with a bad entry names the file, the entry and the field; a manifest of your own adds entries', () => {
    const bad = path.join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ version: 1, models: [without(entryLike('osnet-x0.5-msmt17'), 'preprocess.std')] }));
    expectEntryError(() => loadManifest(bad), /"osnet-x0\.5-msmt17" in .*bad\.json is missing preprocess\.std/);
    const mine = path.join(dir, 'mine.json');
    writeFileSync(mine, JSON.stringify({ version: 1, models: [{ ...entryLike('yolox-nano'), id: 'my-detector' }] }));
    const merged = manifestWith(mine);
    assert.deepEqual(merged.models.map((m) => m.id).slice(-2), ['reid-retail-0287', 'my-detector']);
    assert.equal(getModelEntry('my-detector', merged).file, 'yolox_nano.onnx');
  });
});

describe('models given by an entry, not code', () => {
  it('an inline detector entry loads and detects like the manifest id', async () => {
    const modelEntry = { ...entryLike('bytetrack-nano-mot17'), id: 'my-pedestrian-detector' } as ModelEntryInput;
    const bus = await decodeImageFile(media('images/bus.jpg'));
    const [inline, byId] = await Promise.all([PersonDetector.load({ modelEntry, sessions: 1 }), PersonDetector.load({ modelId: 'bytetrack-nano-mot17', sessions: 1 })]);
    try {
      assert.equal(inline.modelId, 'my-pedestrian-detector');
      assert.equal(inline.modelPath, modelFile('bytetrack_nano_mot17.onnx'));
      assert.deepEqual(await inline.detect(bus), await byId.detect(bus));
    } finally {
      await Promise.all([inline.release(), byId.release()]);
    }
  });

  it('a manifest file of your own is searched by modelId', async () => {
    const mine = path.join(dir, 'reid.json');
    writeFileSync(mine, JSON.stringify({ version: 1, models: [{ ...entryLike('reid-retail-0287'), id: 'my-reid' }] }));
    const embedder = await ReidEmbedder.load({ modelId: 'my-reid', manifest: mine });
    try {
      assert.equal(embedder.dimension, 256);
    } finally {
      await embedder.release();
    }
  });

  it('an entry whose shapes contradict the file is MODEL_MISMATCH', async () => {
    const wrongSize = { ...entryLike('bytetrack-nano-mot17'), id: 'wrong', input: { name: 'images', shape: [1, 3, 416, 416], layout: 'NCHW' } } as ModelEntryInput;
    await assert.rejects(PersonDetector.load({ modelEntry: wrongSize, sessions: 1 }), { code: 'MODEL_MISMATCH', message: /does not match the manifest entry "wrong".*\[1, 3, 608, 1088\].*\[1, 3, 416, 416\]/ });
    const wrongClasses = { ...entryLike('bytetrack-nano-mot17'), id: 'wrong-classes', classes: 80, output: { name: 'output', shape: [1, 13566, 'values'] } } as ModelEntryInput;
    await assert.rejects(PersonDetector.load({ modelEntry: wrongClasses, sessions: 1 }), { code: 'MODEL_MISMATCH', message: /scores 1 classes .* says classes: 80/ });
    const wrongName = { ...entryLike('osnet-x0.5-msmt17'), id: 'wrong-name', input: { name: 'images', shape: ['batch', 3, 256, 128], layout: 'NCHW' } } as ModelEntryInput;
    await assert.rejects(ReidEmbedder.load({ modelEntry: wrongName }), { code: 'MODEL_MISMATCH', message: /"input" \[batch, 3, 256, 128\].*declares input "images"/ });
    const wrongLayout = { ...entryLike('reid-retail-0287'), id: 'wrong-layout', input: { name: 'inputs:0', shape: [1, 3, 256, 128], layout: 'NCHW' } } as ModelEntryInput;
    await assert.rejects(ReidEmbedder.load({ modelEntry: wrongLayout }), { code: 'MODEL_MISMATCH' });
    // A detector entry given to the embedder is caught before any file is read.
    await assert.rejects(ReidEmbedder.load({ modelEntry: entryLike('yolox-nano') as ModelEntryInput }), { code: 'MODEL_MISMATCH', message: /is a detector, not an embedder/ });
    await assert.rejects(PersonDetector.load({ modelId: 'yolox-nano', modelEntry: entryLike('yolox-nano') as ModelEntryInput }), { code: 'INVALID_OPTION', culprit: 'modelEntry' });
  });
});
