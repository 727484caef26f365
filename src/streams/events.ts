/**
 * Typed events of the stream readers. Every payload names the camera (`cameraIndex`) and the
 * `source` it came from, so one listener can serve all cameras of a {@link MultiStreamReader}.
 */
import type { MulticamReidError } from '../errors.js';

/**
 * Life cycle of a reader:
 * `idle` → `opening` [→ `waiting`] → `streaming` ⇄ `stalled` / `reconnecting` [→ `waiting`] → `ended`;
 * `reconnecting` also between the attempts of `open()` on a live source that is down;
 * `waiting` while a live source sends data but no decodable frame yet (see {@link WaitingEvent});
 * `failed` when opening failed; `released` after `release()`.
 */
export type StreamState = 'idle' | 'opening' | 'waiting' | 'streaming' | 'stalled' | 'reconnecting' | 'ended' | 'failed' | 'released';

/** Fields common to every stream event. */
export interface StreamEventBase {
  cameraIndex: number;
  /** The source's display form: its URL with any credentials replaced by `***`. */
  source: string;
}

/** Why a reader is in the `waiting` state. */
export type WaitingReason = 'keyframe';

/**
 * A live source sends data but nothing decodable yet — typically a camera with a long GOP, joined
 * between two keyframes. The reader waits up to `keyframeTimeout` seconds for a frame instead of
 * treating the source as dead; `connected` (or `reconnected`) follows once one arrives.
 */
export interface WaitingEvent extends StreamEventBase {
  reason: WaitingReason;
  /** Seconds the reader will wait (`keyframeTimeout`). */
  timeout: number;
}

/** The source delivered its stream description for the first time (`open()` resolved). */
export interface ConnectedEvent extends StreamEventBase {
  width: number;
  height: number;
  fps: number;
  codec: string;
}

/** A live source delivered no frame for `stallTimeout` seconds; a restart follows. */
export interface StalledEvent extends StreamEventBase {
  /** Seconds since the last frame. */
  secondsWithoutFrame: number;
}

/**
 * A restart of a live source is scheduled: after a drop or stall, or between the attempts of
 * `open()` while the source cannot be reached.
 */
export interface ReconnectingEvent extends StreamEventBase {
  /** 1-based attempt number since the source was last healthy. */
  attempt: number;
  /** Seconds until this attempt starts. */
  delay: number;
  /** Why: the ffmpeg exit or the stall that caused it. */
  reason: string;
}

/** A restarted live source delivers frames again. */
export interface ReconnectedEvent extends StreamEventBase {
  attempt: number;
  /** Seconds between the last frame before the outage and the first one after. */
  downtime: number;
}

/** Why a reader stopped delivering for good. */
export type EndReason = 'eof' | 'released' | 'gave-up' | 'failed';

/** The source will deliver no more frames (frames still buffered can be read). */
export interface EndedEvent extends StreamEventBase {
  reason: EndReason;
  /** Frames received from ffmpeg over the reader's life. */
  framesDecoded: number;
}

/** A failure after `open()` resolved (failures while opening reject `open()` instead). */
export interface StreamErrorEvent extends StreamEventBase {
  error: MulticamReidError;
}

/** Listener signatures of {@link StreamReader} and {@link MultiStreamReader}. */
export type StreamEvents = {
  connected: (event: ConnectedEvent) => void;
  waiting: (event: WaitingEvent) => void;
  stalled: (event: StalledEvent) => void;
  reconnecting: (event: ReconnectingEvent) => void;
  reconnected: (event: ReconnectedEvent) => void;
  ended: (event: EndedEvent) => void;
  error: (event: StreamErrorEvent) => void;
};

