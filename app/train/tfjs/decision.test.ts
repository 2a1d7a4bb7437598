import { describe, expect, it } from 'vitest';
import { createRng } from '../../base/random.ts';
import { crossFittedAccuracy, fitOffsets, meanPresent, perClassAccuracy } from './decision.ts';

/**
 * Three classes: 0 and 1 are look-alikes told apart by a noisy score s (class 0 centred at +0.5,
 * class 1 at −0.5, unit spread), and the network is biased against class 0 (its logit is
 * s − `skew`); class 2 is always clear. The even split is at s = 0 (about 69% each).
 */
function lookAlikes(perClass: number, skew: number, seed: number): { logits: Float32Array; labels: Int32Array } {
  const rng = createRng(seed);
  const labels = new Int32Array(3 * perClass);
  const logits = new Float32Array(labels.length * 3);
  for (let i = 0; i < labels.length; i++) {
    const y = i % 3;
    labels[i] = y;
    if (y === 2) logits.set([-4, -4, 4], i * 3);
    else logits.set([rng.normal() + (y === 0 ? 0.5 : -0.5) - skew, 0, -5], i * 3);
  }
  return { logits, labels };
}

describe('decision offsets for look-alike classes', () => {
  it('move a class a look-alike pulls below the floor towards an even split, without losing balanced accuracy', () => {
    const { logits, labels } = lookAlikes(2000, 0.8, 1);
    const before = perClassAccuracy(logits, labels, 3);
    expect(before[0]).toBeLessThan(0.45); // the skew: class 0 mostly read as class 1
    expect(before[1]).toBeGreaterThan(0.85);
    const fit = fitOffsets(logits, labels, 3, 1, { floor: 0.7 });
    expect(fit.offsets[0]).toBeGreaterThan(0.5);
    expect(fit.offsets[1]).toBe(0);
    expect(fit.offsets[2]).toBe(0);
    const after = perClassAccuracy(logits, labels, 3, 1, fit.offsets);
    expect(Array.from(after)).toEqual(Array.from(fit.after));
    expect(Math.min(after[0]!, after[1]!)).toBeGreaterThan(0.64);
    expect(Math.abs(after[0]! - after[1]!)).toBeLessThan(0.06);
    expect(after[2]).toBe(1);
    expect(meanPresent(after)).toBeGreaterThanOrEqual(meanPresent(before));
  });

  it('leave a model whose classes all clear the floor unchanged', () => {
    const { logits, labels } = lookAlikes(500, 0, 2);
    // class 0 and 1 at about 69%: a floor of 60% needs no offsets
    const fit = fitOffsets(logits, labels, 3, 1, { floor: 0.6 });
    expect(Array.from(fit.offsets)).toEqual([0, 0, 0]);
    expect(Array.from(fit.after)).toEqual(Array.from(fit.before));
  });

  it('leave alone a class with too few validation samples to act on', () => {
    const { logits, labels } = lookAlikes(20, 0.8, 5);
    expect(perClassAccuracy(logits, labels, 3)[0]).toBeLessThan(0.7);
    expect(Array.from(fitOffsets(logits, labels, 3, 1, { floor: 0.7 }).offsets)).toEqual([0, 0, 0]);
    expect(fitOffsets(logits, labels, 3, 1, { floor: 0.7, minSamples: 10 }).offsets[0]).toBeGreaterThan(0);
  });

  it('hold up on data they were not fitted on (cross-fitted halves)', () => {
    const { logits, labels } = lookAlikes(2000, 0.8, 3);
    const cross = crossFittedAccuracy(logits, labels, 3, 1, { floor: 0.7 });
    const before = perClassAccuracy(logits, labels, 3);
    expect(cross[0]! - before[0]!).toBeGreaterThan(0.15);
    expect(meanPresent(cross)).toBeGreaterThan(meanPresent(before));
  });

  it('respect the temperature: offsets are on the logits divided by T', () => {
    const { logits, labels } = lookAlikes(1000, 0.8, 4);
    const scaled = logits.map((v) => v * 2);
    const a = fitOffsets(logits, labels, 3, 1, { floor: 0.7 });
    const b = fitOffsets(scaled, labels, 3, 2, { floor: 0.7 });
    expect(Array.from(b.offsets)).toEqual(Array.from(a.offsets));
  });
});
