/**
 * Okabe–Ito colours: distinguishable with the common colour-vision deficiencies. Marks also differ
 * in shape and carry text labels, so no plot relies on colour alone.
 */
export const OKABE_ITO = {
  black: '#000000',
  orange: '#E69F00',
  skyBlue: '#56B4E9',
  green: '#009E73',
  yellow: '#F0E442',
  blue: '#0072B2',
  vermillion: '#D55E00',
  purple: '#CC79A7',
} as const;

/** Colours for successive marks, skipping yellow (too faint on white for thin strokes). */
export const MARK_COLOURS = [
  OKABE_ITO.black,
  OKABE_ITO.vermillion,
  OKABE_ITO.green,
  OKABE_ITO.purple,
  OKABE_ITO.orange,
  OKABE_ITO.skyBlue,
  OKABE_ITO.blue,
] as const;

export type MarkShape = 'circle' | 'square' | 'diamond' | 'triangle' | 'triangle-down' | 'cross' | 'star';
export const MARK_SHAPES: readonly MarkShape[] = [
  'circle',
  'square',
  'diamond',
  'triangle',
  'triangle-down',
  'cross',
  'star',
];

export const INK = '#222222';
export const GRID = '#e3e3e3';
export const AXIS = '#555555';
