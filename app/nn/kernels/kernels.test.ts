import { afterAll, describe, expect, it } from 'vitest';
import { createRng, type Rng } from '../../base/random.ts';
import type { ElementwiseActivation } from '../activations.ts';
import { WasmHeap } from './heap.ts';
import { tsKernels } from './ts.ts';
import type { FloatArray } from './types.ts';
import { loadSimd, WasmKernels, type SimdVariant } from './wasm.ts';

// Odd sizes on purpose: none a multiple of 4 or 8, so every edge tile and tail runs.
const SHAPES: [number, number, number][] = [
  [1, 1, 1],
  [3, 5, 7],
  [7, 13, 5],
  [33, 37, 29],
  [5, 70, 1030],
  [130, 9, 3],
];

/** max |a − b| / max |b|: the relative error of the whole result. */
function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return diff / (scale || 1);
}

const pools: WasmKernels[] = [];
afterAll(async () => {
  for (const k of pools) await k.closeTeam();
});

function kernelsFor(variant: SimdVariant, threads: number): WasmKernels {
  const simd = loadSimd(variant);
  const k = new WasmKernels(simd, new WasmHeap(simd.memory, simd.exports.heapBase()), threads);
  pools.push(k);
  return k;
}

describe.each(['wasm-simd', 'wasm-relaxed-simd'] as const)('%s kernels against the TypeScript kernels', (variant) => {
  const wasm = kernelsFor(variant, 1);
  const rng = createRng(7);

  /** The same random values in engine memory and in a plain array. */
  function pair(n: number, fill: (rng: Rng) => number = (r) => r.normal()): [Float32Array, Float32Array] {
    const plain = new Float32Array(n);
    for (let i = 0; i < n; i++) plain[i] = fill(rng);
    const engine = wasm.heap.float32(n);
    engine.set(plain);
    return [engine, plain];
  }
  const out = (n: number): [Float32Array, Float32Array] => [wasm.heap.float32(n), new Float32Array(n)];

  it('has the variant it was asked for', () => {
    expect(wasm.heap.contains(pair(1)[0])).toBe(true);
    expect(wasm.heap.contains(new Float32Array(1))).toBe(false);
  });

  it.each(SHAPES)('gemmNN %i×%i×%i with and without bias', (m, n, k) => {
    const [a, a0] = pair(m * k),
      [b, b0] = pair(k * n),
      [bias, bias0] = pair(n);
    for (const withBias of [false, true]) {
      const [c, c0] = out(m * n);
      wasm.gemmNN(m, n, k, a, b, c, withBias ? bias : null);
      tsKernels.gemmNN(m, n, k, a0, b0, c0, withBias ? bias0 : null);
      expect(relativeError(c, c0)).toBeLessThan(1e-5);
    }
  });

  it.each(SHAPES)('gemmTN %i×%i×%i', (m, n, k) => {
    const [a, a0] = pair(k * m),
      [b, b0] = pair(k * n),
      [c, c0] = out(m * n);
    wasm.gemmTN(m, n, k, a, b, c);
    tsKernels.gemmTN(m, n, k, a0, b0, c0);
    expect(relativeError(c, c0)).toBeLessThan(1e-5);
  });

  it.each(SHAPES)('gemmNT %i×%i×%i', (m, n, k) => {
    const [a, a0] = pair(m * k),
      [b, b0] = pair(n * k),
      [c, c0] = out(m * n);
    wasm.gemmNT(m, n, k, a, b, c);
    tsKernels.gemmNT(m, n, k, a0, b0, c0);
    expect(relativeError(c, c0)).toBeLessThan(1e-5);
  });

  it('writes nothing outside C', () => {
    const [m, n, k] = [5, 11, 9];
    const [a] = pair(m * k),
      [b] = pair(k * n);
    const big = wasm.heap.float32(m * n + 16).fill(42);
    const c = big.subarray(0, m * n);
    wasm.gemmNN(m, n, k, a, b, c, null);
    expect([...big.subarray(m * n)]).toEqual(new Array(16).fill(42));
  });

  it('columnSums', () => {
    const [a, a0] = pair(13 * 7),
      [s, s0] = out(7);
    wasm.columnSums(13, 7, a, s);
    tsKernels.columnSums(13, 7, a0, s0);
    expect(relativeError(s, s0)).toBeLessThan(1e-5);
  });

  it.each(['identity', 'sigmoid', 'tanh', 'relu'] as ElementwiseActivation[])('activation %s forward and backward', (fn) => {
    const len = 1031;
    const [x, x0] = pair(len, (r) => (r.next() - 0.5) * 20);
    const [y, y0] = out(len);
    wasm.activate(fn, x, y, len);
    tsKernels.activate(fn, x0, y0, len);
    for (let i = 0; i < len; i++) expect(Math.abs(y[i]! - y0[i]!)).toBeLessThanOrEqual(1e-5 * Math.max(Math.abs(y0[i]!), 1e-2));
    const [dy, dy0] = pair(len),
      [dx, dx0] = out(len);
    wasm.activateBackward(fn, x, y, dy, dx, len);
    tsKernels.activateBackward(fn, x0, y0, dy0, dx0, len);
    expect(relativeError(dx, dx0)).toBeLessThan(1e-5);
  });

  it('tanh keeps its relative precision near zero', () => {
    const [x] = pair(8, () => 1e-4),
      [y] = out(8);
    wasm.activate('tanh', x, y, 8);
    expect(Math.abs(y[0]! - Math.tanh(1e-4)) / Math.tanh(1e-4)).toBeLessThan(1e-6);
  });

  it('softmaxRows and softmaxCrossEntropy', () => {
    const [m, n] = [9, 37];
    const [x, x0] = pair(m * n, (r) => r.normal() * 5);
    const [y, y0] = out(m * n);
    wasm.softmaxRows(m, n, x, y);
    tsKernels.softmaxRows(m, n, x0, y0);
    expect(relativeError(y, y0)).toBeLessThan(1e-5);
    const labels = wasm.heap.int32(m);
    for (let i = 0; i < m; i++) labels[i] = rng.int(n);
    const [g, g0] = out(m * n);
    const loss = wasm.softmaxCrossEntropy(m, n, x, labels, g, 1 / m);
    const loss0 = tsKernels.softmaxCrossEntropy(m, n, x0, Int32Array.from(labels), g0, 1 / m);
    expect(Math.abs(loss - loss0) / loss0).toBeLessThan(1e-5);
    expect(relativeError(g, g0)).toBeLessThan(1e-5);
  });

  it('squaredError', () => {
    const len = 1029;
    const [y, y0] = pair(len),
      [t, t0] = pair(len),
      [g, g0] = out(len);
    const e = wasm.squaredError(len, y, t, g, 0.25);
    const e0 = tsKernels.squaredError(len, y0, t0, g0, 0.25);
    expect(Math.abs(e - e0) / e0).toBeLessThan(1e-5);
    expect(relativeError(g, g0)).toBeLessThan(1e-5);
  });

  it.each([0, 0.9])('sgdStep with momentum %d and weight decay', (momentum) => {
    const len = 1027;
    const [w, w0] = pair(len),
      [g, g0] = pair(len),
      [v, v0] = pair(len);
    for (let step = 0; step < 3; step++) {
      wasm.sgdStep(w, g, momentum ? v : null, len, 0.1, momentum, 0.01);
      tsKernels.sgdStep(w0, g0, momentum ? v0 : null, len, 0.1, momentum, 0.01);
    }
    expect(relativeError(w, w0)).toBeLessThan(1e-5);
  });

  it.each([0, 0.9])('sgdStepProduct (momentum %d): the step of gemmTN then sgdStep, to the bit', (momentum) => {
    const [m, n, k] = [37, 13, 9];
    const [a, a0] = pair(k * m),
      [b, b0] = pair(k * n),
      [w, w0] = pair(m * n),
      [v, v0] = pair(m * n);
    const w1 = wasm.heap.float32(m * n),
      v1 = wasm.heap.float32(m * n),
      g = wasm.heap.float32(m * n);
    w1.set(w);
    v1.set(v);
    wasm.sgdStepProduct(m, n, k, a, b, w, momentum ? v : null, 0.1, momentum, 0.01);
    wasm.gemmTN(m, n, k, a, b, g);
    wasm.sgdStep(w1, g, momentum ? v1 : null, m * n, 0.1, momentum, 0.01);
    expect(w).toEqual(w1);
    expect(v).toEqual(v1);
    tsKernels.sgdStepProduct(m, n, k, a0, b0, w0, momentum ? v0 : null, 0.1, momentum, 0.01);
    expect(relativeError(w, w0)).toBeLessThan(1e-5);
  });

  it('gatherRows', () => {
    const [src, src0] = pair(10 * 7);
    const index = wasm.heap.int32(4);
    index.set([9, 0, 3, 3]);
    const [dst, dst0] = out(4 * 7);
    wasm.gatherRows(src, 7, index, 4, dst);
    tsKernels.gatherRows(src0, 7, Int32Array.from(index), 4, dst0);
    expect([...dst]).toEqual([...dst0]);
  });

  it('ran every call above in WebAssembly', () => {
    expect(wasm.fallbackCalls).toBe(0);
  });

  it('falls back to TypeScript for arrays outside engine memory', () => {
    const a = new Float64Array([1, 2, 3, 4]),
      b = new Float64Array([5, 6, 7, 8]),
      c = new Float64Array(4);
    wasm.gemmNN(2, 2, 2, a, b, c, null);
    expect([...c]).toEqual([19, 22, 43, 50]);
    expect(wasm.fallbackCalls).toBe(1);
  });
});

describe('the WebAssembly heap', () => {
  it('grows, and reuses blocks whose arrays were collected', async () => {
    const simd = loadSimd('wasm-simd');
    const heap = new WasmHeap(simd.memory, simd.exports.heapBase());
    const big = heap.float32(8 << 20); // 32 MiB: beyond the initial memory
    big[big.length - 1] = 1;
    expect(heap.stats().memory).toBeGreaterThanOrEqual(32 << 20);
    const arrays: FloatArray[] = [heap.float32(10), heap.float32(1000)];
    expect(arrays[0]!.byteOffset % 64).toBe(0);
    expect(arrays[1]!.byteOffset % 64).toBe(0);
    expect(arrays[1]!.byteOffset - arrays[0]!.byteOffset).toBeGreaterThanOrEqual(10 * 4 + 60);
    expect(heap.contains(big)).toBe(true);
  });
});
