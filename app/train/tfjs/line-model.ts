/**
 * The line recogniser's network: convolutions over the line image (each block a 3×3
 * convolution, ReLU and max-pooling), the columns that remain read as a sequence by 1-D
 * convolutions along the line, and a linear layer to per-frame character scores for CTC.
 *
 * Why convolutions for the sequence part and not an LSTM/GRU: TF.js runs a recurrence step by
 * step as separate ops. Measured on the WebAssembly backend (2026-12-04, one thread, batch of 8
 * lines of 48×1024): three 1-D convolutions of 192 filters, 58 ms a line for a training step; a
 * bidirectional GRU of 96 units a side, 388 ms, 6.7× slower, with half the parameters.
 */
import type * as tfjs from '@tensorflow/tfjs';
import { createRng } from '../../base/random.ts';
import { ctcLossBatch } from '../../nn/ctc.ts';
import { BLANK_CLASS } from '../../recognize/charset.ts';
import type { LayerSpec, NetworkSpec } from '../../nn/spec.ts';
import { VARIABLE } from '../../onnx/shapes.ts';
import { fusedBiasRelu, hasFusedBiasRelu } from './fused-relu.ts';

type Tf = typeof tfjs;

export interface LineArchitecture {
  /** Height of the line images it reads (a multiple of the pooling's total height). */
  height: number;
  convs: { filters: number; pool: [number, number] }[];
  /** 1-D convolutions along the line (kernel in frames). */
  seq: { filters: number; kernel: number }[];
  /** Output classes: the charset's characters and the blank. */
  classes: number;
  /** Dropout before the output layer while training. */
  dropout: number;
}

export function defaultLineArchitecture(classes: number, height = 48): LineArchitecture {
  return {
    height,
    convs: [
      { filters: 16, pool: [2, 2] },
      { filters: 32, pool: [2, 2] },
      { filters: 64, pool: [2, 1] },
      { filters: 96, pool: [2, 1] },
    ],
    seq: [
      { filters: 192, kernel: 3 },
      { filters: 192, kernel: 5 },
      { filters: 192, kernel: 5 },
    ],
    classes,
    dropout: 0.2,
  };
}

/** How many image columns make one frame. */
export function frameWidth(a: LineArchitecture): number {
  return a.convs.reduce((w, c) => w * c.pool[1], 1);
}

/** Frames of a line `width` pixels wide. */
export function framesOf(a: LineArchitecture, width: number): number {
  return a.convs.reduce((w, c) => Math.floor(w / c.pool[1]), width);
}

function featureRows(a: LineArchitecture): number {
  const rows = a.convs.reduce((h, c) => h / c.pool[0], a.height);
  if (!Number.isInteger(rows) || rows < 1)
    throw new RangeError(`line model: height ${a.height} does not divide by the pooling (${a.convs.map((c) => c.pool[0]).join('×')})`);
  return rows;
}

export interface LineParam {
  name: string;
  shape: number[];
  offset: number;
  size: number;
}

export function lineParamLayout(a: LineArchitecture): LineParam[] {
  const params: LineParam[] = [];
  let offset = 0;
  const add = (name: string, shape: number[]) => {
    const size = shape.reduce((p, d) => p * d, 1);
    params.push({ name, shape, offset, size });
    offset += size;
  };
  let channels = 1;
  a.convs.forEach((c, i) => {
    add(`conv${i}/kernel`, [3, 3, channels, c.filters]);
    add(`conv${i}/bias`, [c.filters]);
    channels = c.filters;
  });
  let features = featureRows(a) * channels;
  a.seq.forEach((s, i) => {
    add(`seq${i}/kernel`, [s.kernel, features, s.filters]);
    add(`seq${i}/bias`, [s.filters]);
    features = s.filters;
  });
  add('output/kernel', [features, a.classes]);
  add('output/bias', [a.classes]);
  return params;
}

