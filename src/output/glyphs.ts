/**
 * Text for the annotated video: the canvas library rasterises each character once, into an
 * 8-bit coverage mask; a label is then drawn by blending cached masks into the frame. Labels
 * change every frame (frame numbers, counts), characters do not.
 */
import { createCanvas, type SKRSContext2D } from '@napi-rs/canvas';
import { blendMask, type PixelColor, type Raster } from './raster.js';

interface Glyph {
  mask: Uint8Array;
  /** Horizontal advance, pixels (rounded). */
  advance: number;
}

/** Characters rasterised at most (labels use a small alphabet; this only bounds odd input). */
const MAX_GLYPHS = 512;

export class GlyphAtlas {
  /** Height of every glyph mask (one text line). */
  readonly lineHeight: number;
  private readonly glyphs = new Map<string, Glyph>();
  private readonly ctx: SKRSContext2D;
  private readonly cell: number;

  constructor(
    fontSize: number,
    private readonly fontFamily: string,
  ) {
    this.lineHeight = Math.round(fontSize * 1.2);
    this.cell = Math.ceil(fontSize * 2);
    const canvas = createCanvas(this.cell, this.lineHeight);
    this.ctx = canvas.getContext('2d');
    this.ctx.font = `bold ${fontSize}px ${fontFamily}`;
    this.ctx.textBaseline = 'middle';
  }

  /** Width of `text` in pixels. */
  measure(text: string): number {
    let width = 0;
    // Index loop: no string iterator per call (labels are drawn every frame).
    for (let i = 0; i < text.length; i++) width += this.glyph(text[i]!).advance;
    return width;
  }

  /** Draws `text` with its top-left corner at (x, y). */
  draw(r: Raster, text: string, x: number, y: number, color: PixelColor): void {
    let pen = Math.round(x);
    const top = Math.round(y);
    for (let i = 0; i < text.length; i++) {
      const g = this.glyph(text[i]!);
      blendMask(r, g.mask, this.cell, this.lineHeight, pen, top, color);
      pen += g.advance;
    }
  }

  private glyph(ch: string): Glyph {
    let g = this.glyphs.get(ch);
    if (g !== undefined) return g;
    const ctx = this.ctx;
    ctx.clearRect(0, 0, this.cell, this.lineHeight);
    ctx.fillStyle = '#ffffff';
    ctx.fillText(ch, 0, this.lineHeight / 2);
    const rgba = ctx.getImageData(0, 0, this.cell, this.lineHeight).data;
    const mask = new Uint8Array(this.cell * this.lineHeight);
    for (let i = 0; i < mask.length; i++) mask[i] = rgba[i * 4 + 3]!;
    g = { mask, advance: Math.max(1, Math.round(ctx.measureText(ch).width)) };
    if (this.glyphs.size < MAX_GLYPHS) this.glyphs.set(ch, g);
    return g;
  }

  /** The font this atlas rasterises (for diagnostics). */
  get font(): string {
    return this.fontFamily;
  }
}
