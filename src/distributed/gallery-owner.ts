/**
 * The owner of a job's shared identity gallery, on the submitter: one real
 * {@link IdentityGallery} fed, in the order of the job's operations stream, with every camera
 * attempt's calls, and a stream of decisions per attempt back. A single owner applying one
 * ordered stream is what makes minting atomic: a new global id is created by one process at
 * one point of the order, so the same person seen by two workers at once gets one id.
 *
 * Each attempt of a camera is its own camera in the gallery (a restarted file camera's track
 * ids and timestamps start again); when a later attempt joins, the earlier attempt's live
 * tracks are ended, so its descriptors stay as exemplars the new attempt matches.
 */
import type { Redis } from 'ioredis';
import { IdentityGallery } from '../identity/gallery.js';
import type { IdentityGalleryOptions } from '../identity/options.js';
import type { IdentityAssignment } from '../identity/types.js';
import { toLibraryError } from '../errors.js';
import type { RedisTraffic } from './event-stream.js';
import { GALLERY_FIELD, floatsOf, type DecisionMessage, type EndAnswer, type GalleryOp } from './gallery-wire.js';
import type { JobKeys } from './keys.js';

/** Gallery camera indexes per attempt: attempt n of camera c is camera `(n − 1) × ATTEMPT_STRIDE + c` of the gallery. */
const ATTEMPT_STRIDE = 100_000;
/** Entries a decisions stream keeps (approximately). */
const STREAM_MAX_LENGTH = 100_000;

interface AttemptState {
  cameraIndex: number;
  galleryCamera: number;
  /** Last decision sent per track: global id, similarity and name. */
  sent: Map<number, { globalId: number; similarity: number; name?: string }>;
  outbox: DecisionMessage[];
}

export class GalleryOwner {
  readonly traffic: RedisTraffic = { commands: 0, roundTrips: 0 };
  /** Gallery calls applied. */
  operations = 0;
  private gallery: IdentityGallery | undefined;
  private readonly attempts = new Map<string, AttemptState>();
  /** The gallery camera of each camera's latest attempt. */
  private readonly current = new Map<number, number>();
  private referencesRegistered = false;
  private lastId = '0-0';
  private stopped = false;
  private readonly warned = new Set<string>();

  constructor(
    private readonly redis: Redis,
    /** A connection of its own for the blocking reads (closed by {@link stop}). */
    private readonly reader: Redis,
    private readonly keys: JobKeys,
    private readonly options: Partial<IdentityGalleryOptions>,
    private readonly warn: (message: string, cameraIndex: number | undefined, code: string) => void,
  ) {}

  /** Distinct global identities of the job so far (as a local job counts them). */
  get identities(): number {
    return this.gallery === undefined ? 0 : this.gallery.size + this.gallery.stats().evicted;
  }

  get evicted(): number {
    return this.gallery?.stats().evicted ?? 0;
  }

  start(): void {
    void this.run();
  }

  /** Applies what the stream holds now (the last calls of the cameras), then stops. */
  async drain(): Promise<void> {
    while ((await this.readOnce(undefined)) > 0);
  }

  stop(): void {
    this.stopped = true;
    this.reader.disconnect();
  }

  /** Every decisions stream this owner wrote (for the job's clean-up). */
  decisionKeys(): string[] {
    return [...this.attempts.keys()].map((token) => this.keys.galleryDecisions(token));
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.readOnce(1000);
      } catch {
        if (this.stopped) return;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  }

  private async readOnce(blockMs: number | undefined): Promise<number> {
    const args: Array<string | number> = ['COUNT', 200];
    if (blockMs !== undefined) args.push('BLOCK', blockMs);
    this.traffic.commands++;
    this.traffic.roundTrips++;
    const connection = blockMs === undefined ? this.redis : this.reader;
    const reply = (await (connection.xreadBuffer as (...a: Array<string | number>) => Promise<unknown>)(...args, 'STREAMS', this.keys.galleryOps, this.lastId)) as
      | Array<[Buffer, Array<[Buffer, Buffer[]]>]>
      | null;
    if (reply === null) return 0;
    let count = 0;
    for (const [, entries] of reply) {
      for (const [id, fields] of entries) {
        this.lastId = id.toString();
        count++;
        this.applyEntry(fields);
      }
    }
    await this.sendDecisions();
    return count;
  }

