import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { learningRateAt } from '../schedule.ts';
import { applyUpdate, createOptimizerState } from './optimizer.ts';
import type { ParamInfo } from './model.ts';

/** The flat-array optimizers take the steps TensorFlow.js's own optimizers take. */

const layout: ParamInfo[] = [
  { name: 'k', shape: [2, 3], offset: 0, size: 6, output: false },
  { name: 'b', shape: [3], offset: 6, size: 3, output: true },
];
const start = Float32Array.from([0.5, -0.2, 0.1, 0.9, -0.7, 0.3, 0.05, -0.05, 0.2]);
const gradients = [Float32Array.from([0.1, -0.3, 0.2, 0.05, 0.4, -0.1, 0.2, 0.1, -0.2]), Float32Array.from([-0.2, 0.1, 0.3, -0.05, 0.1, 0.2, -0.1, 0.3, 0.05])];

async function tfSteps(optimizer: tf.Optimizer): Promise<Float32Array> {
  tf.enableProdMode(); // no tfjs-node banner in the test output
  await tf.setBackend('cpu');
  const k = tf.variable(tf.tensor(start.subarray(0, 6), [2, 3]));
  const b = tf.variable(tf.tensor(start.subarray(6)));
  for (const g of gradients) optimizer.applyGradients({ [k.name]: tf.tensor(g.subarray(0, 6), [2, 3]), [b.name]: tf.tensor(g.subarray(6)) });
  const out = Float32Array.from([...k.dataSync(), ...b.dataSync()]);
  tf.dispose([k, b]);
  return out;
}

describe('optimizers', () => {
  it('Adam matches tf.train.adam', async () => {
    const want = await tfSteps(tf.train.adam(0.01, 0.9, 0.999, 1e-7));
    const w = start.slice();
    const state = createOptimizerState('adam', w.length);
    for (const g of gradients) applyUpdate(w, g, state, { kind: 'adam', momentum: 0.9 }, 0.01, layout, [true, true]);
    w.forEach((x, i) => expect(x).toBeCloseTo(want[i]!, 6));
    expect(state.step).toBe(2);
  });

  it('SGD with momentum matches tf.train.momentum', async () => {
    const want = await tfSteps(tf.train.momentum(0.1, 0.9));
    const w = start.slice();
    const state = createOptimizerState('sgd', w.length);
    for (const g of gradients) applyUpdate(w, g, state, { kind: 'sgd', momentum: 0.9 }, 0.1, layout, [true, true]);
    w.forEach((x, i) => expect(x).toBeCloseTo(want[i]!, 6));
  });

  it('leaves frozen parameters alone and decays only kernels', () => {
    const w = start.slice();
    const state = createOptimizerState('adam', w.length);
    applyUpdate(w, new Float32Array(9), state, { kind: 'adam', momentum: 0.9, weightDecay: 0.5 }, 0.1, layout, [true, false]);
    expect(w.subarray(6)).toEqual(start.subarray(6));
    w.subarray(0, 6).forEach((x, i) => expect(x).toBeCloseTo(start[i]! * 0.95, 6));
  });

  it('cosine schedule runs from the base rate to 2% of it', () => {
    expect(learningRateAt(1, 1, 11)).toBe(1);
    expect(learningRateAt(1, 6, 11)).toBeCloseTo(0.51, 6);
    expect(learningRateAt(1, 11, 11)).toBeCloseTo(0.02, 9);
  });
});
