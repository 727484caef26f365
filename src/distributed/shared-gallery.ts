/**
 * The worker's side of a job's shared identity gallery. The gallery itself lives with the
 * job's submitter (one owner per job, so a new global id is minted by one process in one
 * order: two workers never give one person two ids at the same moment). A camera attempt's
 * {@link RemoteGallery} answers the camera loop at once from the decisions received so far,
 * queues the loop's calls and sends them in one stream entry per flush; the owner's decisions
 * are applied as they come. Nothing on the per-frame path waits for Redis; only a track that
 * ends undecided waits, once, for its final id (see GalleryLink).
 */
import { IdentityGallery } from '../identity/gallery.js';
import type { IdentityGalleryOptions } from '../identity/options.js';
import type { GallerySnapshot, GalleryStats, IdentityAssignment, IdentityObservation } from '../identity/types.js';
import { ConfigError } from '../errors.js';
import { decodeImageFile } from '../streams/image-file.js';
import type { PipelineConfig } from '../pipeline/config.js';
import type { LoadedModels } from '../pipeline/pipeline.js';
import type { CameraAttempt, GalleryLease, GalleryProvider } from './camera-job.js';
import type { RedisTraffic } from './event-stream.js';
import type { Decision, GalleryOp } from './gallery-wire.js';
import { GalleryLink, type LinkChannel } from './gallery-link.js';
import type { RedisTarget } from './redis.js';
import type { CameraJobData } from './job-data.js';
import { JobKeys } from './keys.js';

export interface RemoteGalleryOptions {
  /**
   * Milliseconds between flushes of the camera's gallery calls. Shorter: decisions come back
   * sooner (the CSV is written late enough for a few flushes); longer: fewer Redis round trips.
   * @default 50
   */
  flushMs?: number;
  /**
   * Longest wait, in milliseconds, for the final id of a track that ends undecided (the camera
   * loop is blocked meanwhile; a few milliseconds when Redis and the owner are near). After a
   * wait runs out, the next ones are skipped for 5 s.
   * @default 500
   */
  endWaitMs?: number;
}

/**
 * A camera attempt's view of the job's shared gallery: an {@link IdentityGallery} to the
 * camera loop (same options, same calls), whose answers are the owner's latest decisions.
 * `observe` and `get` return the track's decided id so far (undefined until the first
 * decision arrives); `touch` returns it once when it arrives or changes, as a local touch
 * returns the decision it made; `endTrack` returns the last decision known.
 */
export class RemoteGallery extends IdentityGallery {
  private readonly known = new Map<number, IdentityAssignment>();
  /** Tracks whose latest decision `touch` has not returned yet. */
  private readonly unannounced = new Set<number>();
  private ops: GalleryOp[] = [];
  /** Index in {@link ops} of a track's latest queued touch, while it is the track's latest op. */
  private readonly touchAt = new Map<number, number>();
  private floats: Float32Array;
  private floatCount = 0;
  private timer: NodeJS.Timeout | undefined;
  /** Tracks that ended undecided and waited for their final id, and the milliseconds waited in all (for the report). */
  waitedEnds = 0;
  waitedMs = 0;

  constructor(
    options: Partial<IdentityGalleryOptions>,
    private readonly channel: LinkChannel,
    private readonly cameraIndex: number,
    private readonly attemptNumber: number,
    private readonly flushMs = 50,
    private readonly endWaitMs = 500,
  ) {
    super({ ...options, initialCapacity: 1 });
    this.floats = new Float32Array(this.options.embeddingDimension * 16);
  }

  /** Joins the job's gallery, with the reference persons this worker embedded. */
  start(references: Array<{ name: string; embeddings: Float32Array[] }>): void {
    this.queue(['a', this.cameraIndex, this.attemptNumber, this.options.embeddingDimension, references.map((r) => [r.name, r.embeddings.length])]);
    for (const r of references) for (const e of r.embeddings) this.queueFloats(e);
    this.flush();
  }

  /** The owner's decisions, as the link delivers them. */
  applyDecisions(decisions: Decision[]): void {
    for (const [trackId, globalId, similarity, name] of decisions) {
      const previous = this.known.get(trackId);
      const assignment: IdentityAssignment = { globalId, similarity, isNew: previous === undefined, changed: previous !== undefined && previous.globalId !== globalId };
      if (name !== undefined) assignment.name = name;
      if (assignment.changed) assignment.previousGlobalId = previous!.globalId;
      this.known.set(trackId, assignment);
      this.unannounced.add(trackId);
    }
  }

  override observe(input: IdentityObservation): IdentityAssignment | undefined {
    const { box } = input;
    this.queue(['o', input.trackId, input.timestamp, box.x1, box.y1, box.x2, box.y2, input.score, input.trusted === false ? 0 : 1]);
    this.queueFloats(input.embedding);
    this.unannounced.delete(input.trackId); // the loop announces what observe returns
    return this.known.get(input.trackId);
  }

