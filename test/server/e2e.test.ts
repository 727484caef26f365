/**
 * The web page in a real browser: Debian's Chromium driven by playwright-core against the
 * in-process server, the real pipeline and the sample clips. A two-camera job shows progress
 * and previews, is stopped, and offers its ZIP; a single-camera job runs to its end and its
 * annotated MP4 plays in the page. Screenshots of each state go to test-artifacts/server/.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { startServer, type RunningServer } from '../../examples/server/server.js';
import { artifactsDir, media } from '../helpers/shared.js';
import { zipEntries } from './http-client.js';

const CAM1 = media('multicam/cam1_with_tracking_overlay.mp4');
const CAM2 = media('multicam/cam2_with_tracking_overlay.mp4');
const ARTIFACTS = artifactsDir('server');
const SCREENSHOTS = path.join(ARTIFACTS, 'screenshots');
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'];
/** Generous upper bounds so a stuck page fails instead of hanging; nothing here measures speed. */
const WAIT = { timeout: 90_000 };

/**
 * The few DOM members used inside page functions. The project compiles without the DOM lib, so
 * page functions reach `document` through `globalThis` (they run in the page, not in Node).
 */
interface VideoElement {
  readyState: number;
  duration: number;
  videoWidth: number;
  currentTime: number;
  error: { code: number } | null;
}

let server: RunningServer;
let context: BrowserContext;
let page: Page;
let userDataDir: string;

before(async () => {
  rmSync(path.join(ARTIFACTS, 'e2e-outputs'), { recursive: true, force: true });
  rmSync(SCREENSHOTS, { recursive: true, force: true });
  mkdirSync(SCREENSHOTS, { recursive: true });
  server = await startServer({ port: 0, outputDir: path.join(ARTIFACTS, 'e2e-outputs'), concurrency: 2 });
  userDataDir = mkdtempSync(path.join(os.tmpdir(), 'multicam-reid-chromium-'));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
    acceptDownloads: true,
    viewport: { width: 1280, height: 1000 },
  });
  page = context.pages()[0] ?? (await context.newPage());
});

after(async () => {
  await context?.close();
  rmSync(userDataDir, { recursive: true, force: true });
  await server?.close();
});

async function startJob(sources: string, options: { maxDuration?: number; realtime?: boolean }): Promise<void> {
  await page.goto(server.url);
  await page.locator('#sources').fill(sources);
  await page.locator('#threshold').fill('0.8');
  await page.locator('#max-duration').fill(options.maxDuration === undefined ? '' : String(options.maxDuration));
  await page.locator('#realtime').setChecked(options.realtime ?? false);
  await page.getByRole('button', { name: 'Start' }).click();
  await page.locator('#job').waitFor({ state: 'visible', ...WAIT });
}

