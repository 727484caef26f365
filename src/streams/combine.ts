/**
 * Side-by-side view of several cameras: `[cam0 | cam1 | …]`, every frame resized (bilinear)
 * to the smallest height so rows line up.
 */
import { ConfigError } from '../errors.js';
import type { ImageView } from './frame.js';

/** Width of a `width × height` image scaled to `targetHeight`, keeping the aspect ratio. */
export function scaledWidth(width: number, height: number, targetHeight: number): number {
  return height === targetHeight ? width : Math.max(1, Math.round((width * targetHeight) / height));
}

/** Size of the stacked image for frames of these sizes. */
export function combinedSize(sizes: ReadonlyArray<{ width: number; height: number }>): { width: number; height: number } {
  if (sizes.length === 0) return { width: 0, height: 0 };
  const height = Math.min(...sizes.map((s) => s.height));
  const width = sizes.reduce((sum, s) => sum + scaledWidth(s.width, s.height, height), 0);
  return { width, height };
}

/** Stacks the images horizontally at the smallest height. */
export function hstack(images: readonly ImageView[]): ImageView {
  if (images.length === 0) throw new ConfigError('INVALID_OPTION', 'hstack needs at least one image');
  const pixelFormat = images[0]!.pixelFormat;
  if (images.some((im) => im.pixelFormat !== pixelFormat)) {
    throw new ConfigError('INVALID_OPTION', `hstack got mixed pixel formats (${images.map((im) => im.pixelFormat).join(', ')}); read every camera with the same pixelFormat`);
  }
  const { width, height } = combinedSize(images);
  const data = new Uint8Array(width * height * 3);
  let x0 = 0;
  for (const image of images) {
    const w = scaledWidth(image.width, image.height, height);
    if (image.height === height) copyInto(image, data, width, x0);
    else resizeInto(image, w, height, data, width, x0);
    x0 += w;
  }
  return { data, width, height, pixelFormat };
}

/** Copies an image of the target height into the destination at column `x0`. */
function copyInto(image: ImageView, dst: Uint8Array, dstWidth: number, x0: number): void {
  const rowBytes = image.width * 3;
  for (let y = 0; y < image.height; y++) {
    const from = y * rowBytes;
    dst.set(image.data.subarray(from, from + rowBytes), (y * dstWidth + x0) * 3);
  }
}

/** Bilinear resize of `image` to `w × h`, written into the destination at column `x0`. */
function resizeInto(image: ImageView, w: number, h: number, dst: Uint8Array, dstWidth: number, x0: number): void {
  const src = image.data;
  const sw = image.width;
  const sh = image.height;
  // Per-column source offsets and weights, computed once per image (not per pixel).
  const colLeft = new Int32Array(w);
  const colRight = new Int32Array(w);
  const colWeight = new Float32Array(w);
  const scaleX = sw / w;
  for (let x = 0; x < w; x++) {
    const fx = Math.min(sw - 1, Math.max(0, (x + 0.5) * scaleX - 0.5));
    const left = Math.floor(fx);
    colLeft[x] = left * 3;
    colRight[x] = Math.min(sw - 1, left + 1) * 3;
    colWeight[x] = fx - left;
  }
  const scaleY = sh / h;
  const srcStride = sw * 3;
  for (let y = 0; y < h; y++) {
    const fy = Math.min(sh - 1, Math.max(0, (y + 0.5) * scaleY - 0.5));
    const top = Math.floor(fy);
    const wy = fy - top;
    const rowTop = top * srcStride;
    const rowBottom = Math.min(sh - 1, top + 1) * srcStride;
    let o = (y * dstWidth + x0) * 3;
    for (let x = 0; x < w; x++) {
      const l = colLeft[x]!;
      const r = colRight[x]!;
      const wx = colWeight[x]!;
      for (let c = 0; c < 3; c++) {
        const t = src[rowTop + l + c]! + (src[rowTop + r + c]! - src[rowTop + l + c]!) * wx;
        const b = src[rowBottom + l + c]! + (src[rowBottom + r + c]! - src[rowBottom + l + c]!) * wx;
        dst[o++] = t + (b - t) * wy + 0.5;
      }
    }
  }
}