  override touch(_cameraIndex: number, trackId: number, timestamp: number): IdentityAssignment | undefined {
    const at = this.touchAt.get(trackId);
    if (at !== undefined) (this.ops[at] as ['t', number, number])[2] = timestamp; // one touch per track per flush is enough
    else {
      this.touchAt.set(trackId, this.ops.length);
      this.queue(['t', trackId, timestamp], false);
    }
    if (!this.unannounced.delete(trackId)) return undefined;
    return this.known.get(trackId);
  }

  override get(_cameraIndex: number, trackId: number): IdentityAssignment | undefined {
    return this.known.get(trackId);
  }

  /**
   * Ends the track at the owner. A track still undecided waits here (bounded) for the owner's
   * final id, as a local `endTrack` decides it on the spot: the camera loop writes it into the
   * rows it holds and into identities.json now.
   */
  override endTrack(_cameraIndex: number, trackId: number): IdentityAssignment | undefined {
    this.queue(['e', trackId]);
    let last = this.known.get(trackId);
    this.known.delete(trackId); // a later observe of this id is a new track
    this.unannounced.delete(trackId);
    if (last === undefined) {
      this.flush();
      this.waitedEnds++;
      const t0 = performance.now();
      const answer = this.channel.endTrackSync(trackId, this.endWaitMs);
      this.waitedMs += performance.now() - t0;
      if (answer !== undefined && answer.globalId > 0) {
        last = { globalId: answer.globalId, similarity: answer.similarity, isNew: true, changed: false };
        if (answer.name !== undefined) last.name = answer.name;
      }
    }
    return last;
  }

  override registerReference(): number {
    throw new ConfigError('INVALID_OPTION', "registerReference(): a job's shared gallery registers its reference persons from the job's options", { culprit: 'registerReference' });
  }

  override snapshot(): GallerySnapshot {
    return { identities: [], tracks: [], evicted: 0 };
  }

  override stats(): GalleryStats {
    return { identities: 0, liveTracks: this.known.size, pendingTracks: 0, exemplarRows: 0, storeCapacity: 0, evicted: 0 };
  }

  /** Sends the queued calls (one stream entry, written by the link's thread). */
  flush(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.ops.length === 0) return;
    this.channel.send(JSON.stringify(this.ops), this.floats.subarray(0, this.floatCount));
    this.ops = [];
    this.floatCount = 0;
    this.touchAt.clear();
  }

  /** Sends what is queued and closes the channel; resolves with its Redis traffic. */
  async close(): Promise<RedisTraffic> {
    this.flush();
    return this.channel.close();
  }

  private queue(op: GalleryOp, clearsTouch = true): void {
    if (clearsTouch) this.touchAt.delete(op[1] as number);
    this.ops.push(op);
    this.timer ??= setTimeout(() => this.flush(), this.flushMs);
  }

  private queueFloats(embedding: Float32Array): void {
    const need = this.floatCount + embedding.length;
    if (need > this.floats.length) {
      const grown = new Float32Array(Math.max(need, this.floats.length * 2));
      grown.set(this.floats.subarray(0, this.floatCount));
      this.floats = grown;
    }
    this.floats.set(embedding, this.floatCount);
    this.floatCount = need;
  }
}

/** The worker's provider of shared galleries: one {@link RemoteGallery} per camera attempt, over one {@link GalleryLink}. */
export class SharedGalleries implements GalleryProvider {
  private link: GalleryLink | undefined;

  constructor(
    private readonly target: RedisTarget,
    private readonly prefix: string,
    private readonly options: RemoteGalleryOptions = {},
  ) {}

  async acquire(data: CameraJobData, attempt: CameraAttempt, config: PipelineConfig, models: LoadedModels): Promise<GalleryLease> {
    const embedder = models.embedder;
    if (embedder === undefined) return { release: async () => undefined };
    // Every worker embeds the job's reference persons; the owner registers the first it receives.
    const references: Array<{ name: string; embeddings: Float32Array[] }> = [];
    for (const person of data.referencePersons) {
      const embeddings: Float32Array[] = [];
      for (const imagePath of person.imagePaths) embeddings.push(await embedder.embedImage(await decodeImageFile(imagePath, { pixelFormat: 'rgb24' })));
      references.push({ name: person.name, embeddings });
    }
    this.link ??= new GalleryLink(this.target.options);
    const keys = new JobKeys(this.prefix, data.jobId);
    let gallery: RemoteGallery | undefined;
    const channel = this.link.open(attempt.token, keys.galleryOps, keys.galleryDecisions(attempt.token), (decisions) => gallery?.applyDecisions(decisions));
    gallery = new RemoteGallery(
      { embeddingDimension: embedder.dimension, ...config.identity, similarityThreshold: data.similarityThreshold },
      channel,
      data.cameraIndex,
      attempt.number,
      this.options.flushMs,
      this.options.endWaitMs,
    );
    gallery.start(references);
    const traffic: RedisTraffic = { commands: 0, roundTrips: 0 };
    const own = gallery;
    return {
      gallery: own,
      traffic,
      release: async () => {
        Object.assign(traffic, await own.close(), { waitedEnds: own.waitedEnds, waitedMs: own.waitedMs });
      },
    };
  }

  /** Ends the link's thread (the worker is closing). */
  async close(): Promise<void> {
    await this.link?.stop();
    this.link = undefined;
  }
}
