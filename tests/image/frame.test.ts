import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sharedDataForTests } from '../helpers/shared-data.ts';
import { GLYPH_BOX, frameGlyph, inkBox } from '../../app/image/frame.ts';
import { loadIdx } from '../../app/data/idx.ts';
import { CLASSES_36 } from '../../app/contract.ts';

const shared = sharedDataForTests();

/** A w×h crop with a filled rectangle of ink `value` at columns x0..x1, rows y0..y1 (inclusive). */
function rectangle(w: number, h: number, x0: number, x1: number, y0: number, y1: number, value = 1): Float32Array {
  const crop = new Float32Array(w * h);
  for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) crop[y * w + x] = value;
  return crop;
}

const sum = (a: ArrayLike<number>) => Array.from(a).reduce((s, v) => s + v, 0);
const centre = (b: { x0: number; x1: number; y0: number; y1: number }) => [(b.x0 + b.x1) / 2, (b.y0 + b.y1) / 2];

describe('frameGlyph', () => {
  it('scales a tall rectangle to 22 px, centred at (15.5, 15.5), keeping its aspect and area', () => {
    // 10 wide × 40 tall, off-centre in a 60×80 crop
    const glyph = frameGlyph(rectangle(60, 80, 25, 34, 20, 59), 60, 80);
    expect(glyph.length).toBe(1024);
    expect(inkBox(glyph, 32, 32)).toEqual({ x0: 13, x1: 18, y0: 5, y1: 26 });
    expect(centre(inkBox(glyph, 32, 32)!)).toEqual([15.5, 15.5]);
    // width 10 × 22/40 = 5.5 px: columns 14–17 full, 13 and 18 three-quarters covered
    expect(Array.from(glyph.subarray(16 * 32 + 12, 16 * 32 + 20))).toEqual([0, 0.75, 1, 1, 1, 1, 0.75, 0]);
    expect(glyph[4 * 32 + 15]).toBe(0);
    expect(glyph[5 * 32 + 15]).toBe(1);
    expect(sum(glyph)).toBeCloseTo(10 * 40 * (22 / 40) ** 2, 4); // area averaging keeps ink mass
  });

  it('uses the longer side: a wide rectangle is 22 px wide', () => {
    const glyph = frameGlyph(rectangle(50, 20, 3, 46, 5, 14), 50, 20); // 44 × 10
    const box = inkBox(glyph, 32, 32)!;
    expect(box.x1 - box.x0 + 1).toBe(GLYPH_BOX);
    expect(centre(box)).toEqual([15.5, 15.5]);
    // 10 × 0.5 = 5 px tall, centred: rows 14–17 full, 13 and 18 half covered (not above half)
    expect(Array.from({ length: 8 }, (_, k) => glyph[(12 + k) * 32 + 15])).toEqual([0, 0.5, 1, 1, 1, 1, 0.5, 0]);
    expect([box.y0, box.y1]).toEqual([14, 17]);
  });

  it('enlarges small crops and odd-sized boxes to exactly 22 px', () => {
    for (const [w, h] of [
      [3, 7],
      [5, 11],
      [21, 21],
      [1, 1],
    ] as const) {
      const glyph = frameGlyph(rectangle(w + 4, h + 6, 2, 2 + w - 1, 3, 3 + h - 1), w + 4, h + 6);
      const box = inkBox(glyph, 32, 32)!;
      expect(Math.max(box.x1 - box.x0 + 1, box.y1 - box.y0 + 1)).toBe(GLYPH_BOX);
      expect(centre(box)).toEqual([15.5, 15.5]);
    }
  });

  it('ignores a soft grey fringe when measuring the box', () => {
    const crop = rectangle(40, 40, 5, 34, 10, 29, 0.3); // fringe 30 × 20 at 0.3
    for (let y = 12; y <= 27; y++) for (let x = 8; x <= 31; x++) crop[y * 40 + x] = 1; // core 24 × 16
    expect(inkBox(crop, 40, 40)).toEqual({ x0: 8, x1: 31, y0: 12, y1: 27 });
    const box = inkBox(frameGlyph(crop, 40, 40), 32, 32)!;
    expect(box.x1 - box.x0 + 1).toBe(GLYPH_BOX);
    expect(centre(box)).toEqual([15.5, 15.5]);
  });

  it('frames faint ink like dark ink, without rescaling values', () => {
    const dark = frameGlyph(rectangle(30, 30, 4, 19, 2, 25), 30, 30);
    const faint = frameGlyph(rectangle(30, 30, 4, 19, 2, 25, 0.4), 30, 30);
    for (let i = 0; i < 1024; i++) expect(faint[i]).toBeCloseTo(0.4 * dark[i]!, 6);
  });

  it('gives a blank glyph for a blank crop and rejects a wrong size', () => {
    expect(sum(frameGlyph(new Float32Array(50), 10, 5))).toBe(0);
    expect(() => frameGlyph(new Float32Array(50), 10, 6)).toThrow(/10×6 = 60 pixels, got 50/);
    expect(() => frameGlyph(new Float32Array(0), 0, 0)).toThrow(/bad crop size/);
  });
});

describe.skipIf(!shared)('frameGlyph on real EMNIST glyphs', () => {
  const dir = join(shared ?? '', 'emnist36');
  const part = 'emnist36-pool-part5';

  it('leaves already-framed pool glyphs nearly unchanged (exactly, when the box is 22 px and centred)', () => {
    const set = loadIdx(join(dir, `${part}-images-idx3-ubyte.gz`), join(dir, `${part}-labels-idx1-ubyte.gz`), { classes: CLASSES_36 });
    const n = 400;
    let meanDiff = 0;
    let exact = 0;
    let long22 = 0;
    let centred = 0;
    for (let k = 0; k < n; k++) {
      const glyph = set.pixels.subarray(k * 1024, (k + 1) * 1024);
      const framed = frameGlyph(glyph, 32, 32);
      let diff = 0;
      for (let i = 0; i < 1024; i++) diff += Math.abs(framed[i]! - glyph[i]!);
      meanDiff += diff / 1024 / n;
      const before = inkBox(glyph, 32, 32)!;
      const after = inkBox(framed, 32, 32)!;
      // Resampling soft edges may move the half-ink box by a pixel; it stays 22 px and centred.
      if (Math.max(after.x1 - after.x0 + 1, after.y1 - after.y0 + 1) === GLYPH_BOX) long22++;
      if (centre(after).every((c) => Math.abs(c - 15.5) <= 0.5)) centred++;
      if (Math.max(before.x1 - before.x0 + 1, before.y1 - before.y0 + 1) === GLYPH_BOX && centre(before).every((c) => c === 15.5)) {
        exact++;
        expect(diff).toBeLessThan(1e-4);
      }
    }
    expect(exact).toBeGreaterThan(n / 4);
    expect(long22 / n).toBeGreaterThan(0.9);
    expect(centred / n).toBeGreaterThan(0.97);
    expect(meanDiff).toBeLessThan(0.04);
  });
});
