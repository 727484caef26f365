import { EventEmitter } from 'eventemitter3';
import { ConfigError, ModelError } from '../errors.js';
import { ExemplarStore } from './exemplar-store.js';
import { resolveIdentityGalleryOptions, type IdentityGalleryOptions } from './options.js';
import {
  MAX_LISTED_TRACKS,
  type GalleryCameraAppearance,
  type GalleryIdentitySnapshot,
  type GallerySnapshot,
  type GalleryStats,
  type GalleryTrackSnapshot,
  type IdentityAssignment,
  type IdentityGalleryEvents,
  type IdentityObservation,
  type IdentityRegistry,
} from './types.js';

/** What the gallery knows about one live local track. */
interface TrackRecord {
  readonly cameraIndex: number;
  readonly trackId: number;
  /** 0 while undecided. */
  globalId: number;
  similarity: number;
  observations: number;
  /** Trusted observations: good crops folded into the descriptor. */
  evidence: number;
  firstSeen: number;
  lastSeen: number;
  /** Exemplar row of the track's descriptor; -1 before its first good crop. */
  row: number;
  /** Decided before any good crop: its first one is matched again as a new track's would be. */
  blind: boolean;
}

/** Where one identity was seen by one camera; `ended` holds the time spans of its ended tracks there. */
interface CameraRecord {
  firstSeen: number;
  lastSeen: number;
  trackIds: number[];
  trackCount: number;
  /** [start, end] of the latest ended tracks, flattened; two tracks alive together are two people. */
  ended: number[];
}

/** One global identity. */
interface IdentityRecord {
  readonly globalId: number;
  readonly name?: string;
  /** Exemplar rows: descriptors of its tracks (live or ended) and reference embeddings. */
  readonly rows: number[];
  readonly liveTracks: TrackRecord[];
  readonly cameras: Map<number, CameraRecord>;
  trackCount: number;
  firstSeen?: number;
  lastSeen?: number;
}

/** Time spans of ended tracks kept per identity and camera for the co-occurrence rule. */
const ENDED_SPANS_KEPT = 8;
/** Gallery operations between two eviction sweeps (each sweep is one pass over the identities). */
const SWEEP_EVERY = 128;

/**
 * Cross-camera identity: gives every local track (camera, track id) a global person id,
 * shared by all cameras of one job, from the appearance of the track as a whole.
 *
 * **A track's descriptor.** Each observation of a good crop (the caller's `trusted` verdict,
 * else a box of at least {@link IdentityGalleryOptions.minBoxWidth} ×
 * {@link IdentityGalleryOptions.minBoxHeight} at score {@link IdentityGalleryOptions.minDetectionScore})
 * is folded into the track's descriptor: the mean of its first good embeddings, then an
 * exponential average. Other observations keep the track alive but change nothing.
 *
 * **Deciding.** A track's id is decided once it has {@link IdentityGalleryOptions.minEvidence}
 * good crops, or {@link IdentityGalleryOptions.maxDeferSeconds} after its first observation
 * (until then {@link observe} returns `undefined`): it takes the identity with the most
 * similar exemplar, if that similarity reaches {@link IdentityGalleryOptions.similarityThreshold}
 * and the identity is *free* for it; otherwise a new id (the next unused integer from 1). An
 * identity is free for a track of camera c unless another track of c carrying it was seen
 * while this track existed — live or ended: two tracks of one camera seen at the same time
 * are two people. (A live track of c that was lost before this one started does not block
 * it: this track takes over the id and the lost one is ended.) Two cameras may hold one id at
 * once. A track decided with no good crop founds an id of its own and is matched again, like
 * a new track, at its first good crop.
 *
 * **Switch rule.** After {@link IdentityGalleryOptions.confidentObservations} good crops, and every {@link IdentityGalleryOptions.reevaluateEvery} after, a track may
 * move to another free identity whose similarity is at least `similarityThreshold +
 * switchMargin` and `switchMargin` above its similarity to its current identity's other
 * exemplars. An identity left with no track nor exemplar is dropped; ids are never reused.
 *
 * **Bounded memory.** Ended tracks leave only their descriptor (up to
 * {@link IdentityGalleryOptions.maxExemplarsPerIdentity} per identity) and a per-camera
 * summary; identities unseen for {@link IdentityGalleryOptions.identityTtlSeconds}, or beyond
 * {@link IdentityGalleryOptions.maxIdentities}, are forgotten (`'evicted'`), reference persons
 * never. A 24/7 job holds a bounded gallery.
 *
 * **Determinism.** Decisions depend only on the sequence of calls and their arguments (no
 * clocks, no randomness, ties broken by id). Events are emitted synchronously. Not
 * thread-safe: share one gallery between the cameras of one process.
 */
