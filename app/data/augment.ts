/**
 * Glyph augmentation: small random changes of handwriting that keep the class — rotation,
 * scale, shear, shift (one affine warp, bilinear), stroke thickness (grey dilation/erosion),
 * blur and noise. Works on single-channel square images in [0,1] with ink = 1.
 */
import type { Rng } from '../base/random.ts';

export interface AugmentOptions {
  /** max rotation in degrees (±) */
  rotate: number;
  /** max relative scale change (±), e.g. 0.12 → 0.88..1.12 */
  scale: number;
  /** max horizontal shear (±, as tan of the angle) */
  shear: number;
  /** max shift in pixels (±) */
  shift: number;
  /** probability of thickening or thinning strokes */
  thickness: number;
  /** probability of a light blur */
  blur: number;
  /** std-dev of additive Gaussian noise (0 = none) */
  noise: number;
}

export const DEFAULT_AUGMENT: AugmentOptions = { rotate: 10, scale: 0.12, shear: 0.25, shift: 2, thickness: 0.3, blur: 0.15, noise: 0.02 };
export const NO_AUGMENT: AugmentOptions = { rotate: 0, scale: 0, shear: 0, shift: 0, thickness: 0, blur: 0, noise: 0 };

const uniform = (rng: Pick<Rng, 'next'>, max: number) => (rng.next() * 2 - 1) * max;

/** Bilinear affine warp about the image centre: dst(p) = src(A⁻¹ (p - c - t) + c); outside is 0. */
export function warpAffine(src: Float32Array, size: number, inverse: [number, number, number, number], tx: number, ty: number, dst: Float32Array): void {
  const c = (size - 1) / 2;
  const [a, b, cc, d] = inverse;
  const last = size - 1;
  for (let y = 0; y < size; y++) {
    const py = y - c - ty;
    // Source coordinates move by (a, cc) per output pixel along the row.
    let sx = a * (-c - tx) + b * py + c;
    let sy = cc * (-c - tx) + d * py + c;
    for (let x = 0; x < size; x++, sx += a, sy += cc) {
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      let v = 0;
      if (x0 >= -1 && y0 >= -1 && x0 <= last && y0 <= last) {
        const fx = sx - x0;
        const fy = sy - y0;
        const i = y0 * size + x0;
        const inX0 = x0 >= 0;
        const inX1 = x0 < last;
        const inY0 = y0 >= 0;
        const inY1 = y0 < last;
        const p00 = inX0 && inY0 ? src[i]! : 0;
        const p10 = inX1 && inY0 ? src[i + 1]! : 0;
        const p01 = inX0 && inY1 ? src[i + size]! : 0;
        const p11 = inX1 && inY1 ? src[i + size + 1]! : 0;
        v = (1 - fy) * (p00 + fx * (p10 - p00)) + fy * (p01 + fx * (p11 - p01));
      }
      dst[y * size + x] = v;
    }
  }
}

/** Grey dilation (thicken, `grow`) or erosion (thin) with a plus-shaped 3×3 element, blended by `amount`. */
function morph(img: Float32Array, size: number, grow: boolean, amount: number, tmp: Float32Array): void {
  tmp.set(img);
  const last = size - 1;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const i = y * size + x;
      const here = tmp[i]!;
      let v = here;
      const l = x > 0 ? tmp[i - 1]! : here;
      const r = x < last ? tmp[i + 1]! : here;
      const u = y > 0 ? tmp[i - size]! : here;
      const dn = y < last ? tmp[i + size]! : here;
      if (grow) {
        if (l > v) v = l;
        if (r > v) v = r;
        if (u > v) v = u;
        if (dn > v) v = dn;
      } else {
        if (l < v) v = l;
        if (r < v) v = r;
        if (u < v) v = u;
        if (dn < v) v = dn;
      }
      img[i] = here + (v - here) * amount;
    }
  }
}

/** A light blur: the separable [1 2 1]/4 kernel in both directions, edges replicated. */
function blur3(img: Float32Array, size: number, tmp: Float32Array): void {
  const last = size - 1;
  for (let y = 0; y < size; y++) {
    const row = y * size;
    for (let x = 0; x < size; x++) {
      const l = img[row + (x > 0 ? x - 1 : 0)]!;
      const r = img[row + (x < last ? x + 1 : last)]!;
      tmp[row + x] = (l + 2 * img[row + x]! + r) * 0.25;
    }
  }
  for (let y = 0; y < size; y++) {
    const up = (y > 0 ? y - 1 : 0) * size;
    const down = (y < last ? y + 1 : last) * size;
    for (let x = 0; x < size; x++) img[y * size + x] = (tmp[up + x]! + 2 * tmp[y * size + x]! + tmp[down + x]!) * 0.25;
  }
}

/**
 * Writes an augmented copy of `src` (size × size) into `dst`. `scratch` must hold size² floats.
 */
export function augmentGlyph(src: Float32Array, size: number, dst: Float32Array, rng: Pick<Rng, 'next'>, opts: AugmentOptions, scratch: Float32Array): void {
  const angle = (uniform(rng, opts.rotate) * Math.PI) / 180;
  const s = 1 + uniform(rng, opts.scale);
  const sh = uniform(rng, opts.shear);
  // Forward map: rotate · shear · scale; we need its inverse for sampling.
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  const f00 = s * cos;
  const f01 = s * (cos * sh - sin);
  const f10 = s * sin;
  const f11 = s * (sin * sh + cos);
  const det = f00 * f11 - f01 * f10;
  const inverse: [number, number, number, number] = [f11 / det, -f01 / det, -f10 / det, f00 / det];
  warpAffine(src, size, inverse, uniform(rng, opts.shift), uniform(rng, opts.shift), dst);
  if (rng.next() < opts.thickness) morph(dst, size, rng.next() < 0.6, 0.4 + 0.6 * rng.next(), scratch);
  if (rng.next() < opts.blur) blur3(dst, size, scratch);
  if (opts.noise > 0) {
    // Cheap noise: one uniform per pixel from a small LCG seeded by the generator,
    // scaled to the requested standard deviation (uniform on ±√3·σ).
    let state = (rng.next() * 4294967296) >>> 0;
    const amplitude = opts.noise * Math.sqrt(3) * 2;
    for (let i = 0; i < size * size; i++) {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      const v = dst[i]! + (state / 4294967296 - 0.5) * amplitude;
      dst[i] = v < 0 ? 0 : v > 1 ? 1 : v;
    }
  } else {
    for (let i = 0; i < size * size; i++) dst[i] = Math.min(1, Math.max(0, dst[i]!));
  }
}

/** Augments a batch of glyphs (count × size²) into `out`. */
export function augmentBatch(src: Float32Array, count: number, size: number, out: Float32Array, rng: Pick<Rng, 'next'>, opts: AugmentOptions): void {
  const scratch = new Float32Array(size * size);
  const px = size * size;
  for (let n = 0; n < count; n++) augmentGlyph(src.subarray(n * px, (n + 1) * px), size, out.subarray(n * px, (n + 1) * px), rng, opts, scratch);
}
