#!/usr/bin/env node
// The Debian packages the test suite drives for real (an RTSP server, a browser, Redis, an
// MQTT broker): checked, and installed with apt when they are missing and we are root. The
// test command (`npm test`) and CI (`.ci/run`) both go through here, so a newcomer and CI do
// the same set-up. Elsewhere it names the exact packages to install and fails.
//
//   node scripts/system-packages.mjs           check; install what is missing (root + apt)
//   node scripts/system-packages.mjs --check   check only; exit 1 naming what is missing
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** What each part of the suite needs, and how to tell it is there. */
export const SYSTEM_NEEDS = [
  {
    what: "GStreamer's RTSP server (a real RTSP server for the stream tests)",
    packages: ['python3-gi', 'gir1.2-gst-rtsp-server-1.0', 'gstreamer1.0-plugins-base', 'gstreamer1.0-plugins-good', 'gstreamer1.0-plugins-bad'],
    present: () => run('/usr/bin/python3', ['-c', "import gi; gi.require_version('GstRtspServer', '1.0'); from gi.repository import GstRtspServer"]),
  },
  {
    what: "Chromium (the web page's end-to-end test, driven by playwright-core)",
    packages: ['chromium'],
    present: () => existsSync('/usr/bin/chromium'),
  },
  {
    what: 'redis-server (the distributed mode on BullMQ)',
    packages: ['redis-server'],
    present: () => onPath('redis-server'),
  },
  {
    what: 'mosquitto (events published over MQTT)',
    packages: ['mosquitto'],
    present: () => onPath('mosquitto'),
  },
];

function run(command, args) {
  return spawnSync(command, args, { stdio: 'ignore' }).status === 0;
}

/** Found on PATH or in the sbin folders, where Debian puts mosquitto. */
export function onPath(name) {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/sbin', '/usr/local/sbin'];
  return dirs.some((dir) => dir !== '' && existsSync(`${dir}/${name}`));
}

/** The needs that are not met now. */
export function missingNeeds() {
  return SYSTEM_NEEDS.filter((need) => !need.present());
}

/**
 * Installs the missing packages when possible; returns true when everything is present.
 * Prints what it does, and on failure the exact packages to install.
 */
export function ensureSystemPackages({ install = true } = {}) {
  let missing = missingNeeds();
  if (missing.length === 0) return true;
  const packages = [...new Set(missing.flatMap((need) => need.packages))];
  const canInstall = install && process.getuid?.() === 0 && existsSync('/usr/bin/apt-get');
  if (canInstall) {
    console.error(`installing the system packages the tests need: ${packages.join(' ')}`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const update = spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
    const get = update.status === 0 && spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages], { stdio: ['ignore', 'ignore', 'inherit'], env });
    if (get && get.status === 0) missing = missingNeeds();
  }
  if (missing.length === 0) return true;
  console.error('The test suite needs these system packages, which are missing:');
  for (const need of missing) console.error(`  - ${need.what}: ${need.packages.join(' ')}`);
  console.error(`Install them (Debian/Ubuntu): sudo apt-get install --no-install-recommends ${[...new Set(missing.flatMap((n) => n.packages))].join(' ')}`);
  return false;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.exit(ensureSystemPackages({ install: !process.argv.includes('--check') }) ? 0 : 1);
}
