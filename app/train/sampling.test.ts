import { describe, expect, it } from 'vitest';
import { createRng } from '../base/random.ts';
import { balancedEpoch, fillBatch, shuffledEpoch } from './sampling.ts';

/** A digit-heavy label set: class 0 has 500 images, class 1 has 50, class 2 has 7. */
const labels = Int32Array.from([...Array(500).fill(0), ...Array(50).fill(1), ...Array(7).fill(2)]);

describe('balanced epochs', () => {
  it('draw every class equally often', () => {
    const order = balancedEpoch(labels, 3, 300, 1, 1);
    const counts = [0, 0, 0];
    for (const i of order) counts[labels[i]!]!++;
    expect(counts).toEqual([100, 100, 100]);
  });

  it('walk big classes through all their images over epochs, without repeats inside a cycle', () => {
    const seen = new Set<number>();
    for (let epoch = 1; epoch <= 5; epoch++) for (const i of balancedEpoch(labels, 3, 300, 4, epoch)) if (labels[i] === 0) seen.add(i);
    expect(seen.size).toBe(500); // 5 epochs × 100 draws cover class 0 exactly once
  });

  it('follow from (seed, epoch) alone, so a resumed run draws the same', () => {
    expect(balancedEpoch(labels, 3, 90, 7, 3)).toEqual(balancedEpoch(labels, 3, 90, 7, 3));
    expect(balancedEpoch(labels, 3, 90, 7, 3)).not.toEqual(balancedEpoch(labels, 3, 90, 7, 4));
  });

  it('skip absent classes', () => {
    const order = balancedEpoch(labels, 5, 30, 1, 1);
    expect(new Set(Array.from(order, (i) => labels[i]))).toEqual(new Set([0, 1, 2]));
  });

  it('plain epochs show each image once', () => {
    expect(Array.from(shuffledEpoch(20, 1, 1)).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });
});

describe('batches', () => {
  it('gather the images, and augment glyphs only when asked', () => {
    const rng = createRng(1);
    const set = {
      pixels: Float32Array.from({ length: 4 * 64 }, () => (rng.next() < 0.3 ? 1 : 0)),
      labels: Int32Array.from([0, 1, 2, 3]),
      height: 8,
      width: 8,
      channels: 1,
    };
    const out = new Float32Array(2 * 64);
    fillBatch(set, [2, 0], out, null);
    expect(out.subarray(0, 64)).toEqual(set.pixels.subarray(128, 192));
    expect(out.subarray(64)).toEqual(set.pixels.subarray(0, 64));
    fillBatch(set, [2, 0], out, createRng(5));
    expect(out.subarray(0, 64)).not.toEqual(set.pixels.subarray(128, 192));
    for (const v of out) expect(v >= 0 && v <= 1).toBe(true);
  });
});
