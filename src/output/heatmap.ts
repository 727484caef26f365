/**
 * Occupancy heatmap of one camera: where tracks' anchors (their feet, by default) spent time
 * over a job, on a coarse grid, optionally fading with a half-life; drawn as a colour overlay
 * on a camera frame — into a PNG (`heatmap_{…}.png`) or in place into a video frame.
 *
 * Accumulating is allocation-free per frame (one typed array of cells). Decay is lazy: cells
 * hold values scaled by a running factor 2^(elapsed / halfLife), so a frame costs one
 * multiplication per anchor instead of one per cell; the factor is folded back into the
 * cells before it could overflow.
 */
import { rename, rm, writeFile } from 'node:fs/promises';
import { createCanvas, ImageData } from '@napi-rs/canvas';
import { ConfigError, OutputError } from '../errors.js';
import type { ImageView } from '../streams/frame.js';
import { ANCHOR_POINTS, anchorX, anchorY } from '../zones/anchor.js';
import type { AnchorPoint } from '../zones/types.js';

/** Options of {@link OccupancyHeatmap}. */
export interface OccupancyHeatmapOptions {
  /** Width of the camera's frames in pixels. */
  frameWidth: number;
  /** Height of the camera's frames in pixels. */
  frameHeight: number;
  /**
   * Side of one grid cell in pixels. Smaller cells show finer paths but need more frames to
   * fill and look noisier; larger ones are smoother and cheaper.
   * @default 16
   */
  cellSize?: number;
  /**
   * Seconds after which an anchor's contribution counts half (exponential decay), so the map
   * shows recent occupancy on a live camera; `Infinity` keeps everything (the whole job).
   * @default Infinity
   */
  halfLife?: number;
  /**
   * Which point of each box is accumulated: `bottom-center` (where people stand, like zones),
   * `center` or `top-center`.
   * @default 'bottom-center'
   */
  anchor?: AnchorPoint;
  /**
   * Opacity of the overlay over the hottest cell, 0–1; other cells get `opacity × √(value /
   * max)`, and cells where nobody was are left as they are. Higher reads better on busy
   * frames but hides them more.
   * @default 0.6
   */
  opacity?: number;
}

/** The part of a track the heatmap reads: its box; lost (predicted) and unconfirmed tracks are skipped. */
export interface HeatmapTrackInput {
  readonly x1: number;
  readonly y1: number;
  readonly x2: number;
  readonly y2: number;
  readonly confirmed?: boolean;
  readonly lost?: boolean;
}

/** Byte layouts {@link OccupancyHeatmap.blendInto} can draw into. */
export type HeatmapPixelLayout = 'rgba' | 'rgb24' | 'bgr24';

/** Above 2^this, the running decay factor is folded into the cells. */
const MAX_LOG_BOOST = 512;

/** Colour stops from little time (blue) to most time (red), positions in [0, 1]. */
const COLOR_STOPS: ReadonlyArray<readonly [number, number, number, number]> = [
  [0, 40, 60, 255],
  [0.3, 0, 220, 255],
  [0.55, 60, 255, 60],
  [0.75, 255, 230, 0],
  [1, 255, 30, 0],
];

/** 256 RGB triplets interpolated between {@link COLOR_STOPS}, built once. */
const COLOR_MAP: Uint8Array = (() => {
  const lut = new Uint8Array(256 * 3);
  for (let i = 0; i < 256; i++) {
    const t = i / 255;
    let k = 0;
    while (k < COLOR_STOPS.length - 2 && t > COLOR_STOPS[k + 1]![0]) k++;
    const [t0, r0, g0, b0] = COLOR_STOPS[k]!;
    const [t1, r1, g1, b1] = COLOR_STOPS[k + 1]!;
    const f = (t - t0) / (t1 - t0);
    lut[3 * i] = Math.round(r0 + f * (r1 - r0));
    lut[3 * i + 1] = Math.round(g0 + f * (g1 - g0));
    lut[3 * i + 2] = Math.round(b0 + f * (b1 - b0));
  }
  return lut;
})();

/** The overlay colour (RGB) of a value at `fraction` (0–1) of the maximum. */
export function heatmapColor(fraction: number): [number, number, number] {
  const i = 3 * Math.round(Math.min(1, Math.max(0, fraction)) * 255);
  return [COLOR_MAP[i]!, COLOR_MAP[i + 1]!, COLOR_MAP[i + 2]!];
}

