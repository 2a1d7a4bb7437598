/**
 * Glyph augmentation: small random changes of handwriting that keep the class — rotation,
 * scale, shear, shift (one affine warp, bilinear), stroke thickness (grey dilation/erosion),
 * blur and noise. Works on single-channel square images in [0,1] with ink = 1.
 */
import type { Rng } from './random.ts';

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

/** Bilinear affine warp about the image centre: dst(p) = src(A⁻¹ (p - c - t) + c). */
export function warpAffine(src: Float32Array, size: number, inverse: [number, number, number, number], tx: number, ty: number, dst: Float32Array): void {
  const c = (size - 1) / 2;
  const [a, b, cc, d] = inverse;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const px = x - c - tx;
      const py = y - c - ty;
      const sx = a * px + b * py + c;
      const sy = cc * px + d * py + c;
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const fx = sx - x0;
      const fy = sy - y0;
      let v = 0;
      if (x0 >= -1 && y0 >= -1 && x0 < size && y0 < size) {
        const at = (xx: number, yy: number) => (xx >= 0 && yy >= 0 && xx < size && yy < size ? src[yy * size + xx]! : 0);
        v = (1 - fy) * ((1 - fx) * at(x0, y0) + fx * at(x0 + 1, y0)) + fy * ((1 - fx) * at(x0, y0 + 1) + fx * at(x0 + 1, y0 + 1));
      }
      dst[y * size + x] = v;
    }
  }
}

/** Grey dilation (thicken, mode 'max') or erosion (thin, 'min') with a plus-shaped 3×3 element, blended by `amount`. */
function morph(img: Float32Array, size: number, mode: 'max' | 'min', amount: number, tmp: Float32Array): void {
  tmp.set(img);
  const pick = mode === 'max' ? Math.max : Math.min;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const i = y * size + x;
      let v = tmp[i]!;
      if (x > 0) v = pick(v, tmp[i - 1]!);
      if (x < size - 1) v = pick(v, tmp[i + 1]!);
      if (y > 0) v = pick(v, tmp[i - size]!);
      if (y < size - 1) v = pick(v, tmp[i + size]!);
      img[i] = tmp[i]! + (v - tmp[i]!) * amount;
    }
  }
}

function blur3(img: Float32Array, size: number, tmp: Float32Array): void {
  tmp.set(img);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let s = 0;
      let w = 0;
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const yy = y + dy;
          const xx = x + dx;
          if (yy < 0 || xx < 0 || yy >= size || xx >= size) continue;
          const k = dx === 0 && dy === 0 ? 4 : dx === 0 || dy === 0 ? 2 : 1;
          s += tmp[yy * size + xx]! * k;
          w += k;
        }
      }
      img[y * size + x] = s / w;
    }
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
  if (rng.next() < opts.thickness) morph(dst, size, rng.next() < 0.6 ? 'max' : 'min', 0.4 + 0.6 * rng.next(), scratch);
  if (rng.next() < opts.blur) blur3(dst, size, scratch);
  if (opts.noise > 0) {
    for (let i = 0; i < size * size; i++) {
      // Box-Muller-free cheap noise: sum of two uniforms, scaled to the requested std-dev.
      const n = (rng.next() + rng.next() - 1) * opts.noise * 2.449;
      dst[i] = Math.min(1, Math.max(0, dst[i]! + n));
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
