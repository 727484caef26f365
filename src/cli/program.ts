/**
 * The `multicam-reid` command line: runs the main job on one or more sources with a progress
 * bar per camera. Ctrl-C cancels the job and still finalises every output.
 *
 * Exit codes: 0 completed, 1 failed, 2 invalid input, 130 cancelled.
 */
import { Command, InvalidArgumentError } from 'commander';
import cliProgress from 'cli-progress';
import { MulticamReidError } from '../errors.js';
import { DetectionTrackingPipeline } from '../pipeline/pipeline.js';
import { loadConfigFile, parseConfig, type PipelineConfigInput } from '../pipeline/config.js';
import { Redactor } from '../pipeline/plan.js';
import { mqttSinkConfigSchema } from '../service/mqtt-options.js';
import type { JobResult } from '../pipeline/events.js';
import { connectSubmitter, exitCodeOf, registerWorkerCommand } from './distributed-command.js';
import { registerModelsCommand } from './models-command.js';

export const EXIT = { completed: 0, failed: 1, invalidInput: 2, cancelled: 130 } as const;

function number(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError(`${name} must be a number, got "${value}"`);
    return n;
  };
}

interface RunFlags {
  zones?: string;
  out?: string;
  threshold?: number;
  maxDuration?: number;
  config?: string;
  stride?: number;
  realtime?: boolean;
  video: boolean;
  timeZone?: string;
  outputVideo?: string;
  progress: boolean;
  json?: boolean;
  detector?: string;
  reid?: string;
  redis?: string;
  mqtt?: string;
}

/** The configuration file (or the defaults) with the command line's overrides applied. */
function configFromFlags(flags: RunFlags): PipelineConfigInput {
  const config = flags.config !== undefined ? loadConfigFile(flags.config) : parseConfig({});
  if (!flags.video) config.output.video = false;
  if (flags.detector !== undefined) config.detector = { ...config.detector, modelId: flags.detector, modelPath: undefined };
  if (flags.reid !== undefined) config.reid = { ...config.reid, modelId: flags.reid, modelPath: undefined };
  if (flags.mqtt !== undefined) config.mqtt = mqttSinkConfigSchema.parse({ ...config.mqtt, url: flags.mqtt });
  return config;
}

/** Every password in the command line's sources, so that no output shows one. */
function redactorFor(sources: string[]): Redactor {
  const redactor = new Redactor();
  for (const arg of sources) for (const entry of arg.split(/[,\r\n]+/)) redactor.add(entry.trim());
  return redactor;
}

async function run(sources: string[], flags: RunFlags): Promise<number> {
  const redact = redactorFor(sources).text;
  let pipeline: Pick<DetectionTrackingPipeline, 'processVideo' | 'release'>;
  let job;
  try {
    // --redis: the cameras run on `multicam-reid worker` processes (Redis checked before any work).
    pipeline = flags.redis !== undefined ? await connectSubmitter(flags.redis, configFromFlags(flags)) : new DetectionTrackingPipeline(configFromFlags(flags));
    job = pipeline.processVideo({
      sources,
      zones: flags.zones,
      outputDir: flags.out,
      similarityThreshold: flags.threshold,
      maxDurationSeconds: flags.maxDuration,
      detectionStride: flags.stride,
      realtime: flags.realtime,
      timeZone: flags.timeZone,
      outputVideoPath: flags.outputVideo,
    });
  } catch (error) {
    if (error instanceof MulticamReidError) {
      console.error(`multicam-reid: ${redact(error.message)}`);
      return exitCodeOf(error);
    }
    throw error;
  }

  // SIGINT (Ctrl-C) and SIGTERM cancel the job, which finalises its outputs and ends every
  // child; a second signal exits at once (the exit hooks still kill every ffmpeg child).
  let interrupted = 0;
  const onSigint = () => {
    interrupted += 1;
    if (interrupted === 1) {
      process.stderr.write('\nstopping: finalising the outputs (Ctrl-C again to force)…\n');
      job.cancel('interrupted by user');
    } else process.exit(EXIT.cancelled);
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);

  const showBars = flags.progress && process.stderr.isTTY === true;
  const bars = showBars
    ? new cliProgress.MultiBar(
        { format: ' cam {camera} |{bar}| {value}/{total} frames | {fps} fps | {state}', hideCursor: true, clearOnComplete: false, stream: process.stderr },
        cliProgress.Presets.shades_classic,
      )
    : undefined;
  const cameraBars = new Map<number, cliProgress.SingleBar>();

  job.on('start', (e) => {
    console.error(`job ${e.jobId}: ${e.cameras.length} camera(s) → ${e.outputDir}`);
    for (const c of e.cameras) {
      console.error(`  camera ${c.cameraIndex}: ${redact(c.source)} (${c.width}x${c.height} @ ${c.fps.toFixed(2)} fps, ${c.codec})`);
    }
  });
  job.on('progress', (e) => {
    for (const c of e.cameras) {
      if (bars !== undefined) {
        let bar = cameraBars.get(c.cameraIndex);
        const total = Math.max(c.frames, 1);
        if (bar === undefined) {
          bar = bars.create(total, 0, { camera: c.cameraIndex, fps: '0.0', state: c.state });
          cameraBars.set(c.cameraIndex, bar);
        }
        bar.setTotal(Math.max(total, bar.getTotal()));
        bar.update(c.frames, { fps: c.fps.toFixed(1), state: c.state });
      }
    }
    if (bars === undefined && flags.progress) {
      const line = e.cameras.map((c) => `cam ${c.cameraIndex}: ${c.frames} frames ${c.fps.toFixed(1)} fps ${c.state}`).join(' | ');
      console.error(`[${e.elapsedSeconds.toFixed(1)} s] ${line}`);
    }
  });
  job.on('warning', (w) => console.error(`warning: ${w.cameraIndex !== undefined ? `camera ${w.cameraIndex}: ` : ''}${redact(w.message)}`));

  const result: JobResult = await job.result;
  bars?.stop();
  process.off('SIGINT', onSigint);
  process.off('SIGTERM', onSigint);
  await pipeline.release();

  if (flags.json) console.log(redact(JSON.stringify(result, null, 2)));
  else printSummary(result, redact);
  if (result.status === 'completed') return EXIT.completed;
  if (result.status === 'cancelled') return EXIT.cancelled;
  const invalid = result.error !== undefined && ['SOURCE_NOT_FOUND', 'SOURCE_UNAUTHORIZED', 'INVALID_URL', 'INVALID_MEDIA', 'MODEL_NOT_FOUND', 'MODEL_MISMATCH', 'INVALID_CONFIG', 'INVALID_ZONE', 'INVALID_OPTION', 'INVALID_MODEL_ENTRY', 'MQTT_FAILED'].includes(result.error.code);
  return invalid ? EXIT.invalidInput : EXIT.failed;
}