test('two-camera job: live progress and previews, Stop, then one ZIP download with both cameras', async () => {
  await startJob(`${CAM1}\n${CAM2}`, { realtime: true });

  // Progress for both cameras, and a decoded preview image per camera.
  for (const camera of [0, 1]) {
    const card = page.locator(`.camera[data-camera="${camera}"]`);
    await card.waitFor(WAIT);
    await page.waitForFunction((i) => Number((globalThis as any).document.querySelector(`.camera[data-camera="${i}"] .frames`)?.textContent) > 0, camera, WAIT);
    await page.waitForFunction((i) => ((globalThis as any).document.querySelector(`.camera[data-camera="${i}"] img`)?.naturalWidth ?? 0) > 0, camera, WAIT);
    assert.equal(await card.locator('.source').textContent(), camera === 0 ? CAM1 : CAM2);
    assert.match((await card.locator('.state').textContent()) ?? '', /connected/);
  }
  assert.equal(await page.locator('#job-state').textContent(), 'running');
  await page.screenshot({ path: path.join(SCREENSHOTS, '1-two-cameras-running.png'), fullPage: true });

  await page.getByRole('button', { name: /Stop Processing/ }).click();
  await page.getByText('Processing stopped by user').first().waitFor({ state: 'visible', ...WAIT });
  assert.equal(await page.getByRole('button', { name: /Stop Processing/ }).count(), 0, 'the Stop button is gone');
  assert.equal(await page.locator('#job-state').textContent(), 'cancelled');

  const zipLink = page.getByText('Download All Cameras (ZIP)');
  await zipLink.waitFor(WAIT);
  assert.equal(await page.locator('#downloads a').count(), 1, 'a multi-camera job offers the ZIP only');
  assert.ok(await page.locator('#result-video').isHidden());
  await page.screenshot({ path: path.join(SCREENSHOTS, '2-two-cameras-stopped.png'), fullPage: true });

  const [download] = await Promise.all([page.waitForEvent('download', WAIT), zipLink.click()]);
  assert.match(download.suggestedFilename(), /^multi_stream_\d{4}-\d{2}-\d{2}-\d{2}-\d{2}(_\d+)?_results\.zip$/);
  const saved = path.join(ARTIFACTS, 'downloaded-results.zip');
  await download.saveAs(saved);
  const zip = zipEntries(readFileSync(saved));
  for (const camera of [0, 1]) {
    for (const pattern of [/output_\d{8}_\d{6}\.mp4$/, /tracks_\d{8}_\d{6}\.csv$/, /zones_\d{8}_\d{6}\.json$/]) {
      assert.ok(zip.names.some((n) => n.includes(`camera_${camera}/`) && pattern.test(n)), `ZIP has camera_${camera}/${pattern} (entries: ${zip.names.join(', ')})`);
    }
  }
  const csvName = zip.names.find((n) => n.includes('camera_1/') && n.endsWith('.csv'))!;
  assert.ok(zip.read(csvName).toString('utf8').split('\n').length > 1, 'camera 1 CSV has a header and rows');

  // The identities panel: one row per person, a decoded crop per camera that saw them.
  await page.locator('#identities').waitFor({ state: 'visible', ...WAIT });
  const rows = page.locator('#identity-rows tr.identity');
  assert.ok((await rows.count()) > 0, 'people are listed');
  await page.waitForFunction(() => {
    const images = [...(globalThis as any).document.querySelectorAll('#identity-rows img')];
    return images.length > 0 && images.every((img: { complete: boolean; naturalWidth: number }) => img.complete && img.naturalWidth > 0);
  }, undefined, WAIT);
  const listed = JSON.parse(zip.read(zip.names.find((n) => n.endsWith('identities.json'))!).toString('utf8')) as { identities: Array<{ globalId: number }> };
  assert.equal(await rows.count(), listed.identities.length, 'one row per identity of identities.json');
  assert.match((await rows.first().locator('td').first().textContent()) ?? '', /^G\d+/);
  await page.locator('#identities').screenshot({ path: path.join(SCREENSHOTS, '2b-identities.png') });
});

test('single-camera job runs to its end; its video, CSV and JSON are offered and the MP4 plays in the page', async () => {
  await startJob(CAM1, { maxDuration: 3 });
  const links = page.locator('#downloads a');
  await page.getByText('Download video (MP4)').waitFor(WAIT);
  assert.deepEqual(
    await links.allTextContents(),
    ['Download video (MP4)', 'Download tracks (CSV)', 'Download zone report (JSON)'],
  );
  assert.equal(await page.locator('#job-state').textContent(), 'completed');
  assert.equal(await page.getByRole('button', { name: /Stop Processing/ }).count(), 0);
  assert.ok(Number(await page.locator('.camera[data-camera="0"] .frames').textContent()) > 0);

  const video = page.locator('#result-video');
  await video.waitFor({ state: 'visible', ...WAIT });
  await page.waitForFunction(() => {
    const v: VideoElement = (globalThis as any).document.querySelector('#result-video');
    return v.readyState >= 2 && Number.isFinite(v.duration) && v.duration > 0;
  }, undefined, WAIT);
  const state = await video.evaluate((v: VideoElement) => ({ readyState: v.readyState, duration: v.duration, width: v.videoWidth, error: v.error?.code ?? null }));
  assert.ok(state.readyState >= 2, `readyState ${state.readyState}`);
  assert.ok(state.duration > 0, `duration ${state.duration}`);
  assert.ok(state.width > 0, 'decoded video frames have a width');
  assert.equal(state.error, null);
  await video.evaluate((v: VideoElement) => {
    v.currentTime = Math.min(1, v.duration / 2);
  });
  await page.screenshot({ path: path.join(SCREENSHOTS, '3-single-camera-completed.png'), fullPage: true });
});