export class IdentityGallery extends EventEmitter<IdentityGalleryEvents> implements IdentityRegistry {
  /** The options in force, defaults filled in. */
  readonly options: Readonly<IdentityGalleryOptions>;

  private readonly store: ExemplarStore;
  private readonly identities = new Map<number, IdentityRecord>();
  private nextGlobalId = 1;
  private readonly identityByName = new Map<string, IdentityRecord>();
  /** Live tracks: camera index → track id → record. */
  private readonly liveTracks = new Map<number, Map<number, TrackRecord>>();
  /** Per exemplar row: the live track it belongs to (null for an ended track's or a reference's) and when it last changed. */
  private readonly rowTrack: Array<TrackRecord | null> = [];
  private readonly rowUpdated: number[] = [];
  /** Latest timestamp seen: the clock of eviction. */
  private now = -Infinity;
  private operations = 0;
  private evictedCount = 0;
  /** The track being matched, read by {@link isFreeForSearch}. */
  private searching: TrackRecord | undefined;
  private readonly isFreeForSearch = (globalId: number): boolean => this.isFreeFor(this.identities.get(globalId), this.searching!);

  /** @throws ConfigError (`INVALID_OPTION`) when an option is unknown or out of range. */
  constructor(options: Partial<IdentityGalleryOptions> = {}) {
    super();
    this.options = Object.freeze(resolveIdentityGalleryOptions(options));
    this.store = new ExemplarStore(this.options.embeddingDimension, this.options.initialCapacity);
  }

  /** Number of global identities held now, registered reference persons included. */
  get size(): number {
    return this.identities.size;
  }

  /** Highest global id handed out so far (ids are never reused): identities ever created. */
  get identitiesCreated(): number {
    return this.nextGlobalId - 1;
  }

  /**
   * Records one appearance of a local track and returns its global identity, or `undefined`
   * while the identity is not decided yet (see the class description). Call it for confirmed
   * tracks, as often as new embeddings arrive. The call that decides emits `'assigned'`;
   * later calls may switch the track (`'changed'`).
   *
   * @throws ConfigError (`INVALID_OPTION`) when the camera index, track id, box, score or
   *   timestamp is not a valid number, and ModelError (`MODEL_MISMATCH`) when the embedding
   *   length differs from {@link IdentityGalleryOptions.embeddingDimension}.
   */
  observe(input: IdentityObservation): IdentityAssignment | undefined {
    this.checkObservation(input);
    const { cameraIndex, trackId, embedding, box, score, timestamp } = input;
    this.tick(timestamp);
    const norm = embeddingNorm(embedding);
    const gatesPass = box.x2 - box.x1 >= this.options.minBoxWidth && box.y2 - box.y1 >= this.options.minBoxHeight && score >= this.options.minDetectionScore;
    const trusted = norm > 0 && (input.trusted ?? gatesPass);

    let track = this.liveTracks.get(cameraIndex)?.get(trackId);
    if (track === undefined) track = this.startTrack(cameraIndex, trackId, timestamp);
    track.observations++;
    track.lastSeen = Math.max(track.lastSeen, timestamp);
    const identity = track.globalId === 0 ? undefined : this.identities.get(track.globalId);
    if (identity !== undefined) this.noteSeen(identity, track);

    if (trusted) this.addEvidence(track, embedding, norm, timestamp);
    const previous = track.globalId;
    if (track.globalId === 0) {
      if (track.evidence >= this.options.minEvidence || timestamp - track.firstSeen >= this.options.maxDeferSeconds) this.decide(track);
      if (track.globalId === 0) return undefined;
      return this.assignmentOf(track, false, undefined, true);
    }
    if (trusted) {
      if (track.blind) this.rematchBlind(track);
      else if (this.isReviewDue(track)) this.review(track);
    }
    const changed = track.globalId !== previous;
    return this.assignmentOf(track, changed, changed ? previous : undefined);
  }

