/**
 * The page's add and remove controls in a real browser (Debian's Chromium driven by
 * playwright-core), against the in-process server and the real pipeline: a camera added from
 * the page gets its card, frames and preview; Remove ends camera 0 while the added one runs
 * to its end; the controls go away when the job has ended. The same page in queue mode (a
 * real redis-server and two `multicam-reid worker` processes). Screenshots go to
 * test-artifacts/server/screenshots/.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { startServer, type RunningServer } from '../../examples/server/server.js';
import { artifactsDir, media } from '../helpers/shared.js';
import { RedisServer, WorkerProcess, assertGone, cutClip } from '../distributed/helpers.js';

const CAM1 = media('multicam/cam1_with_tracking_overlay.mp4');
const CAM2_SHORT = cutClip(media('multicam/cam2_with_tracking_overlay.mp4'), 120);
const ARTIFACTS = artifactsDir('server');
const SCREENSHOTS = path.join(ARTIFACTS, 'screenshots');
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'];
/** Upper bounds so a stuck page fails instead of hanging; nothing here measures speed. */
const WAIT = { timeout: 90_000 };

let server: RunningServer;
let queueServer: RunningServer | undefined;
let redis: RedisServer | undefined;
let workers: WorkerProcess[] = [];
let context: BrowserContext;
let page: Page;
let userDataDir: string;

before(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  rmSync(path.join(ARTIFACTS, 'sources-e2e-outputs'), { recursive: true, force: true });
  server = await startServer({ port: 0, outputDir: path.join(ARTIFACTS, 'sources-e2e-outputs'), config: { detector: { sessions: 1 } } });
  userDataDir = mkdtempSync(path.join(os.tmpdir(), 'multicam-reid-chromium-'));
  context = await chromium.launchPersistentContext(userDataDir, { executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS, viewport: { width: 1280, height: 1000 } });
  page = context.pages()[0] ?? (await context.newPage());
});

after(async () => {
  await context?.close();
  rmSync(userDataDir, { recursive: true, force: true });
  await server?.close();
  await queueServer?.close();
  const pids = workers.flatMap((w) => [w.pid, ...w.descendants()]);
  await Promise.all(workers.map((w) => w.stop()));
  await redis?.dispose();
  await assertGone(pids, 'worker or ffmpeg');
});

const framesOf = (camera: number) => page.waitForFunction((i) => Number((globalThis as any).document.querySelector(`.camera[data-camera="${i}"] .frames`)?.textContent) > 0, camera, WAIT);

async function addAndRemoveOnThePage(base: string, shots: string): Promise<void> {
  await page.goto(base);
  await page.locator('#sources').fill(CAM1);
  await page.locator('#realtime').setChecked(true);
  await page.getByRole('button', { name: 'Start' }).click();
  await framesOf(0);
  const addForm = page.locator('#add-camera');
  await addForm.waitFor({ state: 'visible', ...WAIT });

  // A bad URL: the service's message, no new card.
  await page.locator('#add-source').fill('ftp://example.com/cam');
  await page.getByRole('button', { name: /Add camera/ }).click();
  await page.locator('#add-error').waitFor({ state: 'visible', ...WAIT });
  assert.match((await page.locator('#add-error').textContent()) ?? '', /ftp:\/\/example\.com\/cam/);
  assert.equal(await page.locator('.camera').count(), 1);

  await page.locator('#add-source').fill(CAM2_SHORT);
  await page.getByRole('button', { name: /Add camera/ }).click();
  const added = page.locator('.camera[data-camera="1"]');
  await added.waitFor(WAIT);
  assert.ok(await page.locator('#add-error').isHidden(), 'the error went away');
  assert.equal(await page.locator('#add-source').inputValue(), '', 'the field is cleared');
  assert.equal(await added.locator('.source').textContent(), CAM2_SHORT);
  await framesOf(1);
  await page.waitForFunction(() => ((globalThis as any).document.querySelector('.camera[data-camera="1"] img')?.naturalWidth ?? 0) > 0, undefined, WAIT);
  await page.screenshot({ path: path.join(SCREENSHOTS, `${shots}-camera-added.png`), fullPage: true });

  await page.getByRole('button', { name: 'Remove camera 0' }).click();
  await page.waitForFunction(() => (globalThis as any).document.querySelector('.camera[data-camera="0"] .state')?.textContent === 'ended', undefined, WAIT);
  assert.match((await page.locator('.camera[data-camera="1"] .state').textContent()) ?? '', /connected/, 'the added camera goes on');
  await page.screenshot({ path: path.join(SCREENSHOTS, `${shots}-camera-removed.png`), fullPage: true });

  // The added camera runs to its end; then the job has ended and the controls are gone.
  await page.getByText('Download All Cameras (ZIP)').waitFor({ timeout: 120_000 });
  assert.equal(await page.locator('#job-state').textContent(), 'completed');
  assert.ok(await addForm.isHidden(), 'no add form after the end');
  assert.equal(await page.locator('.camera .remove:visible').count(), 0, 'no Remove buttons after the end');
  assert.equal(await page.locator('.camera[data-camera="1"] .frames').textContent(), '120');
  await page.screenshot({ path: path.join(SCREENSHOTS, `${shots}-added-camera-completed.png`), fullPage: true });
}

test('the page adds a camera to a running job and removes another; the controls leave with the job', { timeout: 300_000 }, async () => {
  await addAndRemoveOnThePage(server.url, '4-local');
});

test('the same page on the queue: the cameras run on two workers', { timeout: 300_000 }, async () => {
  redis = await RedisServer.start();
  workers = await Promise.all([WorkerProcess.start(redis.url), WorkerProcess.start(redis.url)]);
  queueServer = await startServer({ port: 0, outputDir: path.join(ARTIFACTS, 'sources-e2e-queue-outputs'), config: { detector: { sessions: 1 } }, redis: redis.url });
  await addAndRemoveOnThePage(queueServer.url, '5-queue');
  const workerLines = await page.locator('.camera .worker').allTextContents();
  assert.equal(workerLines.length, 2, 'each card names its worker');
  for (const line of workerLines) assert.ok(workers.some((w) => line.includes(`:${w.pid}`)), line);
});
