import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '../../base/random.ts';
import { registerWasmTrainingKernels, simdKernelVariant, useKernelBuild } from './wasm-kernels.ts';

/**
 * Every kernel registered for the 'wasm' backend against the plain-JS 'cpu' backend on random
 * shapes: stride 1 and 2, 'same', 'valid' and explicit padding, non-square kernels, channel
 * counts that hit every tile of the SIMD kernels and the fallbacks (output channels not a
 * multiple of 4), overlapping pooling windows and ties.
 */

type Attrs = Record<string, unknown>;
interface Case {
  name: string;
  kernel: string;
  inputs: Record<string, { shape: number[]; levels?: number }>;
  attrs: Attrs;
}

function values(shape: number[], seed: number, levels?: number): Float32Array {
  const rng = createRng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  // Few levels make ties (max-pool) common.
  return Float32Array.from({ length: n }, () => (levels ? Math.floor(rng.next() * levels) / levels : rng.next() * 2 - 1));
}

async function runOn(backend: string, c: Case): Promise<{ data: Float32Array; shape: number[] }> {
  await tf.setBackend(backend);
  const inputs = Object.fromEntries(Object.entries(c.inputs).map(([name, spec], k) => [name, tf.tensor(values(spec.shape, 100 + k, spec.levels), spec.shape)]));
  const ran = tf.engine().runKernel(c.kernel, inputs, c.attrs as tf.NamedAttrMap) as tf.Tensor | tf.Tensor[];
  // A kernel of several outputs (the fused ReLU's gradient) is judged on all of them, end to end.
  const outs = Array.isArray(ran) ? ran : [ran];
  const data = new Float32Array(outs.reduce((a, t) => a + t.size, 0));
  outs.reduce((at, t) => (data.set(t.dataSync() as Float32Array, at), at + t.size), 0);
  const result = { data, shape: outs.flatMap((t) => t.shape) };
  tf.dispose(outs);
  Object.values(inputs).forEach((t) => t.dispose());
  return result;
}

function maxRelativeError(a: Float32Array, b: Float32Array): number {
  let scale = 1e-6;
  for (const v of b) scale = Math.max(scale, Math.abs(v));
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / scale);
  return worst;
}

const explicit = [
  [0, 0],
  [1, 2],
  [0, 1],
  [0, 0],
];
const filterCase = (name: string, x: number[], filter: number[], strides: number | number[], pad: unknown): Case => {
  const info = tf.backend_util.computeConv2DInfo(
    x as [number, number, number, number],
    filter as [number, number, number, number],
    strides as [number, number],
    1,
    pad as 'same',
  );
  return {
    name,
    kernel: 'Conv2DBackpropFilter',
    inputs: { x: { shape: x }, dy: { shape: info.outShape } },
    attrs: { strides, pad, dataFormat: 'NHWC', filterShape: filter },
  };
};
const inputCase = (name: string, x: number[], filter: number[], strides: number | number[], pad: unknown): Case => {
  const info = tf.backend_util.computeConv2DInfo(
    x as [number, number, number, number],
    filter as [number, number, number, number],
    strides as [number, number],
    1,
    pad as 'same',
  );
  return {
    name,
    kernel: 'Conv2DBackpropInput',
    inputs: { dy: { shape: info.outShape }, filter: { shape: filter } },
    attrs: { strides, pad, dataFormat: 'NHWC', inputShape: x },
  };
};
const convCase = (name: string, x: number[], filter: number[], strides: number | number[], pad: unknown, dilations: number | number[] = 1): Case => ({
  name,
  kernel: 'Conv2D',
  inputs: { x: { shape: x }, filter: { shape: filter } },
  attrs: { strides, pad, dataFormat: 'NHWC', dilations },
});
const poolCase = (name: string, x: number[], filterSize: number | number[], strides: number | number[], pad: 'same' | 'valid', levels?: number): Case => {
  const info = tf.backend_util.computePool2DInfo(x as [number, number, number, number], filterSize as [number, number], strides as [number, number], 1, pad);
  return {
    name,
    kernel: 'MaxPoolGrad',
    inputs: { dy: { shape: info.outShape }, input: { shape: x, levels }, output: { shape: info.outShape } },
    attrs: { filterSize, strides, pad },
  };
};
const matMulCase = (name: string, a: number[], b: number[], transposeA: boolean, transposeB: boolean): Case => ({
  name,
  kernel: 'BatchMatMul',
  inputs: { a: { shape: a }, b: { shape: b } },
  attrs: { transposeA, transposeB },
});

const biasReluCase = (name: string, x: number[], valid: number[]): Case => ({
  name,
  kernel: 'HwrBiasReluMask',
  inputs: { x: { shape: x }, bias: { shape: [x[x.length - 1]!] } },
  attrs: { valid },
});
const reluGradCase = (name: string, shape: number[]): Case => ({
  name,
  kernel: 'HwrReluBiasGrad',
  inputs: { dy: { shape }, y: { shape, levels: 3 } }, // levels: a third of y is 0, as after ReLU
  attrs: {},
});

