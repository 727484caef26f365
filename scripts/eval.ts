/**
 * `npm run eval -- <tracker|video|multicam|tracker-video> [options]`: the evaluations of docs/evaluation.md.
 * - `tracker` (the default): ByteTracker on the public MOT15 detections (no frames).
 * - `video`: the whole pipeline on the TUD videos, scored per sequence and overall.
 * - `multicam`: SPEC §5's multi-camera protocol on the TUD videos.
 * - `tracker-video`: ByteTracker with and without appearance on the TUD videos' detections.
 */
const [first, ...rest] = process.argv.slice(2);
const command = first === undefined || first.startsWith('-') ? 'tracker' : first;
const args = command === first ? rest : process.argv.slice(2);
const commands: Record<string, () => Promise<{ main(args: string[]): Promise<number> }>> = {
  tracker: () => import('./eval-mot.js'),
  video: () => import('./eval-video.js'),
  multicam: () => import('./eval-multicam.js'),
  'tracker-video': () => import('./eval-tracker-video.js'),
};
const load = commands[command];
if (load === undefined) {
  console.error(`unknown evaluation "${command}"; use one of: ${Object.keys(commands).join(', ')} (see docs/evaluation.md)`);
  process.exitCode = 2;
} else {
  process.exitCode = await (await load()).main(args);
}