  /**
   * Records that a track was seen (tracked) at `timestamp` without a new embedding: keeps its
   * time span exact for the co-occurrence rule, and decides a waiting track once
   * {@link IdentityGalleryOptions.maxDeferSeconds} have passed since it was first seen.
   * @returns the assignment when this call decided the track's id, else undefined.
   */
  touch(cameraIndex: number, trackId: number, timestamp: number): IdentityAssignment | undefined {
    if (!Number.isFinite(timestamp)) throw new ConfigError('INVALID_OPTION', `touch(): timestamp = ${String(timestamp)} is invalid: it must be a finite number`, { culprit: 'timestamp' });
    this.tick(timestamp);
    let track = this.liveTracks.get(cameraIndex)?.get(trackId);
    if (track === undefined) track = this.startTrack(cameraIndex, trackId, timestamp);
    track.lastSeen = Math.max(track.lastSeen, timestamp);
    if (track.globalId !== 0) {
      this.noteSeen(this.identities.get(track.globalId)!, track);
      return undefined;
    }
    if (timestamp - track.firstSeen < this.options.maxDeferSeconds) return undefined;
    this.decide(track);
    return this.assignmentOf(track, false, undefined, true);
  }

  /** The decided identity of a live track; undefined while undecided or for an unknown track. */
  get(cameraIndex: number, trackId: number): IdentityAssignment | undefined {
    const track = this.liveTracks.get(cameraIndex)?.get(trackId);
    return track === undefined || track.globalId === 0 ? undefined : this.assignmentOf(track, false);
  }

  /**
   * Marks a track as gone (removed by its tracker). An undecided track with good crops is
   * decided now, so its rows can still carry an id; one without any is forgotten. The track's
   * descriptor stays with its identity as an exemplar, and its time span in its camera is kept
   * for the co-occurrence rule. A later `observe` of the same (camera, track id) starts a new
   * track.
   * @returns the track's final identity, or undefined when it had none (or was unknown).
   */
  endTrack(cameraIndex: number, trackId: number): IdentityAssignment | undefined {
    const track = this.liveTracks.get(cameraIndex)?.get(trackId);
    if (track === undefined) return undefined;
    if (track.globalId === 0 && track.evidence > 0) this.decide(track);
    const assignment = track.globalId === 0 ? undefined : this.assignmentOf(track, false);
    this.retire(track);
    this.sweepSometimes();
    return assignment;
  }

  /**
   * Registers a known person ("find this person"): a named identity whose exemplars are the
   * given embeddings (e.g. of a few photos, see {@link registerReferenceImages}). Tracks match
   * it by the same rules as any identity and then carry its name. Registering a name again
   * adds the embeddings to that person. Reference persons are never forgotten.
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

  /** A plain copy of every identity and live track, for reports (JSON-able). */
  snapshot(): GallerySnapshot {
    const identities: GalleryIdentitySnapshot[] = [...this.identities.values()]
      .sort((a, b) => a.globalId - b.globalId)
      .map((identity) => {
        const entry: GalleryIdentitySnapshot = {
          globalId: identity.globalId,
          cameras: [...identity.cameras.entries()]
            .sort(([a], [b]) => a - b)
            .map(([cameraIndex, c]): GalleryCameraAppearance => ({ cameraIndex, firstSeen: c.firstSeen, lastSeen: c.lastSeen, trackIds: [...c.trackIds], trackCount: c.trackCount })),
          trackCount: identity.trackCount,
          exemplars: identity.rows.length,
        };
        if (identity.name !== undefined) entry.name = identity.name;
        if (identity.firstSeen !== undefined) entry.firstSeen = identity.firstSeen;
        if (identity.lastSeen !== undefined) entry.lastSeen = identity.lastSeen;
        return entry;
      });
    const tracks: GalleryTrackSnapshot[] = [];
    for (const cameraTracks of this.liveTracks.values()) {
      for (const t of cameraTracks.values()) {
        tracks.push({ cameraIndex: t.cameraIndex, trackId: t.trackId, globalId: t.globalId, similarity: t.similarity, observations: t.observations, trustedObservations: t.evidence, firstSeen: t.firstSeen, lastSeen: t.lastSeen });
      }
    }
    tracks.sort((a, b) => a.cameraIndex - b.cameraIndex || a.trackId - b.trackId);
    return { identities, tracks, evicted: this.evictedCount };
  }

