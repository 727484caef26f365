/**
 * Draws tracking results straight into the frame's own pixels (rgb24 or bgr24): boxes with
 * "G3 · T12 · name" labels, zones with their occupancy, counting lines with their in/out
 * counts, movement trails and a header line. Boxes, lines and fills are integer loops over
 * the frame's bytes (src/output/raster.ts); the canvas library only rasterises each
 * character once (src/output/glyphs.ts). Nothing is copied: the encoder gets the annotated
 * frame as it is, and a frame is drawn in about a millisecond.
 */
import { createCanvas } from '@napi-rs/canvas';
import { ConfigError, OutputError } from '../errors.js';
import type { ImageView } from '../streams/frame.js';
import { UNASSIGNED_COLOR, colorForGlobalId, contrastingTextColor, zoneColor } from './colors.js';
import { GlyphAtlas } from './glyphs.js';
import { drawLine, fillRect, fillRuns, pixelColor, polygonRuns, strokeRect, type PixelColor, type Raster } from './raster.js';

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
  lines?: readonly OverlayLine[];
  trails?: readonly OverlayTrail[];
  /** One line of text in the top-left corner, e.g. `"cam 0 · frame 123 · 17.9 fps"`. */
  header?: string;
}

/** One counting line to draw, with its running counts. */
export interface OverlayLine {
  name: string;
  /** First and second point in pixels; `in` is crossing from its left side to its right. */
  line: readonly [readonly [number, number], readonly [number, number]];
  in: number;
  out: number;
  color?: string;
}

/** The recent path of one track: anchor points, oldest first, flattened `[x0, y0, x1, y1, …]`. */
export interface OverlayTrail {
  points: ArrayLike<number>;
  /** Picks the colour, like the track's box. */
  globalId?: number;
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

const HEADER_ALPHA = 154; // 0.6 of 256
const BLACK = '#000000';
const WHITE = '#ffffff';

/**
 * Annotates the frames of one camera. Create one per camera and reuse it for every frame: the
 * glyph masks, parsed colours and zone fills are made once.
 */
export class FrameAnnotator {
  readonly width: number;
  readonly height: number;
  private readonly fontSize: number;
  private readonly lineWidth: number;
  private readonly zoneAlpha: number;
  private readonly labelHeight: number;
  private readonly labelPadding: number;
  private readonly glyphs: GlyphAtlas;
  /** CSS colour → `#rrggbb`, parsed by the canvas once per colour. */
  private readonly hexOf = new Map<string, string>();
  /** `#rrggbb` → pixel bytes in rgb and bgr order, made once per colour. */
  private readonly pixels = new Map<string, [PixelColor, PixelColor]>();
  /** Zone fills as scan-line runs, computed once per polygon. */
  private readonly zoneRuns = new WeakMap<object, Int32Array>();
  private readonly colorParser = createCanvas(1, 1).getContext('2d');

  constructor(width: number, height: number, options: FrameAnnotatorOptions = {}) {
    for (const [name, value] of [['width', width], ['height', height]] as const) {
      if (!Number.isInteger(value) || value < 1 || value > 16384) {
        throw new ConfigError('INVALID_OPTION', `FrameAnnotator ${name} must be an integer from 1 to 16384 pixels, got ${value}`, { culprit: name });
      }
    }
    this.width = width;
    this.height = height;
    this.fontSize = positiveOption('fontSize', options.fontSize, Math.max(12, Math.round(height / 26)));
    this.lineWidth = Math.round(positiveOption('lineWidth', options.lineWidth, Math.max(2, Math.round(height / 240))));
    const opacity = options.zoneOpacity ?? 0.25;
    if (!(opacity >= 0 && opacity <= 1)) {
      throw new ConfigError('INVALID_OPTION', `zoneOpacity must be between 0 and 1, got ${opacity}`, { culprit: 'zoneOpacity' });
    }
    this.zoneAlpha = Math.round(opacity * 256);
    this.glyphs = new GlyphAtlas(this.fontSize, options.fontFamily ?? 'DejaVu Sans, Arial, Helvetica, sans-serif');
    this.labelPadding = Math.max(2, Math.round(this.fontSize * 0.25));
    this.labelHeight = this.glyphs.lineHeight + this.labelPadding;
  }

