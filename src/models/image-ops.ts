/**
 * Pixel pre-processing for the models: letterboxing a frame into a detector tensor and
 * cropping boxes into a ReID batch tensor. Both resample bilinearly (pixel-centre aligned,
 * like OpenCV's INTER_LINEAR, which the models were trained with) straight from packed
 * rgb24/bgr24 bytes into a float32 tensor — planar (NCHW) or interleaved (NHWC) — converting
 * channel order and value range on the way. Sampling positions are precomputed per axis, so
 * the per-pixel loop is index arithmetic over typed arrays and allocates nothing. This module
 * runs on the main thread and inside the inference workers (`inference-worker.ts`).
 */
import { ConfigError } from '../errors.js';
import type { ImageView, PixelFormat } from '../streams/frame.js';
import type { PreprocessSpec, TensorLayout } from './manifest.js';

/** Where one pixel's three values go in a tensor: index = base + y·rowStride + x·pixelStride + c·planeStride. */
export interface TensorStrides {
  readonly rowStride: number;
  readonly pixelStride: number;
  readonly planeStride: number;
}

/** Strides of a `width × height` image tensor in the given layout. */
export function tensorStrides(layout: TensorLayout, width: number, height: number): TensorStrides {
  return layout === 'NCHW' ? { rowStride: width, pixelStride: 1, planeStride: width * height } : { rowStride: 3 * width, pixelStride: 3, planeStride: 1 };
}

/** Per-channel mapping from packed source bytes to normalised model values: `v = byte * mul + add`. */
export interface ChannelTransform {
  /** Byte offset within a source pixel feeding model plane 0, 1, 2. */
  readonly offsets: readonly [number, number, number];
  readonly mul: readonly [number, number, number];
  readonly add: readonly [number, number, number];
}

/** Builds the transform from a frame's pixel format to a model's channel order and normalisation. */
export function channelTransform(pixelFormat: PixelFormat, spec: Pick<PreprocessSpec, 'channelOrder' | 'scale' | 'mean' | 'std'>): ChannelTransform {
  const sourceOrder = pixelFormat === 'rgb24' ? 'rgb' : 'bgr';
  const offsets: [number, number, number] = sourceOrder === spec.channelOrder ? [0, 1, 2] : [2, 1, 0];
  // (byte * scale - mean) / std, folded into one multiply-add per value.
  const mul = [0, 1, 2].map((c) => spec.scale / spec.std[c]!) as [number, number, number];
  const add = [0, 1, 2].map((c) => -spec.mean[c]! / spec.std[c]!) as [number, number, number];
  return { offsets, mul, add };
}

/**
 * Bilinear sampling positions along one axis, reusable across calls: for destination index i,
 * the two source offsets (already multiplied by the source stride) and the weight of the second.
 */
export class AxisTable {
  readonly lo: Int32Array;
  readonly hi: Int32Array;
  readonly weight: Float32Array;

  constructor(capacity: number) {
    this.lo = new Int32Array(capacity);
    this.hi = new Int32Array(capacity);
    this.weight = new Float32Array(capacity);
  }

  /**
   * Maps `dstLength` destination samples onto source indices `[srcStart, srcStart + srcLength)`.
   * @param stride - Bytes between consecutive source indices (3 along x, `width * 3` along y).
   */
  fill(srcStart: number, srcLength: number, dstLength: number, stride: number): void {
    const ratio = srcLength / dstLength;
    const last = srcLength - 1;
    for (let i = 0; i < dstLength; i++) {
      let s = (i + 0.5) * ratio - 0.5;
      if (s < 0) s = 0;
      else if (s > last) s = last;
      const lo = Math.floor(s);
      const hi = lo < last ? lo + 1 : last;
      this.lo[i] = (srcStart + lo) * stride;
      this.hi[i] = (srcStart + hi) * stride;
      this.weight[i] = s - lo;
    }
  }
}

/**
 * Resamples the source region described by `xs`/`ys` into a `dstWidth × dstHeight` rectangle
 * of an image tensor. `outBase` is the index of the rectangle's top-left value of channel 0;
 * `strides` place every other value (planar or interleaved).
 */