  /** Sizes of the internal state (for checks that memory stays bounded on endless jobs). */
  stats(): GalleryStats {
    let liveTracks = 0;
    let pendingTracks = 0;
    for (const cameraTracks of this.liveTracks.values()) {
      liveTracks += cameraTracks.size;
      for (const t of cameraTracks.values()) if (t.globalId === 0) pendingTracks++;
    }
    return { identities: this.identities.size, liveTracks, pendingTracks, exemplarRows: this.store.rowCount, storeCapacity: this.store.capacity, evicted: this.evictedCount };
  }

  // ── tracks ─────────────────────────────────────────────────────────────────

  private startTrack(cameraIndex: number, trackId: number, timestamp: number): TrackRecord {
    const track: TrackRecord = { cameraIndex, trackId, globalId: 0, similarity: 1, observations: 0, evidence: 0, firstSeen: timestamp, lastSeen: timestamp, row: -1, blind: false };
    let cameraTracks = this.liveTracks.get(cameraIndex);
    if (cameraTracks === undefined) this.liveTracks.set(cameraIndex, (cameraTracks = new Map()));
    cameraTracks.set(trackId, track);
    this.sweepSometimes();
    return track;
  }

  /** Folds one good embedding into the track's descriptor (a mean at first, then an exponential average). */
  private addEvidence(track: TrackRecord, embedding: Float32Array, norm: number, timestamp: number): void {
    track.evidence++;
    if (track.row < 0) {
      track.row = this.store.allocate(track.globalId, embedding);
      this.rowTrack[track.row] = track;
    } else {
      const meanWindow = 1 / (1 - this.options.embeddingMomentum);
      const momentum = track.evidence <= meanWindow ? (track.evidence - 1) / track.evidence : this.options.embeddingMomentum;
      this.store.blend(track.row, embedding, norm, momentum);
    }
    this.rowUpdated[track.row] = timestamp;
  }

  /** Gives an undecided track its id: the best free identity above the threshold, else a new one. */
  private decide(track: TrackRecord): void {
    let identity: IdentityRecord | undefined;
    if (track.row >= 0) {
      const best = this.search(track, 0, this.options.similarityThreshold);
      if (best >= 0) {
        identity = this.identities.get(this.store.ownerOf(best))!;
        track.similarity = this.store.lastSimilarity;
      }
    }
    identity ??= this.createIdentity();
    track.blind = track.row < 0;
    this.join(track, identity);
    const event = { cameraIndex: track.cameraIndex, trackId: track.trackId, globalId: identity.globalId, similarity: track.similarity };
    this.emit('assigned', identity.name === undefined ? event : { ...event, name: identity.name });
    if (identity.name !== undefined) this.emit('reference-matched', { ...event, name: identity.name });
  }

  /** A track that founded an identity without appearance, at its first good crop. */
  private rematchBlind(track: TrackRecord): void {
    track.blind = false;
    const own = this.identities.get(track.globalId)!;
    own.rows.push(track.row);
    this.store.reassign(track.row, own.globalId);
    const best = this.search(track, own.globalId, this.options.similarityThreshold);
    if (best >= 0) this.switchTrack(track, this.store.ownerOf(best), this.store.lastSimilarity);
  }

  /** Due at `confidentObservations` good crops, then every `reevaluateEvery`. */
  private isReviewDue(track: TrackRecord): boolean {
    const since = track.evidence - this.options.confidentObservations;
    return since >= 0 && since % this.options.reevaluateEvery === 0;
  }

  /** Applies the switch rule (see the class description). */
  private review(track: TrackRecord): void {
    const current = this.identities.get(track.globalId)!;
    let currentSimilarity = -Infinity;
    for (const row of current.rows) if (row !== track.row) currentSimilarity = Math.max(currentSimilarity, this.store.dotRows(track.row, row));
    const { similarityThreshold, switchMargin } = this.options;
    const best = this.search(track, track.globalId, Math.max(similarityThreshold + switchMargin, currentSimilarity + switchMargin));
    if (best >= 0) this.switchTrack(track, this.store.ownerOf(best), this.store.lastSimilarity);
  }

