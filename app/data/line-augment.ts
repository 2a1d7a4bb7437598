/**
 * Augmentation of line images for training the line recogniser, fresh for every line each
 * epoch and seeded: elastic distortion (a smooth random stretch along the line), slant,
 * stroke thickness, contrast, and a small shift and scale in height. The height stays; the
 * width stays too, so the line keeps its frames and its labels still fit.
 */
import type { Rng } from '../base/random.ts';
import { crossMorph, sampleBilinear } from '../image/resample.ts';

export interface LineAugment {
  /** Largest horizontal displacement of the elastic distortion, in line heights. */
  elastic: number;
  /** Shear, as a horizontal shift per row of height (tan of the slant). */
  slant: number;
  /** Probability of thickening, and of thinning, the strokes. */
  thickness: number;
  /** Ink is scaled by a factor in [1 - contrast, 1]. */
  contrast: number;
  /** Vertical shift and scale, as shares of the height. */
  shift: number;
  scale: number;
}

export const DEFAULT_LINE_AUGMENT: Readonly<LineAugment> = Object.freeze({
  elastic: 0.15,
  slant: 0.2,
  thickness: 0.2,
  contrast: 0.4,
  shift: 0.06,
  scale: 0.08,
});

/** A distorted copy of a line (ink 0..1, row-major height × width). */
export function augmentLine(ink: Float32Array, width: number, height: number, rng: Rng, a: Readonly<LineAugment> = DEFAULT_LINE_AUGMENT): Float32Array {
  // Elastic: a displacement that varies smoothly along the line (a few random knots, interpolated).
  const knots = Math.max(2, Math.ceil(width / height) + 1);
  // The ends stay put, so no letter is pushed off the line.
  const offsets = Array.from({ length: knots }, (_, i) => (i === 0 || i === knots - 1 ? 0 : (rng.next() * 2 - 1) * a.elastic * height));
  const slant = (rng.next() * 2 - 1) * a.slant;
  const scale = 1 + (rng.next() * 2 - 1) * a.scale;
  const shift = (rng.next() * 2 - 1) * a.shift * height;
  const contrast = 1 - rng.next() * a.contrast;
  const middle = height / 2;
  let out: Float32Array = new Float32Array(width * height);
  for (let x = 0; x < width; x++) {
    const k = (x / Math.max(1, width - 1)) * (knots - 1);
    const k0 = Math.min(knots - 2, Math.floor(k));
    const t = k - k0;
    const smooth = t * t * (3 - 2 * t);
    const dx = offsets[k0]! * (1 - smooth) + offsets[k0 + 1]! * smooth;
    for (let y = 0; y < height; y++) {
      const sy = (y - middle - shift) / scale + middle;
      const sx = x + dx + (middle - y) * slant;
      out[y * width + x] = contrast * sampleBilinear(ink, width, height, sx, sy);
    }
  }
  const r = rng.next();
  if (r < a.thickness) out = crossMorph(out, width, height, 'dilate');
  else if (r < 2 * a.thickness) out = crossMorph(out, width, height, 'erode');
  return out;
}
