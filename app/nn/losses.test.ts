import { describe, expect, it } from 'vitest';
import { createRng } from '../base/random.ts';
import { allocate } from './backend.ts';
import { checkLossGradients } from './gradcheck.ts';
import { softmax, softmaxCrossEntropy, squaredError } from './losses.ts';

describe('softmax', () => {
  it('is invariant to adding a constant to every logit: softmax(x) = softmax(x + c)', () => {
    const x = Float32Array.from([0.5, -1, 2, 0, 3.25, -0.75]);
    const shifted = x.map((v) => v + 100);
    const a = softmax(x, 2, 3),
      b = softmax(shifted, 2, 3);
    for (let i = 0; i < 6; i++) expect(b[i]).toBeCloseTo(a[i]!, 6);
  });

  it('neither overflows nor gives NaN at x = 1000, in plain and engine arrays', () => {
    for (const x of [Float32Array.from([1000, 999, 0, -1000]), (allocate(4) as Float32Array).fill(1000)]) {
      if (x[1] === 1000) x.set([1000, 999, 0, -1000]);
      const p = softmax(x, 1, 4);
      expect(p.every(Number.isFinite)).toBe(true);
      expect(p[0]! + p[1]! + p[2]! + p[3]!).toBeCloseTo(1, 6);
      expect(p[0]! / p[1]!).toBeCloseTo(Math.E, 4);
    }
  });
});

describe('softmax + cross-entropy (fused, from logits)', () => {
  it('equals −log softmax[label] averaged over rows, and stays finite at huge logits', () => {
    const logits = Float64Array.from([1, 2, 3, 0, 0, 0]);
    const labels = Int32Array.from([2, 0]);
    const loss = softmaxCrossEntropy.lossAndGrad(logits, labels, 2, 3, new Float64Array(6));
    const p = (row: number[], j: number): number => Math.exp(row[j]!) / row.reduce((s, v) => s + Math.exp(v), 0);
    expect(loss).toBeCloseTo((-Math.log(p([1, 2, 3], 2)) - Math.log(1 / 3)) / 2, 12);
    const huge = softmaxCrossEntropy.lossAndGrad(Float64Array.from([1000, -1000]), Int32Array.from([1]), 1, 2, new Float64Array(2));
    expect(huge).toBeCloseTo(2000, 6);
  });

  it('has the gradient (softmax − onehot) / n, checked against finite differences', () => {
    const rng = createRng(3);
    const logits = Float64Array.from({ length: 4 * 7 }, () => rng.normal() * 3);
    const labels = Int32Array.from({ length: 4 }, () => rng.int(7));
    const result = checkLossGradients(softmaxCrossEntropy, logits, labels, 4, 7);
    expect(result.checked).toBe(28);
    expect(result.maxRelativeError).toBeLessThan(1e-6);
  });

  it('rejects labels outside the classes and float targets', () => {
    expect(() => softmaxCrossEntropy.lossAndGrad(new Float64Array(3), Int32Array.from([3]), 1, 3, new Float64Array(3))).toThrow(/label 3/);
    expect(() => softmaxCrossEntropy.lossAndGrad(new Float64Array(3), new Float64Array(3), 1, 3, new Float64Array(3))).toThrow(/Int32Array/);
  });
});

describe('squared error (sum over outputs, mean over rows)', () => {
  it('is Σ (y − t)² / n', () => {
    const loss = squaredError.lossAndGrad(Float64Array.from([1, 2, 3, 4]), Float64Array.from([0, 2, 1, 4]), 2, 2, new Float64Array(4));
    expect(loss).toBeCloseTo((1 + 0 + 4 + 0) / 2, 12);
  });

  it('has the gradient 2 (y − t) / n, checked against finite differences', () => {
    const rng = createRng(4);
    const y = Float64Array.from({ length: 3 * 5 }, () => rng.next());
    const t = Float64Array.from({ length: 3 * 5 }, () => rng.next());
    expect(checkLossGradients(squaredError, y, t, 3, 5).maxRelativeError).toBeLessThan(1e-6);
  });
});
