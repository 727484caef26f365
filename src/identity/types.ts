// Referenced from TSDoc links only.
import type { IdentityGallery } from './gallery.js';
import type { IdentityGalleryOptions } from './options.js';

/**
 * What a camera loop asks of its identity gallery, per track: an appearance (`observe`), a
 * sighting without one (`touch`), the current id (`get`) and the end (`endTrack`). The local
 * {@link IdentityGallery} answers at once; the distributed mode's shared gallery answers with
 * the latest decision its owner has sent (a decision may arrive a few frames after the
 * observation behind it).
 */
export interface IdentityRegistry {
  readonly options: Readonly<IdentityGalleryOptions>;
  observe(input: IdentityObservation): IdentityAssignment | undefined;
  touch(cameraIndex: number, trackId: number, timestamp: number): IdentityAssignment | undefined;
  get(cameraIndex: number, trackId: number): IdentityAssignment | undefined;
  endTrack(cameraIndex: number, trackId: number): IdentityAssignment | undefined;
}

/** One appearance of a local track, as given to {@link IdentityGallery.observe}. */
export interface IdentityObservation {
  /** Camera (source) index, 0-based. */
  cameraIndex: number;
  /** Local track id, unique within its camera (e.g. `Track.id` from the tracker). */
  trackId: number;
  /**
   * Appearance embedding of the track's crop in this frame (e.g. from `ReidEmbedder.embed`).
   * Need not be normalised: the gallery normalises it. Not kept: the gallery copies what it needs.
   */
  embedding: Float32Array;
  /** The crop's box in frame pixels; its size decides whether the embedding is trusted. */
  box: { x1: number; y1: number; x2: number; y2: number };
  /** Detection score in [0, 1]; decides, with the box size, whether the embedding is trusted. */
  score: number;
  /**
   * The caller's own verdict on the crop (the pipeline checks size, aspect, score, overlap
   * with other people and the frame edge). When given it replaces the gallery's size and
   * score gates. An untrusted observation keeps the track alive but adds no appearance.
   */
  trusted?: boolean;
  /**
   * Time of the observation in any unit that increases (frame pts in seconds, `Date.now()`…).
   * Only used to order exemplars and in {@link IdentityGallery.snapshot}.
   */
  timestamp: number;
}

/** The global identity of one local track, as decided so far. */
export interface IdentityAssignment {
  /** Global person id, shared by all cameras of the gallery; small integers from 1. */
  globalId: number;
  /**
   * Cosine similarity behind the latest decision for this track: with the identity it joined
   * or switched to, or `1` when the track founded a new identity (it is its own reference).
   */
  similarity: number;
  /** Name of the reference person behind this identity, when it has one. */
  name?: string;
  /**
   * True on the call that decided this local track's first global id (an existing one or a
   * new one). The `'assigned'` event fires at the same time.
   */
  isNew: boolean;
  /** True when this observation moved the track to another global id. */
  changed: boolean;
  /** The id the track had before, when {@link changed} is true. */
  previousGlobalId?: number;
}

/** Payload of the gallery's `'assigned'` event: a local track got its first global id. */
export interface IdentityAssignedEvent {
  cameraIndex: number;
  trackId: number;
  globalId: number;
  /** See {@link IdentityAssignment.similarity}. */
  similarity: number;
  name?: string;
}

/** Payload of the gallery's `'changed'` event: a local track switched to another global id. */
export interface IdentityChangedEvent {
  cameraIndex: number;
  trackId: number;
  previousGlobalId: number;
  globalId: number;
  /** Similarity with the new identity. */
  similarity: number;
  name?: string;
}

/** Payload of the gallery's `'reference-matched'` event: a local track now carries a reference person's name. */
export interface ReferenceMatchedEvent {
  cameraIndex: number;
  trackId: number;
  globalId: number;
  name: string;
  similarity: number;
}

/** Events of an {@link IdentityGallery}, emitted synchronously from `observe()`. */
export type IdentityGalleryEvents = {
  /** A local track got its first global id. */
  assigned: (event: IdentityAssignedEvent) => void;
  /** A local track switched to another global id (see the switch rule on {@link IdentityGallery}). */
  changed: (event: IdentityChangedEvent) => void;
  /** A local track was assigned or switched to the identity of a registered reference person. */
  'reference-matched': (event: ReferenceMatchedEvent) => void;
  /** An identity was forgotten (not seen for identityTtlSeconds, or pushed out by maxIdentities). */
  evicted: (event: { globalId: number }) => void;
};

/** One local track in a {@link GallerySnapshot} (live tracks only: ended ones are summarised per identity). */
export interface GalleryTrackSnapshot {
  cameraIndex: number;
  trackId: number;
  /** 0 while the track's identity is not decided yet. */
  globalId: number;
  similarity: number;
  observations: number;
  /** Observations whose embedding passed the quality gates. */
  trustedObservations: number;
  firstSeen: number;
  lastSeen: number;
}

/** Where and when one identity was seen by one camera. */
export interface GalleryCameraAppearance {
  cameraIndex: number;
  firstSeen: number;
  lastSeen: number;
  /** Local tracks of this camera that carried the identity, oldest first (the first {@link MAX_LISTED_TRACKS}). */
  trackIds: number[];
  /** How many tracks of this camera carried it (may exceed `trackIds.length`). */
  trackCount: number;
}

/** Track ids listed per identity and camera; more are only counted. */
export const MAX_LISTED_TRACKS = 50;

/** One global identity in a {@link GallerySnapshot}. */
export interface GalleryIdentitySnapshot {
  globalId: number;
  name?: string;
  /** Per camera where a track of this identity was seen, ascending by camera. */
  cameras: GalleryCameraAppearance[];
  /** How many local tracks ever carried this id (live or ended). */
  trackCount: number;
  /** Appearance exemplars held now (tracks' descriptors plus reference embeddings). */
  exemplars: number;
  /** Earliest and latest observation timestamps; undefined for a reference never seen. */
  firstSeen?: number;
  lastSeen?: number;
}

/** A plain, JSON-able copy of the gallery state, for reports. */
export interface GallerySnapshot {
  /** Identities in ascending id order (ids left empty by switches, and forgotten ones, are omitted). */
  identities: GalleryIdentitySnapshot[];
  /** Live tracks in (camera, track id) order. */
  tracks: GalleryTrackSnapshot[];
  /** Identities forgotten so far (see identityTtlSeconds / maxIdentities). */
  evicted: number;
}

/** Sizes of the gallery's state, for checks that memory stays bounded. */
export interface GalleryStats {
  identities: number;
  liveTracks: number;
  pendingTracks: number;
  exemplarRows: number;
  /** Rows allocated in the exemplar store (grows by doubling, never shrinks). */
  storeCapacity: number;
  evicted: number;
}
