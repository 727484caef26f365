/**
 * Previews cross Redis at a small size: a worker scales each annotated RGBA frame down
 * (nearest neighbour, into one reused buffer per camera) before sending it, so a 640×360
 * preview costs 230 KB on the wire instead of 922 KB. The page shows previews at 320 px.
 */

export class PreviewScaler {
  private buffer = new Uint8Array(0);
  private columns = new Uint32Array(0);

  /** @param maxWidth width of the sent preview; narrower frames are sent as they are. */
  constructor(private readonly maxWidth = 320) {}

  /** The scaled frame (valid until the next call) and its size. */
  scale(rgba: Uint8Array, width: number, height: number): { rgba: Uint8Array; width: number; height: number } {
    if (width <= this.maxWidth) return { rgba, width, height };
    const outWidth = this.maxWidth;
    const outHeight = Math.max(1, Math.round((height * outWidth) / width));
    const size = outWidth * outHeight * 4;
    if (this.buffer.length !== size) this.buffer = new Uint8Array(size);
    if (this.columns.length !== outWidth) this.columns = new Uint32Array(outWidth);
    const columns = this.columns;
    for (let x = 0; x < outWidth; x++) columns[x] = Math.min(width - 1, Math.floor(((x + 0.5) * width) / outWidth)) * 4;
    const out = this.buffer;
    let o = 0;
    for (let y = 0; y < outHeight; y++) {
      const row = Math.min(height - 1, Math.floor(((y + 0.5) * height) / outHeight)) * width * 4;
      for (let x = 0; x < outWidth; x++) {
        const i = row + columns[x]!;
        out[o] = rgba[i]!;
        out[o + 1] = rgba[i + 1]!;
        out[o + 2] = rgba[i + 2]!;
        out[o + 3] = rgba[i + 3]!;
        o += 4;
      }
    }
    return { rgba: out, width: outWidth, height: outHeight };
  }
}