export function sampleBilinear(
  src: Uint8Array,
  xs: AxisTable,
  ys: AxisTable,
  dstWidth: number,
  dstHeight: number,
  out: Float32Array,
  outBase: number,
  strides: TensorStrides,
  transform: ChannelTransform,
): void {
  // Index loads, not `[a, b, c] =`: destructuring runs the iterator protocol on every call.
  const o0 = transform.offsets[0], o1 = transform.offsets[1], o2 = transform.offsets[2];
  const m0 = transform.mul[0], m1 = transform.mul[1], m2 = transform.mul[2];
  const a0 = transform.add[0], a1 = transform.add[1], a2 = transform.add[2];
  const xLo = xs.lo, xHi = xs.hi, xW = xs.weight;
  const { rowStride, pixelStride } = strides;
  const p1 = strides.planeStride, p2 = 2 * strides.planeStride;
  for (let y = 0; y < dstHeight; y++) {
    const row0 = ys.lo[y]!;
    const row1 = ys.hi[y]!;
    const wy = ys.weight[y]!;
    let o = outBase + y * rowStride;
    for (let x = 0; x < dstWidth; x++, o += pixelStride) {
      const wx = xW[x]!;
      const w11 = wx * wy;
      const w10 = wy - w11; // (1 - wx) * wy
      const w01 = wx - w11; // wx * (1 - wy)
      const w00 = 1 - wx - wy + w11;
      const i00 = row0 + xLo[x]!, i01 = row0 + xHi[x]!, i10 = row1 + xLo[x]!, i11 = row1 + xHi[x]!;
      out[o] = (src[i00 + o0]! * w00 + src[i01 + o0]! * w01 + src[i10 + o0]! * w10 + src[i11 + o0]! * w11) * m0 + a0;
      out[o + p1] = (src[i00 + o1]! * w00 + src[i01 + o1]! * w01 + src[i10 + o1]! * w10 + src[i11 + o1]! * w11) * m1 + a1;
      out[o + p2] = (src[i00 + o2]! * w00 + src[i01 + o2]! * w01 + src[i10 + o2]! * w10 + src[i11 + o2]! * w11) * m2 + a2;
    }
  }
}

/** Fills a rectangle of an image tensor with one value per channel. */
function fillRect(out: Float32Array, strides: TensorStrides, x0: number, y0: number, width: number, height: number, value: readonly [number, number, number]): void {
  if (width <= 0 || height <= 0) return;
  const { rowStride, pixelStride, planeStride } = strides;
  if (pixelStride === 1) {
    // Planar: each channel's row span is contiguous.
    for (let c = 0; c < 3; c++) {
      const v = value[c]!;
      for (let y = y0; y < y0 + height; y++) {
        const start = c * planeStride + y * rowStride + x0;
        out.fill(v, start, start + width);
      }
    }
    return;
  }
  const [v0, v1, v2] = value;
  for (let y = y0; y < y0 + height; y++) {
    let o = y * rowStride + x0 * pixelStride;
    for (let x = 0; x < width; x++, o += pixelStride) {
      out[o] = v0;
      out[o + planeStride] = v1;
      out[o + 2 * planeStride] = v2;
    }
  }
}

/** Where a frame landed inside the letterboxed tensor; inverts detector coordinates. */
export interface LetterboxLayout {
  /** Source frame size. */
  srcWidth: number;
  srcHeight: number;
  /**
   * Size of the tensor this frame is fed in: the model's fixed input, or in rectangular mode
   * the frame's aspect ratio fitted into it and rounded up to the model's stride.
   */
  tensorWidth: number;
  tensorHeight: number;
  /** Size of the resized frame inside the tensor. */
  contentWidth: number;
  contentHeight: number;
  /** Top-left corner of the resized frame inside the tensor. */
  padX: number;
  padY: number;
  /** contentWidth / srcWidth and contentHeight / srcHeight. */
  scaleX: number;
  scaleY: number;
}

interface LetterboxPlan {
  layout: LetterboxLayout;
  xs: AxisTable;
  ys: AxisTable;
  strides: TensorStrides;
}

/** How {@link Letterboxer} sizes its tensor. */
export interface LetterboxerOptions {
  /** Tensor layout. @default 'NCHW' */
  layout?: TensorLayout;
  /**
   * Rectangular mode: when set, the tensor follows the frame's aspect ratio — the frame is
   * scaled as into the full `width × height` input, and the tensor is cut to the content
   * rounded up to a multiple of this stride. Undefined: always the full fixed size.
   */
  stride?: number;
}