const cases: Case[] = [
  biasReluCase('bias + ReLU + mask: 4-D, 16 channels, each image its own width', [3, 4, 9, 16], [9, 4, 0]),
  biasReluCase('bias + ReLU + mask: 3-D frames, 6 channels (SIMD and a scalar tail)', [2, 11, 6], [7, 20]),
  reluGradCase('ReLU + bias gradient: 4-D, 12 channels', [2, 3, 5, 12]),
  reluGradCase('ReLU + bias gradient: 3-D, 7 channels', [3, 9, 7]),
  convCase('conv: 3×3 same, ci 1 → co 16, width 10 (4-pixel tiles and a remainder)', [2, 9, 10, 1], [3, 3, 1, 16], 1, 'same'),
  convCase('conv: 3×3 same, ci 5 → co 12 (4×8 and 4×4 tiles)', [2, 7, 7, 5], [3, 3, 5, 12], 1, 'same'),
  convCase('conv: 2×4 valid, no padding copy', [2, 8, 9, 3], [2, 4, 3, 8], 1, 'valid'),
  convCase('conv: 5×5 same', [1, 9, 6, 4], [5, 5, 4, 4], 1, 'same'),
  convCase('conv: explicit pads', [2, 6, 7, 2], [3, 2, 2, 8], 1, explicit),
  convCase('conv: co 6 (XNNPACK path)', [2, 7, 6, 3], [3, 3, 3, 6], 1, 'same'),
  convCase('conv: stride 2 (XNNPACK path)', [2, 9, 8, 3], [3, 3, 3, 8], 2, 'same'),
  convCase('conv: dilation 2 (XNNPACK path)', [2, 9, 8, 3], [3, 3, 3, 8], 1, 'same', 2),
  filterCase('filter: 3×3 same, stride 1, ci 3 → co 8 (SIMD 4×8 tiles + 1-channel rows)', [2, 7, 9, 3], [3, 3, 3, 8], 1, 'same'),
  filterCase('filter: 3×3 same, ci 1 → co 16 (1×16 tiles)', [3, 12, 10, 1], [3, 3, 1, 16], 1, 'same'),
  filterCase('filter: 3×3 same, ci 8 → co 12 (4×8 and 4×4 tiles)', [2, 6, 6, 8], [3, 3, 8, 12], 1, 'same'),
  filterCase('filter: 2×4 valid, stride 1, ci 5 → co 4', [2, 8, 9, 5], [2, 4, 5, 4], 1, 'valid'),
  filterCase('filter: 5×5 same, stride 1, ci 4 → co 20', [1, 9, 7, 4], [5, 5, 4, 20], 1, 'same'),
  filterCase('filter: 1×1, ci 6 → co 8', [2, 5, 5, 6], [1, 1, 6, 8], 1, 'valid'),
  filterCase('filter: explicit pads, stride 1', [2, 6, 7, 2], [3, 2, 2, 8], 1, explicit),
  filterCase('filter: co 5 (not a multiple of 4: XNNPACK path)', [2, 7, 6, 3], [3, 3, 3, 5], 1, 'same'),
  filterCase('filter: stride 2 same (XNNPACK path, dilated dy)', [2, 9, 8, 3], [3, 3, 3, 4], 2, 'same'),
  filterCase('filter: stride [2, 3] valid, unused rows cropped', [2, 10, 11, 2], [3, 2, 2, 6], [2, 3], 'valid'),
  filterCase('filter: stride 2, explicit pads', [1, 8, 8, 3], [4, 3, 3, 4], 2, explicit),
  inputCase('input: 3×3 same, stride 1, ci 3 (XNNPACK path: dx channels not a multiple of 4)', [2, 7, 9, 3], [3, 3, 3, 8], 1, 'same'),
  inputCase('input: 3×3 same, stride 1, ci 16 (SIMD path)', [2, 7, 9, 16], [3, 3, 16, 8], 1, 'same'),
  inputCase('input: 5×3 same, stride 1, ci 8 → co 4', [1, 8, 6, 8], [5, 3, 8, 4], 1, 'same'),
  inputCase('input: 2×4 valid, stride 1', [2, 8, 9, 5], [2, 4, 5, 4], 1, 'valid'),
  inputCase('input: 2×4 valid, stride 1, ci 4', [2, 8, 9, 4], [2, 4, 4, 4], 1, 'valid'),
  inputCase('input: stride 2 same (dilated dy)', [2, 9, 8, 3], [3, 3, 3, 4], 2, 'same'),
  inputCase('input: stride [2, 3] valid', [2, 10, 11, 2], [3, 2, 2, 6], [2, 3], 'valid'),
  inputCase('input: explicit pads', [2, 6, 7, 2], [3, 2, 2, 8], 1, explicit),
  inputCase('input: explicit pads, ci 8', [2, 6, 7, 8], [3, 2, 8, 8], 1, explicit),
  inputCase('input: 1×1', [2, 5, 5, 6], [1, 1, 6, 8], 1, 'valid'),
  poolCase('max-pool grad: 2×2 stride 2, 16 channels', [2, 8, 8, 16], 2, 2, 'valid'),
  poolCase('max-pool grad: 2×2 stride 2, odd size, 3 channels', [2, 7, 9, 3], 2, 2, 'valid'),
  poolCase('max-pool grad: 3×3 stride 2 same (overlapping windows)', [2, 9, 7, 8], 3, 2, 'same'),
  poolCase('max-pool grad: 3×2 stride 1 same', [1, 6, 5, 5], [3, 2], 1, 'same'),
  poolCase('max-pool grad: ties (4 levels) take the first maximum', [2, 8, 8, 4], 2, 2, 'valid', 4),
  poolCase('max-pool grad: ties, scalar channels', [2, 6, 6, 3], 3, 1, 'same', 3),
  matMulCase('matMul: Aᵀ·B, 9 columns (XNNPACK)', [37, 5], [37, 9], true, false),
  matMulCase('matMul: A·B, 12 columns (our kernel, 4-row tiles and a remainder)', [7, 33], [33, 12], false, false),
  matMulCase('matMul: Aᵀ·B, 16 columns (our kernel)', [40, 6], [40, 16], true, false),
  matMulCase('matMul: A·Bᵀ, 36 columns (our kernel)', [9, 20], [36, 20], false, true),
  matMulCase('matMul: rank 3 batch 1, A·B, 8 columns (our kernel)', [1, 5, 7], [1, 7, 8], false, false),
  matMulCase('matMul: A·Bᵀ', [6, 33], [10, 33], false, true),
  matMulCase('matMul: Aᵀ·Bᵀ', [20, 4], [7, 20], true, true),
  matMulCase('matMul: A·B (builtin XNNPACK path)', [5, 12], [12, 7], false, false),
  matMulCase('matMul: batched Aᵀ·B (builtin)', [3, 8, 4], [3, 8, 5], true, false),
  matMulCase('matMul: batch 1, rank 3, A·Bᵀ', [1, 6, 8], [1, 3, 8], false, true),
];

