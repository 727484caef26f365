import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError } from '../../src/errors.js';
import { linesForCamera, loadZonesFile, parseZones, zonesForCamera } from '../../src/zones/parse.js';
import { ZoneMonitor } from '../../src/zones/monitor.js';
import { artifactsDir, repoRoot } from '../helpers/shared.js';

const box = [[0, 0], [100, 0], [100, 50], [0, 50]];

/** Asserts a ConfigError INVALID_ZONE whose message contains every fragment. */
function rejects(input: unknown, fragments: string[], options?: Parameters<typeof parseZones>[1]): void {
  assert.throws(() => parseZones(input, options), (error: unknown) => {
    assert.ok(error instanceof ConfigError, `expected ConfigError, got ${String(error)}`);
    assert.equal(error.code, 'INVALID_ZONE');
    for (const fragment of fragments) assert.ok(error.message.includes(fragment), `message ${JSON.stringify(error.message)} lacks ${JSON.stringify(fragment)}`);
    return true;
  });
}

test('a plain list applies to every camera; per-camera entries override it', () => {
  const all = parseZones([{ name: 'door', polygon: box }]);
  assert.equal(zonesForCamera(all, 0)[0]!.name, 'door');
  assert.equal(zonesForCamera(all, 7)[0]!.coordinates, 'pixels', 'coordinates default to pixels');

  const mixed = parseZones({ all: [{ name: 'door', polygon: box }], camera_1: [{ name: 'till', polygon: box }], 2: [] });
  assert.deepEqual(zonesForCamera(mixed, 0).map((z) => z.name), ['door']);
  assert.deepEqual(zonesForCamera(mixed, 1).map((z) => z.name), ['till']);
  assert.deepEqual(zonesForCamera(mixed, 2), [], 'an empty list means no zones on that camera');

  const listOfLists = parseZones({ zones: [[{ name: 'a', polygon: box }], [{ name: 'b', polygon: box }]] });
  assert.deepEqual([0, 1].map((i) => zonesForCamera(listOfLists, i)[0]!.name), ['a', 'b']);
  assert.deepEqual(parseZones(undefined), { allCameras: [], cameras: {}, lines: { allCameras: [], cameras: {} } });
});

test('a closing point equal to the first is accepted and dropped', () => {
  const zones = parseZones([{ name: 'ring', polygon: [...box, [0, 0]], color: '#ff0000' }]);
  assert.equal(zones.allCameras[0]!.polygon.length, 4);
  assert.equal(zones.allCameras[0]!.color, '#ff0000');
});

