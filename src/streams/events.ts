/**
 * Typed events of the stream readers. Every payload names the camera (`cameraIndex`) and the
 * `source` it came from, so one listener can serve all cameras of a {@link MultiStreamReader}.
 */
import type { MulticamReidError } from '../errors.js';

/**
 * Life cycle of a reader:
 * `idle` → `opening` → `streaming` ⇄ `stalled` / `reconnecting` → `ended`;
 * `failed` when opening failed; `released` after `release()`.
 */
export type StreamState = 'idle' | 'opening' | 'streaming' | 'stalled' | 'reconnecting' | 'ended' | 'failed' | 'released';

/** Fields common to every stream event. */
export interface StreamEventBase {
  cameraIndex: number;
  source: string;
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

/** A restart of a live source is scheduled. */
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
  stalled: (event: StalledEvent) => void;
  reconnecting: (event: ReconnectingEvent) => void;
  reconnected: (event: ReconnectedEvent) => void;
  ended: (event: EndedEvent) => void;
  error: (event: StreamErrorEvent) => void;
};

