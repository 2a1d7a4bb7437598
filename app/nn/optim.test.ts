import { describe, expect, it } from 'vitest';
import type { Param } from './layers.ts';
import { SGD } from './optim.ts';

function param(values: number[], grads: number[]): Param {
  return { name: 'p', value: Float64Array.from(values), grad: Float64Array.from(grads) };
}

describe('SGD', () => {
  it('plain step: w ← w − learningRate·g', () => {
    const p = param([1, -2], [0.5, 1]);
    new SGD([p], { learningRate: 0.1 }).step();
    expect([...p.value]).toEqual([1 - 0.05, -2 - 0.1]);
  });

  it('momentum: v ← μv − learningRate·g, w ← w + v, with weight decay added to g', () => {
    const p = param([1], [2]);
    const opt = new SGD([p], { learningRate: 0.1, momentum: 0.9, weightDecay: 0.5 });
    opt.step(); // g' = 2 + 0.5·1 = 2.5, v = −0.25, w = 0.75
    expect(p.value[0]).toBeCloseTo(0.75, 12);
    opt.step(); // g' = 2 + 0.375 = 2.375, v = 0.9·(−0.25) − 0.2375 = −0.4625, w = 0.2875
    expect(p.value[0]).toBeCloseTo(0.2875, 12);
  });

  it.each([
    [{ learningRate: 0 }, /learningRate must be a finite number > 0, got 0/],
    [{ learningRate: -1 }, /learningRate .* got -1/],
    [{ learningRate: NaN }, /learningRate .* got NaN/],
    [{ learningRate: Infinity }, /learningRate .* got Infinity/],
    [{ learningRate: 0.1, momentum: 1 }, /momentum must be in \[0, 1\), got 1/],
    [{ learningRate: 0.1, momentum: -0.1 }, /momentum .* got -0.1/],
    [{ learningRate: 0.1, momentum: NaN }, /momentum .* got NaN/],
    [{ learningRate: 0.1, weightDecay: -1 }, /weightDecay .* got -1/],
  ])('rejects %o at construction', (options, message) => {
    expect(() => new SGD([param([1], [1])], options)).toThrow(message);
  });

  it('checks a changed learning rate the same way', () => {
    const opt = new SGD([param([1], [1])], { learningRate: 0.1 });
    opt.learningRate = 0.05;
    expect(opt.learningRate).toBe(0.05);
    expect(() => (opt.learningRate = 0)).toThrow(/learningRate must be/);
  });
});
