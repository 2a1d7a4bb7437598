import { GLYPH_VALUES, GLYPH_SIDE } from '../contract.ts';
/**
 * Frames a character the way the EMNIST pool is framed (see app/data/glyphs.ts): its bounding
 * box centred at (15.5, 15.5) of a 32×32 glyph and its longer side 22 px. Used for image folders
 * and for the crops the OCR cuts from photos, so that both look like the training data.
 */

/** Length in pixels of the bounding box's longer side in a framed glyph. */
export const GLYPH_BOX = 22;

/** Pixels whose ink exceeds this share of the crop's strongest ink count for the bounding box. */
export const BOX_THRESHOLD = 0.5;

export interface InkBox {
  /** First and last column and row (inclusive) holding ink above the threshold. */
  x0: number;
  x1: number;
  y0: number;
  y1: number;
}

/**
 * The bounding box of the pixels whose ink is above BOX_THRESHOLD × the crop's maximum, or null
 * for a blank crop. Relative to the maximum, so faint pens frame like dark ones; half of it, so
 * the soft grey fringe of a stroke does not widen the box (as EMNIST's framing was measured).
 */
export function inkBox(gray: ArrayLike<number>, w: number, h: number): InkBox | null {
  checkCrop(gray, w, h);
  let max = 0;
  for (let i = 0; i < w * h; i++) if (gray[i]! > max) max = gray[i]!;
  if (!(max > 0)) return null;
  const threshold = BOX_THRESHOLD * max;
  let x0 = w,
    x1 = -1,
    y0 = h,
    y1 = -1;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (gray[y * w + x]! > threshold) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        y1 = y;
      }
    }
  }
  return { x0, x1, y0, y1 };
}

/**
 * A 32×32 glyph (1024 values, row-major) from a grayscale crop of any size with INK = 1 and
 * paper = 0: the ink's bounding box (see inkBox) is scaled so its longer side is GLYPH_BOX px,
 * keeping the aspect ratio, and placed so the box centre lands at (15.5, 15.5). Resampling is by
 * exact area averaging (each output pixel is the mean of the crop over its footprint, the crop
 * taken as 0 outside its edges), so downscaled strokes stay antialiased and no ink is lost or
 * invented. Ink values are not rescaled. A blank crop gives a blank glyph.
 */
export function frameGlyph(gray: ArrayLike<number>, w: number, h: number): Float32Array {
  const out = new Float32Array(GLYPH_VALUES);
  const box = inkBox(gray, w, h);
  if (!box) return out;
  const scale = GLYPH_BOX / Math.max(box.x1 - box.x0 + 1, box.y1 - box.y0 + 1);
  // Box centres in pixel-edge coordinates (pixel x spans [x, x + 1]).
  const columns = footprints(w, (box.x0 + box.x1 + 1) / 2, scale);
  const rows = footprints(h, (box.y0 + box.y1 + 1) / 2, scale);

  // Horizontal pass over the rows that any output row reads, then the vertical pass.
  let rowLo = h;
  let rowHi = 0;
  for (const { start, weights } of rows) {
    if (weights.length === 0) continue;
    rowLo = Math.min(rowLo, start);
    rowHi = Math.max(rowHi, start + weights.length);
  }
  const temp = new Float64Array((rowHi - rowLo) * GLYPH_SIDE);
  for (let y = rowLo; y < rowHi; y++) {
    const t = (y - rowLo) * GLYPH_SIDE;
    for (let u = 0; u < GLYPH_SIDE; u++) {
      const { start, weights } = columns[u]!;
      let sum = 0;
      for (let k = 0; k < weights.length; k++) sum += weights[k]! * gray[y * w + start + k]!;
      temp[t + u] = sum;
    }
  }
  for (let v = 0; v < GLYPH_SIDE; v++) {
    const { start, weights } = rows[v]!;
    for (let u = 0; u < GLYPH_SIDE; u++) {
      let sum = 0;
      for (let k = 0; k < weights.length; k++) sum += weights[k]! * temp[(start + k - rowLo) * GLYPH_SIDE + u]!;
      out[v * GLYPH_SIDE + u] = sum;
    }
  }
  return out;
}

interface Footprint {
  /** First source pixel with a weight. */
  start: number;
  /** Weights of source pixels start, start + 1, ...; they sum to 1 where the footprint lies inside the crop. */
  weights: Float64Array;
}

/**
 * For each output pixel u of one axis, the source pixels its footprint covers and by how much:
 * output edge u maps to source edge centre + (u - 16) / scale, so the source centre lands on the
 * glyph centre 16 (pixel-centre 15.5).
 */
function footprints(size: number, centre: number, scale: number): Footprint[] {
  const half = GLYPH_SIDE / 2;
  const result: Footprint[] = [];
  for (let u = 0; u < GLYPH_SIDE; u++) {
    const lo = centre + (u - half) / scale;
    const hi = centre + (u + 1 - half) / scale;
    const first = Math.max(0, Math.floor(lo));
    const last = Math.min(size - 1, Math.ceil(hi) - 1);
    const weights = new Float64Array(Math.max(0, last - first + 1));
    for (let x = first; x <= last; x++) weights[x - first] = (Math.min(hi, x + 1) - Math.max(lo, x)) * scale;
    result.push({ start: first, weights });
  }
  return result;
}

function checkCrop(gray: ArrayLike<number>, w: number, h: number): void {
  if (!Number.isInteger(w) || !Number.isInteger(h) || w < 1 || h < 1) throw new RangeError(`frameGlyph: bad crop size ${w}×${h}`);
  if (gray.length !== w * h) throw new RangeError(`frameGlyph: crop is ${w}×${h} = ${w * h} pixels, got ${gray.length} values`);
}
