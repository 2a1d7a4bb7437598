import type { Rng } from '../base/random.ts';
import { allocateInt32, inEngine, kernels } from './backend.ts';
import type { FloatArray } from './kernels/types.ts';
import { RowBuffer } from './layers.ts';
import { LOSSES, type Loss, type LossName } from './losses.ts';
import type { Network } from './network.ts';
import type { Optimizer } from './optim.ts';

export interface TrainEpochOptions {
  /** Samples per update, an integer ≥ 1 (the last batch of an epoch may be smaller). */
  batchSize: number;
  /** Shuffles the sample order with this generator; without it samples go in order. */
  rng?: Rng;
  /** Default: softmax-cross-entropy for Int32Array labels, squared-error for Float32Array targets. */
  loss?: LossName | Loss;
}

export interface EpochResult {
  /** The training loss averaged over the epoch's samples (each batch's loss before its update). */
  meanLoss: number;
  /** Fraction of samples whose largest output was the label (classification only). */
  accuracy?: number;
}

/**
 * One pass over `count` samples: mini-batches of forward, loss, backward and optimiser step.
 * `inputs` is count × net.inputSize; `targets` is count labels (Int32Array) or
 * count × net.outputSize values (Float32Array; may be `inputs` itself for an autoencoder).
 * With cross-entropy, a trailing softmax layer is folded into the loss (the fused gradient from
 * the logits). Inputs in engine memory (see toEngine) are read in place; others are copied
 * a batch at a time. Synchronous: kernel threads, when used, are driven through shared memory.
 */
export function trainEpoch(
  net: Network,
  optimizer: Optimizer,
  inputs: Float32Array,
  targets: Int32Array | Float32Array,
  count: number,
  options: TrainEpochOptions,
): EpochResult {
  const { batchSize } = options;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`trainEpoch: batchSize must be an integer ≥ 1, got ${batchSize}`);
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`trainEpoch: count must be a positive integer, got ${count}`);
  const width = net.inputSize;
  if (inputs.length < count * width) throw new RangeError(`trainEpoch: inputs hold ${inputs.length} values, expected ${count} × ${width}`);
  const labelled = targets instanceof Int32Array;
  const loss = typeof options.loss === 'object' ? options.loss : LOSSES[options.loss ?? (labelled ? 'softmax-cross-entropy' : 'squared-error')];
  if (!loss) throw new Error(`trainEpoch: unknown loss "${String(options.loss)}"`);
  const ce = loss.name === 'softmax-cross-entropy';
  if (ce !== labelled) throw new TypeError(`trainEpoch: ${loss.name} needs ${ce ? 'Int32Array labels' : 'Float32Array targets'}`);
  const depth = ce && net.endsInSoftmax ? net.layers.length - 1 : net.layers.length;
  const outputs = net.layers[depth - 1]!.outputSize;
  if (labelled) {
    if (targets.length < count) throw new RangeError(`trainEpoch: ${targets.length} labels for ${count} samples`);
    for (let i = 0; i < count; i++) {
      if (!(targets[i]! >= 0 && targets[i]! < outputs)) throw new RangeError(`trainEpoch: label ${targets[i]} of sample ${i} is outside 0..${outputs - 1}`);
    }
  } else if (targets.length < count * outputs) {
    throw new RangeError(`trainEpoch: targets hold ${targets.length} values, expected ${count} × ${outputs}`);
  }

  const k = kernels();
  const order = new Int32Array(count);
  for (let i = 0; i < count; i++) order[i] = i;
  options.rng?.shuffle(order);
  const index = allocateInt32(batchSize);
  const batchInputs = new RowBuffer(width, net.dtype);
  const batchTargets = new RowBuffer(outputs, net.dtype);
  const grad = new RowBuffer(outputs, net.dtype);
  const labels = labelled ? allocateInt32(batchSize) : null;
  const autoencoding = targets === inputs;

  let lossSum = 0;
  let correct = 0;
  for (let start = 0; start < count; start += batchSize) {
    const n = Math.min(batchSize, count - start);
    const batchIndex = index.subarray(0, n);
    batchIndex.set(order.subarray(start, start + n));
    const x = batchInputs.rows(n);
    k.gatherRows(inputs, width, batchIndex, n, x);
    let t: Int32Array | FloatArray;
    if (labels) {
      for (let r = 0; r < n; r++) labels[r] = targets[batchIndex[r]!]!;
      t = labels;
    } else if (autoencoding) {
      t = x;
    } else {
      t = batchTargets.rows(n);
      k.gatherRows(targets as Float32Array, outputs, batchIndex, n, t);
    }

    const y = net.forward(x, n, depth);
    if (labels) correct += countCorrect(y, labels, n, outputs);
    const g = grad.rows(n);
    lossSum += loss.lossAndGrad(y, t, n, outputs, g) * n;
    net.backward(g, n, depth, false, true);
    optimizer.step();
    net.settle();
  }
  const result: EpochResult = { meanLoss: lossSum / count };
  if (labelled) result.accuracy = correct / count;
  return result;
}

function countCorrect(scores: FloatArray, labels: Int32Array, n: number, width: number): number {
  let correct = 0;
  for (let r = 0; r < n; r++) {
    const row = r * width;
    let best = 0;
    for (let j = 1; j < width; j++) if (scores[row + j]! > scores[row + best]!) best = j;
    if (best === labels[r]) correct++;
  }
  return correct;
}

/**
 * The network's outputs for `count` samples (count × net.outputSize, probabilities for a
 * classifier ending in softmax), computed `batchSize` rows at a time (default 256).
 */
export function predict(net: Network, inputs: Float32Array, count: number, options: { batchSize?: number } = {}): Float32Array {
  const batchSize = options.batchSize ?? 256;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`predict: batchSize must be an integer ≥ 1, got ${batchSize}`);
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`predict: count must be an integer ≥ 0, got ${count}`);
  const width = net.inputSize;
  const outputs = net.outputSize;
  if (inputs.length < count * width) throw new RangeError(`predict: inputs hold ${inputs.length} values, expected ${count} × ${width}`);
  const result = new Float32Array(count * outputs);
  const inPlace = inEngine(inputs) && net.dtype === 'float32';
  const buffer = new RowBuffer(width, net.dtype);
  for (let start = 0; start < count; start += batchSize) {
    const n = Math.min(batchSize, count - start);
    const rows = inputs.subarray(start * width, (start + n) * width);
    let x: FloatArray = rows;
    if (!inPlace) {
      x = buffer.rows(n);
      x.set(rows);
    }
    result.set(net.forward(x, n).subarray(0, n * outputs), start * outputs);
  }
  return result;
}