/**
 * Letterboxes frames into a CHW or HWC float tensor: scales the frame to fit while keeping its
 * aspect ratio, places it at the top-left (YOLOX) or centre (Ultralytics) — or stretches it
 * over the whole tensor (`letterbox: 'none'`) — and fills the rest with the pad value. In
 * rectangular mode the tensor is only as large as the content (rounded up to the stride), so
 * a 16:9 frame fed to a square model costs about half the pixels. Plans (sampling tables and
 * tensor size) are cached per source size, so a stream of equal-sized frames only pays for the
 * pixel loop.
 */
export class Letterboxer {
  /** Floats in the largest tensor this letterboxer writes (3 × height × width): size input buffers to this. */
  readonly tensorLength: number;
  /** Tensor layout. */
  readonly layout: TensorLayout;
  /** The rectangular stride, or undefined for the fixed size. */
  readonly stride: number | undefined;
  private readonly plans = new Map<number, LetterboxPlan>();
  private readonly transforms: Record<PixelFormat, ChannelTransform>;
  private readonly padValues: Record<PixelFormat, readonly [number, number, number]>;

  constructor(
    readonly width: number,
    readonly height: number,
    private readonly spec: PreprocessSpec,
    options: LetterboxerOptions = {},
  ) {
    this.tensorLength = 3 * width * height;
    this.layout = options.layout ?? 'NCHW';
    this.stride = options.stride;
    this.transforms = { rgb24: channelTransform('rgb24', spec), bgr24: channelTransform('bgr24', spec) };
    const pad = (t: ChannelTransform) => [0, 1, 2].map((c) => spec.padValue * t.mul[c]! + t.add[c]!) as unknown as [number, number, number];
    this.padValues = { rgb24: pad(this.transforms.rgb24), bgr24: pad(this.transforms.bgr24) };
  }

  /** The layout a frame of this size gets (computed once per size). */
  layoutFor(srcWidth: number, srcHeight: number): LetterboxLayout {
    return this.plan(srcWidth, srcHeight).layout;
  }

  /** Writes the letterboxed image into `out` (at least {@link LetterboxLayout} tensor size × 3 floats) and returns its layout. */
  run(image: ImageView, out: Float32Array): LetterboxLayout {
    const { layout, xs, ys, strides } = this.plan(image.width, image.height);
    const { tensorWidth, tensorHeight, padX, padY, contentWidth, contentHeight } = layout;
    const pad = this.padValues[image.pixelFormat];
    // Pad only the border around the content: bands above and below, then left and right.
    fillRect(out, strides, 0, 0, tensorWidth, padY, pad);
    fillRect(out, strides, 0, padY + contentHeight, tensorWidth, tensorHeight - padY - contentHeight, pad);
    fillRect(out, strides, 0, padY, padX, contentHeight, pad);
    fillRect(out, strides, padX + contentWidth, padY, tensorWidth - padX - contentWidth, contentHeight, pad);
    const base = padY * strides.rowStride + padX * strides.pixelStride;
    sampleBilinear(image.data, xs, ys, contentWidth, contentHeight, out, base, strides, this.transforms[image.pixelFormat]);
    return layout;
  }

  private plan(srcWidth: number, srcHeight: number): LetterboxPlan {
    const key = srcWidth * 65536 + srcHeight;
    let plan = this.plans.get(key);
    if (plan === undefined) {
      const layout = this.computeLayout(srcWidth, srcHeight);
      const xs = new AxisTable(layout.contentWidth);
      const ys = new AxisTable(layout.contentHeight);
      xs.fill(0, srcWidth, layout.contentWidth, 3);
      ys.fill(0, srcHeight, layout.contentHeight, srcWidth * 3);
      plan = { layout, xs, ys, strides: tensorStrides(this.layout, layout.tensorWidth, layout.tensorHeight) };
      // Cameras rarely change size; a bound keeps a pathological caller from growing the cache forever.
      if (this.plans.size >= 16) this.plans.clear();
      this.plans.set(key, plan);
    }
    return plan;
  }

