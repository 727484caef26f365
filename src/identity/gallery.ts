import { EventEmitter } from 'eventemitter3';
import { ConfigError, ModelError } from '../errors.js';
import { ExemplarStore } from './exemplar-store.js';
import { resolveIdentityGalleryOptions, type IdentityGalleryOptions } from './options.js';
import type {
  GalleryIdentitySnapshot,
  GallerySnapshot,
  GalleryTrackSnapshot,
  IdentityAssignment,
  IdentityGalleryEvents,
  IdentityObservation,
} from './types.js';

/** What the gallery knows about one local track. */
interface TrackRecord {
  readonly cameraIndex: number;
  readonly trackId: number;
  globalId: number;
  similarity: number;
  live: boolean;
  observations: number;
  trusted: number;
  firstSeen: number;
  lastSeen: number;
  /**
   * Exemplar row holding the track's smoothed embedding; -1 before its first trusted
   * observation (while its id was given without appearance evidence).
   */
  row: number;
}

/** One global identity. */
interface IdentityRecord {
  readonly globalId: number;
  readonly name?: string;
  /** Exemplar rows: smoothed embeddings of its tracks (live or ended) and reference embeddings. */
  readonly rows: number[];
  readonly liveTracks: TrackRecord[];
  readonly cameras: Set<number>;
  trackCount: number;
  firstSeen?: number;
  lastSeen?: number;
}

/**
 * Cross-camera identity: gives every local track (camera, track id) a global person id,
 * shared by all cameras of one job, from the tracks' appearance embeddings.
 *
 * **Appearance of a track.** Each observation whose box is at least
 * {@link IdentityGalleryOptions.minBoxWidth} × {@link IdentityGalleryOptions.minBoxHeight} and
 * whose score is at least {@link IdentityGalleryOptions.minDetectionScore} is *trusted*: its
 * embedding is folded into the track's exponentially smoothed embedding
 * ({@link IdentityGalleryOptions.embeddingMomentum}). Other observations keep or give the
 * track an id but leave its appearance unchanged.
 *
 * **Appearance of an identity.** An identity is the set of its exemplars: the smoothed
 * embedding of each track that carried it (kept after the track ends, up to
 * {@link IdentityGalleryOptions.maxExemplarsPerIdentity} ended ones) and the embeddings of a
 * registered reference person. A track's similarity to an identity is the cosine similarity
 * with the best of those exemplars.
 *
 * **First assignment.** A track seen for the first time takes the most similar identity
 * whose similarity is at least {@link IdentityGalleryOptions.similarityThreshold} and that is
 * free in its camera; otherwise a new id (the next unused integer, from 1). *Free in its
 * camera* means no other live track of the same camera holds that id: one person cannot be
 * two tracks in one view, while two cameras with overlapping views may each hold the same id
 * at once. Ties go to the lower id. A track whose first observation is not trusted gets a new
 * id at once and is matched as above at its first trusted observation (switching if that finds
 * an identity).
 *
 * **Switch rule.** After {@link IdentityGalleryOptions.confidentObservations} trusted
 * observations, and again every {@link IdentityGalleryOptions.reevaluateEvery} trusted
 * observations, the track's id is reviewed: it moves to the most similar other identity free
 * in its camera when that similarity is at least `similarityThreshold + switchMargin` and at
 * least `switchMargin` above its similarity to the exemplars of its current identity other
 * than its own (an identity only the track itself stands for gives no competition). The
 * track's exemplar moves with it; an identity left with no track nor exemplar is dropped and
 * its id is not reused. A `'changed'` event is emitted.
 *
 * **Determinism.** Decisions depend only on the sequence of calls and their arguments (no
 * clocks, no randomness, ties broken by id), so the same input gives the same ids.
 *
 * Every event is emitted synchronously from {@link observe}. Not thread-safe: share one
 * gallery between cameras of one process and call it from the processing loop.
 *
 * @example
 * ```ts
 * const gallery = new IdentityGallery({ similarityThreshold: 0.8 });
 * gallery.on('changed', (e) => console.log(`camera ${e.cameraIndex} track ${e.trackId}: ${e.previousGlobalId} → ${e.globalId}`));
 * const embeddings = await embedder.embed(frame, tracks);
 * tracks.forEach((t, i) => {
 *   const { globalId, name } = gallery.observe({ cameraIndex: frame.cameraIndex, trackId: t.id,
 *     embedding: embeddings[i]!, box: t, score: t.score, timestamp: frame.pts });
 * });
 * for (const t of update.removed) gallery.endTrack(frame.cameraIndex, t.id);
 * ```
 */