function option(name: string, value: number, valid: boolean, expected: string): number {
  if (!valid) throw new ConfigError('INVALID_OPTION', `OccupancyHeatmap option ${name} must be ${expected} (got ${String(value)})`, { culprit: name });
  return value;
}

/**
 * Accumulates track anchors of one camera on a grid and draws them as a heatmap.
 *
 * Each {@link OccupancyHeatmap.add} adds `weight` (default 1: the unit is "track-frames";
 * pass the frame's duration in seconds to get "track-seconds" on a source with a variable
 * frame rate or dropped frames) to the cell under each anchor.
 *
 * @example
 * ```ts
 * const heatmap = new OccupancyHeatmap({ frameWidth: 640, frameHeight: 360 });
 * for (const frame of frames) heatmap.add(update.active, frame.pts);
 * await heatmap.writePng(path.join(cameraDir, `heatmap_${stamp}.png`), lastFrame);
 * ```
 */
export class OccupancyHeatmap {
  readonly frameWidth: number;
  readonly frameHeight: number;
  readonly cellSize: number;
  /** Grid size: `ceil(frameWidth / cellSize)` × `ceil(frameHeight / cellSize)`. */
  readonly columns: number;
  readonly rows: number;
  readonly halfLife: number;
  readonly anchor: AnchorPoint;
  readonly opacity: number;
  /** Cell values × 2^logBoost, row-major. */
  private readonly cells: Float64Array;
  private logBoost = 0;
  private boost = 1;
  /** Seconds of the latest `add`/`advance`; `null` before the first. */
  private now: number | null = null;
  /** Per cell: overlay colour (RGB) and weight (0–256) of the latest render. */
  private readonly overlayRgb: Uint8Array;
  private readonly overlayAlpha: Uint16Array;
  /** Cell index of each pixel column and row. */
  private readonly columnOf: Int32Array;
  private readonly rowOf: Int32Array;

  /** @throws {@link ConfigError} `INVALID_OPTION` for a bad size or option. */
  constructor(options: OccupancyHeatmapOptions) {
    const { frameWidth, frameHeight } = options;
    option('frameWidth', frameWidth, Number.isInteger(frameWidth) && frameWidth >= 1 && frameWidth <= 16384, 'an integer from 1 to 16384 pixels');
    option('frameHeight', frameHeight, Number.isInteger(frameHeight) && frameHeight >= 1 && frameHeight <= 16384, 'an integer from 1 to 16384 pixels');
    const cellSize = options.cellSize ?? 16;
    option('cellSize', cellSize, Number.isInteger(cellSize) && cellSize >= 1 && cellSize <= 16384, 'a whole number of pixels from 1 to 16384');
    const halfLife = options.halfLife ?? Infinity;
    option('halfLife', halfLife, halfLife > 0, 'a positive number of seconds or Infinity');
    const opacity = options.opacity ?? 0.6;
    option('opacity', opacity, opacity >= 0 && opacity <= 1, 'between 0 and 1');
    const anchor = options.anchor ?? 'bottom-center';
    if (!(ANCHOR_POINTS as readonly string[]).includes(anchor)) {
      throw new ConfigError('INVALID_OPTION', `OccupancyHeatmap option anchor must be one of ${ANCHOR_POINTS.map((a) => `"${a}"`).join(', ')} (got ${String(anchor)})`, { culprit: 'anchor' });
    }
    this.frameWidth = frameWidth;
    this.frameHeight = frameHeight;
    this.cellSize = cellSize;
    this.columns = Math.ceil(frameWidth / cellSize);
    this.rows = Math.ceil(frameHeight / cellSize);
    this.halfLife = halfLife;
    this.anchor = anchor;
    this.opacity = opacity;
    this.cells = new Float64Array(this.columns * this.rows);
    this.overlayRgb = new Uint8Array(this.cells.length * 3);
    this.overlayAlpha = new Uint16Array(this.cells.length);
    this.columnOf = Int32Array.from({ length: frameWidth }, (_, x) => Math.floor(x / cellSize));
    this.rowOf = Int32Array.from({ length: frameHeight }, (_, y) => Math.floor(y / cellSize));
  }