  private search(track: TrackRecord, skipOwner: number, floor: number): number {
    this.searching = track;
    const best = this.store.findBest(track.row, skipOwner, floor, this.isFreeForSearch);
    this.searching = undefined;
    return best;
  }

  /**
   * Whether `identity` may take `track`: no other track of the same camera carrying it was
   * seen while `track` existed (live tracks last seen before it started are taken over).
   */
  private isFreeFor(identity: IdentityRecord | undefined, track: TrackRecord): boolean {
    if (identity === undefined) return false;
    for (const other of identity.liveTracks) {
      if (other !== track && other.cameraIndex === track.cameraIndex && other.lastSeen >= track.firstSeen) return false;
    }
    const spans = identity.cameras.get(track.cameraIndex)?.ended;
    if (spans !== undefined) for (let i = 1; i < spans.length; i += 2) if (spans[i]! >= track.firstSeen) return false;
    return true;
  }

  /** Moves a decided live track (and its descriptor) to another identity and emits `'changed'`. */
  private switchTrack(track: TrackRecord, globalId: number, similarity: number): void {
    const from = this.identities.get(track.globalId)!;
    const to = this.identities.get(globalId)!;
    removeItem(from.liveTracks, track);
    if (track.row >= 0) removeItem(from.rows, track.row);
    const fromCamera = from.cameras.get(track.cameraIndex)!;
    fromCamera.trackCount--;
    removeItem(fromCamera.trackIds, track.trackId);
    if (fromCamera.trackCount === 0 && fromCamera.ended.length === 0) from.cameras.delete(track.cameraIndex);
    from.trackCount--;
    if (from.rows.length === 0 && from.liveTracks.length === 0 && from.trackCount === 0 && from.name === undefined) this.dropIdentity(from);
    const previousGlobalId = track.globalId;
    track.similarity = similarity;
    this.join(track, to);
    const event = { cameraIndex: track.cameraIndex, trackId: track.trackId, previousGlobalId, globalId, similarity };
    this.emit('changed', to.name === undefined ? event : { ...event, name: to.name });
    if (to.name !== undefined) this.emit('reference-matched', { cameraIndex: track.cameraIndex, trackId: track.trackId, globalId, name: to.name, similarity });
  }

  private join(track: TrackRecord, identity: IdentityRecord): void {
    // A track of this camera lost before `track` started was the same person: it ends here.
    for (const other of [...identity.liveTracks]) if (other.cameraIndex === track.cameraIndex) this.retire(other);
    track.globalId = identity.globalId;
    identity.liveTracks.push(track);
    identity.trackCount++;
    const camera = this.cameraRecord(identity, track);
    camera.trackCount++;
    if (camera.trackIds.length < MAX_LISTED_TRACKS) camera.trackIds.push(track.trackId);
    if (track.row >= 0) {
      this.store.reassign(track.row, identity.globalId);
      identity.rows.push(track.row);
    }
    this.noteSeen(identity, track);
  }

  /** Ends a live track: its span is kept for co-occurrence, its descriptor as an exemplar. */
  private retire(track: TrackRecord): void {
    const cameraTracks = this.liveTracks.get(track.cameraIndex);
    cameraTracks?.delete(track.trackId);
    if (cameraTracks?.size === 0) this.liveTracks.delete(track.cameraIndex);
    const identity = this.identities.get(track.globalId);
    if (identity === undefined) {
      if (track.row >= 0) this.freeRow(track.row); // undecided: nothing keeps it
      return;
    }
    removeItem(identity.liveTracks, track);
    if (track.row >= 0) this.rowTrack[track.row] = null;
    const spans = this.cameraRecord(identity, track).ended;
    spans.push(track.firstSeen, track.lastSeen);
    if (spans.length > 2 * ENDED_SPANS_KEPT) spans.splice(0, 2);
    this.pruneEndedExemplars(identity);
  }

  // ── identities ─────────────────────────────────────────────────────────────

  private createIdentity(name?: string): IdentityRecord {
    const identity: IdentityRecord = { globalId: this.nextGlobalId++, rows: [], liveTracks: [], cameras: new Map(), trackCount: 0, ...(name === undefined ? {} : { name }) };
    this.identities.set(identity.globalId, identity);
    if (name !== undefined) this.identityByName.set(name, identity);
    return identity;
  }

