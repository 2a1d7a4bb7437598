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

/** A point in pixels of a page (outlines and baselines of lines). */
export interface Point {
  x: number;
  y: number;
}

/** Axis-aligned box in pixels: [x0, x1) × [y0, y1). */
export interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

export const boxWidth = (b: Box): number => b.x1 - b.x0;
export const boxHeight = (b: Box): number => b.y1 - b.y0;

export function unionBox(a: Box, b: Box): Box {
  return { x0: Math.min(a.x0, b.x0), y0: Math.min(a.y0, b.y0), x1: Math.max(a.x1, b.x1), y1: Math.max(a.y1, b.y1) };
}

/** The box around some points (an outline). */
export function pointsBox(ps: readonly Point[]): Box {
  if (ps.length === 0) throw new Error('pointsBox: no points');
  let [x0, y0, x1, y1] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const p of ps) {
    x0 = Math.min(x0, p.x);
    y0 = Math.min(y0, p.y);
    x1 = Math.max(x1, p.x);
    y1 = Math.max(y1, p.y);
  }
  return { x0, y0, x1, y1 };
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

/** 2×2 mean (a trailing odd row or column is dropped): one fast level of an image pyramid. */
export function halve(img: GrayImage): GrayImage {
  const w = Math.max(1, img.width >> 1);
  const h = Math.max(1, img.height >> 1);
  if (img.width < 2 || img.height < 2) return downscale(img, Math.max(img.width / w, img.height / h));
  const out = new Float32Array(w * h);
  const src = img.data;
  const sw = img.width;
  for (let y = 0; y < h; y++) {
    const r0 = 2 * y * sw;
    const r1 = r0 + sw;
    const o = y * w;
    for (let x = 0; x < w; x++) {
      const c = 2 * x;
      out[o + x] = (src[r0 + c]! + src[r0 + c + 1]! + src[r1 + c]! + src[r1 + c + 1]!) * 0.25;
    }
  }
  return { width: w, height: h, data: out };
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
  const cols = footprints(img.width, w);
  const rows = footprints(img.height, h);
  // Rows first (each output column from its input columns), then columns.
  const tmp = new Float32Array(w * img.height);
  for (let y = 0; y < img.height; y++) {
    const src = y * img.width;
    const dst = y * w;
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let k = cols.from[x]!; k < cols.from[x + 1]!; k++) s += img.data[src + cols.index[k]!]! * cols.weight[k]!;
      tmp[dst + x] = s;
    }
  }
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    const dst = y * w;
    for (let k = rows.from[y]!; k < rows.from[y + 1]!; k++) {
      const src = rows.index[k]! * w;
      const wk = rows.weight[k]!;
      for (let x = 0; x < w; x++) out[dst + x]! += tmp[src + x]! * wk;
    }
  }
  return { width: w, height: h, data: out };
}

/**
 * For resampling n cells onto m: per output cell, the input cells it covers (index) and the share
 * of the output each carries (weight, summing to 1), listed from from[i] to from[i + 1].
 */
function footprints(n: number, m: number): { from: Int32Array; index: Int32Array; weight: Float32Array } {
  const f = n / m;
  const from = new Int32Array(m + 1);
  const index: number[] = [];
  const weight: number[] = [];
  for (let i = 0; i < m; i++) {
    const a = i * f;
    const b = Math.min(n, (i + 1) * f);
    for (let k = Math.floor(a); k < Math.min(n, Math.ceil(b - 1e-9)); k++) {
      const cover = Math.min(b, k + 1) - Math.max(a, k);
      if (cover <= 0) continue;
      index.push(k);
      weight.push(cover / (b - a));
    }
    from[i + 1] = index.length;
  }
  return { from, index: Int32Array.from(index), weight: Float32Array.from(weight) };
}