/** He-uniform kernels for the ReLU layers, Glorot-uniform for the output, zero biases; seeded. */
export function initialLineWeights(layout: readonly LineParam[], seed: number): Float32Array {
  const rng = createRng(seed);
  const last = layout[layout.length - 1]!;
  const flat = new Float32Array(last.offset + last.size);
  for (const p of layout) {
    if (p.shape.length === 1) continue;
    const fanOut = p.shape[p.shape.length - 1]!;
    const fanIn = p.size / fanOut;
    const limit = p.name.startsWith('output') ? Math.sqrt(6 / (fanIn + fanOut)) : Math.sqrt(6 / fanIn);
    for (let i = p.offset; i < p.offset + p.size; i++) flat[i] = (rng.next() * 2 - 1) * limit;
  }
  return flat;
}

/**
 * Per-frame logits [batch, frames, classes] of a batch of line images [batch, height, width, 1]
 * (ink, 0..1). `widths`: each line's own width in a batch padded to the widest. What lies past a
 * line's end is zeroed after every layer, so a line reads the same padded in a batch as alone
 * (where 'same' padding puts zeros there); without it, the biases of the padding's features would
 * leak into the last frames while training and be missing when reading.
 */
export function lineLogits(
  tf: Tf,
  a: LineArchitecture,
  params: readonly tfjs.Tensor[],
  x: tfjs.Tensor4D,
  training = false,
  seed?: number,
  widths?: readonly number[],
): tfjs.Tensor3D {
  return tf.tidy(() => {
    const mask = (t: tfjs.Tensor, valid: number[], axis: 1 | 2): tfjs.Tensor => {
      if (!widths || valid.every((v) => v >= t.shape[axis]!)) return t;
      const size = t.shape[axis]!;
      const m = new Float32Array(valid.length * size);
      valid.forEach((v, n) => m.fill(1, n * size, n * size + Math.min(v, size)));
      return tf.mul(t, tf.tensor(m, axis === 2 ? [valid.length, 1, size, 1] : [valid.length, size, 1]));
    };
    // One op for bias, ReLU and mask where the backend has it (fused-relu.ts): masking a block's
    // columns before its pooling, at the pool's multiple, gives the same as masking after it.
    const fused = hasFusedBiasRelu(tf);
    let valid = widths ? [...widths] : new Array<number>(x.shape[0]).fill(x.shape[2]);
    let k = 0;
    let h: tfjs.Tensor4D = x;
    for (const c of a.convs) {
      const conv = tf.conv2d(h, params[k++] as tfjs.Tensor4D, 1, 'same');
      const bias = params[k++]!;
      const pooled = valid.map((v) => Math.floor(v / c.pool[1]));
      if (fused) {
        const kept = pooled.map((v) => v * c.pool[1]);
        h = tf.maxPool(fusedBiasRelu(tf, conv, bias, kept)!, c.pool, c.pool, 'valid');
      } else {
        h = mask(tf.maxPool(tf.relu(tf.add(conv, bias)) as tfjs.Tensor4D, c.pool, c.pool, 'valid'), pooled, 2) as tfjs.Tensor4D;
      }
      valid = pooled;
    }
    const [batch, rows, frames, channels] = h.shape;
    // Each frame is one column of the feature map: its rows × channels are the frame's features.
    let s: tfjs.Tensor3D = tf.reshape(tf.transpose(h, [0, 2, 1, 3]), [batch, frames, rows * channels]);
    for (const layer of a.seq) {
      const conv = tf.conv1d(s, params[k++] as tfjs.Tensor3D, 1, 'same');
      const bias = params[k++]!;
      const residual = conv.shape[2] === s.shape[2] && layer.kernel > 1;
      // s is masked already, so mask(s + z) = s + mask(z).
      if (fused) {
        const z = fusedBiasRelu(tf, conv, bias, valid)!;
        s = residual ? tf.add(s, z) : z;
      } else {
        const z = tf.relu(tf.add(conv, bias)) as tfjs.Tensor3D;
        s = mask(residual ? tf.add(s, z) : z, valid, 1) as tfjs.Tensor3D; // residual where the widths match
      }
    }
    if (training && a.dropout > 0) s = tf.dropout(s, a.dropout, undefined, seed) as tfjs.Tensor3D;
    const flat = tf.reshape(s, [batch * frames, s.shape[2]]);
    const out = tf.add(tf.matMul(flat, params[k] as tfjs.Tensor2D), params[k + 1]!);
    return tf.reshape(out, [batch, frames, a.classes]);
  });
}