export class IdentityGallery extends EventEmitter<IdentityGalleryEvents> {
  /** The options in force, defaults filled in. */
  readonly options: Readonly<IdentityGalleryOptions>;

  private readonly store: ExemplarStore;
  /** Indexed by global id; holes where an id was dropped. Index 0 is never used. */
  private readonly identities: Array<IdentityRecord | undefined> = [undefined];
  private identityCount = 0;
  private readonly identityByName = new Map<string, IdentityRecord>();
  /** Live tracks: camera index → track id → record. */
  private readonly liveTracks = new Map<number, Map<number, TrackRecord>>();
  /** Every track ever seen, in first-seen order, for snapshots. */
  private readonly allTracks: TrackRecord[] = [];
  /** Per exemplar row: the track it belongs to (null for a reference embedding) and when it last changed. */
  private readonly rowTrack: Array<TrackRecord | null> = [];
  private readonly rowUpdated: number[] = [];
  /** Camera of the search in progress, read by {@link isFreeInSearchCamera}. */
  private searchCamera = -1;
  private readonly isFreeInSearchCamera = (globalId: number): boolean => {
    const identity = this.identities[globalId];
    if (identity === undefined) return false;
    for (const track of identity.liveTracks) if (track.cameraIndex === this.searchCamera) return false;
    return true;
  };

  /** @throws ConfigError (`INVALID_OPTION`) when an option is unknown or out of range. */
  constructor(options: Partial<IdentityGalleryOptions> = {}) {
    super();
    this.options = Object.freeze(resolveIdentityGalleryOptions(options));
    this.store = new ExemplarStore(this.options.embeddingDimension, this.options.initialCapacity);
  }

  /** Number of global identities, registered reference persons included. */
  get size(): number {
    return this.identityCount;
  }

  /**
   * Records one appearance of a local track and returns its global identity. The first call
   * for a (camera, track id) creates the track and emits `'assigned'`; later calls may switch
   * it (see the class description) and emit `'changed'`. Call it for confirmed tracks only,
   * as often as new embeddings arrive (every frame is fine; skipping frames is fine).
   *
   * @throws ConfigError (`INVALID_OPTION`) when the camera index, track id, box, score or
   *   timestamp is not a valid number, and ModelError (`MODEL_MISMATCH`) when the embedding
   *   length differs from {@link IdentityGalleryOptions.embeddingDimension}.
   */
  observe(input: IdentityObservation): IdentityAssignment {
    this.checkObservation(input);
    const { cameraIndex, trackId, embedding, box, score, timestamp } = input;
    const norm = embeddingNorm(embedding);
    const trusted =
      norm > 0 &&
      box.x2 - box.x1 >= this.options.minBoxWidth &&
      box.y2 - box.y1 >= this.options.minBoxHeight &&
      score >= this.options.minDetectionScore;

    const track = this.liveTracks.get(cameraIndex)?.get(trackId);
    if (track === undefined) return this.startTrack(input, trusted);

    track.observations++;
    track.lastSeen = timestamp;
    this.noteSeen(this.identities[track.globalId]!, timestamp);
    if (!trusted) return assignmentOf(track, this.identities[track.globalId]!, false);

    track.trusted++;
    const previousGlobalId = track.globalId;
    if (track.row < 0) {
      // First trusted look at a track that got its id blind: match it as a new track would be.
      this.attachRow(track, embedding, timestamp);
      this.searchCamera = cameraIndex;
      const row = this.store.findBest(track.row, track.globalId, this.options.similarityThreshold, this.isFreeInSearchCamera);
      if (row >= 0) this.switchTrack(track, this.store.ownerOf(row), this.store.lastSimilarity);
    } else {
      this.store.blend(track.row, embedding, norm, this.options.embeddingMomentum);
      this.rowUpdated[track.row] = timestamp;
      if (this.isReviewDue(track)) this.review(track);
    }
    const changed = track.globalId !== previousGlobalId;
    return assignmentOf(track, this.identities[track.globalId]!, changed, changed ? previousGlobalId : undefined);
  }

