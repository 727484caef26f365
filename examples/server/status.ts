/**
 * What `GET /status/:job_id` answers (snake_case, like the seed's API): the job's state, per-camera
 * progress, warnings and, once it has ended, where to download its outputs.
 */
import path from 'node:path';
import type { JobManager, ServerJob, ServerJobStatus, CameraView } from './jobs.js';

/** Names of a camera's outputs under `/download/:job_id/:name`. */
export const OUTPUT_NAMES = ['video', 'csv', 'json'] as const;
export type OutputName = (typeof OUTPUT_NAMES)[number];

export interface JobStatusView {
  job_id: string;
  status: ServerJobStatus;
  message: string;
  multi_camera: boolean;
  /** 1 = next to start; only while queued. */
  queue_position?: number;
  created_at: string;
  started_at?: string;
  ended_at?: string;
  elapsed_seconds: number;
  sources: string[];
  cameras: CameraView[];
  counts: ServerJob['counts'];
  warnings: string[];
  error?: { code: string; message: string };
  /** Present once the job has ended. */
  outputs?: {
    /** The results ZIP (`/download/:job_id`), or null when none was written. */
    zip: string | null;
    zip_name?: string;
    /** Single-camera jobs: the annotated MP4, tracks CSV and zones JSON. */
    video?: string;
    csv?: string;
    json?: string;
    /** Every file of the job folder, fetchable at its `url`. */
    files: Array<{ name: string; url: string }>;
  };
}

const MESSAGES: Record<ServerJobStatus, string> = {
  queued: 'Waiting for a free processing slot',
  running: 'Processing',
  cancelling: 'Stopping processing…',
  cancelled: 'Processing stopped by user',
  completed: 'Processing completed',
  failed: 'Processing failed',
};

export function statusView(job: ServerJob, manager: JobManager): JobStatusView {
  const end = job.endedAt ?? new Date();
  const view: JobStatusView = {
    job_id: job.id,
    status: job.status,
    message: job.status === 'failed' && job.error !== undefined ? `${MESSAGES.failed}: ${job.error.message}` : MESSAGES[job.status],
    multi_camera: job.isMultiCamera,
    created_at: job.createdAt.toISOString(),
    started_at: job.startedAt?.toISOString(),
    ended_at: job.endedAt?.toISOString(),
    elapsed_seconds: job.startedAt === undefined ? 0 : (end.getTime() - job.startedAt.getTime()) / 1000,
    sources: job.sources,
    cameras: job.cameras,
    counts: job.counts,
    warnings: job.warnings,
    error: job.error,
  };
  if (job.status === 'queued') view.queue_position = manager.queuePosition(job);
  if (job.isEnded) {
    const zipPath = job.result?.zipPath;
    view.outputs = {
      zip: zipPath === undefined ? null : `/download/${job.id}`,
      zip_name: zipPath === undefined ? undefined : path.basename(zipPath),
      files: job.files.map((name) => ({ name, url: `/files/${job.id}/${name.split('/').map(encodeURIComponent).join('/')}` })),
    };
    if (!job.isMultiCamera) {
      for (const name of OUTPUT_NAMES) if (outputPath(job, name, 0) !== undefined) view.outputs[name] = `/download/${job.id}/${name}`;
    }
  }
  return view;
}

/** Absolute path of one camera's output as the pipeline reported it, or undefined. */
export function outputPath(job: ServerJob, name: OutputName, cameraIndex: number): string | undefined {
  const camera = job.result?.cameras.find((c) => c.cameraIndex === cameraIndex);
  if (camera === undefined) return undefined;
  const file = name === 'video' ? camera.videoPath : name === 'csv' ? camera.csvPath : camera.zonesPath;
  if (file === undefined) return undefined;
  const relative = path.relative(job.root, file).split(path.sep).join('/');
  return job.files.includes(relative) ? file : undefined;
}
