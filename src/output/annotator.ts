/**
 * Draws tracking results onto video frames: boxes with "G3 · T12 · name" labels, zone
 * polygons with their occupancy, and a header line. Drawing and text go through
 * `@napi-rs/canvas` (Skia, system fonts); the output is RGBA, which `VideoWriter` takes as is.
 *
 * Per frame: pack the frame into a reusable RGBA buffer → `putImageData` → draw → read the
 * pixels back once with `canvas.data()`. The canvas is opaque (`alpha: false`), so its
 * premultiplied pixels equal the straight RGBA a video encoder expects.
 */
import { createCanvas, ImageData, type Canvas, type SKRSContext2D } from '@napi-rs/canvas';
import { ConfigError, OutputError } from '../errors.js';
import type { ImageView, PixelFormat } from '../streams/frame.js';
import { UNASSIGNED_COLOR, colorForGlobalId, contrastingTextColor, zoneColor } from './colors.js';

/** One tracked person to draw, in pixel coordinates of the frame. */
export interface OverlayBox {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  /** The camera-local track id, shown as `T12`. */
  trackId: number;
  /** The cross-camera identity, shown as `G3`; it also picks the box colour. Grey when absent. */
  globalId?: number;
  /** Name of the matched reference person, appended to the label when known. */
  name?: string;
  /** Any extra text appended to the label (a similarity score, a state…). */
  label?: string;
}

/** One zone to draw. */
export interface OverlayZone {
  /** Shown in the zone's caption as `name: count`. */
  name: string;
  /** Vertices in pixels; fewer than three vertices draw nothing. */
  polygon: ReadonlyArray<readonly [number, number]>;
  /** Current occupancy, shown in the caption. */
  count: number;
  /** CSS colour of the zone; by default one of `ZONE_PALETTE` (see colors) by the zone's position. */
  color?: string;
}

/** Everything drawn on one frame. */
export interface Overlay {
  boxes: readonly OverlayBox[];
  zones: readonly OverlayZone[];
  /** One line of text in the top-left corner, e.g. `"cam 0 · frame 123 · 17.9 fps"`. */
  header?: string;
}

/** Look of the annotations. Sizes scale with the frame height unless set. */
export interface FrameAnnotatorOptions {
  /**
   * CSS font family of every label; any family installed on the system (fontconfig) or
   * registered with `GlobalFonts` from `@napi-rs/canvas`.
   * @default 'DejaVu Sans, Arial, Helvetica, sans-serif'
   */
  fontFamily?: string;
  /**
   * Label font size in pixels. Larger reads better on small frames but hides more of small boxes.
   * @default max(12, round(height / 26)) — 14 px at 360p, 28 px at 720p
   */
  fontSize?: number;
  /**
   * Box and zone outline width in pixels.
   * @default max(2, round(height / 240))
   */
  lineWidth?: number;
  /**
   * Opacity of the zone fill, 0 (outline only) to 1 (opaque).
   * @default 0.25
   */
  zoneOpacity?: number;
}

