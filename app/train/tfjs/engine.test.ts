import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '../../base/random.ts';
import { selectBackend } from './backend.ts';
import { createEngine, shares, sharedImageSet } from './engine.ts';
import { defaultArchitecture, initialWeights, paramLayout } from './model.ts';

/**
 * Data-parallel replicas compute the same gradient as one thread on the whole batch (the
 * shares are averaged by size), and the same logits.
 */

const architecture = { ...defaultArchitecture('cnn', [12, 12, 1], 5), dropout: 0 };
const layout = paramLayout(architecture);
const weights = initialWeights(architecture, layout, 3);
const rng = createRng(9);
const count = 40;
const images = {
  pixels: Float32Array.from({ length: count * 144 }, () => rng.next()),
  labels: Int32Array.from({ length: count }, (_, i) => i % 5),
  height: 12,
  width: 12,
  channels: 1,
};
const train = sharedImageSet(
  images,
  Int32Array.from({ length: count }, (_, i) => i),
);
const trainable = layout.map(() => true);

beforeAll(async () => {
  await selectBackend({ start: 'wasm' });
});
afterAll(async () => {
  await tf.setBackend('cpu');
});

describe('gradient engines', () => {
  it('splits a batch into near-equal contiguous shares', () => {
    expect(shares(7, 3)).toEqual([
      [0, 3],
      [3, 5],
      [5, 7],
    ]);
    expect(shares(1, 2)).toEqual([
      [0, 1],
      [1, 1],
    ]);
  });

  it('two replicas give the gradient and logits of one thread', async () => {
    const local = await createEngine({ tf, backend: 'wasm', architecture, layout, weights, trainable, train, replicas: 0 });
    const parallel = await createEngine({ tf, backend: 'wasm', architecture, layout, weights, trainable, train, replicas: 2 });
    try {
      expect(parallel.threads).toBe(2);
      const batch = Int32Array.from([3, 17, 8, 0, 25, 31, 12]); // odd size: shares of 4 and 3
      const g1 = new Float32Array(weights.length);
      const g2 = new Float32Array(weights.length);
      const l1 = await local.gradients(batch, 1, false, g1);
      const l2 = await parallel.gradients(batch, 1, false, g2);
      expect(l2).toBeCloseTo(l1, 5);
      let scale = 0;
      let diff = 0;
      for (let i = 0; i < g1.length; i++) {
        scale = Math.max(scale, Math.abs(g1[i]!));
        diff = Math.max(diff, Math.abs(g1[i]! - g2[i]!));
      }
      expect(scale).toBeGreaterThan(0);
      expect(diff / scale).toBeLessThan(1e-5);

      // A batch smaller than the number of replicas leaves one idle.
      const l3 = await parallel.gradients(Int32Array.from([5]), 2, false, g2);
      const l4 = await local.gradients(Int32Array.from([5]), 2, false, g1);
      expect(l3).toBeCloseTo(l4, 5);
      let idleDiff = 0;
      for (let i = 0; i < g1.length; i++) idleDiff = Math.max(idleDiff, Math.abs(g1[i]! - g2[i]!));
      expect(idleDiff / scale).toBeLessThan(1e-5); // nothing left over from the idle replica's last batch
      expect(await parallel.logits(images.pixels.slice(0, 144), 1)).toHaveLength(5);

      // New weights reach the replicas.
      const moved = weights.map((w, i) => w + (i % 7) * 1e-3);
      local.setWeights(moved);
      parallel.setWeights(moved);
      const x = images.pixels.slice(0, 9 * 144);
      const z1 = await local.logits(x, 9);
      const z2 = await parallel.logits(x, 9);
      expect(z2).toHaveLength(9 * 5);
      z1.forEach((v, i) => expect(z2[i]).toBeCloseTo(v, 5));
    } finally {
      await local.close();
      await parallel.close();
    }
  });
});
