/**
 * Colours of the annotated video. A person keeps one colour for the whole job (and across
 * cameras) because the colour is a pure function of the global id.
 */

/** A fill colour and the text colour (black or white) that reads best on top of it. */
export interface SwatchColor {
  /** CSS colour of boxes, label backgrounds and zone outlines. */
  readonly fill: string;
  /** Black or white, whichever contrasts more with `fill`. */
  readonly text: string;
}

/**
 * Twenty colours that stay apart from each other on video (Kelly's and Tableau's sets,
 * minus near-greys). Ids are taken modulo the length, so ids 1 and 21 share a colour.
 */
export const ID_PALETTE: readonly string[] = [
  '#e6194b', '#3cb44b', '#ffe119', '#4363d8', '#f58231',
  '#911eb4', '#42d4f4', '#f032e6', '#bfef45', '#fabed4',
  '#469990', '#dcbeff', '#9a6324', '#fffac8', '#800000',
  '#aaffc3', '#808000', '#ffd8b1', '#000075', '#ff7f0e',
];

/** Colours given to zones in the order they are declared, when a zone names none. */
export const ZONE_PALETTE: readonly string[] = ['#00e5ff', '#ffea00', '#ff3d00', '#76ff03', '#d500f9', '#2979ff'];

/** Colour of a track that has no global id yet. */
export const UNASSIGNED_COLOR: SwatchColor = { fill: '#b0b0b0', text: '#000000' };

/**
 * Black or white text for a `#rrggbb` background, by its luminance (sRGB weights). Any other
 * CSS colour gets white text.
 */
export function contrastingTextColor(hex: string): string {
  if (!/^#[0-9a-f]{6}$/i.test(hex)) return '#ffffff';
  const value = Number.parseInt(hex.slice(1), 16);
  const r = (value >> 16) & 0xff;
  const g = (value >> 8) & 0xff;
  const b = value & 0xff;
  return 0.2126 * r + 0.7152 * g + 0.0722 * b > 140 ? '#000000' : '#ffffff';
}

const ID_SWATCHES: readonly SwatchColor[] = ID_PALETTE.map((fill) => ({ fill, text: contrastingTextColor(fill) }));

/** The stable colour of a global id (non-negative integer). */
export function colorForGlobalId(globalId: number): SwatchColor {
  const n = ID_SWATCHES.length;
  return ID_SWATCHES[((Math.trunc(globalId) % n) + n) % n]!;
}

/** The default colour of the zone declared at `index`. */
export function zoneColor(index: number): string {
  return ZONE_PALETTE[index % ZONE_PALETTE.length]!;
}