/**
 * Mean CTC loss of a batch, differentiable in TF.js: the loss and its gradient come from
 * app/nn/ctc.ts (TF.js has no CTC), computed once in the forward pass. A line whose labels
 * do not fit its frames costs 0 rather than ending the run.
 */
export function ctcLossTf(tf: Tf, logits: tfjs.Tensor3D, labels: readonly ArrayLike<number>[], frameCounts: readonly number[]): tfjs.Scalar {
  const [batch, frames, classes] = logits.shape;
  const loss = tf.customGrad((...args: (tfjs.Tensor | tfjs.GradSaveFunc)[]) => {
    const x = args[0] as tfjs.Tensor;
    const grad = new Float32Array(batch * frames * classes);
    const losses = ctcLossBatch({ logits: x.dataSync() as Float32Array, batch, frames, classes, frameCounts, labels }, grad, { zeroInfinity: true });
    let sum = 0;
    for (const l of losses) sum += l;
    return {
      value: tf.scalar(sum / batch) as tfjs.Scalar,
      // The gradient becomes a tensor only when asked for: made in the forward pass and saved, it
      // outlived every evaluation, which asks for none.
      gradFunc: (dy: tfjs.Tensor | tfjs.Tensor[]) => [tf.mul(tf.tensor3d(grad, [batch, frames, classes]), tf.div(dy as tfjs.Tensor, batch))],
    };
  });
  return loss(logits) as tfjs.Scalar;
}

/**
 * The network as a NetworkSpec for export: input [height, any width, 1], output per frame the
 * probabilities of the blank and each character (softmax included).
 */
export function lineToNetworkSpec(
  a: LineArchitecture,
  layout: readonly LineParam[],
  weights: Float32Array,
  chars: readonly string[],
  metadata: Record<string, string> = {},
): NetworkSpec {
  if (chars.length + 1 !== a.classes) throw new RangeError(`lineToNetworkSpec: ${chars.length} characters and a blank for ${a.classes} classes`);
  const take = (name: string) => {
    const p = layout.find((q) => q.name === name);
    if (!p) throw new Error(`lineToNetworkSpec: no parameter ${name}`);
    return weights.slice(p.offset, p.offset + p.size);
  };
  const layers: LayerSpec[] = [];
  let channels = 1;
  a.convs.forEach((c, i) => {
    layers.push({
      kind: 'conv2d',
      kernel: [3, 3],
      stride: [1, 1],
      padding: 'same',
      inChannels: channels,
      outChannels: c.filters,
      weights: take(`conv${i}/kernel`),
      bias: take(`conv${i}/bias`),
    });
    layers.push({ kind: 'activation', fn: 'relu' }, { kind: 'maxpool2d', window: c.pool, stride: c.pool });
    channels = c.filters;
  });
  layers.push({ kind: 'columns' });
  let features = featureRows(a) * channels;
  a.seq.forEach((s, i) => {
    const residual = s.filters === features && s.kernel > 1;
    layers.push({
      kind: 'conv1d',
      kernel: s.kernel,
      inChannels: features,
      outChannels: s.filters,
      weights: take(`seq${i}/kernel`),
      bias: take(`seq${i}/bias`),
      activation: 'relu',
      residual,
    });
    features = s.filters;
  });
  layers.push({ kind: 'dense', inputs: features, outputs: a.classes, weights: take('output/kernel'), bias: take('output/bias') });
  layers.push({ kind: 'activation', fn: 'softmax' });
  return {
    name: 'lines',
    inputShape: [a.height, VARIABLE, 1],
    layers,
    classes: [BLANK_CLASS, ...chars],
    metadata: { architecture: JSON.stringify(a), ...metadata },
  };
}