  /**
   * Draws `overlay` into `frame.data` itself and returns it: the frame now holds the annotated
   * picture, in its own pixel format. Copy the frame first if the clean pixels are still needed.
   */
  annotate(frame: ImageView, overlay: Overlay): Uint8Array {
    if (frame.width !== this.width || frame.height !== this.height) {
      throw new OutputError('OUTPUT_FAILED', `frame is ${frame.width}x${frame.height} but this FrameAnnotator draws ${this.width}x${this.height}: use one annotator per camera and frame size`);
    }
    if (frame.data.length < this.width * this.height * 3) {
      throw new OutputError('OUTPUT_FAILED', `frame holds ${frame.data.length} bytes, fewer than ${this.width}x${this.height}x3 for ${frame.pixelFormat}`);
    }
    const r: Raster = { data: frame.data, width: this.width, height: this.height };
    const bgr = frame.pixelFormat === 'bgr24';
    for (let i = 0; i < overlay.zones.length; i++) this.drawZone(r, overlay.zones[i]!, i, bgr);
    for (const line of overlay.lines ?? []) this.drawCountingLine(r, line, bgr);
    for (const trail of overlay.trails ?? []) this.drawTrail(r, trail, bgr);
    for (let i = 0; i < overlay.boxes.length; i++) this.drawBox(r, overlay.boxes[i]!, bgr);
    if (overlay.header !== undefined && overlay.header !== '') this.drawLabel(r, overlay.header, 0, 0, BLACK, WHITE, bgr, HEADER_ALPHA);
    return frame.data;
  }

  private drawBox(r: Raster, box: OverlayBox, bgr: boolean): void {
    const { width, height, lineWidth } = this;
    const x1 = clamp(Math.round(box.x1), 0, width - 1);
    const y1 = clamp(Math.round(box.y1), 0, height - 1);
    const x2 = clamp(Math.round(box.x2), 0, width);
    const y2 = clamp(Math.round(box.y2), 0, height);
    if (!(x2 > x1 && y2 > y1)) return; // empty, inverted or NaN
    const swatch = box.globalId === undefined ? UNASSIGNED_COLOR : colorForGlobalId(box.globalId);
    strokeRect(r, x1, y1, x2, y2, Math.min(lineWidth, x2 - x1, y2 - y1), this.color(swatch.fill, bgr));
    const text = boxLabel(box);
    const labelWidth = this.glyphs.measure(text) + 2 * this.labelPadding;
    const left = clamp(x1, 0, Math.max(0, width - labelWidth));
    // Above the box, or just inside its top edge when the box touches the top of the frame.
    const top = y1 >= this.labelHeight ? y1 - this.labelHeight : y1;
    this.drawLabel(r, text, left, top, swatch.fill, swatch.text, bgr);
  }

  private drawZone(r: Raster, zone: OverlayZone, index: number, bgr: boolean): void {
    const points = zone.polygon;
    if (points.length < 3) return;
    const hex = this.hex(zone.color ?? zoneColor(index));
    const color = this.color(hex, bgr);
    let runs = this.zoneRuns.get(points);
    if (runs === undefined) {
      runs = polygonRuns(points, this.width, this.height);
      this.zoneRuns.set(points, runs);
    }
    if (this.zoneAlpha > 0) fillRuns(r, runs, color, this.zoneAlpha);
    let sumX = 0;
    let sumY = 0;
    for (let i = 0; i < points.length; i++) {
      // Index access, not `[x, y] =`: array destructuring runs the iterator protocol every frame.
      const p = points[i]!;
      const q = points[(i + 1) % points.length]!;
      drawLine(r, p[0], p[1], q[0], q[1], this.lineWidth, color);
      sumX += p[0];
      sumY += p[1];
    }
    // Caption centred on the vertices' mean, kept inside the frame.
    const text = `${zone.name}: ${zone.count}`;
    const labelWidth = this.glyphs.measure(text) + 2 * this.labelPadding;
    const left = clamp(Math.round(sumX / points.length - labelWidth / 2), 0, Math.max(0, this.width - labelWidth));
    const top = clamp(Math.round(sumY / points.length - this.labelHeight / 2), 0, Math.max(0, this.height - this.labelHeight));
    this.drawLabel(r, text, left, top, hex, contrastingTextColor(hex), bgr);
  }

