import { describe, expect, it } from 'vitest';
import { augmentGlyph, DEFAULT_AUGMENT, NO_AUGMENT } from './augment.ts';

const size = 32;
function bar(): Float32Array {
  const img = new Float32Array(size * size);
  for (let y = 8; y < 24; y++) for (let x = 14; x < 18; x++) img[y * size + x] = 1;
  return img;
}
function centroid(img: Float32Array): [number, number, number] {
  let m = 0,
    sx = 0,
    sy = 0;
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) {
      const v = img[y * size + x]!;
      m += v;
      sx += v * x;
      sy += v * y;
    }
  return [sx / m, sy / m, m];
}
const fixed = (...values: number[]) => {
  let i = 0;
  return { next: () => values[i++ % values.length]! };
};

describe('glyph augmentation', () => {
  it('leaves the glyph unchanged when every option is off', () => {
    const src = bar();
    const dst = new Float32Array(size * size);
    augmentGlyph(src, size, dst, fixed(0.3, 0.9, 0.1), NO_AUGMENT, new Float32Array(size * size));
    for (let i = 0; i < src.length; i++) expect(dst[i]).toBeCloseTo(src[i]!, 5);
  });

  it('moves the ink by the drawn shift and keeps it in range', () => {
    // rng.next() = 1 → +max for rotate/scale/shear/shift; rotation etc. are disabled here.
    const opts = { ...NO_AUGMENT, shift: 2 };
    const dst = new Float32Array(size * size);
    augmentGlyph(bar(), size, dst, fixed(0.5, 0.5, 0.5, 1, 1), opts, new Float32Array(size * size));
    const [cx0, cy0] = centroid(bar());
    const [cx, cy] = centroid(dst);
    expect(cx - cx0).toBeCloseTo(2, 1);
    expect(cy - cy0).toBeCloseTo(2, 1);
  });

  it('changes a glyph but keeps most of its ink where it was under default settings', () => {
    let seed = 7;
    const rng = { next: () => (seed = (seed * 16807) % 2147483647) / 2147483647 };
    const src = bar();
    const dst = new Float32Array(size * size);
    augmentGlyph(src, size, dst, rng, DEFAULT_AUGMENT, new Float32Array(size * size));
    let overlap = 0,
      diff = 0;
    for (let i = 0; i < src.length; i++) {
      overlap += Math.min(src[i]!, dst[i]!);
      diff += Math.abs(src[i]! - dst[i]!);
    }
    expect(diff).toBeGreaterThan(1);
    expect(overlap / centroid(src)[2]).toBeGreaterThan(0.3);
    expect(Math.max(...dst)).toBeLessThanOrEqual(1);
    expect(Math.min(...dst)).toBeGreaterThanOrEqual(0);
  });
});