  private computeLayout(srcWidth: number, srcHeight: number): LetterboxLayout {
    const r = Math.min(this.width / srcWidth, this.height / srcHeight);
    const fitWidth = Math.max(1, Math.min(this.width, Math.round(srcWidth * r)));
    const fitHeight = Math.max(1, Math.min(this.height, Math.round(srcHeight * r)));
    const roundUp = (v: number, limit: number) => Math.min(limit, Math.ceil(v / this.stride!) * this.stride!);
    const tensorWidth = this.stride === undefined ? this.width : roundUp(fitWidth, this.width);
    const tensorHeight = this.stride === undefined ? this.height : roundUp(fitHeight, this.height);
    const stretch = this.spec.letterbox === 'none';
    const contentWidth = stretch ? tensorWidth : fitWidth;
    const contentHeight = stretch ? tensorHeight : fitHeight;
    const centered = this.spec.letterbox === 'center';
    const padX = centered ? Math.floor((tensorWidth - contentWidth) / 2) : 0;
    const padY = centered ? Math.floor((tensorHeight - contentHeight) / 2) : 0;
    return { srcWidth, srcHeight, tensorWidth, tensorHeight, contentWidth, contentHeight, padX, padY, scaleX: contentWidth / srcWidth, scaleY: contentHeight / srcHeight };
  }
}

/** An integer pixel rectangle inside a frame. */
export interface PixelRect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * Clips a floating-point box to the frame and rounds it outwards to whole pixels.
 * Returns false (leaving `into` unspecified) when less than one pixel remains in either direction
 * or the box has non-finite coordinates.
 */
export function clipBoxToPixels(box: { x1: number; y1: number; x2: number; y2: number }, frameWidth: number, frameHeight: number, into: PixelRect): boolean {
  const { x1, y1, x2, y2 } = box;
  if (!Number.isFinite(x1) || !Number.isFinite(y1) || !Number.isFinite(x2) || !Number.isFinite(y2)) return false;
  const left = Math.max(0, Math.floor(Math.min(x1, x2)));
  const top = Math.max(0, Math.floor(Math.min(y1, y2)));
  const right = Math.min(frameWidth, Math.ceil(Math.max(x1, x2)));
  const bottom = Math.min(frameHeight, Math.ceil(Math.max(y1, y2)));
  if (right - left < 1 || bottom - top < 1) return false;
  into.x = left;
  into.y = top;
  into.width = right - left;
  into.height = bottom - top;
  return true;
}

/**
 * Crops pixel rectangles out of frames and resizes each to a fixed size (256×128 for OSNet)
 * into consecutive slots of a batch tensor, normalised as the model expects.
 */
export class CropResizer {
  /** Number of floats in one crop slot (3 × height × width). */
  readonly slotLength: number;
  private readonly xs: AxisTable;
  private readonly ys: AxisTable;
  private readonly strides: TensorStrides;
  private readonly transforms: Record<PixelFormat, ChannelTransform>;

  constructor(
    readonly width: number,
    readonly height: number,
    spec: PreprocessSpec,
    layout: TensorLayout = 'NCHW',
  ) {
    this.slotLength = 3 * width * height;
    this.xs = new AxisTable(width);
    this.ys = new AxisTable(height);
    this.strides = tensorStrides(layout, width, height);
    this.transforms = { rgb24: channelTransform('rgb24', spec), bgr24: channelTransform('bgr24', spec) };
  }

  /** Resizes `rect` of `image` into slot `slot` of `out`. */
  run(image: ImageView, rect: PixelRect, out: Float32Array, slot: number): void {
    this.xs.fill(rect.x, rect.width, this.width, 3);
    this.ys.fill(rect.y, rect.height, this.height, image.width * 3);
    sampleBilinear(image.data, this.xs, this.ys, this.width, this.height, out, slot * this.slotLength, this.strides, this.transforms[image.pixelFormat]);
  }
}

/** Throws unless `image` is a packed 3-channel image whose buffer matches its size. */
export function assertImageView(image: ImageView, what: string): void {
  const ok =
    image !== null &&
    typeof image === 'object' &&
    image.data instanceof Uint8Array &&
    Number.isInteger(image.width) &&
    Number.isInteger(image.height) &&
    image.width > 0 &&
    image.height > 0 &&
    (image.pixelFormat === 'rgb24' || image.pixelFormat === 'bgr24') &&
    image.data.length >= image.width * image.height * 3;
  if (!ok) {
    const desc = image && typeof image === 'object' ? `${String(image.width)}x${String(image.height)} ${String(image.pixelFormat)} with ${image.data?.length ?? 'no'} bytes` : String(image);
    throw new ConfigError('INVALID_OPTION', `${what}: expected a packed rgb24/bgr24 image with width*height*3 bytes, got ${desc}`, { culprit: 'image' });
  }
}

