/**
 * The package as a user gets it: `npm pack` (which builds through `prepack`), installed into
 * an empty app outside the repository that has only the package's declared dependencies,
 * imported from plain JavaScript, running a detection and a short job.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { media, modelsDir, repoRoot } from '../helpers/shared.js';

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

test('npm pack builds a package that installs and runs with only its declared dependencies', { timeout: 600_000 }, () => {
  const work = mkdtempSync(path.join(tmpdir(), 'multicam-reid-pack-'));
  try {
    const env = { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip', npm_config_fund: 'false', npm_config_audit: 'false' };
    const pack = spawnSync(npm, ['pack', '--json', '--pack-destination', work], { cwd: repoRoot, env, encoding: 'utf8' });
    assert.equal(pack.status, 0, pack.stderr);
    const [packed] = JSON.parse(pack.stdout.slice(pack.stdout.indexOf('['))) as Array<{ filename: string; files: Array<{ path: string }> }>;
    const files = packed!.files.map((f) => f.path);
    for (const wanted of ['dist/src/index.js', 'dist/src/index.d.ts', 'dist/src/cli/main.js', 'models/manifest.json', 'configs/config.yaml', 'package.json']) {
      assert.ok(files.includes(wanted), `the package holds ${wanted}`);
    }
    assert.ok(!files.some((f) => f.startsWith('test/') || f.startsWith('src/') || f.endsWith('.onnx')), 'no sources, tests or weights in the package');

    const app = path.join(work, 'app');
    spawnSync('mkdir', ['-p', app]);
    writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'pack-check', private: true, type: 'module' }));
    const install = spawnSync(npm, ['install', '--prefer-offline', '--no-audit', '--no-fund', path.join(work, packed!.filename)], { cwd: app, env, encoding: 'utf8' });
    assert.equal(install.status, 0, install.stderr);
    assert.ok(!/Unknown (project|user) config/.test(install.stderr), install.stderr);

    // A 40-frame clip keeps the job short.
    const clip = path.join(work, 'clip.mp4');
    const cut = spawnSync(path.join(repoRoot, 'node_modules/@ffmpeg-installer/linux-x64/ffmpeg'), ['-hide_banner', '-loglevel', 'error', '-i', media('multicam/cam1_with_tracking_overlay.mp4'), '-frames:v', '40', '-an', '-c:v', 'libx264', '-preset', 'ultrafast', clip]);
    assert.equal(cut.status, 0, String(cut.stderr));
    writeFileSync(
      path.join(app, 'main.js'),
      `import { PersonDetector, DetectionTrackingPipeline, decodeImageFile } from 'multicam-reid';
const detector = await PersonDetector.load();
const image = await decodeImageFile(process.argv[2]);
const people = await detector.detect(image);
await detector.release();
const pipeline = new DetectionTrackingPipeline({ output: { dir: process.argv[4] } });
const result = await pipeline.processVideo({ videoPath: process.argv[3] }).result;
await pipeline.release();
console.log(JSON.stringify({ people: people.length, status: result.status, frames: result.cameras[0].frames, zip: result.zipPath }));
`,
    );
    const run = spawnSync(process.execPath, ['main.js', media('images/bus.jpg'), clip, path.join(work, 'outputs')], {
      cwd: app,
      env: { ...env, MULTICAM_REID_MODELS: modelsDir() },
      encoding: 'utf8',
      timeout: 300_000,
    });
    assert.equal(run.status, 0, run.stderr);
    const summary = JSON.parse(run.stdout.trim().split('\n').pop()!) as { people: number; status: string; frames: number; zip: string };
    assert.ok(summary.people >= 3, `people found on bus.jpg: ${summary.people}`);
    assert.equal(summary.status, 'completed');
    assert.equal(summary.frames, 40);
    assert.ok(readFileSync(summary.zip).length > 0);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