  /** The current identity of a live track, or undefined when the gallery has no such live track. */
  get(cameraIndex: number, trackId: number): IdentityAssignment | undefined {
    const track = this.liveTracks.get(cameraIndex)?.get(trackId);
    return track === undefined ? undefined : assignmentOf(track, this.identities[track.globalId]!, false);
  }

  /**
   * Marks a track as gone (e.g. removed by its tracker). Its id becomes free in its camera
   * again, and its smoothed embedding stays with the identity as an exemplar for later
   * matches (the oldest ended exemplars beyond
   * {@link IdentityGalleryOptions.maxExemplarsPerIdentity} are dropped). A later `observe` of
   * the same (camera, track id) starts a new track. Returns false when no such live track existed.
   */
  endTrack(cameraIndex: number, trackId: number): boolean {
    const cameraTracks = this.liveTracks.get(cameraIndex);
    const track = cameraTracks?.get(trackId);
    if (cameraTracks === undefined || track === undefined) return false;
    cameraTracks.delete(trackId);
    track.live = false;
    const identity = this.identities[track.globalId]!;
    removeItem(identity.liveTracks, track);
    this.pruneEndedExemplars(identity);
    return true;
  }

  /**
   * Registers a known person ("find this person"): a named identity whose exemplars are the
   * given embeddings (e.g. of a few photos, see {@link registerReferenceImages}). Tracks match
   * it by the same rules as any identity and then carry its name. Registering a name again
   * adds the embeddings to that person. Reference embeddings are never dropped.
   *
   * @returns the person's global id.
   * @throws ConfigError (`INVALID_OPTION`) for an empty name, no embeddings or an all-zero
   *   embedding; ModelError (`MODEL_MISMATCH`) for an embedding of the wrong length.
   */
  registerReference(name: string, embeddings: Float32Array[]): number {
    if (typeof name !== 'string' || name.trim() === '') {
      throw new ConfigError('INVALID_OPTION', 'registerReference(): the reference name must be a non-empty string', { culprit: String(name) });
    }
    if (!Array.isArray(embeddings) || embeddings.length === 0) {
      throw new ConfigError('INVALID_OPTION', `registerReference("${name}"): give at least one embedding of the person`, { culprit: name });
    }
    embeddings.forEach((embedding, i) => {
      this.checkEmbedding(embedding, `registerReference("${name}") embedding ${i}`);
      if (!(embeddingNorm(embedding) > 0)) {
        throw new ConfigError('INVALID_OPTION', `registerReference("${name}") embedding ${i} is all zeros or not finite; embed a real photo of the person`, { culprit: name });
      }
    });
    const identity = this.identityByName.get(name) ?? this.createIdentity(name);
    for (const embedding of embeddings) {
      const row = this.store.allocate(identity.globalId, embedding);
      this.rowTrack[row] = null;
      this.rowUpdated[row] = -Infinity;
      identity.rows.push(row);
    }
    return identity.globalId;
  }

  /** A plain copy of every identity and track, for reports (JSON-able). */
  snapshot(): GallerySnapshot {
    const identities: GalleryIdentitySnapshot[] = [];
    for (const identity of this.identities) {
      if (identity === undefined) continue;
      const entry: GalleryIdentitySnapshot = {
        globalId: identity.globalId,
        cameras: [...identity.cameras].sort((a, b) => a - b),
        trackCount: identity.trackCount,
        exemplars: identity.rows.length,
      };
      if (identity.name !== undefined) entry.name = identity.name;
      if (identity.firstSeen !== undefined) entry.firstSeen = identity.firstSeen;
      if (identity.lastSeen !== undefined) entry.lastSeen = identity.lastSeen;
      identities.push(entry);
    }
    const tracks: GalleryTrackSnapshot[] = this.allTracks
      .map((t) => ({
        cameraIndex: t.cameraIndex,
        trackId: t.trackId,
        globalId: t.globalId,
        similarity: t.similarity,
        live: t.live,
        observations: t.observations,
        trustedObservations: t.trusted,
        firstSeen: t.firstSeen,
        lastSeen: t.lastSeen,
      }))
      .sort((a, b) => a.cameraIndex - b.cameraIndex || a.trackId - b.trackId || a.firstSeen - b.firstSeen);
    return { identities, tracks };
  }

