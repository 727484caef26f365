/** The point of a track's box that stands for the track in zones, lines and heatmaps. */
import type { AnchorPoint } from './types.js';

/** A box in frame pixels (top-left, bottom-right). */
export interface AnchorBox {
  readonly x1: number;
  readonly y1: number;
  readonly x2: number;
  readonly y2: number;
}

/** The anchors a zone file or heatmap may name. */
export const ANCHOR_POINTS = ['bottom-center', 'center', 'top-center'] as const satisfies readonly AnchorPoint[];

/** x of the anchor: the middle of the box for every anchor point. */
export function anchorX(box: AnchorBox): number {
  return (box.x1 + box.x2) / 2;
}

/** y of the anchor: the bottom edge, the middle or the top edge of the box. */
export function anchorY(box: AnchorBox, anchor: AnchorPoint): number {
  return anchor === 'bottom-center' ? box.y2 : anchor === 'top-center' ? box.y1 : (box.y1 + box.y2) / 2;
}