  private cameraRecord(identity: IdentityRecord, track: TrackRecord): CameraRecord {
    let camera = identity.cameras.get(track.cameraIndex);
    if (camera === undefined) {
      camera = { firstSeen: track.firstSeen, lastSeen: track.lastSeen, trackIds: [], trackCount: 0, ended: [] };
      identity.cameras.set(track.cameraIndex, camera);
    }
    return camera;
  }

  private noteSeen(identity: IdentityRecord, track: TrackRecord): void {
    identity.firstSeen = Math.min(identity.firstSeen ?? track.firstSeen, track.firstSeen);
    identity.lastSeen = Math.max(identity.lastSeen ?? track.lastSeen, track.lastSeen);
    const camera = this.cameraRecord(identity, track);
    camera.firstSeen = Math.min(camera.firstSeen, track.firstSeen);
    camera.lastSeen = Math.max(camera.lastSeen, track.lastSeen);
  }

  /** Keeps at most `maxExemplarsPerIdentity` descriptors of ended tracks, dropping the least recently updated. */
  private pruneEndedExemplars(identity: IdentityRecord): void {
    for (;;) {
      let ended = 0;
      let oldest = -1;
      for (const row of identity.rows) {
        if (this.rowTrack[row] !== null || this.rowUpdated[row] === -Infinity) continue; // live track, or a reference
        ended++;
        if (oldest < 0 || this.rowUpdated[row]! < this.rowUpdated[oldest]! || (this.rowUpdated[row] === this.rowUpdated[oldest] && row < oldest)) oldest = row;
      }
      if (ended <= this.options.maxExemplarsPerIdentity) return;
      removeItem(identity.rows, oldest);
      this.freeRow(oldest);
    }
  }

  private freeRow(row: number): void {
    this.rowTrack[row] = null;
    this.store.release(row);
  }

  private dropIdentity(identity: IdentityRecord): void {
    for (const row of identity.rows) this.freeRow(row);
    this.identities.delete(identity.globalId);
    if (identity.name !== undefined) this.identityByName.delete(identity.name);
  }

  // ── eviction ───────────────────────────────────────────────────────────────

  private tick(timestamp: number): void {
    if (timestamp > this.now) this.now = timestamp;
  }

  private sweepSometimes(): void {
    if (++this.operations % SWEEP_EVERY === 0 || this.identities.size > this.options.maxIdentities) this.sweep();
  }

  /** Forgets identities unseen for `identityTtlSeconds`, then the least recently seen beyond `maxIdentities`. */
  private sweep(): void {
    const { identityTtlSeconds, maxIdentities } = this.options;
    const candidates: IdentityRecord[] = [];
    for (const identity of this.identities.values()) {
      if (identity.name !== undefined || identity.liveTracks.length > 0) continue;
      if (this.now - (identity.lastSeen ?? -Infinity) > identityTtlSeconds) this.evict(identity);
      else candidates.push(identity);
    }
    let excess = this.identities.size - maxIdentities;
    if (excess <= 0) return;
    candidates.sort((a, b) => (a.lastSeen ?? -Infinity) - (b.lastSeen ?? -Infinity) || a.globalId - b.globalId);
    for (const identity of candidates) {
      if (excess-- <= 0) break;
      this.evict(identity);
    }
  }

  private evict(identity: IdentityRecord): void {
    this.dropIdentity(identity);
    this.evictedCount++;
    this.emit('evicted', { globalId: identity.globalId });
  }

  // ── helpers ────────────────────────────────────────────────────────────────

  private assignmentOf(track: TrackRecord, changed: boolean, previousGlobalId?: number, isNew = false): IdentityAssignment {
    const identity = this.identities.get(track.globalId);
    const assignment: IdentityAssignment = { globalId: track.globalId, similarity: track.similarity, isNew, changed };
    if (identity?.name !== undefined) assignment.name = identity.name;
    if (previousGlobalId !== undefined) assignment.previousGlobalId = previousGlobalId;
    return assignment;
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

function removeItem<T>(list: T[], item: T): void {
  const index = list.indexOf(item);
  if (index >= 0) list.splice(index, 1);
}