  private startTrack(input: IdentityObservation, trusted: boolean): IdentityAssignment {
    const track: TrackRecord = {
      cameraIndex: input.cameraIndex,
      trackId: input.trackId,
      globalId: 0,
      similarity: 1,
      live: true,
      observations: 1,
      trusted: trusted ? 1 : 0,
      firstSeen: input.timestamp,
      lastSeen: input.timestamp,
      row: -1,
    };
    let identity: IdentityRecord | undefined;
    if (trusted) {
      // Row owner 0 (no identity) until decided; the search skips the query's own row anyway.
      track.row = this.store.allocate(0, input.embedding);
      this.rowTrack[track.row] = track;
      this.rowUpdated[track.row] = input.timestamp;
      this.searchCamera = input.cameraIndex;
      const best = this.store.findBest(track.row, 0, this.options.similarityThreshold, this.isFreeInSearchCamera);
      if (best >= 0) {
        identity = this.identities[this.store.ownerOf(best)]!;
        track.similarity = this.store.lastSimilarity;
      }
    }
    identity ??= this.createIdentity();
    this.joinIdentity(track, identity);
    let cameraTracks = this.liveTracks.get(track.cameraIndex);
    if (cameraTracks === undefined) this.liveTracks.set(track.cameraIndex, (cameraTracks = new Map()));
    cameraTracks.set(track.trackId, track);
    this.allTracks.push(track);

    const event = { cameraIndex: track.cameraIndex, trackId: track.trackId, globalId: track.globalId, similarity: track.similarity };
    this.emit('assigned', identity.name === undefined ? event : { ...event, name: identity.name });
    if (identity.name !== undefined) this.emit('reference-matched', { ...event, name: identity.name });
    return assignmentOf(track, identity, false, undefined, true);
  }

  /** Due at `confidentObservations` trusted observations, then every `reevaluateEvery`. */
  private isReviewDue(track: TrackRecord): boolean {
    const since = track.trusted - this.options.confidentObservations;
    return since >= 0 && since % this.options.reevaluateEvery === 0;
  }

  /** Applies the switch rule (see the class description). */
  private review(track: TrackRecord): void {
    const current = this.identities[track.globalId]!;
    let currentSimilarity = -Infinity;
    for (const row of current.rows) {
      if (row !== track.row) currentSimilarity = Math.max(currentSimilarity, this.store.dotRows(track.row, row));
    }
    const { similarityThreshold, switchMargin } = this.options;
    const floor = Math.max(similarityThreshold + switchMargin, currentSimilarity + switchMargin);
    this.searchCamera = track.cameraIndex;
    const best = this.store.findBest(track.row, track.globalId, floor, this.isFreeInSearchCamera);
    if (best >= 0) this.switchTrack(track, this.store.ownerOf(best), this.store.lastSimilarity);
  }

  /** Moves a live track (and its exemplar) to another identity and emits `'changed'`. */
  private switchTrack(track: TrackRecord, globalId: number, similarity: number): void {
    const from = this.identities[track.globalId]!;
    const to = this.identities[globalId]!;
    removeItem(from.liveTracks, track);
    if (track.row >= 0) removeItem(from.rows, track.row);
    // An identity that only ever stood for this track is now empty: drop it.
    if (from.rows.length === 0 && from.liveTracks.length === 0 && from.trackCount === 1 && from.name === undefined) {
      this.identities[from.globalId] = undefined;
      this.identityCount--;
    }
    const previousGlobalId = track.globalId;
    track.similarity = similarity;
    this.joinIdentity(track, to);
    const event = { cameraIndex: track.cameraIndex, trackId: track.trackId, previousGlobalId, globalId, similarity };
    this.emit('changed', to.name === undefined ? event : { ...event, name: to.name });
    if (to.name !== undefined) {
      this.emit('reference-matched', { cameraIndex: track.cameraIndex, trackId: track.trackId, globalId, name: to.name, similarity });
    }
  }

  private joinIdentity(track: TrackRecord, identity: IdentityRecord): void {
    track.globalId = identity.globalId;
    identity.liveTracks.push(track);
    identity.trackCount++;
    identity.cameras.add(track.cameraIndex);
    if (track.row >= 0) {
      this.store.reassign(track.row, identity.globalId);
      identity.rows.push(track.row);
    }
    this.noteSeen(identity, track.lastSeen);
    identity.firstSeen = Math.min(identity.firstSeen ?? track.firstSeen, track.firstSeen);
  }

