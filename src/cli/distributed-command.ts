/**
 * The distributed mode on the command line: `multicam-reid worker --redis URL` (a worker
 * process: takes camera jobs until SIGTERM or Ctrl-C, then stops taking jobs, lets file
 * cameras finish and hands the rest back) and the submitter behind `run … --redis URL`.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { MulticamReidError } from '../errors.js';
import { loadConfigFile, parseConfig, type PipelineConfigInput } from '../pipeline/config.js';
import { DistributedPipeline } from '../distributed/pipeline.js';
import { startWorker } from '../distributed/worker.js';
import type { GalleryMode } from '../distributed/job-data.js';

interface WorkerFlags {
  redis: string;
  concurrency?: number;
  config?: string;
  detector?: string;
  reid?: string;
  prefix?: string;
  lockDuration?: number;
  stalledInterval?: number;
  maxStalled?: number;
  shutdownGrace?: number;
}

/** Exit codes of `worker`: as `run`'s (0 stopped cleanly, 1 failed, 2 invalid input). */
const EXIT = { stopped: 0, failed: 1, invalidInput: 2, interrupted: 130 } as const;

function integer(name: string, min: number) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be a whole number ≥ ${min}, got "${value}"`);
    return n;
  };
}

function positive(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a number above 0, got "${value}"`);
    return n;
  };
}

/** A typed error as an exit code: Redis that does not answer is a failure, everything else bad input. */
export function exitCodeOf(error: MulticamReidError): number {
  return error.code === 'REDIS_UNREACHABLE' ? EXIT.failed : EXIT.invalidInput;
}

/**
 * The submitter of `run --redis`: the pipeline, connected, so that a bad URL, a refused
 * password or an unreachable Redis is reported before anything is written or queued.
 */
export async function connectSubmitter(redis: string, config: PipelineConfigInput, gallery?: GalleryMode): Promise<DistributedPipeline> {
  const pipeline = new DistributedPipeline({ redis, config, ...(gallery === undefined ? {} : { gallery }) });
  await pipeline.connect();
  return pipeline;
}

/** Registers `worker` on the program. */
export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description('run camera jobs of distributed jobs (submitted with `run … --redis URL`) from a BullMQ queue on Redis')
    .requiredOption('-r, --redis <url>', 'Redis URL: redis://[user:password@]host[:port][/db], rediss:// for TLS')
    .option('-n, --concurrency <n>', 'cameras run at once by this process (default: 1)', integer('concurrency', 1))
    .option('-c, --config <file>', "this machine's configuration YAML/JSON: its models, threads and ffmpeg are used for every camera")
    .option('--detector <id>', 'detector model id (must match the submitters\')')
    .option('--reid <id>', 'ReID model id (must match the submitters\')')
    .option('--prefix <prefix>', 'prefix of the queues and keys (default: multicam-reid)')
    .option('--lock-duration <ms>', 'camera lock duration: a dead worker is noticed after about this long (default: 30000)', integer('lock-duration', 1000))
    .option('--stalled-interval <ms>', 'interval of the check for cameras whose worker died (default: 30000)', integer('stalled-interval', 100))
    .option('--max-stalled <n>', 'times a camera may lose its worker before it fails (default: 2)', integer('max-stalled', 0))
    .option('--shutdown-grace <seconds>', 'on SIGTERM, seconds file cameras may run to their end before they are handed back (default: 30)', positive('shutdown-grace'))
    .action(async (flags: WorkerFlags) => {
      process.exitCode = await runWorker(flags);
    });
}

async function runWorker(flags: WorkerFlags): Promise<number> {
  let handle;
  try {
    const config = flags.config !== undefined ? loadConfigFile(flags.config) : parseConfig({});
    if (flags.detector !== undefined) config.detector = { ...config.detector, modelId: flags.detector, modelPath: undefined };
    if (flags.reid !== undefined) config.reid = { ...config.reid, modelId: flags.reid, modelPath: undefined };
    handle = await startWorker({
      redis: flags.redis,
      concurrency: flags.concurrency,
      config,
      prefix: flags.prefix,
      lockDuration: flags.lockDuration,
      stalledInterval: flags.stalledInterval,
      maxStalledCount: flags.maxStalled,
      shutdownGraceSeconds: flags.shutdownGrace,
    });
  } catch (error) {
    if (error instanceof MulticamReidError) {
      console.error(`multicam-reid worker: ${error.message}`);
      return exitCodeOf(error);
    }
    throw error;
  }
  const worker = handle;
  // SIGTERM or Ctrl-C: stop taking jobs, finish or hand back the cameras; a second signal leaves at once.
  return new Promise<number>((resolve) => {
    let signals = 0;
    const stop = () => {
      if (++signals > 1) process.exit(EXIT.interrupted);
      worker.close().then(
        () => resolve(EXIT.stopped),
        (error: unknown) => {
          console.error(`multicam-reid worker: ${(error as Error).message}`);
          resolve(EXIT.failed);
        },
      );
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
}
