/**
 * The two computations a training run asks of TensorFlow.js — the mean loss and its gradient
 * over a batch, and the logits of a set — written once, used in this thread and in the
 * data-parallel replicas (engine.ts).
 */
import type * as tfjs from '@tensorflow/tfjs';
import { createRng } from '../../base/random.ts';
import { batchLabels, fillBatch, mixSeed, type ImageSet } from '../sampling.ts';
import type { TfNetwork } from './model.ts';

type Tf = typeof tfjs;

export class GradientStep {
  private batch = new Float32Array(0);
  private readonly trainableVars: tfjs.Variable[];
  private readonly slots: Map<string, number>;

  constructor(
    private readonly tf: Tf,
    private readonly net: TfNetwork,
    private readonly set: ImageSet,
    /** Per parameter of the layout: whether it is trained. */
    private readonly trainable: readonly boolean[],
  ) {
    this.trainableVars = net.variables.filter((_, i) => trainable[i]);
    this.slots = new Map(net.variables.map((v, i) => [v.name, i]));
  }

  /**
   * Writes the gradient of the mean softmax cross-entropy over the images `indices` into
   * `out` (flat, the network's layout; frozen parameters get 0) and returns that loss.
   * `seed` drives dropout and, with `augment`, the augmentation.
   */
  run(indices: ArrayLike<number>, seed: number, augment: boolean, out: Float32Array): number {
    const tf = this.tf;
    const size = this.set.height * this.set.width * this.set.channels;
    const n = indices.length;
    if (this.batch.length < n * size) this.batch = new Float32Array(n * size);
    fillBatch(this.set, indices, this.batch, augment ? createRng(mixSeed(seed, 1)) : null);
    const labels = batchLabels(this.set, indices);
    const shape = [n, ...this.net.architecture.inputShape];
    const { value, grads } = tf.tidy(() => {
      const x = tf.tensor(this.batch.subarray(0, n * size), shape);
      const y = tf.oneHot(tf.tensor1d(labels, 'int32'), this.net.architecture.classes);
      return tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, this.net.logits(x, true, mixSeed(seed, 2))) as tfjs.Scalar, this.trainableVars);
    });
    out.fill(0);
    for (const [name, g] of Object.entries(grads)) {
      const p = this.net.layout[this.slots.get(name)!]!;
      out.set(g.dataSync() as Float32Array, p.offset);
      g.dispose();
    }
    const loss = value.dataSync()[0]!;
    value.dispose();
    return loss;
  }
}

/** Logits of `count` images (NHWC, the network's input shape), in batches. */
export function computeLogits(tf: Tf, net: TfNetwork, pixels: Float32Array, count: number, batchSize = 256): Float32Array {
  const a = net.architecture;
  const size = a.inputShape.reduce((p, d) => p * d, 1);
  const out = new Float32Array(count * a.classes);
  for (let start = 0; start < count; start += batchSize) {
    const n = Math.min(batchSize, count - start);
    const logits = tf.tidy(() => net.logits(tf.tensor(pixels.subarray(start * size, (start + n) * size), [n, ...a.inputShape]), false));
    out.set(logits.dataSync() as Float32Array, start * a.classes);
    logits.dispose();
  }
  return out;
}
