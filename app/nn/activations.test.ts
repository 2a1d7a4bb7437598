import { describe, expect, it } from 'vitest';
import { ACTIVATIONS, sigmoid, type ElementwiseActivation } from './activations.ts';

const XS = [-30, -5, -1.3, -0.2, 0.1, 0.7, 2, 6, 40];

describe('activations', () => {
  it("σ'(x) = σ(x)(1 − σ(x)), and the table's derivative is the numerical one", () => {
    for (const x of XS) {
      const s = sigmoid(x);
      const numeric = (sigmoid(x + 1e-6) - sigmoid(x - 1e-6)) / 2e-6;
      expect(ACTIVATIONS.sigmoid.df(x, s)).toBeCloseTo(s * (1 - s), 15);
      expect(Math.abs(ACTIVATIONS.sigmoid.df(x, s) - numeric)).toBeLessThan(1e-9);
    }
  });

  it('tanh(x) = 2σ(2x) − 1', () => {
    for (const x of XS) expect(ACTIVATIONS.tanh.f(x)).toBeCloseTo(2 * sigmoid(2 * x) - 1, 14);
  });

  it.each(Object.keys(ACTIVATIONS) as ElementwiseActivation[])('%s: df matches central differences of f (away from kinks)', (name) => {
    const { f, df } = ACTIVATIONS[name];
    for (const x of XS) {
      const numeric = (f(x + 1e-6) - f(x - 1e-6)) / 2e-6;
      expect(Math.abs(df(x, f(x)) - numeric)).toBeLessThan(1e-8);
    }
  });

  it('sigmoid does not overflow or lose its tails at ±1000', () => {
    expect(sigmoid(1000)).toBe(1);
    expect(sigmoid(-1000)).toBe(0);
    expect(sigmoid(-80)).toBeGreaterThan(0);
    expect(Number.isNaN(sigmoid(-1000) + sigmoid(1000))).toBe(false);
  });

  it('relu passes positives and zeroes negatives', () => {
    expect([-2, 0, 3].map(ACTIVATIONS.relu.f)).toEqual([0, 0, 3]);
    expect([-2, 3].map((x) => ACTIVATIONS.relu.df(x, ACTIVATIONS.relu.f(x)))).toEqual([0, 1]);
  });
});