test('each kind of bad zone is a ConfigError naming camera, zone and field', () => {
  rejects({ 1: [{ name: 'door', polygon: [[0, 0], [1, 1]] }] }, ['camera 1', 'zone "door"', 'polygon', 'at least 3']);
  // Repeated points do not count as distinct.
  rejects([{ name: 'door', polygon: [[0, 0], [1, 0], [1, 0], [0, 0]] }], ['all cameras', '"door"', 'polygon', 'at least 3 distinct points (got 2)']);
  rejects({ 0: [{ name: 'door', polygon: [[0, 0], [10, Number.POSITIVE_INFINITY], [10, 10]] }] }, ['camera 0', '"door"', 'polygon[1][1]', 'finite number', 'Infinity']);
  rejects({ 0: [{ name: 'door', polygon: [[0, 0], [Number.NaN, 0], [10, 10]] }] }, ['polygon[1][0]', 'finite number']);
  rejects({ 0: [{ name: 'door', polygon: [[0, 0], ['1', 0], [10, 10]] }] }, ['polygon[1][0]', 'finite number']);
  rejects([{ name: 'aisle', coordinates: 'normalized', polygon: [[0, 0], [1.2, 0], [1, 1]] }], ['"aisle"', 'polygon[1][0]', 'is 1.2', '[0, 1]']);
  rejects([{ name: 'aisle', coordinates: 'normalized', polygon: [[0, 0], [1, -0.1], [1, 1]] }], ['polygon[1][1]', '[0, 1]']);
  rejects({ camera_2: [{ name: 'door', polygon: box }, { name: 'door', polygon: box }] }, ['camera 2', '"door"', 'name', 'twice']);
  rejects([{ name: 'bowtie', polygon: [[0, 0], [4, 4], [4, 0], [0, 4]] }], ['"bowtie"', 'polygon', 'self-intersecting']);
  rejects([{ name: 'line', polygon: [[0, 0], [1, 1], [2, 2]] }], ['"line"', 'polygon', 'zero area']);
  rejects([{ name: 'flat', coordinates: 'normalized', polygon: [[0.1, 0.1], [0.2, 0.2], [0.3, 0.3], [0.7, 0.7]] }], ['"flat"', 'zero area']);
  rejects([{ polygon: box }], ['zone #0', 'name', 'missing']);
  rejects([{ name: '  ', polygon: box }], ['name', 'empty']);
  rejects([{ name: 'a;b', polygon: box }], ['name', '";"']);
  rejects([{ name: 'door', polygon: box, coordinates: 'percent' }], ['"door"', 'coordinates', 'pixels']);
  rejects([{ name: 'door', points: box }], ['"door"', 'polygon', 'missing']);
  rejects([{ name: 'door', polygon: box, colour: 'red' }], ['"door"', 'unknown field "colour"']);
  rejects([{ name: 'door', polygon: [[0, 0, 1], [1, 0], [1, 1]] }], ['polygon[0]', '[x, y]']);
  rejects({ cam1: [{ name: 'door', polygon: box }] }, ['"cam1"', 'camera_0']);
  rejects({ 0: [{ name: 'door', polygon: box }], camera_0: [] }, ['camera 0', 'twice']);
  rejects({ 0: { name: 'door', polygon: box } }, ['camera 0', 'must be a list']);
  rejects({ 3: [{ name: 'door', polygon: box }] }, ['camera 3', '2 camera'], { cameraCount: 2 });
  rejects('door', ['must be a list']);
});

test('counting lines sit beside zones in the same list, per camera like zones', () => {
  const parsed = parseZones({
    all: [{ name: 'door', polygon: box }, { name: 'gate', line: [[10, 20], [30, 40]] }],
    1: [{ name: 'till', polygon: box }],
    2: [{ name: 'aisle', coordinates: 'normalized', line: [[0.1, 0.5], [0.9, 0.5]], margin: 8, anchor: 'center', color: '#ff0000' }],
  });
  assert.deepEqual(zonesForCamera(parsed, 0).map((z) => z.name), ['door']);
  assert.deepEqual(linesForCamera(parsed, 0), [{ name: 'gate', line: [[10, 20], [30, 40]], coordinates: 'pixels' }]);
  assert.deepEqual(linesForCamera(parsed, 1), [], 'a camera with its own list has only its own lines');
  assert.deepEqual(zonesForCamera(parsed, 2), []);
  assert.deepEqual(linesForCamera(parsed, 2), [{ name: 'aisle', line: [[0.1, 0.5], [0.9, 0.5]], coordinates: 'normalized', margin: 8, anchor: 'center', color: '#ff0000' }]);
  assert.deepEqual(linesForCamera({ allCameras: [], cameras: {} }, 0), [], 'zones built by hand have no lines');
  const listOfLists = parseZones([[{ name: 'a', line: [[0, 0], [5, 5]] }], []]);
  assert.deepEqual([0, 1].map((i) => linesForCamera(listOfLists, i).length), [1, 0]);
  // A parsed line drives a monitor.
  const monitor = new ZoneMonitor(zonesForCamera(parsed, 2), { frameWidth: 640, frameHeight: 360, lines: linesForCamera(parsed, 2) });
  assert.deepEqual(monitor.lineNames, ['aisle']);
});