  private applyEntry(fields: Buffer[]): void {
    const values = new Map<string, Buffer>();
    for (let i = 0; i + 1 < fields.length; i += 2) values.set(fields[i]!.toString(), fields[i + 1]!);
    const token = values.get(GALLERY_FIELD.attempt)?.toString();
    const json = values.get(GALLERY_FIELD.json);
    if (token === undefined || json === undefined) return;
    const floats = values.has(GALLERY_FIELD.embeddings) ? floatsOf(values.get(GALLERY_FIELD.embeddings)!) : new Float32Array(0);
    let offset = 0;
    const take = (n: number) => {
      const part = floats.subarray(offset, offset + n);
      offset += n;
      return part;
    };
    for (const op of JSON.parse(json.toString('utf8')) as GalleryOp[]) {
      try {
        this.apply(token, op, take);
      } catch (error) {
        const failure = toLibraryError(error, 'applying a call to the shared gallery');
        const key = `${token}:${failure.code}`;
        if (!this.warned.has(key)) {
          this.warned.add(key);
          this.warn(`shared gallery: ${failure.message}`, this.attempts.get(token)?.cameraIndex, failure.code);
        }
      }
    }
  }

  /** Applies one call; `take` reads its embeddings from the entry's. */
  private apply(token: string, op: GalleryOp, take: (n: number) => Float32Array): void {
    if (op[0] === 'a') {
      const [, cameraIndex, attempt, dimension, references] = op;
      this.gallery ??= new IdentityGallery({ ...this.options, embeddingDimension: dimension });
      const galleryCamera = (attempt - 1) * ATTEMPT_STRIDE + cameraIndex;
      const previous = this.current.get(cameraIndex);
      if (previous !== undefined && previous !== galleryCamera) this.endCamera(previous);
      this.current.set(cameraIndex, galleryCamera);
      this.attempts.set(token, { cameraIndex, galleryCamera, sent: new Map(), outbox: [] });
      for (const [name, count] of references) {
        const embeddings = Array.from({ length: count }, () => take(dimension).slice());
        if (!this.referencesRegistered) this.gallery.registerReference(name, embeddings);
      }
      if (references.length > 0) this.referencesRegistered = true;
      return;
    }
    const state = this.attempts.get(token);
    const gallery = this.gallery;
    if (state === undefined || gallery === undefined) {
      if (op[0] === 'o') take(this.options.embeddingDimension ?? 0);
      return;
    }
    this.operations++;
    const camera = state.galleryCamera;
    switch (op[0]) {
      case 'o': {
        const [, trackId, timestamp, x1, y1, x2, y2, score, trusted] = op;
        const embedding = take(gallery.options.embeddingDimension);
        this.note(state, trackId, gallery.observe({ cameraIndex: camera, trackId, embedding, box: { x1, y1, x2, y2 }, score, trusted: trusted === 1, timestamp }));
        break;
      }
      case 't':
        this.note(state, op[1], gallery.touch(camera, op[1], op[2]));
        break;
      case 'e': {
        const final = gallery.endTrack(camera, op[1]);
        state.sent.delete(op[1]);
        const answer: EndAnswer = final === undefined ? ['E', op[1], 0, 0] : ['E', op[1], final.globalId, final.similarity];
        if (final?.name !== undefined) answer.push(final.name);
        state.outbox.push(answer);
        break;
      }
    }
  }

  /** Queues a decision when it differs from the last one sent for the track. */
  private note(state: AttemptState, trackId: number, assignment: IdentityAssignment | undefined): void {
    if (assignment === undefined) return;
    const last = state.sent.get(trackId);
    if (last !== undefined && last.globalId === assignment.globalId && last.name === assignment.name && Math.abs(last.similarity - assignment.similarity) < 0.01) return;
    state.sent.set(trackId, { globalId: assignment.globalId, similarity: assignment.similarity, ...(assignment.name === undefined ? {} : { name: assignment.name }) });
    state.outbox.push(assignment.name === undefined ? [trackId, assignment.globalId, assignment.similarity] : [trackId, assignment.globalId, assignment.similarity, assignment.name]);
  }

  /** Ends the live tracks of an earlier attempt of a camera. */
  private endCamera(galleryCamera: number): void {
    const gallery = this.gallery!;
    for (const track of gallery.snapshot().tracks) if (track.cameraIndex === galleryCamera) gallery.endTrack(galleryCamera, track.trackId);
  }

  private async sendDecisions(): Promise<void> {
    const pending = [...this.attempts.entries()].filter(([, s]) => s.outbox.length > 0);
    if (pending.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (const [token, state] of pending) {
      pipeline.xadd(this.keys.galleryDecisions(token), 'MAXLEN', '~', STREAM_MAX_LENGTH, '*', GALLERY_FIELD.json, JSON.stringify(state.outbox));
      state.outbox = [];
    }
    this.traffic.commands += pending.length;
    this.traffic.roundTrips++;
    await pipeline.exec();
  }
}