describe.each(['relaxed-simd', 'simd', 'off'] as const)('wasm training kernels (our kernels: %s) agree with the cpu backend', (build) => {
  beforeAll(async () => {
    registerWasmTrainingKernels();
    tf.enableProdMode();
    await tf.setBackend('wasm');
    useKernelBuild(build);
  });

  it('registers the filter gradient the backend lacks and replaces the slow ones', () => {
    expect(registerWasmTrainingKernels().sort()).toEqual([
      'BatchMatMul',
      'Conv2D',
      'Conv2DBackpropFilter',
      'Conv2DBackpropInput',
      'HwrBiasReluMask',
      'HwrReluBiasGrad',
      'Identity',
      'MaxPoolGrad',
    ]);
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeDefined();
  });

  it('identity shares the data: a clone outlives its original and keeps its values', async () => {
    const x = tf.tensor([1.5, -2, 3]);
    const before = tf.memory().numDataBuffers;
    const y = tf.clone(x);
    expect(tf.memory().numDataBuffers).toBe(before); // no copy
    x.dispose();
    expect(Array.from(y.dataSync())).toEqual([1.5, -2, 3]);
    y.dispose();
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_, c) => {
    const want = await runOn('cpu', c);
    const got = await runOn('wasm', c);
    expect(got.shape).toEqual(want.shape);
    expect(maxRelativeError(got.data, want.data)).toBeLessThan(2e-5);
  });

  it('ran this build of our kernels (on the backend memory), or only the XNNPACK/JavaScript paths', () => {
    expect(simdKernelVariant()).toBe(build === 'off' ? 'none' : build);
  });
});

describe('training through the kernels', () => {
  it('a small CNN has the same gradients on wasm as on cpu', async () => {
    const grads = async (backend: string) => {
      await tf.setBackend(backend);
      const x = tf.tensor(values([4, 10, 10, 2], 1), [4, 10, 10, 2]) as tf.Tensor4D;
      const w1 = tf.tensor(values([3, 3, 2, 8], 2), [3, 3, 2, 8]) as tf.Tensor4D;
      const w2 = tf.tensor(values([3, 3, 8, 4], 3), [3, 3, 8, 4]) as tf.Tensor4D;
      const w3 = tf.tensor(values([36, 5], 4), [36, 5]) as tf.Tensor2D;
      const f = (a: tf.Tensor4D, b: tf.Tensor4D, c: tf.Tensor2D) => {
        const h = tf.relu(tf.maxPool(tf.conv2d(x, a, 1, 'same'), 2, 2, 'valid'));
        const g = tf.relu(tf.conv2d(h, b, 2, 'same'));
        return tf.sum(tf.square(tf.matMul(tf.reshape(g, [4, 36]), c)));
      };
      const out = tf
        .grads(f as (...args: tf.Tensor[]) => tf.Tensor)([w1, w2, w3])
        .map((t) => t.dataSync() as Float32Array);
      tf.dispose([x, w1, w2, w3]);
      return out;
    };
    const want = await grads('cpu');
    const got = await grads('wasm');
    want.forEach((w, i) => expect(maxRelativeError(got[i]!, w)).toBeLessThan(2e-5));
  });
});
