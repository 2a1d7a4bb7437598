import { kernels } from './backend.ts';
import type { FloatArray } from './kernels/types.ts';

export type LossName = 'softmax-cross-entropy' | 'squared-error';

/**
 * A loss over a batch of n rows of `width` outputs. `lossAndGrad` returns the loss averaged
 * over the rows (so the learning rate does not depend on the batch size) and writes the
 * gradient of that mean with respect to the outputs into `grad` (n × width).
 */
export interface Loss {
  readonly name: LossName;
  lossAndGrad(output: FloatArray, targets: Int32Array | FloatArray, n: number, width: number, grad: FloatArray): number;
}

/**
 * Softmax + cross-entropy, fused, from logits: L = mean over rows of −log softmax(z)[label],
 * computed as log Σ e^{z−max} − (z_label − max) so that it is finite for any logits; the
 * gradient is (softmax(z) − onehot(label)) / n. Targets are integer labels (Int32Array).
 */
export const softmaxCrossEntropy: Loss = {
  name: 'softmax-cross-entropy',
  lossAndGrad(logits, targets, n, width, grad) {
    if (!(targets instanceof Int32Array)) throw new TypeError('softmaxCrossEntropy: targets must be labels in an Int32Array');
    if (targets.length < n) throw new RangeError(`softmaxCrossEntropy: ${targets.length} labels for ${n} rows`);
    return kernels().softmaxCrossEntropy(n, width, logits, targets, grad, 1 / n) / n;
  },
};

/**
 * Squared error, summed over the outputs of a row and averaged over rows:
 * L = (1/n) Σ_rows Σ_j (y_j − t_j)², gradient 2 (y − t) / n. (The sum over a row's outputs,
 * not their mean, keeps the gradient of a 1024-pixel reconstruction at a usable scale.)
 */
export const squaredError: Loss = {
  name: 'squared-error',
  lossAndGrad(output, targets, n, width, grad) {
    if (targets instanceof Int32Array) throw new TypeError('squaredError: targets must be float vectors, not labels');
    if (targets.length < n * width) throw new RangeError(`squaredError: targets hold ${targets.length} values, expected ${n} × ${width}`);
    return kernels().squaredError(n * width, output, targets, grad, 1 / n) / n;
  },
};

export const LOSSES: Readonly<Record<LossName, Loss>> = Object.freeze({
  'softmax-cross-entropy': softmaxCrossEntropy,
  'squared-error': squaredError,
});

/** Row-wise softmax (numerically stable) as a new float32 array: a convenience for callers and tests. */
export function softmax(x: FloatArray, n: number, width: number): Float32Array {
  if (x.length < n * width) throw new RangeError(`softmax: ${x.length} values, expected ${n} × ${width}`);
  const y = new Float32Array(n * width);
  kernels().softmaxRows(n, width, x, y);
  return y;
}
