/**
 * Seeing identities: per global identity, the best crop from each camera that saw it, when it
 * was first and last seen there and by which tracks. Each camera keeps its own album (so a
 * distributed worker can write its camera's part alone); the job merges them into
 * `identities.json` and writes the crops as `identities/<globalId>_cam<k>.jpg`.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createCanvas, ImageData } from '@napi-rs/canvas';
import type { ImageView } from '../streams/frame.js';
import { writeJsonFile } from './json-file.js';

/** Schema version of `identities.json`. */
export const IDENTITIES_SCHEMA_VERSION = 1;
/** Track ids listed per identity and camera; more are only counted. */
const MAX_TRACK_IDS = 50;

/** A crop copied out of a frame (packed rgb24/bgr24). */
export interface CropImage extends ImageView {
  /** Crop quality (see `judgeCrop`): the best one per identity and camera is kept. */
  quality: number;
}

/** One camera's view of one identity, as written in `identities.json`. */
export interface IdentityCameraEntry {
  globalId: number;
  name?: string;
  cameraIndex: number;
  firstSeen: number;
  lastSeen: number;
  trackIds: number[];
  trackCount: number;
  /** Path of the best crop relative to the job folder, when the camera had a good crop. */
  crop?: string;
}

interface AlbumEntry {
  entry: IdentityCameraEntry;
  jpeg?: Buffer;
  quality: number;
}

/** Copies the pixels of `box` out of `frame` (clipped); the frame may be reused afterwards. */
export function copyCrop(frame: ImageView, box: { x1: number; y1: number; x2: number; y2: number }, quality: number): CropImage | undefined {
  const x1 = Math.max(0, Math.floor(box.x1));
  const y1 = Math.max(0, Math.floor(box.y1));
  const x2 = Math.min(frame.width, Math.ceil(box.x2));
  const y2 = Math.min(frame.height, Math.ceil(box.y2));
  const width = x2 - x1;
  const height = y2 - y1;
  if (width < 1 || height < 1) return undefined;
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const from = ((y1 + y) * frame.width + x1) * 3;
    data.set(frame.data.subarray(from, from + width * 3), y * width * 3);
  }
  return { data, width, height, pixelFormat: frame.pixelFormat, quality };
}

/** JPEG of a packed 3-channel crop. */
export function encodeCropJpeg(crop: ImageView, quality = 85): Buffer {
  const rgba = new Uint8ClampedArray(crop.width * crop.height * 4);
  const bgr = crop.pixelFormat === 'bgr24';
  for (let i = 0, j = 0; i < crop.width * crop.height * 3; i += 3, j += 4) {
    rgba[j] = crop.data[bgr ? i + 2 : i]!;
    rgba[j + 1] = crop.data[i + 1]!;
    rgba[j + 2] = crop.data[bgr ? i : i + 2]!;
    rgba[j + 3] = 255;
  }
  const canvas = createCanvas(crop.width, crop.height);
  canvas.getContext('2d').putImageData(new ImageData(rgba, crop.width, crop.height), 0, 0);
  return canvas.encodeSync('jpeg', quality);
}

/**
 * One camera's identities. Bounded: beyond `maxIdentities` the least recently seen are
 * dropped (a 24/7 camera lists its most recent visitors).
 */
export class CameraIdentityAlbum {
  private readonly entries = new Map<number, AlbumEntry>();
  /** Identities dropped because of the bound. */
  dropped = 0;

  constructor(
    readonly cameraIndex: number,
    private readonly maxIdentities = 2000,
  ) {}

  /** Records a track that carried `globalId` from `firstSeen` to `lastSeen`, with its best crop if any. */
  addTrack(track: { trackId: number; globalId: number; name?: string; firstSeen: number; lastSeen: number; crop?: CropImage }): void {
    let album = this.entries.get(track.globalId);
    if (album === undefined) {
      const entry: IdentityCameraEntry = { globalId: track.globalId, cameraIndex: this.cameraIndex, firstSeen: track.firstSeen, lastSeen: track.lastSeen, trackIds: [], trackCount: 0 };
      if (track.name !== undefined) entry.name = track.name;
      album = { entry, quality: -1 };
      this.entries.set(track.globalId, album);
    } else {
      // Map order is recency order: re-insert.
      this.entries.delete(track.globalId);
      this.entries.set(track.globalId, album);
    }
    const e = album.entry;
    e.firstSeen = Math.min(e.firstSeen, track.firstSeen);
    e.lastSeen = Math.max(e.lastSeen, track.lastSeen);
    e.trackCount++;
    if (e.trackIds.length < MAX_TRACK_IDS) e.trackIds.push(track.trackId);
    if (track.crop !== undefined && track.crop.quality > album.quality) {
      album.quality = track.crop.quality;
      album.jpeg = encodeCropJpeg(track.crop);
    }
    if (this.entries.size > this.maxIdentities) {
      this.entries.delete(this.entries.keys().next().value!);
      this.dropped++;
    }
  }

  /** Identities recorded (at most `maxIdentities`). */
  get size(): number {
    return this.entries.size;
  }

  /**
   * Writes this camera's crops as `<jobDir>/identities/<globalId>_cam<k>.jpg` and returns its
   * entries for `identities.json`, by global id.
   */
  async write(jobDir: string): Promise<IdentityCameraEntry[]> {
    const dir = path.join(jobDir, 'identities');
    const out: IdentityCameraEntry[] = [];
    for (const { entry, jpeg } of [...this.entries.values()].sort((a, b) => a.entry.globalId - b.entry.globalId)) {
      const copy = { ...entry, trackIds: [...entry.trackIds] };
      if (jpeg !== undefined) {
        const name = `${entry.globalId}_cam${this.cameraIndex}.jpg`;
        await mkdir(dir, { recursive: true });
        await writeFile(path.join(dir, name), jpeg);
        copy.crop = `identities/${name}`;
      }
      out.push(copy);
    }
    return out;
  }
}

/** One identity in `identities.json`: every camera that saw it. */
export interface IdentitySummary {
  globalId: number;
  name?: string;
  firstSeen: number;
  lastSeen: number;
  cameras: Array<Omit<IdentityCameraEntry, 'globalId' | 'name'>>;
}

/** Merges the cameras' entries by global id, in id order. */
export function mergeIdentityEntries(entries: readonly IdentityCameraEntry[]): IdentitySummary[] {
  const byId = new Map<number, IdentitySummary>();
  for (const { globalId, name, ...camera } of entries) {
    let summary = byId.get(globalId);
    if (summary === undefined) {
      summary = { globalId, firstSeen: camera.firstSeen, lastSeen: camera.lastSeen, cameras: [] };
      if (name !== undefined) summary.name = name;
      byId.set(globalId, summary);
    }
    summary.firstSeen = Math.min(summary.firstSeen, camera.firstSeen);
    summary.lastSeen = Math.max(summary.lastSeen, camera.lastSeen);
    summary.cameras.push(camera);
  }
  const list = [...byId.values()].sort((a, b) => a.globalId - b.globalId);
  for (const s of list) s.cameras.sort((a, b) => a.cameraIndex - b.cameraIndex);
  return list;
}

/** Writes `identities.json` atomically (temporary file, then rename). */
export async function writeIdentitiesJson(file: string, identities: IdentitySummary[], extra: Record<string, unknown> = {}): Promise<void> {
  await writeJsonFile(file, { schemaVersion: IDENTITIES_SCHEMA_VERSION, generator: 'multicam-reid', ...extra, identities }, 'identities');
}