/** The label of a box: `"G3 · T12"`, then the reference name and extra label when known. */
export function boxLabel(box: Pick<OverlayBox, 'trackId' | 'globalId' | 'name' | 'label'>): string {
  let text = box.globalId === undefined ? `T${box.trackId}` : `G${box.globalId} · T${box.trackId}`;
  if (box.name !== undefined && box.name !== '') text += ` · ${box.name}`;
  if (box.label !== undefined && box.label !== '') text += ` · ${box.label}`;
  return text;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
const HEADER_BACKGROUND = 'rgba(0, 0, 0, 0.6)';
/** Bounds the text-width cache; labels change slowly, so this is rarely reached. */
const MAX_CACHED_LABELS = 2048;

/**
 * Annotates the frames of one camera. Create one per camera and reuse it for every frame:
 * the canvas, context and pixel buffers are allocated once.
 */
export class FrameAnnotator {
  readonly width: number;
  readonly height: number;
  private readonly canvas: Canvas;
  private readonly ctx: SKRSContext2D;
  private readonly imageData: ImageData;
  /** The same bytes as `imageData.data`, one 32-bit word per pixel, for the packing loop. */
  private readonly pixelWords: Uint32Array;
  /** Aligned copy of a frame whose bytes do not start on a 4-byte boundary; made on first need. */
  private alignedScratch?: Uint8Array;
  private readonly fontSize: number;
  private readonly lineWidth: number;
  private readonly zoneOpacity: number;
  private readonly labelHeight: number;
  private readonly labelPadding: number;
  private readonly textWidths = new Map<string, number>();
  private readonly zoneTextColors = new Map<string, string>();

  constructor(width: number, height: number, options: FrameAnnotatorOptions = {}) {
    for (const [name, value] of [['width', width], ['height', height]] as const) {
      if (!Number.isInteger(value) || value < 1 || value > 16384) {
        throw new ConfigError('INVALID_OPTION', `FrameAnnotator ${name} must be an integer from 1 to 16384 pixels, got ${value}`, { culprit: name });
      }
    }
    this.width = width;
    this.height = height;
    this.fontSize = positiveOption('fontSize', options.fontSize, Math.max(12, Math.round(height / 26)));
    this.lineWidth = positiveOption('lineWidth', options.lineWidth, Math.max(2, Math.round(height / 240)));
    const opacity = options.zoneOpacity ?? 0.25;
    if (!(opacity >= 0 && opacity <= 1)) {
      throw new ConfigError('INVALID_OPTION', `zoneOpacity must be between 0 and 1, got ${opacity}`, { culprit: 'zoneOpacity' });
    }
    this.zoneOpacity = opacity;
    this.labelPadding = Math.max(2, Math.round(this.fontSize * 0.25));
    this.labelHeight = Math.round(this.fontSize * 1.2) + this.labelPadding;

    this.canvas = createCanvas(width, height);
    // Opaque: putImageData skips premultiplication (about 3x faster) and data() is plain RGBA.
    this.ctx = this.canvas.getContext('2d', { alpha: false });
    this.ctx.font = `bold ${this.fontSize}px ${options.fontFamily ?? 'DejaVu Sans, Arial, Helvetica, sans-serif'}`;
    this.ctx.textBaseline = 'middle';
    this.ctx.lineJoin = 'miter';
    this.imageData = new ImageData(width, height);
    const bytes = this.imageData.data;
    this.pixelWords = new Uint32Array(bytes.buffer, bytes.byteOffset, width * height);
  }

  /**
   * Draws `overlay` on `frame` and returns its RGBA pixels (`width * height * 4` bytes, a new
   * buffer each call, so it may be queued for writing while the next frame is annotated).
   */
  annotate(frame: ImageView, overlay: Overlay): Uint8Array {
    if (frame.width !== this.width || frame.height !== this.height) {
      throw new OutputError('OUTPUT_FAILED', `frame is ${frame.width}x${frame.height} but this FrameAnnotator draws ${this.width}x${this.height}: use one annotator per camera and frame size`);
    }
    if (frame.data.length < this.width * this.height * 3) {
      throw new OutputError('OUTPUT_FAILED', `frame holds ${frame.data.length} bytes, fewer than ${this.width}x${this.height}x3 for ${frame.pixelFormat}`);
    }
    this.packFrame(frame.data, frame.pixelFormat);
    this.ctx.putImageData(this.imageData, 0, 0);
    for (let i = 0; i < overlay.zones.length; i++) this.drawZone(overlay.zones[i]!, i);
    for (let i = 0; i < overlay.boxes.length; i++) this.drawBox(overlay.boxes[i]!);
    if (overlay.header !== undefined && overlay.header !== '') this.drawHeader(overlay.header);
    return this.canvas.data();
  }

  /**
   * Packs rgb24/bgr24 into the opaque RGBA buffer. On little-endian machines it reads four
   * pixels as three 32-bit words and writes four words (about 3x faster than byte by byte);
   * a source that is not 4-byte aligned is first copied into an aligned scratch buffer.
   */
  private packFrame(src: Uint8Array, pixelFormat: PixelFormat): void {
    const swapRedBlue = pixelFormat === 'bgr24';
    if (!LITTLE_ENDIAN) {
      packBytes(src, 0, this.pixelWords, 0, swapRedBlue, true);
      return;
    }
    let aligned = src;
    if (src.byteOffset % 4 !== 0) {
      this.alignedScratch ??= new Uint8Array(this.width * this.height * 3);
      this.alignedScratch.set(src.subarray(0, this.alignedScratch.length));
      aligned = this.alignedScratch;
    }
    const quads = this.pixelWords.length >> 2;
    const srcWords = new Uint32Array(aligned.buffer, aligned.byteOffset, quads * 3);
    if (swapRedBlue) packBgrQuads(srcWords, this.pixelWords, quads);
    else packRgbQuads(srcWords, this.pixelWords, quads);
    // The last 0–3 pixels when the pixel count is not a multiple of four.
    packBytes(aligned, quads * 12, this.pixelWords, quads * 4, swapRedBlue, false);
  }

  private drawBox(box: OverlayBox): void {
    const { width, height, lineWidth, ctx } = this;
    const x1 = clamp(Math.round(box.x1), 0, width - 1);
    const y1 = clamp(Math.round(box.y1), 0, height - 1);
    const x2 = clamp(Math.round(box.x2), 0, width);
    const y2 = clamp(Math.round(box.y2), 0, height);
    if (!(x2 > x1 && y2 > y1)) return; // empty, inverted or NaN
    const color = box.globalId === undefined ? UNASSIGNED_COLOR : colorForGlobalId(box.globalId);
    // Inset by half the line so the border lies inside the box and on whole pixels.
    ctx.strokeStyle = color.fill;
    ctx.lineWidth = lineWidth;
    ctx.strokeRect(x1 + lineWidth / 2, y1 + lineWidth / 2, Math.max(0, x2 - x1 - lineWidth), Math.max(0, y2 - y1 - lineWidth));

    const text = boxLabel(box);
    const labelWidth = Math.ceil(this.textWidth(text)) + 2 * this.labelPadding;
    const left = clamp(x1, 0, Math.max(0, width - labelWidth));
    // Above the box, or just inside its top edge when the box touches the top of the frame.
    const top = y1 >= this.labelHeight ? y1 - this.labelHeight : y1;
    this.drawLabel(text, left, top, labelWidth, color.fill, color.text);
  }

  private drawZone(zone: OverlayZone, index: number): void {
    const points = zone.polygon;
    if (points.length < 3) return;
    const { ctx } = this;
    const color = zone.color ?? zoneColor(index);
    let sumX = 0;
    let sumY = 0;
    ctx.beginPath();
    for (let i = 0; i < points.length; i++) {
      const [x, y] = points[i]!;
      if (i === 0) ctx.moveTo(x, y);
      else ctx.lineTo(x, y);
      sumX += x;
      sumY += y;
    }
    ctx.closePath();
    ctx.globalAlpha = this.zoneOpacity;
    ctx.fillStyle = color;
    ctx.fill();
    ctx.globalAlpha = 1;
    ctx.strokeStyle = color;
    ctx.lineWidth = this.lineWidth;
    ctx.stroke();

    // Caption centred on the vertices' mean, kept inside the frame.
    const text = `${zone.name}: ${zone.count}`;
    const labelWidth = Math.ceil(this.textWidth(text)) + 2 * this.labelPadding;
    const left = clamp(Math.round(sumX / points.length - labelWidth / 2), 0, Math.max(0, this.width - labelWidth));
    const top = clamp(Math.round(sumY / points.length - this.labelHeight / 2), 0, Math.max(0, this.height - this.labelHeight));
    this.drawLabel(text, left, top, labelWidth, color, this.zoneTextColor(color));
  }

  private drawHeader(text: string): void {
    const labelWidth = Math.ceil(this.textWidth(text)) + 2 * this.labelPadding;
    this.drawLabel(text, 0, 0, labelWidth, HEADER_BACKGROUND, '#ffffff');
  }

  /** Text on a filled rectangle, so it stays readable on any background. */
  private drawLabel(text: string, left: number, top: number, labelWidth: number, background: string, foreground: string): void {
    const { ctx } = this;
    ctx.fillStyle = background;
    ctx.fillRect(left, top, labelWidth, this.labelHeight);
    ctx.fillStyle = foreground;
    ctx.fillText(text, left + this.labelPadding, top + this.labelHeight / 2);
  }

  /** measureText allocates a metrics object; labels repeat frame after frame, so cache widths. */
  private textWidth(text: string): number {
    let width = this.textWidths.get(text);
    if (width === undefined) {
      if (this.textWidths.size >= MAX_CACHED_LABELS) this.textWidths.clear();
      width = this.ctx.measureText(text).width;
      this.textWidths.set(text, width);
    }
    return width;
  }

  private zoneTextColor(color: string): string {
    let text = this.zoneTextColors.get(color);
    if (text === undefined) {
      text = contrastingTextColor(color);
      this.zoneTextColors.set(color, text);
    }
    return text;
  }
}

const OPAQUE = 0xff000000;

/**
 * Four rgb24 pixels = three little-endian words `r0g0b0r1 | g1b1r2g2 | b2r3g3b3` → four RGBA
 * words (`r | g<<8 | b<<16 | a<<24` in little-endian memory).
 */
function packRgbQuads(src: Uint32Array, out: Uint32Array, quads: number): void {
  for (let q = 0, s = 0, o = 0; q < quads; q++, s += 3, o += 4) {
    const a = src[s]!;
    const b = src[s + 1]!;
    const c = src[s + 2]!;
    out[o] = (a | OPAQUE) >>> 0;
    out[o + 1] = ((a >>> 24) | (b << 8) | OPAQUE) >>> 0;
    out[o + 2] = ((b >>> 16) | (c << 16) | OPAQUE) >>> 0;
    out[o + 3] = ((c >>> 8) | OPAQUE) >>> 0;
  }
}

/** As {@link packRgbQuads}, then swaps bytes 0 and 2 of each pixel (blue-first input). */
function packBgrQuads(src: Uint32Array, out: Uint32Array, quads: number): void {
  for (let q = 0, s = 0, o = 0; q < quads; q++, s += 3, o += 4) {
    const a = src[s]!;
    const b = src[s + 1]!;
    const c = src[s + 2]!;
    const p0 = a;
    const p1 = (a >>> 24) | (b << 8);
    const p2 = (b >>> 16) | (c << 16);
    const p3 = c >>> 8;
    out[o] = ((p0 & 0xff00) | ((p0 & 0xff) << 16) | ((p0 >>> 16) & 0xff) | OPAQUE) >>> 0;
    out[o + 1] = ((p1 & 0xff00) | ((p1 & 0xff) << 16) | ((p1 >>> 16) & 0xff) | OPAQUE) >>> 0;
    out[o + 2] = ((p2 & 0xff00) | ((p2 & 0xff) << 16) | ((p2 >>> 16) & 0xff) | OPAQUE) >>> 0;
    out[o + 3] = ((p3 & 0xff00) | ((p3 & 0xff) << 16) | ((p3 >>> 16) & 0xff) | OPAQUE) >>> 0;
  }
}

/** Byte-by-byte packing from pixel `firstPixel` on: the tail, and big-endian machines. */
function packBytes(src: Uint8Array, srcOffset: number, out: Uint32Array, firstPixel: number, swapRedBlue: boolean, bigEndian: boolean): void {
  const r = swapRedBlue ? 2 : 0;
  const b = 2 - r;
  for (let i = firstPixel, s = srcOffset; i < out.length; i++, s += 3) {
    out[i] = bigEndian
      ? ((src[s + r]! << 24) | (src[s + 1]! << 16) | (src[s + b]! << 8) | 0xff) >>> 0
      : (src[s + r]! | (src[s + 1]! << 8) | (src[s + b]! << 16) | OPAQUE) >>> 0;
  }
}

function clamp(value: number, low: number, high: number): number {
  return value < low ? low : value > high ? high : value;
}

function positiveOption(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!(Number.isFinite(value) && value > 0)) {
    throw new ConfigError('INVALID_OPTION', `FrameAnnotator option ${name} must be a positive number of pixels, got ${value}`, { culprit: name });
  }
  return value;
}