  /** The segment, an arrow on its `in` side, and `name in N · out M` at its middle. */
  private drawCountingLine(r: Raster, line: OverlayLine, bgr: boolean): void {
    const hex = this.hex(line.color ?? '#ffffff');
    const color = this.color(hex, bgr);
    const x1 = line.line[0][0];
    const y1 = line.line[0][1];
    const x2 = line.line[1][0];
    const y2 = line.line[1][1];
    drawLine(r, x1, y1, x2, y2, this.lineWidth + 1, color);
    // `in` goes from left to right seen from the first point: in image coordinates (y down)
    // the right-hand normal of (dx, dy) is (-dy, dx).
    const length = Math.hypot(x2 - x1, y2 - y1) || 1;
    const nx = -(y2 - y1) / length;
    const ny = (x2 - x1) / length;
    const mx = (x1 + x2) / 2;
    const my = (y1 + y2) / 2;
    const arrow = this.fontSize;
    drawLine(r, mx, my, mx + nx * arrow, my + ny * arrow, this.lineWidth, color);
    const text = `${line.name} in ${line.in} · out ${line.out}`;
    const labelWidth = this.glyphs.measure(text) + 2 * this.labelPadding;
    const left = clamp(Math.round(mx - labelWidth / 2), 0, Math.max(0, this.width - labelWidth));
    const top = clamp(Math.round(my - this.labelHeight - this.lineWidth), 0, Math.max(0, this.height - this.labelHeight));
    this.drawLabel(r, text, left, top, hex, contrastingTextColor(hex), bgr);
  }

  private drawTrail(r: Raster, trail: OverlayTrail, bgr: boolean): void {
    const p = trail.points;
    if (p.length < 4) return;
    const swatch = trail.globalId === undefined ? UNASSIGNED_COLOR : colorForGlobalId(trail.globalId);
    const color = this.color(swatch.fill, bgr);
    const width = Math.max(1, this.lineWidth - 1);
    for (let i = 2; i + 1 < p.length; i += 2) drawLine(r, p[i - 2]!, p[i - 1]!, p[i]!, p[i + 1]!, width, color);
  }

  /** Text on a filled rectangle, so it stays readable on any background. */
  private drawLabel(r: Raster, text: string, left: number, top: number, background: string, foreground: string, bgr: boolean, alpha256 = 256): void {
    const width = this.glyphs.measure(text) + 2 * this.labelPadding;
    fillRect(r, left, top, left + width, top + this.labelHeight, this.color(background, bgr), alpha256);
    this.glyphs.draw(r, text, left + this.labelPadding, top + this.labelPadding / 2, this.color(foreground, bgr));
  }

  /** The pixel bytes of a CSS colour in the frame's channel order (cached). */
  private color(css: string, bgr: boolean): PixelColor {
    let pair = this.pixels.get(css);
    if (pair === undefined) {
      const hex = this.hex(css);
      pair = [pixelColor(hex, false), pixelColor(hex, true)];
      this.pixels.set(css, pair);
    }
    return pair[bgr ? 1 : 0];
  }

  /** Any CSS colour as `#rrggbb` (the canvas parses it, once per colour). */
  private hex(css: string): string {
    let hex = this.hexOf.get(css);
    if (hex === undefined) {
      this.colorParser.fillStyle = '#000000';
      this.colorParser.fillStyle = css;
      const parsed = String(this.colorParser.fillStyle);
      hex = /^#[0-9a-f]{6}$/i.test(parsed) ? parsed : '#ffffff';
      this.hexOf.set(css, hex);
    }
    return hex;
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
