import { describe, expect, it } from 'vitest';
import { createRng } from '../../base/random.ts';
import { fitTemperature, temperedNll } from './calibrate.ts';
import { readCheckpoint, writeCheckpoint } from './checkpoint.ts';
import { balancedEpoch, fillBatch, shuffledEpoch } from './sampling.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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
    const set = { pixels: Float32Array.from({ length: 4 * 64 }, () => (rng.next() < 0.3 ? 1 : 0)), labels: Int32Array.from([0, 1, 2, 3]), height: 8, width: 8, channels: 1 };
    const out = new Float32Array(2 * 64);
    fillBatch(set, [2, 0], out, null);
    expect(out.subarray(0, 64)).toEqual(set.pixels.subarray(128, 192));
    expect(out.subarray(64)).toEqual(set.pixels.subarray(0, 64));
    fillBatch(set, [2, 0], out, createRng(5));
    expect(out.subarray(0, 64)).not.toEqual(set.pixels.subarray(128, 192));
    for (const v of out) expect(v >= 0 && v <= 1).toBe(true);
  });
});

describe('temperature scaling', () => {
  it('recovers the temperature that generated the labels', () => {
    const rng = createRng(2);
    const k = 5;
    const n = 4000;
    const trueT = 2.5;
    const logits = new Float32Array(n * k);
    const labels = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < k; j++) logits[i * k + j] = rng.normal() * 3;
      // Draw the label from softmax(logits / trueT): over-confident logits by a factor 2.5.
      const p = Array.from({ length: k }, (_, j) => Math.exp(logits[i * k + j]! / trueT));
      let u = rng.next() * p.reduce((a, b) => a + b, 0);
      labels[i] = p.findIndex((v) => (u -= v) <= 0);
    }
    const fit = fitTemperature(logits, labels, k);
    expect(fit.temperature).toBeGreaterThan(2.2);
    expect(fit.temperature).toBeLessThan(2.8);
    expect(fit.nllAfter).toBeLessThan(fit.nllBefore);
    expect(fit.nllAfter).toBeCloseTo(temperedNll(logits, labels, k, fit.temperature), 10);
  });
});

describe('checkpoints', () => {
  it('round-trip header and arrays', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hwr-ckpt-'));
    try {
      const path = join(dir, 'c', 'last.ckpt');
      const header = {
        run: { arch: 'cnn', architecture: { arch: 'cnn' as const, inputShape: [4, 4, 1], convs: [], dense: [], hiddenActivation: 'relu' as const, classes: 2, dropout: 0 }, classes: ['a', 'b'], trainCount: 3, validationCount: 1, seed: 1, batchSize: 2, dataset: 'x' },
        epoch: 2,
        optimizer: { kind: 'adam' as const, step: 7 },
        history: [],
        bestEpoch: 1,
        bestScore: 0.5,
        sinceBest: 1,
        seconds: 3,
      };
      const weights = Float32Array.from([1, -2, 3.5]);
      writeCheckpoint(path, header, { weights, m: new Float32Array(3), v: Float32Array.from([0.25, 0, 1]) });
      const back = readCheckpoint(path);
      expect(back.header).toMatchObject(header);
      expect(back.arrays.weights).toEqual(weights);
      expect(back.arrays.v).toEqual(Float32Array.from([0.25, 0, 1]));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
