import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OnnxModel } from '../../onnx/runtime.ts';
import { exportOnnx } from '../../onnx/export.ts';
import { importOnnx } from '../../onnx/import.ts';
import { createRng } from '../../base/random.ts';
import { selectBackend } from './backend.ts';
import { defaultArchitecture, fromNetworkSpec, initialWeights, paramCount, paramLayout, TfNetwork, toNetworkSpec, type Architecture } from './model.ts';

/**
 * The exported ONNX model computes what the TensorFlow.js network computes: the weights go to
 * NetworkSpec as tfjs holds them (conv HWIO, dense in × out, NHWC, flatten channels-fastest),
 * and the temperature baked into the last layer gives softmax(logits / T).
 */

function randomWeights(a: Architecture, seed: number): Float32Array {
  // Non-zero biases too, so a bias in the wrong place shows.
  const rng = createRng(seed);
  const layout = paramLayout(a);
  const w = initialWeights(a, layout, seed);
  for (const p of layout) if (p.shape.length === 1) for (let i = p.offset; i < p.offset + p.size; i++) w[i] = rng.next() * 0.2 - 0.1;
  return w;
}

function softmaxRows(logits: Float32Array, k: number, temperature: number, offsets?: ArrayLike<number>): Float32Array {
  const out = new Float32Array(logits.length);
  const z = (r: number, j: number) => logits[r * k + j]! / temperature + (offsets ? offsets[j]! : 0);
  for (let r = 0; r < logits.length / k; r++) {
    let max = -Infinity;
    for (let j = 0; j < k; j++) max = Math.max(max, z(r, j));
    let sum = 0;
    for (let j = 0; j < k; j++) sum += out[r * k + j] = Math.exp(z(r, j) - max);
    for (let j = 0; j < k; j++) out[r * k + j]! /= sum;
  }
  return out;
}

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
};

describe('TensorFlow.js network → NetworkSpec → ONNX', () => {
  beforeAll(async () => {
    await selectBackend({ start: 'wasm' });
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it.each([
    ['CNN on 32×32 glyphs', defaultArchitecture('cnn', [32, 32, 1], 36)],
    ['CNN on 32×32 colour images', defaultArchitecture('cnn', [32, 32, 3], 10)],
    ['CNN on odd-sized 13×11 images (pool floors)', defaultArchitecture('cnn', [13, 11, 2], 5)],
    ['course MLP 1024-64-36', defaultArchitecture('tfmlp', [32, 32, 1], 36)],
  ] as const)('%s: onnxruntime and tfjs agree within 1e-4 on a batch, temperature baked in', async (_, a) => {
    const layout = paramLayout(a);
    const weights = randomWeights(a, 7);
    const batch = 6;
    const size = a.inputShape.reduce((p, d) => p * d, 1);
    const rng = createRng(3);
    const input = Float32Array.from({ length: batch * size }, () => rng.next());
    const net = new TfNetwork(tf, a, layout, weights);
    const logits = tf.tidy(() => net.logits(tf.tensor(input, [batch, ...a.inputShape]), false).dataSync() as Float32Array);
    net.dispose();
    const temperature = 1.7;
    const classes = Array.from({ length: a.classes }, (_, i) => `c${i}`);
    const model = await OnnxModel.load(exportOnnx(toNetworkSpec(a, layout, weights, { classes, temperature })));
    try {
      expect(model.classes).toEqual(classes);
      expect(model.inputShape).toEqual(a.inputShape);
      const probabilities = await model.run(input, batch);
      expect(maxAbsDiff(probabilities, softmaxRows(logits, a.classes, temperature))).toBeLessThan(1e-4);
      // and the exported probabilities are not all alike (the check would be empty otherwise)
      expect(maxAbsDiff(probabilities.subarray(0, a.classes), probabilities.subarray(a.classes, 2 * a.classes))).toBeGreaterThan(1e-3);
    } finally {
      await model.close();
    }
  });

  it('bakes decision offsets into the output bias: probabilities are softmax(logits / T + offsets)', async () => {
    const a = defaultArchitecture('cnn', [32, 32, 1], 36);
    const layout = paramLayout(a);
    const weights = randomWeights(a, 11);
    const batch = 8;
    const rng = createRng(4);
    const input = Float32Array.from({ length: batch * 1024 }, () => rng.next());
    const net = new TfNetwork(tf, a, layout, weights);
    const logits = tf.tidy(() => net.logits(tf.tensor(input, [batch, 32, 32, 1]), false).dataSync() as Float32Array);
    net.dispose();
    const classes = Array.from({ length: 36 }, (_, i) => `c${i}`);
    // A large offset on class 5 makes it every sample's top class.
    const offsets = new Float32Array(36);
    offsets[5] = 40;
    offsets[9] = -0.3;
    const model = await OnnxModel.load(exportOnnx(toNetworkSpec(a, layout, weights, { classes, temperature: 1.3, offsets })));
    try {
      const probabilities = await model.run(input, batch);
      expect(maxAbsDiff(probabilities, softmaxRows(logits, 36, 1.3, offsets))).toBeLessThan(1e-4);
      for (let r = 0; r < batch; r++) expect(probabilities[r * 36 + 5]).toBeGreaterThan(0.99);
    } finally {
      await model.close();
    }
    expect(() => toNetworkSpec(a, layout, weights, { classes, temperature: 1, offsets: new Float32Array(3) })).toThrow(/3 offsets for 36 classes/);
  });

  it('reads its own export back (architecture and weights) for fine-tuning', () => {
    const a = defaultArchitecture('cnn', [32, 32, 1], 36);
    const layout = paramLayout(a);
    const weights = randomWeights(a, 11);
    const spec = importOnnx(exportOnnx(toNetworkSpec(a, layout, weights, { classes: Array.from({ length: 36 }, (_, i) => String(i)), temperature: 1 })));
    const back = fromNetworkSpec(spec);
    expect(back.architecture).toEqual(a);
    expect(paramCount(paramLayout(back.architecture))).toBe(weights.length);
    expect(maxAbsDiff(back.weights, weights)).toBe(0);
  });

  it('rejects a network it does not build, naming the layer', () => {
    const a = defaultArchitecture('cnn', [8, 8, 1], 3);
    const spec = toNetworkSpec(a, paramLayout(a), randomWeights(a, 1), { classes: ['a', 'b', 'c'], temperature: 1 });
    spec.layers.splice(1, 1); // drop the first max-pool
    expect(() => fromNetworkSpec(spec)).toThrow(/layer 0: a convolution must be followed by ReLU and 2×2 max-pooling/);
  });
});