function printSummary(result: JobResult, redact: (text: string) => string): void {
  console.log(`status: ${result.status} (${result.stopReason}) in ${result.elapsedSeconds.toFixed(1)} s`);
  // The error goes to stderr: a caller that keeps only stdout (the report) still sees why it failed.
  if (result.error !== undefined) console.error(`error: [${result.error.code}] ${redact(result.error.message)}`);
  for (const c of result.cameras) {
    console.log(`camera ${c.cameraIndex}: ${redact(c.source)} — ${c.frames} frames, ${c.tracks} tracks, global ids [${c.globalIds.join(', ')}] — ${c.status} (${c.stopReason})`);
    if (c.worker !== undefined) console.log(`  worker: ${c.worker.host}:${c.worker.pid}, ${c.attempts ?? 1} attempt(s)`);
    if (c.videoPath !== undefined) console.log(`  video: ${c.videoPath}`);
    console.log(`  tracks: ${c.csvPath}`);
    console.log(`  zones:  ${c.zonesPath}`);
  }
  console.log(`identities: ${result.identities}`);
  if (result.outputVideoPath !== undefined) console.log(`video copy: ${result.outputVideoPath}`);
  if (result.zipPath !== undefined) console.log(`ZIP: ${result.zipPath}`);
}

export function buildProgram(): Command {
  const program = new Command('multicam-reid')
    .description('Multi-camera person detection, tracking and re-identification.')
    .showHelpAfterError()
    .exitOverride();
  program
    .command('run')
    .description('detect, track and identify people in one or more sources (files or stream URLs); several sources mean a multi-camera job')
    .argument('<sources...>', 'file paths or URLs (udp://, rtsp://, rtmp://, http(s)://, srt://, file://); a comma- or newline-separated list also works')
    .option('-z, --zones <file>', 'zones YAML/JSON file (polygons per camera)')
    .option('-o, --out <dir>', 'parent folder of the job folder (default: outputs)')
    .option('-t, --threshold <similarity>', 'cross-camera similarity threshold, 0–1 (default: 0.8)', number('threshold'))
    .option('-d, --max-duration <seconds>', 'stop after this many seconds (live sources)', number('max-duration'))
    .option('-c, --config <file>', 'pipeline configuration YAML/JSON (see configs/config.yaml)')
    .option('-s, --stride <k>', 'run the detector every k-th frame, track in between', number('stride'))
    .option('--realtime', 'read files at their native frame rate instead of as fast as possible')
    .option('--no-video', 'do not write the annotated MP4s')
    .option('--time-zone <zone>', "time zone of output names: IANA name or offset like '+07:00' (default: +07:00)")
    .option('--output-video <file>', 'single camera: also place the annotated video here')
    .option('--detector <id>', 'detector model id from the zoo (see `multicam-reid models`), e.g. bytetrack-nano-mot17')
    .option('--reid <id>', 'ReID model id from the zoo, e.g. osnet-x0.5-msmt17')
    .option('--mqtt <url>', 'publish every job event as JSON on this MQTT broker (mqtt://user:pass@host:1883); see docs/mqtt.md')
    .option('--no-progress', 'do not print progress')
    .option('--json', 'print the job result as JSON')
    .option('--redis <url>', 'run the cameras on `multicam-reid worker` processes through Redis (redis://[user:password@]host[:port]); --out must be a folder every worker reaches')
    .action(async (sources: string[], flags: RunFlags) => {
      process.exitCode = await run(sources, flags);
    });
  registerWorkerCommand(program);
  registerModelsCommand(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (error) {
    const code = (error as { code?: string; exitCode?: number }).code;
    if (code === 'commander.helpDisplayed' || code === 'commander.version' || code === 'commander.help') process.exitCode = 0;
    else if (typeof code === 'string' && code.startsWith('commander.')) process.exitCode = EXIT.invalidInput;
    else {
      console.error(`multicam-reid: ${(error as Error).message}`);
      process.exitCode = EXIT.failed;
    }
  }
}