test('each kind of bad line is a ConfigError naming camera, line and field', () => {
  const seg = [[0, 0], [10, 10]];
  rejects({ 0: [{ name: 'gate', line: [[5, 5], [5, 5]] }] }, ['invalid line', 'camera 0', 'line "gate"', 'two identical points [5, 5]', 'distinct']);
  rejects({ 1: [{ name: 'gate', polygon: box }, { name: 'gate', line: seg }] }, ['camera 1', 'line "gate"', 'twice', 'already the name of a zone']);
  rejects([{ name: 'gate', line: seg }, { name: 'gate', line: seg }], ['all cameras', 'line "gate"', 'twice']);
  rejects([{ name: 'gate', line: seg, polygon: box }], ['"gate"', 'both polygon and line']);
  rejects([{ name: 'gate', line: [[0, 0], [1, 1], [2, 2]] }], ['line "gate"', 'line', 'two [x, y] points']);
  rejects([{ name: 'gate', line: [[0, 0]] }], ['line "gate"', 'two [x, y] points']);
  rejects([{ name: 'gate', line: [[0, 0], [1, Number.NaN]] }], ['line "gate"', 'line[1][1]', 'finite number']);
  rejects([{ name: 'gate', coordinates: 'normalized', line: [[0, 0], [1.5, 1]] }], ['line "gate"', 'line[1][0]', 'is 1.5', '[0, 1]']);
  rejects([{ name: 'gate', line: seg, margin: -2 }], ['line "gate"', 'margin', 'positive']);
  rejects([{ name: 'gate', line: seg, margin: '5' }], ['line "gate"', 'margin', 'positive']);
  rejects([{ name: 'gate', line: seg, anchor: 'feet' }], ['line "gate"', 'anchor', '"bottom-center"']);
  rejects([{ name: 'gate', line: seg, direction: 'in' }], ['line "gate"', 'unknown field "direction"', 'margin']);
  rejects([{ line: seg }], ['line #0', 'name', 'missing']);
  rejects([{ name: 'a;b', line: seg }], ['line "a;b"', '";"']);
});

test('loadZonesFile reads the sample YAML, JSON, and names a missing or broken file', async () => {
  const sample = loadZonesFile(path.join(repoRoot, 'configs', 'zones.sample.yaml'), { cameraCount: 2 });
  for (const camera of [0, 1]) {
    const zones = zonesForCamera(sample, camera);
    assert.ok(zones.length >= 1 && zones.every((z) => z.coordinates === 'normalized'));
    // Every sample zone is usable on the 640×360 clips.
    assert.equal(new ZoneMonitor(zones, { frameWidth: 640, frameHeight: 360 }).zoneNames.length, zones.length);
  }

  const dir = artifactsDir('zones-parse');
  await mkdir(dir, { recursive: true });
  const json = path.join(dir, 'zones.json');
  await writeFile(json, JSON.stringify({ 0: [{ name: 'door', polygon: box }] }));
  assert.equal(zonesForCamera(loadZonesFile(json), 0)[0]!.name, 'door');

  const missing = path.join(dir, 'nope.yaml');
  assert.throws(() => loadZonesFile(missing), (error: unknown) => error instanceof ConfigError && error.code === 'INVALID_ZONE' && error.message.includes(missing) && /not found/.test(error.message));

  const broken = path.join(dir, 'broken.yaml');
  await writeFile(broken, '0:\n  - name: door\n    polygon: [[0, 0], [1, 0]\n');
  assert.throws(() => loadZonesFile(broken), (error: unknown) => error instanceof ConfigError && error.message.includes(broken) && error.message.includes('YAML'));

  const bad = path.join(dir, 'bad.yaml');
  await writeFile(bad, '1:\n  - name: door\n    polygon: [[0, 0], [1, 0]]\n');
  assert.throws(() => loadZonesFile(bad), (error: unknown) => error instanceof ConfigError && error.message.includes(bad) && error.message.includes('camera 1'));
});
