import { describe, expect, it } from 'vitest';
import { createRng } from '../base/random.ts';
import type { ElementwiseActivation } from './activations.ts';
import { checkLayerGradients } from './gradcheck.ts';
import { Activation, Dense, Flatten, Softmax } from './layers.ts';
import { Network } from './network.ts';

describe('gradients agree with central finite differences (float64)', () => {
  const rng = createRng(11);

  it('Dense: weights, bias and input', () => {
    const layer = new Dense(6, 5, { rng, dtype: 'float64' });
    layer.bias.set([0.1, -0.2, 0.3, 0, 0.5]);
    const result = checkLayerGradients(layer, 4, rng);
    expect(result.checked).toBe(6 * 5 + 5 + 4 * 6);
    expect(result.maxRelativeError).toBeLessThan(1e-7);
  });

  it.each(['identity', 'sigmoid', 'tanh', 'relu'] as ElementwiseActivation[])('Activation(%s)', (fn) => {
    const result = checkLayerGradients(new Activation(fn, 7, 'float64'), 3, rng);
    expect(result.checked).toBe(21);
    expect(result.maxRelativeError).toBeLessThan(1e-7);
  });

  it('Softmax (the general Jacobian product)', () => {
    expect(checkLayerGradients(new Softmax(5, 'float64'), 3, rng).maxRelativeError).toBeLessThan(1e-7);
  });

  it('Flatten', () => {
    expect(checkLayerGradients(new Flatten(4, 'float64'), 2, rng).maxRelativeError).toBeLessThan(1e-9);
  });
});

describe('Dense', () => {
  it('computes x·W + b with W stored inputs × outputs', () => {
    const layer = new Dense(2, 3, { weights: [1, 2, 3, 4, 5, 6], bias: [0.5, 0, -1] });
    expect([...layer.forward(Float32Array.from([1, 1, 2, 0]), 2)]).toEqual([5.5, 7, 8, 2.5, 4, 5]);
  });

  it('is Xavier-initialised: uniform within ±√(6 / (in + out)), zero bias', () => {
    const layer = new Dense(1024, 64, { rng: createRng(1) });
    const limit = Math.sqrt(6 / (1024 + 64));
    let max = 0,
      sumSq = 0;
    for (const w of layer.weights) {
      max = Math.max(max, Math.abs(w));
      sumSq += w * w;
    }
    expect(max).toBeLessThanOrEqual(limit);
    expect(max).toBeGreaterThan(0.99 * limit);
    expect(sumSq / layer.weights.length).toBeCloseTo((limit * limit) / 3, 3); // variance of U(−a, a)
    expect(layer.bias.every((b) => b === 0)).toBe(true);
  });

  it('rejects bad shapes and missing initialisation at construction', () => {
    expect(() => new Dense(0, 3, { rng: createRng(1) })).toThrow(/inputs must be a positive integer/);
    expect(() => new Dense(2, 3, { weights: [1, 2] })).toThrow(/weights hold 2 values, expected 2 × 3/);
    expect(() => new Dense(2, 3, {})).toThrow(/rng/);
    expect(() => new Dense(2, 3, { rng: createRng(1) }).forward(new Float32Array(3), 2)).toThrow(/expected 2 × 2/);
  });
});

describe('a stack of linear layers without activations', () => {
  it('equals one linear layer with the composed weights W1·W2 and bias b1·W2 + b2', () => {
    const rng = createRng(5);
    const l1 = new Dense(7, 5, { rng, dtype: 'float64' });
    const l2 = new Dense(5, 3, { rng, dtype: 'float64' });
    l1.bias.set([0.1, 0.2, -0.3, 0.4, 0]);
    l2.bias.set([1, -1, 0.5]);
    const w = new Float64Array(7 * 3);
    for (let i = 0; i < 7; i++) for (let o = 0; o < 3; o++) for (let h = 0; h < 5; h++) w[i * 3 + o]! += l1.weights[i * 5 + h]! * l2.weights[h * 3 + o]!;
    const b = Float64Array.from(l2.bias);
    for (let o = 0; o < 3; o++) for (let h = 0; h < 5; h++) b[o]! += l1.bias[h]! * l2.weights[h * 3 + o]!;
    const composed = new Dense(7, 3, { weights: w, bias: b, dtype: 'float64' });
    const x = Float64Array.from({ length: 4 * 7 }, () => rng.normal());
    const stacked = new Network([l1, l2], { name: 'linear' }).forward(x, 4);
    const single = composed.forward(x, 4);
    for (let i = 0; i < 12; i++) expect(stacked[i]).toBeCloseTo(single[i]!, 12);
  });
});
