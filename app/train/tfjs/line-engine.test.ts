import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '../../base/random.ts';
import { selectBackend } from './backend.ts';
import { createLineEngine, dealLines, type LineItem } from './line-engine.ts';
import { initialLineWeights, lineParamLayout, type LineArchitecture } from './line-model.ts';

/**
 * Lines of different widths dealt out to two replicas give the gradient, the loss and the
 * per-frame probabilities that one thread computes on the whole batch, in the batch's order.
 */

const arch: LineArchitecture = {
  height: 16,
  convs: [
    { filters: 4, pool: [2, 2] },
    { filters: 6, pool: [2, 2] },
  ],
  seq: [{ filters: 12, kernel: 3 }],
  classes: 6,
  dropout: 0,
};
const layout = lineParamLayout(arch);
const weights = initialLineWeights(layout, 4);
const rng = createRng(11);
const lines: LineItem[] = [40, 72, 100, 56, 88].map((width, i) => ({
  ink: Float32Array.from({ length: arch.height * width }, () => rng.next()),
  width,
  labels: Int32Array.from({ length: 2 + (i % 3) }, (_, j) => 1 + ((i + j) % 5)),
}));

function relativeDiff(a: Float32Array, b: Float32Array): number {
  let scale = 0;
  let diff = 0;
  for (let i = 0; i < a.length; i++) {
    scale = Math.max(scale, Math.abs(a[i]!));
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
  }
  expect(scale).toBeGreaterThan(0);
  return diff / scale;
}

beforeAll(async () => {
  await selectBackend({ start: 'wasm' });
});
afterAll(async () => {
  await tf.setBackend('cpu');
});

describe('line engines', () => {
  it('deals lines out in turn, so each share gets narrow and wide ones', () => {
    expect(dealLines([1, 2, 3, 4, 5], 2)).toEqual([
      [1, 3, 5],
      [2, 4],
    ]);
    expect(dealLines([1], 3)).toEqual([[1]]);
  });

  it('two replicas give the gradient, loss and readings of one thread', async () => {
    const local = await createLineEngine({ tf, backend: 'wasm', arch, layout, weights, replicas: 0 });
    const parallel = await createLineEngine({ tf, backend: 'wasm', arch, layout, weights, replicas: 2 });
    try {
      expect(parallel.threads).toBe(2);
      const g1 = new Float32Array(weights.length);
      const g2 = new Float32Array(weights.length);
      const l1 = await local.gradients(lines, 1, g1);
      const l2 = await parallel.gradients(lines, 1, g2);
      expect(l1).toBeGreaterThan(0);
      expect(l2).toBeCloseTo(l1, 4);
      expect(relativeDiff(g1, g2)).toBeLessThan(1e-4);

      // New weights reach the replicas; readings come back in the batch's order.
      const moved = weights.map((w, i) => w + (i % 7) * 1e-3);
      local.setWeights(moved);
      parallel.setWeights(moved);
      const r1 = await local.read(lines);
      const r2 = await parallel.read(lines);
      expect(r2.frames).toEqual([10, 18, 25, 14, 22]);
      expect(r2.frames).toEqual(r1.frames);
      expect(r2.lossSum).toBeCloseTo(r1.lossSum, 3);
      r1.probs.forEach((p, n) => expect(relativeDiff(p, r2.probs[n]!)).toBeLessThan(1e-5));

      // A batch smaller than the number of replicas leaves one idle.
      const one = lines.slice(2, 3);
      expect(await parallel.gradients(one, 2, g2)).toBeCloseTo(await local.gradients(one, 2, g1), 4);
      expect(relativeDiff(g1, g2)).toBeLessThan(1e-4);
    } finally {
      await local.close();
      await parallel.close();
    }
  });
});
