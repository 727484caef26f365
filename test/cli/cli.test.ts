/** The multicam-reid command as users run it: a child process, real clips, real signals. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { artifactsDir, media, modelsDir, repoRoot } from '../helpers/shared.js';

const cli = path.join(repoRoot, 'src', 'cli', 'main.ts');
const clips = [media('multicam/cam1_with_tracking_overlay.mp4'), media('multicam/cam2_with_tracking_overlay.mp4')];
const env = { ...process.env, MULTICAM_REID_MODELS: modelsDir() };
const outRoot = artifactsDir('cli');
rmSync(outRoot, { recursive: true, force: true });

function runCli(args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', cli, ...args], { cwd: repoRoot, env, encoding: 'utf8', timeout: 240_000 });
}

test('--help describes the run command and exits 0', () => {
  const top = runCli(['--help']);
  assert.equal(top.status, 0);
  assert.match(top.stdout, /run \[options\] <sources\.\.\.>/);
  const run = runCli(['run', '--help']);
  assert.equal(run.status, 0);
  for (const flag of ['--zones', '--out', '--threshold', '--max-duration']) assert.match(run.stdout, new RegExp(flag));
});

test('invalid input exits 2 with a clear message', () => {
  const badThreshold = runCli(['run', clips[0]!, '--threshold', 'high']);
  assert.equal(badThreshold.status, 2);
  assert.match(badThreshold.stderr, /threshold must be a number/);
  const outOfRange = runCli(['run', clips[0]!, '--threshold', '3', '--out', outRoot]);
  assert.equal(outOfRange.status, 2);
  assert.match(outOfRange.stderr, /similarityThreshold/);
  const badUrl = runCli(['run', 'gopher://camera/1', '--out', outRoot]);
  assert.equal(badUrl.status, 2);
  assert.match(badUrl.stderr, /gopher:\/\/camera\/1/);
  const missing = runCli(['run', '/nonexistent/cam.mp4', '--out', outRoot]);
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /error: \[SOURCE_NOT_FOUND\].*nonexistent\/cam\.mp4/);
  assert.equal(existsSync(outRoot), false, 'nothing written for invalid input');
});

test('a short run completes, exits 0 and prints where the ZIP is', { timeout: 240_000 }, () => {
  const out = path.join(outRoot, 'short');
  const result = runCli(['run', ...clips, '--max-duration', '3', '--out', out, '--zones', path.join(repoRoot, 'configs', 'zones.sample.yaml')]);
  assert.equal(result.status, 0, result.stderr);
  const zip = /ZIP: (.+\.zip)/.exec(result.stdout);
  assert.ok(zip, result.stdout);
  assert.ok(existsSync(zip[1]!));
});

test('Ctrl-C cancels, finalises the outputs and exits 130', { timeout: 240_000 }, async () => {
  const out = path.join(outRoot, 'sigint');
  const child = spawn(process.execPath, ['--import', 'tsx', cli, 'run', ...clips, '--realtime', '--out', out], { cwd: repoRoot, env });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  // interrupt once the job has started and processed a little
  await new Promise<void>((resolve) => {
    const check = setInterval(() => {
      if (/frames/.test(stderr)) {
        clearInterval(check);
        resolve();
      }
    }, 100);
  });
  child.kill('SIGINT');
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  assert.equal(code, 130, stderr);
  assert.match(stdout, /status: cancelled/);
  const zip = /ZIP: (.+\.zip)/.exec(stdout);
  assert.ok(zip && existsSync(zip[1]!), stdout);
  const left = spawnSync('pgrep', ['-f', out], { encoding: 'utf8' }).stdout.trim();
  assert.equal(left, '', 'no ffmpeg of the CLI is left running');
});

test('SIGTERM cancels like Ctrl-C: outputs finalised, exit 130, no child left', { timeout: 240_000 }, async () => {
  const out = path.join(outRoot, 'sigterm');
  const child = spawn(process.execPath, ['--import', 'tsx', cli, 'run', clips[0]!, '--realtime', '--out', out], { cwd: repoRoot, env });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  await new Promise<void>((resolve) => {
    const check = setInterval(() => {
      if (/\d+ frames/.test(stderr)) {
        clearInterval(check);
        resolve();
      }
    }, 100);
  });
  child.kill('SIGTERM');
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  assert.equal(code, 130, stderr);
  assert.match(stdout, /status: cancelled/);
  assert.equal(spawnSync('pgrep', ['-f', out], { encoding: 'utf8' }).stdout.trim(), '', 'no ffmpeg of the CLI is left running');
});

test('a camera password appears nowhere in the CLI output, plain or --json', { timeout: 120_000 }, () => {
  const secret = 'Sup3rSecretPw';
  // Nothing answers RTSP on the discard port: the job fails, and its messages name the source.
  const failing = runCli(['run', `rtsp://admin:${secret}@127.0.0.1:9/stream`, '--out', path.join(outRoot, 'secret'), '--json']);
  assert.equal(failing.status, 1, failing.stderr);
  assert.equal(JSON.parse(failing.stdout).status, 'failed');
  assert.match(failing.stdout + failing.stderr, /rtsp:\/\/\*\*\*:\*\*\*@127\.0\.0\.1:9\/stream/);
  assert.ok(!(failing.stdout + failing.stderr).includes(secret), failing.stdout + failing.stderr);
  // Rejected before any work (no host): the error line names the entry in its display form.
  const invalid = runCli(['run', `rtsp://admin:${secret}@/stream`, '--out', path.join(outRoot, 'secret')]);
  assert.equal(invalid.status, 2, invalid.stderr);
  assert.ok(!(invalid.stdout + invalid.stderr).includes(secret), invalid.stderr);
});
