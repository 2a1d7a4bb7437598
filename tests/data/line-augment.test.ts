import { describe, expect, it } from 'vitest';
import { createRng } from '../../app/base/random.ts';
import { augmentLine, DEFAULT_LINE_AUGMENT } from '../../app/data/line-augment.ts';

const [W, H] = [200, 32];
/** Vertical 3-px strokes every 10 px between rows 8 and 24. */
const line = new Float32Array(W * H);
for (let x = 5; x < W - 5; x++) if (x % 10 < 3) for (let y = 8; y < 24; y++) line[y * W + x] = 1;
const inkOf = (a: Float32Array) => a.reduce((s, v) => s + v, 0);
const columns = (a: Float32Array) => Array.from({ length: W }, (_, x) => Array.from({ length: H }, (_, y) => a[y * W + x]!).some((v) => v > 0.2));

describe('line augmentation', () => {
  it('is seeded: the same seed gives the same line, another seed another', () => {
    expect(augmentLine(line, W, H, createRng(1))).toEqual(augmentLine(line, W, H, createRng(1)));
    expect(augmentLine(line, W, H, createRng(1))).not.toEqual(augmentLine(line, W, H, createRng(2)));
  });

  it('keeps the size and every stroke, moved, faded or thinned but not lost', () => {
    for (let seed = 0; seed < 20; seed++) {
      const out = augmentLine(line, W, H, createRng(seed));
      expect(out.length).toBe(W * H);
      expect(inkOf(out) / inkOf(line)).toBeGreaterThan(0.15); // faint and thinned at worst, never gone
      expect(inkOf(out) / inkOf(line)).toBeLessThan(2.2);
      const strokes = columns(out).filter((c, x, all) => c && !all[x - 1]).length;
      expect(strokes).toBeGreaterThanOrEqual(17); // 20 strokes; neighbours may touch when thickened
    }
  });

  it('without distortion it changes nothing', () => {
    const none = { elastic: 0, slant: 0, thickness: 0, contrast: 0, shift: 0, scale: 0 };
    expect(Math.max(...augmentLine(line, W, H, createRng(3), none).map((v, i) => Math.abs(v - line[i]!)))).toBeLessThan(1e-6);
    expect(DEFAULT_LINE_AUGMENT.elastic).toBeGreaterThan(0);
  });
});
