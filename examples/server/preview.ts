/**
 * Turns the pipeline's `preview` events (full-size RGBA, valid only during the listener call)
 * into small JPEGs for the page: copy into a canvas synchronously, scale down, encode off the
 * event loop. A camera whose previous preview is still encoding skips the new one.
 */
import { createCanvas, ImageData, type Canvas } from '@napi-rs/canvas';
import type { PreviewEvent } from './library.js';

/** The latest encoded preview of one camera. */
export interface PreviewImage {
  frameIndex: number;
  jpeg: Buffer;
}

interface CameraCanvases {
  /** RGBA scratch the packed frame is expanded into. */
  rgba: Uint8ClampedArray;
  full: Canvas;
  small: Canvas;
  busy: boolean;
}

export class PreviewEncoder {
  private readonly cameras = new Map<number, CameraCanvases>();

  /**
   * @param maxWidth width of the encoded preview in pixels (height keeps the aspect ratio).
   *   Smaller is cheaper to encode and send; 320 is enough to see people and boxes.
   * @param quality JPEG quality 0–100.
   */
  constructor(
    private readonly maxWidth = 320,
    private readonly quality = 70,
  ) {}

  /** Encodes the event's frame; undefined when this camera is still busy with the previous one. */
  encode(event: PreviewEvent): Promise<PreviewImage> | undefined {
    const canvases = this.canvasesFor(event.cameraIndex, event.width, event.height);
    if (canvases.busy) return undefined;
    const { data, width, height } = event;
    // The event's pixels are packed 3-channel and valid only now: expand them into RGBA at once.
    const rgba = canvases.rgba;
    const blueFirst = event.pixelFormat === 'bgr24';
    for (let i = 0, j = 0; j < rgba.length; i += 3, j += 4) {
      rgba[j] = data[blueFirst ? i + 2 : i]!;
      rgba[j + 1] = data[i + 1]!;
      rgba[j + 2] = data[blueFirst ? i : i + 2]!;
      rgba[j + 3] = 255;
    }
    canvases.full.getContext('2d').putImageData(new ImageData(rgba, width, height), 0, 0);
    canvases.small.getContext('2d').drawImage(canvases.full, 0, 0, canvases.small.width, canvases.small.height);
    canvases.busy = true;
    return canvases.small
      .encode('jpeg', this.quality)
      .then((jpeg) => ({ frameIndex: event.frameIndex, jpeg }))
      .finally(() => {
        canvases.busy = false;
      });
  }

  private canvasesFor(cameraIndex: number, width: number, height: number): CameraCanvases {
    const existing = this.cameras.get(cameraIndex);
    if (existing !== undefined && existing.full.width === width && existing.full.height === height) return existing;
    const scale = Math.min(1, this.maxWidth / width);
    const canvases = {
      rgba: new Uint8ClampedArray(width * height * 4),
      full: createCanvas(width, height),
      small: createCanvas(Math.max(1, Math.round(width * scale)), Math.max(1, Math.round(height * scale))),
      busy: false,
    };
    this.cameras.set(cameraIndex, canvases);
    return canvases;
  }
}
