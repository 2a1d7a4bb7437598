/**
 * The plain image struct every stage of the OCR pipeline works on, and the few whole-image
 * operations more than one stage needs. No native modules here: `decode.ts` is the one place
 * that touches sharp.
 */

/** One channel, row-major, float32. Meaning of the values (brightness or ink) is per use. */
export interface GrayImage {
  width: number;
  height: number;
  /** width × height values; pixel (x, y) is at y * width + x. */
  data: Float32Array;
}

/** Axis-aligned box in pixels: [x0, x1) × [y0, y1). */
export interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

export function grayImage(width: number, height: number, data = new Float32Array(width * height)): GrayImage {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`image size must be positive integers, got ${width}×${height}`);
  }
  if (data.length !== width * height) {
    throw new RangeError(`image ${width}×${height} needs ${width * height} values, got ${data.length}`);
  }
  return { width, height, data };
}

export const boxWidth = (b: Box): number => b.x1 - b.x0;
export const boxHeight = (b: Box): number => b.y1 - b.y0;

export function unionBox(a: Box, b: Box): Box {
  return { x0: Math.min(a.x0, b.x0), y0: Math.min(a.y0, b.y0), x1: Math.max(a.x1, b.x1), y1: Math.max(a.y1, b.y1) };
}

export function boxesUnion(boxes: readonly Box[]): Box {
  if (boxes.length === 0) throw new Error('boxesUnion: no boxes');
  return boxes.reduce(unionBox);
}

/** Length of the overlap of [a0, a1) and [b0, b1), 0 when they are apart. */
export function overlap1d(a0: number, a1: number, b0: number, b1: number): number {
  return Math.max(0, Math.min(a1, b1) - Math.max(a0, b0));
}

export function scaleBox(b: Box, s: number): Box {
  return { x0: b.x0 * s, y0: b.y0 * s, x1: b.x1 * s, y1: b.y1 * s };
}

/**
 * Area-average resampling by a factor ≥ 1 (output is about width / factor wide): each output
 * pixel is the mean of the input pixels it covers, so thin strokes fade rather than vanish.
 */
export function downscale(img: GrayImage, factor: number): GrayImage {
  if (!(factor >= 1)) throw new RangeError(`downscale: factor must be ≥ 1, got ${factor}`);
  if (factor === 1) return img;
  const w = Math.max(1, Math.round(img.width / factor));
  const h = Math.max(1, Math.round(img.height / factor));
  const fx = img.width / w;
  const fy = img.height / h;
  // Separable: rows first into a w × img.height buffer, then columns.
  const tmp = new Float32Array(w * img.height);
  const xw = spans(img.width, w, fx);
  for (let y = 0; y < img.height; y++) {
    const row = y * img.width;
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let k = xw.start[x]!; k < xw.end[x]!; k++) s += img.data[row + k]! * xw.weight[k * 2 + (k === xw.start[x] ? 0 : 1)]!;
      tmp[y * w + x] = s / fx;
    }
  }
  const out = new Float32Array(w * h);
  const yw = spans(img.height, h, fy);
  for (let y = 0; y < h; y++) {
    for (let k = yw.start[y]!; k < yw.end[y]!; k++) {
      const wk = yw.weight[k * 2 + (k === yw.start[y] ? 0 : 1)]!;
      const src = k * w;
      const dst = y * w;
      for (let x = 0; x < w; x++) out[dst + x]! += tmp[src + x]! * wk;
    }
    for (let x = 0; x < w; x++) out[y * w + x]! /= fy;
  }
  return { width: w, height: h, data: out };
}

/**
 * For resampling n input cells onto m output cells of size f: the input range of each output
 * cell and, per input cell k, the weight it carries into its first (slot 0) and into its next
 * output cell (slot 1) when it straddles a boundary.
 */
function spans(n: number, m: number, f: number): { start: Int32Array; end: Int32Array; weight: Float32Array } {
  const start = new Int32Array(m);
  const end = new Int32Array(m);
  const weight = new Float32Array(n * 2).fill(1);
  for (let i = 0; i < m; i++) {
    const a = i * f;
    const b = Math.min(n, (i + 1) * f);
    start[i] = Math.floor(a);
    end[i] = Math.min(n, Math.ceil(b - 1e-9));
    const firstCover = Math.min(b, start[i]! + 1) - a;
    weight[start[i]! * 2] = firstCover;
    if (end[i]! - 1 > start[i]!) weight[(end[i]! - 1) * 2 + 1] = b - (end[i]! - 1);
  }
  return { start, end, weight };
}
