/**
 * The main job end to end on the two real store clips, with zones: outputs with the seed's
 * names, playable H.264 videos, CSV rows that agree with the events, zone reports that agree
 * with the CSV, and global ids shared across the two cameras.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { DetectionTrackingPipeline } from '../../src/pipeline/pipeline.js';
import type { JobEvents, JobResult } from '../../src/pipeline/events.js';
import { parseTracksCsv } from '../../src/output/tracks-csv.js';
import { artifactsDir, media, modelsDir, repoRoot } from '../helpers/shared.js';
import { childFfmpegPids, inspectVideo, listZip } from '../helpers/ffmpeg.js';

const clips = [media('multicam/cam1_with_tracking_overlay.mp4'), media('multicam/cam2_with_tracking_overlay.mp4')];
const zonesFile = path.join(repoRoot, 'configs', 'zones.sample.yaml');
const outRoot = artifactsDir('pipeline-e2e');
rmSync(outRoot, { recursive: true, force: true });
modelsDir();

const pipeline = new DetectionTrackingPipeline();
after(() => pipeline.release());

type Recorded = { [E in keyof JobEvents]?: Array<Parameters<JobEvents[E]>[0]> };

function record(job: ReturnType<DetectionTrackingPipeline['processVideo']>): Recorded {
  const events: Recorded = {};
  const names: Array<keyof JobEvents> = ['start', 'camera:status', 'progress', 'track:new', 'track:lost', 'track:removed', 'identity:assigned', 'identity:changed', 'zone:enter', 'zone:exit', 'warning', 'done', 'cancelled', 'error'];
  for (const name of names) {
    (job.on as (n: string, l: (e: unknown) => void) => void)(name, (e: unknown) => {
      ((events[name] ??= []) as unknown[]).push(e);
    });
  }
  return events;
}

test('two cameras with zones: seed-named outputs that agree with each other and with the events', { timeout: 300_000 }, async () => {
  const job = pipeline.processVideo({ videoPath: clips.join(', '), zones: zonesFile, outputDir: outRoot, now: new Date('2024-01-15T07:30:22Z') });
  const events = record(job);
  const result: JobResult = await job.result;
  assert.equal(result.status, 'completed', JSON.stringify(result.error));
  assert.equal(result.stopReason, 'end-of-input');
  assert.equal(events.done?.length, 1);
  assert.equal(events.start?.length, 1);
  assert.ok((events.progress?.length ?? 0) > 0, 'progress events arrive');

  // names as in the seed, in UTC+7: 07:30:22Z is 14:30:22 in UTC+7
  assert.equal(result.outputDir, path.join(outRoot, 'multi_stream_2024-01-15-14-30'));
  assert.equal(result.zipPath, path.join(outRoot, 'multi_stream_2024-01-15-14-30_results.zip'));
  for (const camera of result.cameras) {
    const dir = path.join(result.outputDir!, `camera_${camera.cameraIndex}`);
    assert.deepEqual(readdirSync(dir).sort(), ['heatmap_20240115_143022.png', 'output_20240115_143022.mp4', 'tracks_20240115_143022.csv', 'zones_20240115_143022.json']);
    assert.equal(camera.heatmapPath, path.join(dir, 'heatmap_20240115_143022.png'));
  }
  const entries = listZip(result.zipPath!);
  for (const i of [0, 1]) {
    for (const f of ['heatmap_20240115_143022.png', 'output_20240115_143022.mp4', 'tracks_20240115_143022.csv', 'zones_20240115_143022.json']) {
      assert.ok(entries.includes(`multi_stream_2024-01-15-14-30/camera_${i}/${f}`), `ZIP holds camera_${i}/${f}: ${entries.join(', ')}`);
    }
  }

  const globalIdsByCamera: number[][] = [];
  for (const camera of result.cameras) {
    const i = camera.cameraIndex;
    // every frame processed and encoded: H.264, yuv420p, the source's size and rate
    assert.equal(camera.frames, 419);
    const video = await inspectVideo(camera.videoPath!);
    assert.equal(video.codec, 'h264');
    assert.equal(video.pixelFormat, 'yuv420p');
    assert.equal(video.frames, 419);
    assert.deepEqual([video.width, video.height, video.fps], [640, 360, 18]);

    // CSV rows agree with the events
    const rows = parseTracksCsv(readFileSync(camera.csvPath, 'utf8'));
    assert.ok(rows.length > 200, `camera ${i}: people are tracked (${rows.length} rows)`);
    const csvTracks = new Set(rows.map((r) => r.trackId));
    const newTracks = new Set((events['track:new'] ?? []).filter((e) => e.cameraIndex === i).map((e) => e.trackId));
    assert.deepEqual([...csvTracks].sort((a, b) => a - b), [...newTracks].sort((a, b) => a - b), `camera ${i}: CSV tracks = track:new events`);
    assert.equal(camera.tracks, newTracks.size);
    const assignedIds = new Set(
      [...(events['identity:assigned'] ?? []), ...(events['identity:changed'] ?? [])].filter((e) => e.cameraIndex === i).map((e) => e.globalId),
    );
    for (const row of rows) {
      assert.ok(row.frameIndex >= 0 && row.frameIndex < 419);
      assert.ok(row.x2 > row.x1 && row.y2 > row.y1);
      if (row.globalId != null) assert.ok(assignedIds.has(row.globalId), `global id ${row.globalId} in the CSV was announced by an event`);
    }
    globalIdsByCamera.push([...new Set(rows.flatMap((r) => (r.globalId == null ? [] : [r.globalId])))].sort((a, b) => a - b));

    // zone report agrees with the zone events and with the CSV's zones column
    const report = JSON.parse(readFileSync(camera.zonesPath, 'utf8')) as {
      zones: Array<{ name: string; entries: number; exits: number; closedAtEnd: number; currentOccupancy: number; maxOccupancy: number; visits: Array<{ trackId: number; dwell: number }> }>;
    };
    assert.ok(report.zones.length > 0, 'sample zones are in the report');
    for (const zone of report.zones) {
      const enters = (events['zone:enter'] ?? []).filter((e) => e.cameraIndex === i && e.zone === zone.name);
      const exits = (events['zone:exit'] ?? []).filter((e) => e.cameraIndex === i && e.zone === zone.name);
      assert.equal(zone.entries, enters.length, `camera ${i} zone ${zone.name}: entries = enter events`);
      const closedAtEnd = exits.filter((e) => e.reason === 'end').length;
      assert.equal(zone.exits, exits.length - closedAtEnd, `camera ${i} zone ${zone.name}: exits = exit events before the end`);
      assert.equal(zone.closedAtEnd, closedAtEnd, `camera ${i} zone ${zone.name}: closures at the end counted apart`);
      assert.equal(zone.entries - zone.exits, zone.currentOccupancy, `camera ${i} zone ${zone.name}: entries − exits = occupancy`);
      assert.equal(zone.visits.length, zone.entries);
      const csvInZone = new Set(rows.filter((r) => r.zones!.includes(zone.name)).map((r) => r.trackId));
      const visitors = new Set(zone.visits.map((v) => v.trackId));
      assert.deepEqual([...csvInZone].sort(), [...visitors].sort(), `camera ${i} zone ${zone.name}: CSV zone membership = visits`);
      const perFrame = new Map<number, number>();
      for (const r of rows) if (r.zones!.includes(zone.name)) perFrame.set(r.frameIndex, (perFrame.get(r.frameIndex) ?? 0) + 1);
      // Occluded (lost) tracks stay in their zone without CSV rows: the CSV can only show fewer.
      const maxInCsv = Math.max(0, ...perFrame.values());
      assert.ok(zone.maxOccupancy >= maxInCsv, `camera ${i} zone ${zone.name}: max occupancy ${zone.maxOccupancy} ≥ most CSV rows in one frame ${maxInCsv}`);
    }
  }

  // people seen by both cameras share global ids in some cases
  const shared = globalIdsByCamera[0]!.filter((id) => globalIdsByCamera[1]!.includes(id));
  console.log(`global ids camera 0: [${globalIdsByCamera[0]!.join(', ')}]; camera 1: [${globalIdsByCamera[1]!.join(', ')}]; shared: [${shared.join(', ')}]`);
  console.log(`local tracks: camera 0 ${result.cameras[0]!.tracks}, camera 1 ${result.cameras[1]!.tracks}; identities ${result.identities}`);
  assert.ok(shared.length > 0, 'at least one person gets the same global id in both cameras');

  // identities.json: every global id of the CSVs, with the cameras that saw it and a crop file that exists
  assert.equal(result.identitiesPath, path.join(result.outputDir!, 'identities.json'));
  const identities = JSON.parse(readFileSync(result.identitiesPath!, 'utf8')) as {
    identities: Array<{ globalId: number; cameras: Array<{ cameraIndex: number; firstSeen: number; lastSeen: number; trackIds: number[]; crop?: string }> }>;
  };
  const listed = new Map(identities.identities.map((p) => [p.globalId, p]));
  for (const [i, ids] of globalIdsByCamera.entries()) {
    for (const id of ids) {
      const person = listed.get(id);
      assert.ok(person !== undefined, `global id ${id} of camera ${i} is in identities.json`);
      const seen = person.cameras.find((c) => c.cameraIndex === i);
      assert.ok(seen !== undefined && seen.lastSeen >= seen.firstSeen && seen.trackIds.length > 0, `identity ${id} lists camera ${i}`);
    }
  }
  const crops = identities.identities.flatMap((p) => p.cameras.flatMap((c) => (c.crop === undefined ? [] : [c.crop])));
  assert.ok(crops.length > 0, 'best crops are written');
  for (const crop of crops) {
    assert.ok(existsSync(path.join(result.outputDir!, crop)), `${crop} exists`);
    assert.ok(entries.includes(`multi_stream_2024-01-15-14-30/${crop}`), `${crop} is in the ZIP`);
  }
  assert.ok(entries.includes('multi_stream_2024-01-15-14-30/identities.json'));
  assert.deepEqual(childFfmpegPids(), []);
});

test('bad sources, zones and options fail before any output is written', async () => {
  const dir = path.join(outRoot, 'bad-input');
  assert.throws(() => pipeline.processVideo({ videoPath: 'ftp://example.com/x.mp4', outputDir: dir }), (e: unknown) => (e as { code?: string }).code === 'INVALID_URL');
  assert.throws(() => pipeline.processVideo({ videoPath: '-i /etc/passwd', outputDir: dir }), (e: unknown) => (e as { code?: string }).code === 'INVALID_URL');
  assert.throws(() => pipeline.processVideo({ videoPath: clips[0], similarityThreshold: 1.5, outputDir: dir }), /similarityThreshold/);
  assert.throws(() => pipeline.processVideo({ videoPath: clips[0], zones: [{ name: 'z', polygon: [[0, 0], [1, 1]] }], outputDir: dir }), (e: unknown) => (e as { code?: string }).code === 'INVALID_ZONE');
  assert.throws(() => pipeline.processVideo({ videoPath: clips[0], zones: { 3: [{ name: 'z', polygon: [[0, 0], [10, 0], [10, 10]] }] }, outputDir: dir }), /camera 3/);
  assert.throws(() => pipeline.processVideo({ videoPath: clips[0], detectionStride: 0, outputDir: dir }), /detectionStride/);

  const missing = await pipeline.processVideo({ videoPath: `${clips[0]}, /nonexistent/clip.mp4`, outputDir: dir }).result;
  assert.equal(missing.status, 'failed');
  assert.equal(missing.error?.code, 'SOURCE_NOT_FOUND');
  assert.match(missing.error!.message, /nonexistent\/clip\.mp4/);

  const notVideo = await pipeline.processVideo({ videoPath: path.join(repoRoot, 'package.json'), outputDir: dir }).result;
  assert.equal(notVideo.status, 'failed');
  assert.equal(notVideo.error?.code, 'INVALID_MEDIA');

  // Pixel coordinates can only be checked against the frame: once the source is open, still before any output.
  const outside = await pipeline.processVideo({ videoPath: clips[0], outputDir: dir, zones: [{ name: 'far_line', line: [[2000, 2000], [2100, 2050]] }] }).result;
  assert.equal(outside.status, 'failed');
  assert.equal(outside.error?.code, 'INVALID_ZONE');
  assert.match(outside.error!.message, /far_line/);
  assert.throws(() => pipeline.processVideo({ videoPath: clips[0], outputDir: dir, zones: [{ name: 'dot', line: [[10, 10], [10, 10]] }] }), (e: unknown) => (e as { code?: string }).code === 'INVALID_ZONE' && /dot/.test(String(e)));

  const noModel = new DetectionTrackingPipeline({ detector: { modelPath: path.join(dir, 'absent.onnx') } });
  const modelResult = await noModel.processVideo({ videoPath: clips[0], outputDir: dir }).result;
  assert.equal(modelResult.status, 'failed');
  assert.equal(modelResult.error?.code, 'MODEL_NOT_FOUND');
  await noModel.release();

  assert.equal(existsSync(dir), false, 'nothing was written');
  assert.deepEqual(childFfmpegPids(), []);
});
