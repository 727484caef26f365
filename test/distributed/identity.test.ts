/**
 * One identity gallery per job across workers: the two store clips on two worker processes
 * give the same number of global identities (±1) and the same cross-camera links as a local
 * run of the same configuration. Links are compared on the local track ids (detection and
 * tracking are the same on both sides), through identities.json: for every identity seen by
 * both cameras, each (camera 0 track, camera 1 track) pair it joins. The shared gallery's
 * Redis traffic per frame is printed.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import diagnosticsChannel from 'node:diagnostics_channel';
import { DistributedPipeline } from '../../src/distributed/pipeline.js';
import { DISTRIBUTED_TRAFFIC_CHANNEL, type DistributedTrafficMessage } from '../../src/distributed/submitter.js';
import { DetectionTrackingPipeline } from '../../src/pipeline/pipeline.js';
import type { JobResult } from '../../src/pipeline/events.js';
import { modelsDir } from '../helpers/shared.js';
import { STORE_CLIPS, outputFolder, useCluster } from './helpers.js';

const CONFIG = { detector: { sessions: 1 }, output: { video: false } };
const NOW = new Date('2024-01-15T07:30:22Z');

const cluster = useCluster();

interface IdentitiesFile {
  identities: Array<{ globalId: number; cameras: Array<{ cameraIndex: number; trackIds: number[] }> }>;
}

/** Cross-camera links: `t0-t1` for every pair of a camera-0 track and a camera-1 track that share an identity. */
function links(result: JobResult): Set<string> {
  const file = JSON.parse(readFileSync(result.identitiesPath!, 'utf8')) as IdentitiesFile;
  const out = new Set<string>();
  for (const identity of file.identities) {
    const cam0 = identity.cameras.find((c) => c.cameraIndex === 0)?.trackIds ?? [];
    const cam1 = identity.cameras.find((c) => c.cameraIndex === 1)?.trackIds ?? [];
    for (const a of cam0) for (const b of cam1) out.add(`${a}-${b}`);
  }
  return out;
}

test('two workers share one gallery: the same identities (±1) and cross-camera links as a local run', { timeout: 600_000 }, async () => {
  const local = new DetectionTrackingPipeline({ ...CONFIG, modelsDir: modelsDir() });
  let localResult: JobResult;
  try {
    localResult = await local.processVideo({ sources: STORE_CLIPS, outputDir: outputFolder('identity-local'), now: NOW }).result;
  } finally {
    await local.release();
  }
  assert.equal(localResult.status, 'completed');

  const pipeline = new DistributedPipeline({ redis: cluster.redis.url, config: CONFIG });
  let result: JobResult;
  let traffic: DistributedTrafficMessage | undefined;
  const onTraffic = (message: unknown) => (traffic = message as DistributedTrafficMessage);
  diagnosticsChannel.subscribe(DISTRIBUTED_TRAFFIC_CHANNEL, onTraffic);
  try {
    result = await pipeline.processVideo({ sources: STORE_CLIPS, outputDir: outputFolder('identity-distributed'), now: NOW }).result;
  } finally {
    diagnosticsChannel.unsubscribe(DISTRIBUTED_TRAFFIC_CHANNEL, onTraffic);
    await pipeline.release();
  }
  for (const c of traffic?.cameras ?? []) {
    const g = c.gallery;
    console.log(`camera ${c.cameraIndex}: shared gallery ${g?.roundTrips} round trips for ${c.frames} frames (${((g?.roundTrips ?? 0) / c.frames).toFixed(2)} per frame), ${g?.waitedEnds ?? 0} track ends waited for their id; events ${c.events?.roundTrips} round trips`);
  }
  console.log(`gallery owner: ${traffic?.owner?.operations} calls applied, ${traffic?.owner?.roundTrips} round trips`);
  assert.equal(result.status, 'completed', JSON.stringify(result.error));
  assert.notEqual(result.cameras[0]!.worker?.pid, result.cameras[1]!.worker?.pid, 'the cameras ran on two workers');
  for (const i of [0, 1]) assert.equal(result.cameras[i]!.tracks, localResult.cameras[i]!.tracks, `camera ${i}: the same local tracks`);

  const localLinks = links(localResult);
  const distributedLinks = links(result);
  console.log(`identities: local ${localResult.identities}, distributed ${result.identities}`);
  console.log(`cross-camera links (camera-0 track – camera-1 track): local [${[...localLinks].sort().join(', ')}], distributed [${[...distributedLinks].sort().join(', ')}]`);
  assert.ok(localLinks.size > 0, 'the local run links people across the cameras');
  assert.ok(Math.abs(result.identities - localResult.identities) <= 1, `identities: local ${localResult.identities}, distributed ${result.identities}`);
  assert.deepEqual([...distributedLinks].sort(), [...localLinks].sort(), 'the same cross-camera links');

  // Global ids agree across the workers: the ids a camera-1 track shares with camera 0 are the same person.
  const shared = result.cameras[0]!.globalIds.filter((id) => result.cameras[1]!.globalIds.includes(id));
  assert.ok(shared.length > 0, 'some global ids are shared by the two workers');
});
