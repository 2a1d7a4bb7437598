import { describe, expect, it } from 'vitest';
import { createRng } from '../../base/random.ts';
import { fitTemperature, temperedNll } from './calibrate.ts';

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