  /**
   * Adds one frame's tracks at `timestamp` (seconds): `weight` to the cell under each
   * confirmed, not lost track's anchor. Anchors outside the frame are skipped; those on its
   * right or bottom edge go to the last cell. Allocates nothing.
   */
  add(tracks: ReadonlyArray<HeatmapTrackInput>, timestamp: number, weight = 1): void {
    this.advance(timestamp);
    for (let i = 0; i < tracks.length; i++) {
      const track = tracks[i]!;
      if (track.lost === true || track.confirmed === false) continue;
      this.addAt(anchorX(track), anchorY(track, this.anchor), weight);
    }
  }

  /** Adds `weight` at one point (frame pixels) at `timestamp`. */
  addPoint(x: number, y: number, timestamp: number, weight = 1): void {
    this.advance(timestamp);
    this.addAt(x, y, weight);
  }

  /**
   * Moves the clock to `timestamp` (seconds), decaying every cell by 2^(−elapsed / halfLife).
   * Earlier timestamps than the latest are taken as the latest (no growth back).
   */
  advance(timestamp: number): void {
    if (this.now === null || !(timestamp > this.now)) {
      this.now ??= timestamp;
      return;
    }
    if (this.halfLife !== Infinity) {
      this.logBoost += (timestamp - this.now) / this.halfLife;
      if (this.logBoost > MAX_LOG_BOOST) this.foldBoost();
      this.boost = 2 ** this.logBoost;
    }
    this.now = timestamp;
  }

  /** Value of a cell (column, row) at the latest timestamp; 0 outside the grid. */
  value(column: number, row: number): number {
    if (!(column >= 0 && column < this.columns && row >= 0 && row < this.rows)) return 0;
    return this.cells[row * this.columns + column]! / this.boost;
  }

  /** Value of the cell under a pixel (x, y) at the latest timestamp; 0 outside the frame. */
  valueAt(x: number, y: number): number {
    return this.value(Math.floor(Math.min(x, this.frameWidth - 1e-9) / this.cellSize), Math.floor(Math.min(y, this.frameHeight - 1e-9) / this.cellSize));
  }

  /** Every cell's value at the latest timestamp, row-major (`columns × rows`), as a new array. */
  values(): Float64Array {
    const out = new Float64Array(this.cells.length);
    for (let i = 0; i < out.length; i++) out[i] = this.cells[i]! / this.boost;
    return out;
  }

  /** Sum of all cells at the latest timestamp. */
  total(): number {
    let sum = 0;
    for (let i = 0; i < this.cells.length; i++) sum += this.cells[i]!;
    return sum / this.boost;
  }

  /** Largest cell value at the latest timestamp. */
  max(): number {
    let max = 0;
    for (let i = 0; i < this.cells.length; i++) if (this.cells[i]! > max) max = this.cells[i]!;
    return max / this.boost;
  }

  /**
   * Blends the overlay into a frame's pixels in place: each pixel of a cell where tracks
   * were moves towards the cell's colour by its opacity; pixels of empty cells are left
   * untouched. `pixels` holds `frameWidth × frameHeight` pixels in `layout` (RGBA keeps its
   * alpha). Allocates nothing.
   *
   * @throws {@link OutputError} `OUTPUT_FAILED` when the buffer is too small for the frame size.
   */
  blendInto(pixels: Uint8Array | Uint8ClampedArray, layout: HeatmapPixelLayout): void {
    const stride = layout === 'rgba' ? 4 : 3;
    const width = this.frameWidth;
    if (pixels.length < width * this.frameHeight * stride) {
      throw new OutputError('OUTPUT_FAILED', `heatmap frame holds ${pixels.length} bytes, fewer than ${width}x${this.frameHeight}x${stride} for ${layout}`);
    }
    if (!this.prepareOverlay()) return;
    const red = layout === 'bgr24' ? 2 : 0;
    const blue = 2 - red;
    const { overlayRgb, overlayAlpha, columnOf, rowOf, columns } = this;
    for (let y = 0; y < this.frameHeight; y++) {
      const rowBase = rowOf[y]! * columns;
      let o = y * width * stride;
      for (let x = 0; x < width; x++, o += stride) {
        const cell = rowBase + columnOf[x]!;
        const a = overlayAlpha[cell]!;
        if (a === 0) continue;
        const keep = 256 - a;
        const c = cell * 3;
        pixels[o + red] = (pixels[o + red]! * keep + overlayRgb[c]! * a) >> 8;
        pixels[o + 1] = (pixels[o + 1]! * keep + overlayRgb[c + 1]! * a) >> 8;
        pixels[o + blue] = (pixels[o + blue]! * keep + overlayRgb[c + 2]! * a) >> 8;
      }
    }
  }

