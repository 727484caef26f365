/**
 * Previews cross Redis at a small size: a worker scales each annotated frame (packed 3 bytes
 * per pixel) down, nearest neighbour, into one reused buffer per camera before sending it, so
 * a 640×360 preview costs 173 KB on the wire instead of 691 KB. The page shows previews at 320 px.
 */

export class PreviewScaler {
  private buffer = new Uint8Array(0);
  private columns = new Uint32Array(0);

  /** @param maxWidth width of the sent preview; narrower frames are sent as they are. */
  constructor(private readonly maxWidth = 320) {}

  /** The scaled frame (valid until the next call) and its size. */
  scale(data: Uint8Array, width: number, height: number): { data: Uint8Array; width: number; height: number } {
    if (width <= this.maxWidth) return { data, width, height };
    const outWidth = this.maxWidth;
    const outHeight = Math.max(1, Math.round((height * outWidth) / width));
    const size = outWidth * outHeight * 3;
    if (this.buffer.length !== size) this.buffer = new Uint8Array(size);
    if (this.columns.length !== outWidth) this.columns = new Uint32Array(outWidth);
    const columns = this.columns;
    for (let x = 0; x < outWidth; x++) columns[x] = Math.min(width - 1, Math.floor(((x + 0.5) * width) / outWidth)) * 3;
    const out = this.buffer;
    let o = 0;
    for (let y = 0; y < outHeight; y++) {
      const row = Math.min(height - 1, Math.floor(((y + 0.5) * height) / outHeight)) * width * 3;
      for (let x = 0; x < outWidth; x++) {
        const i = row + columns[x]!;
        out[o] = data[i]!;
        out[o + 1] = data[i + 1]!;
        out[o + 2] = data[i + 2]!;
        o += 3;
      }
    }
    return { data: out, width: outWidth, height: outHeight };
  }
}