  private attachRow(track: TrackRecord, embedding: Float32Array, timestamp: number): void {
    const identity = this.identities[track.globalId]!;
    track.row = this.store.allocate(identity.globalId, embedding);
    this.rowTrack[track.row] = track;
    this.rowUpdated[track.row] = timestamp;
    identity.rows.push(track.row);
  }

  private createIdentity(name?: string): IdentityRecord {
    const identity: IdentityRecord = {
      globalId: this.identities.length,
      rows: [],
      liveTracks: [],
      cameras: new Set(),
      trackCount: 0,
      ...(name === undefined ? {} : { name }),
    };
    this.identities.push(identity);
    this.identityCount++;
    if (name !== undefined) this.identityByName.set(name, identity);
    return identity;
  }

  /** Keeps at most `maxExemplarsPerIdentity` exemplars of ended tracks, dropping the least recently updated. */
  private pruneEndedExemplars(identity: IdentityRecord): void {
    for (;;) {
      let ended = 0;
      let oldest = -1;
      for (const row of identity.rows) {
        const owner = this.rowTrack[row];
        if (owner === null || owner === undefined || owner.live) continue;
        ended++;
        if (oldest < 0 || this.rowUpdated[row]! < this.rowUpdated[oldest]! || (this.rowUpdated[row] === this.rowUpdated[oldest] && row < oldest)) oldest = row;
      }
      if (ended <= this.options.maxExemplarsPerIdentity) return;
      removeItem(identity.rows, oldest);
      this.rowTrack[oldest] = null;
      this.store.release(oldest);
    }
  }

  private noteSeen(identity: IdentityRecord, timestamp: number): void {
    identity.lastSeen = Math.max(identity.lastSeen ?? timestamp, timestamp);
  }

  private checkObservation(input: IdentityObservation): void {
    const bad = (field: string, value: unknown, wanted: string) =>
      new ConfigError('INVALID_OPTION', `observe(): ${field} = ${String(value)} is invalid: it must be ${wanted}`, { culprit: field });
    if (!Number.isInteger(input.cameraIndex) || input.cameraIndex < 0) throw bad('cameraIndex', input.cameraIndex, 'a non-negative integer');
    if (!Number.isInteger(input.trackId)) throw bad('trackId', input.trackId, 'an integer');
    if (!Number.isFinite(input.score)) throw bad('score', input.score, 'a finite number');
    if (!Number.isFinite(input.timestamp)) throw bad('timestamp', input.timestamp, 'a finite number');
    const box = input.box;
    if (box === null || typeof box !== 'object' || ![box.x1, box.y1, box.x2, box.y2].every(Number.isFinite)) {
      throw bad('box', JSON.stringify(box), 'an object with finite x1, y1, x2, y2');
    }
    this.checkEmbedding(input.embedding, `observe() for camera ${input.cameraIndex} track ${input.trackId}`);
  }

  private checkEmbedding(embedding: Float32Array, where: string): void {
    if (!(embedding instanceof Float32Array)) {
      throw new ConfigError('INVALID_OPTION', `${where}: the embedding must be a Float32Array`, { culprit: 'embedding' });
    }
    if (embedding.length !== this.options.embeddingDimension) {
      throw new ModelError(
        'MODEL_MISMATCH',
        `${where}: the embedding has ${embedding.length} values but the gallery expects ${this.options.embeddingDimension}; ` +
          'use one ReID model for every camera, or set the embeddingDimension option to its output size',
        { culprit: 'embedding' },
      );
    }
  }
}

/** Euclidean norm; 0 for an all-zero vector and NaN when a value is not finite. */
function embeddingNorm(embedding: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < embedding.length; i++) sum += embedding[i]! * embedding[i]!;
  return Number.isFinite(sum) ? Math.sqrt(sum) : Number.NaN;
}

function assignmentOf(track: TrackRecord, identity: IdentityRecord, changed: boolean, previousGlobalId?: number, isNew = false): IdentityAssignment {
  const assignment: IdentityAssignment = { globalId: track.globalId, similarity: track.similarity, isNew, changed };
  if (identity.name !== undefined) assignment.name = identity.name;
  if (previousGlobalId !== undefined) assignment.previousGlobalId = previousGlobalId;
  return assignment;
}

function removeItem<T>(list: T[], item: T): void {
  const index = list.indexOf(item);
  if (index >= 0) list.splice(index, 1);
}