  /**
   * The heatmap over a camera frame (packed rgb24 or bgr24 of the heatmap's frame size), as
   * PNG bytes.
   *
   * @throws {@link OutputError} `OUTPUT_FAILED` for a frame of another size.
   */
  async renderPng(frame: ImageView): Promise<Buffer> {
    if (frame.width !== this.frameWidth || frame.height !== this.frameHeight) {
      throw new OutputError('OUTPUT_FAILED', `frame is ${frame.width}x${frame.height} but this heatmap covers ${this.frameWidth}x${this.frameHeight}: render it on a frame of its camera`);
    }
    const count = frame.width * frame.height;
    if (frame.data.length < count * 3) {
      throw new OutputError('OUTPUT_FAILED', `frame holds ${frame.data.length} bytes, fewer than ${frame.width}x${frame.height}x3 for ${frame.pixelFormat}`);
    }
    const image = new ImageData(frame.width, frame.height);
    const rgba = image.data;
    const swap = frame.pixelFormat === 'bgr24';
    for (let i = 0, s = 0, d = 0; i < count; i++, s += 3, d += 4) {
      rgba[d] = frame.data[swap ? s + 2 : s]!;
      rgba[d + 1] = frame.data[s + 1]!;
      rgba[d + 2] = frame.data[swap ? s : s + 2]!;
      rgba[d + 3] = 255;
    }
    this.blendInto(rgba, 'rgba');
    const canvas = createCanvas(frame.width, frame.height);
    canvas.getContext('2d', { alpha: false }).putImageData(image, 0, 0);
    return canvas.encode('png');
  }

  /**
   * Writes {@link OccupancyHeatmap.renderPng} to `filePath`, complete or not at all (a
   * temporary file renamed over it).
   *
   * @throws {@link OutputError} `OUTPUT_FAILED` naming the path.
   */
  async writePng(filePath: string, frame: ImageView): Promise<void> {
    const png = await this.renderPng(frame);
    const temporary = `${filePath}.${process.pid}.tmp`;
    try {
      await writeFile(temporary, png);
      await rename(temporary, filePath);
    } catch (cause) {
      await rm(temporary, { force: true }).catch(() => undefined);
      throw new OutputError('OUTPUT_FAILED', `cannot write heatmap ${filePath}: ${(cause as Error).message}`, { culprit: filePath, cause });
    }
  }

  private addAt(x: number, y: number, weight: number): void {
    if (!(x >= 0 && x <= this.frameWidth && y >= 0 && y <= this.frameHeight)) return;
    const column = Math.min(this.columns - 1, Math.floor(x / this.cellSize));
    const row = Math.min(this.rows - 1, Math.floor(y / this.cellSize));
    this.cells[row * this.columns + column]! += weight * this.boost;
  }

  /** Divides the running decay factor into the cells (values that decayed below 2^−1074 become 0). */
  private foldBoost(): void {
    const scale = 2 ** -this.logBoost;
    for (let i = 0; i < this.cells.length; i++) this.cells[i]! *= scale;
    this.logBoost = 0;
  }

  /** Colours and weights of the cells for the current values; false when every cell is empty. */
  private prepareOverlay(): boolean {
    let max = 0;
    for (let i = 0; i < this.cells.length; i++) if (this.cells[i]! > max) max = this.cells[i]!;
    if (!(max > 0)) return false;
    for (let i = 0; i < this.cells.length; i++) {
      const fraction = this.cells[i]! / max;
      if (!(fraction > 0)) {
        this.overlayAlpha[i] = 0;
        continue;
      }
      const lut = 3 * Math.round(fraction * 255);
      this.overlayRgb[3 * i] = COLOR_MAP[lut]!;
      this.overlayRgb[3 * i + 1] = COLOR_MAP[lut + 1]!;
      this.overlayRgb[3 * i + 2] = COLOR_MAP[lut + 2]!;
      // At least 1/256 where anyone was (unless the overlay is off), so no visited cell vanishes.
      this.overlayAlpha[i] = this.opacity === 0 ? 0 : Math.max(1, Math.round(256 * this.opacity * Math.sqrt(fraction)));
    }
    return true;
  }
}
