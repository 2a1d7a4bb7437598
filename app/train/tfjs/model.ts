/**
 * The two framework networks as plain data (an architecture and one flat Float32Array of
 * parameters), their forward pass in TensorFlow.js, and the conversion to and from NetworkSpec.
 *
 * - 'tfmlp': the course MLP in the framework: inputs → 64 sigmoid → classes (softmax).
 * - 'cnn': for images H×W×C: three blocks of 3×3 'same' convolution → 2×2 max-pool → ReLU
 *   (16, 32, 64 filters; fewer blocks when the image is too small), flatten, 128 ReLU, dropout,
 *   classes (softmax). Small enough for live use on a laptop CPU (see bench/cnn.ts).
 *
 * Parameter layouts are the NetworkSpec ones, which are also TensorFlow.js's: conv kernels
 * KH × KW × in × out (HWIO), dense kernels in × out, NHWC activations, flatten channels-fastest.
 * So weights go between tfjs and the spec as they are.
 */
import type * as tfjs from '@tensorflow/tfjs';
import type { LayerSpec, NetworkSpec } from '../../nn/spec.ts';
import { createRng } from '../../base/random.ts';
import { MLP_HIDDEN } from '../archs.ts';

export type TfArch = 'tfmlp' | 'cnn';
type Tf = typeof tfjs;

export interface ConvBlock {
  filters: number;
  kernel: number;
}

export interface Architecture {
  arch: TfArch;
  /** Per-sample input: [H, W, C] for the CNN, [features] for the MLP. */
  inputShape: number[];
  /** CNN: conv → 2×2 max-pool → ReLU blocks. */
  convs: ConvBlock[];
  /** Hidden dense layers (units). */
  dense: number[];
  hiddenActivation: 'relu' | 'sigmoid';
  classes: number;
  /** Dropout rate before the output layer while training (0 = none). */
  dropout: number;
}

export interface ParamInfo {
  name: string;
  shape: number[];
  offset: number;
  size: number;
  /** Part of the output layer (trained even with freezeFeatures). */
  output: boolean;
}

export const CNN_FILTERS = [16, 32, 64];
export const CNN_DENSE = 128;
export const CNN_DROPOUT = 0.25;

/**
 * The architecture trainTfjs builds for `arch` on images of `imageShape` ([H, W, C]); `width`
 * multiplies the CNN's filter counts (2 → 32, 64, 128).
 */
export function defaultArchitecture(arch: TfArch, imageShape: [number, number, number], classes: number, width = 1): Architecture {
  const [h, w, c] = imageShape;
  if (arch === 'tfmlp') {
    return { arch, inputShape: [h * w * c], convs: [], dense: [MLP_HIDDEN], hiddenActivation: 'sigmoid', classes, dropout: 0 };
  }
  const convs: ConvBlock[] = [];
  let side = Math.min(h, w);
  for (const filters of CNN_FILTERS) {
    if (side < 2) break; // each block halves the image
    convs.push({ filters: Math.max(1, Math.round(filters * width)), kernel: 3 });
    side = Math.floor(side / 2);
  }
  return { arch, inputShape: [h, w, c], convs, dense: [CNN_DENSE], hiddenActivation: 'relu', classes, dropout: CNN_DROPOUT };
}

/** Spatial size after the conv blocks and the flattened feature count. */
export function featureSize(a: Architecture): number {
  if (a.arch === 'tfmlp') return a.inputShape[0]!;
  let [h, w, c] = a.inputShape as [number, number, number];
  for (const block of a.convs) {
    h = Math.floor(h / 2);
    w = Math.floor(w / 2);
    c = block.filters;
  }
  return h * w * c;
}

export function paramLayout(a: Architecture): ParamInfo[] {
  const params: ParamInfo[] = [];
  let offset = 0;
  const add = (name: string, shape: number[], output = false) => {
    const size = shape.reduce((p, d) => p * d, 1);
    params.push({ name, shape, offset, size, output });
    offset += size;
  };
  let channels = a.arch === 'cnn' ? a.inputShape[2]! : 0;
  a.convs.forEach((block, i) => {
    add(`conv${i}/kernel`, [block.kernel, block.kernel, channels, block.filters]);
    add(`conv${i}/bias`, [block.filters]);
    channels = block.filters;
  });
  let inputs = featureSize(a);
  a.dense.forEach((units, i) => {
    add(`dense${i}/kernel`, [inputs, units]);
    add(`dense${i}/bias`, [units]);
    inputs = units;
  });
  add('output/kernel', [inputs, a.classes], true);
  add('output/bias', [a.classes], true);
  return params;
}

export function paramCount(layout: readonly ParamInfo[]): number {
  const last = layout[layout.length - 1]!;
  return last.offset + last.size;
}

/**
 * Seeded initial weights: He-uniform for ReLU layers, Glorot-uniform for sigmoid and output
 * layers, zero biases.
 */
export function initialWeights(a: Architecture, layout: readonly ParamInfo[], seed: number): Float32Array {
  const rng = createRng(seed);
  const flat = new Float32Array(paramCount(layout));
  for (const p of layout) {
    if (p.shape.length === 1) continue;
    initKernel(flat.subarray(p.offset, p.offset + p.size), p, a, rng.next);
  }
  return flat;
}

function initKernel(out: Float32Array, p: ParamInfo, a: Architecture, random: () => number): void {
  const fanOut = p.shape[p.shape.length - 1]!;
  const fanIn = p.size / fanOut;
  const receptive = p.shape.length === 4 ? p.shape[0]! * p.shape[1]! : 1;
  const relu = !p.output && a.hiddenActivation === 'relu';
  const limit = relu ? Math.sqrt(6 / fanIn) : Math.sqrt(6 / (fanIn + fanOut * receptive));
  for (let i = 0; i < out.length; i++) out[i] = (random() * 2 - 1) * limit;
}

/** The layout's parameters as tf variables, with a forward pass. */
export class TfNetwork {
  readonly variables: tfjs.Variable[];

  constructor(
    private readonly tf: Tf,
    readonly architecture: Architecture,
    readonly layout: readonly ParamInfo[],
    weights: Float32Array,
  ) {
    // tidy: a variable copies its initial value, which would otherwise stay allocated.
    this.variables = tf.tidy(() => layout.map((p) => tf.variable(tf.tensor(weights.subarray(p.offset, p.offset + p.size), p.shape), true)));
  }

  setWeights(flat: Float32Array): void {
    this.tf.tidy(() => {
      this.layout.forEach((p, i) => this.variables[i]!.assign(this.tf.tensor(flat.subarray(p.offset, p.offset + p.size), p.shape)));
    });
  }

  getWeights(): Float32Array {
    const flat = new Float32Array(paramCount(this.layout));
    this.layout.forEach((p, i) => flat.set(this.variables[i]!.dataSync() as Float32Array, p.offset));
    return flat;
  }

  /** Logits for a batch (N × inputShape). Dropout only when training (seeded: `dropoutSeed`). */
  logits(x: tfjs.Tensor, training: boolean, dropoutSeed?: number): tfjs.Tensor2D {
    const tf = this.tf;
    const a = this.architecture;
    const v = this.variables;
    let k = 0;
    let h: tfjs.Tensor = x;
    for (const _ of a.convs) {
      // max-pool before bias and ReLU: the same values (both are monotonic per channel) on a quarter of the pixels.
      const conv = tf.conv2d(h as tfjs.Tensor4D, v[k++] as tfjs.Variable<tfjs.Rank.R4>, 1, 'same');
      h = tf.relu(tf.add(tf.maxPool(conv, 2, 2, 'valid'), v[k++]!));
    }
    h = tf.reshape(h, [-1, featureSize(a)]);
    for (const _ of a.dense) {
      const z = tf.add(tf.matMul(h as tfjs.Tensor2D, v[k++] as tfjs.Variable<tfjs.Rank.R2>), v[k++]!);
      h = a.hiddenActivation === 'relu' ? tf.relu(z) : tf.sigmoid(z);
    }
    if (training && a.dropout > 0) h = tf.dropout(h, a.dropout, undefined, dropoutSeed);
    return tf.add(tf.matMul(h as tfjs.Tensor2D, v[k] as tfjs.Variable<tfjs.Rank.R2>), v[k + 1]!) as tfjs.Tensor2D;
  }

  dispose(): void {
    for (const v of this.variables) v.dispose();
  }
}

/**
 * The network as a NetworkSpec for export. The temperature T is baked in: the output layer's
 * weights and bias are divided by T, so softmax gives calibrated probabilities; per-class decision
 * offsets (app/train/tfjs/decision.ts), when given, are added to the bias after that.
 */
export function toNetworkSpec(
  a: Architecture,
  layout: readonly ParamInfo[],
  weights: Float32Array,
  opts: { classes: readonly string[]; temperature: number; offsets?: ArrayLike<number>; metadata?: Record<string, string> },
): NetworkSpec {
  if (!(opts.temperature > 0)) throw new RangeError(`toNetworkSpec: temperature must be positive, got ${opts.temperature}`);
  const params = new Map(layout.map((p) => [p.name, p]));
  const take = (name: string, scale = 1): Float32Array => {
    const p = params.get(name)!;
    const values = weights.slice(p.offset, p.offset + p.size);
    if (scale !== 1) for (let i = 0; i < values.length; i++) values[i]! *= scale;
    return values;
  };
  const layers: LayerSpec[] = [];
  let channels = a.arch === 'cnn' ? a.inputShape[2]! : 0;
  a.convs.forEach((block, i) => {
    layers.push({
      kind: 'conv2d',
      kernel: [block.kernel, block.kernel],
      stride: [1, 1],
      padding: 'same',
      inChannels: channels,
      outChannels: block.filters,
      weights: take(`conv${i}/kernel`),
      bias: take(`conv${i}/bias`),
    });
    layers.push({ kind: 'maxpool2d', window: [2, 2], stride: [2, 2] });
    layers.push({ kind: 'activation', fn: 'relu' });
    channels = block.filters;
  });
  if (a.arch === 'cnn') layers.push({ kind: 'flatten' });
  let inputs = featureSize(a);
  a.dense.forEach((units, i) => {
    layers.push({ kind: 'dense', inputs, outputs: units, weights: take(`dense${i}/kernel`), bias: take(`dense${i}/bias`) });
    layers.push({ kind: 'activation', fn: a.hiddenActivation });
    inputs = units;
  });
  const scale = 1 / opts.temperature;
  const bias = take('output/bias', scale);
  if (opts.offsets) {
    if (opts.offsets.length !== a.classes) throw new RangeError(`toNetworkSpec: ${opts.offsets.length} offsets for ${a.classes} classes`);
    for (let k = 0; k < a.classes; k++) bias[k]! += opts.offsets[k]!;
  }
  layers.push({ kind: 'dense', inputs, outputs: a.classes, weights: take('output/kernel', scale), bias });
  layers.push({ kind: 'activation', fn: 'softmax' });
  return { name: a.arch, inputShape: [...a.inputShape], layers, classes: [...opts.classes], metadata: opts.metadata };
}

/**
 * Reads an exported network back as an architecture and weights (for fine-tuning). Accepts the
 * shapes this module exports (conv/pool/ReLU blocks in either order, dense layers, softmax
 * output); anything else is rejected, naming the layer.
 */
export function fromNetworkSpec(spec: NetworkSpec): { architecture: Architecture; weights: Float32Array } {
  const fail = (why: string): never => {
    throw new Error(`network "${spec.name}" is not one the TensorFlow.js trainer builds: ${why}`);
  };
  const layers = spec.layers;
  const convs: ConvBlock[] = [];
  const dense: number[] = [];
  const chunks: Float32Array[] = [];
  let hiddenActivation: 'relu' | 'sigmoid' | undefined;
  let i = 0;
  while (i < layers.length && layers[i]!.kind === 'conv2d') {
    const conv = layers[i] as Extract<LayerSpec, { kind: 'conv2d' }>;
    if (conv.padding !== 'same' || conv.stride[0] !== 1 || conv.stride[1] !== 1 || conv.kernel[0] !== conv.kernel[1]) {
      fail(`layer ${i}: only square 'same' convolutions with stride 1 are built`);
    }
    const rest = layers
      .slice(i + 1, i + 3)
      .map((l) => (l.kind === 'activation' ? `activation:${l.fn}` : l.kind === 'maxpool2d' ? `pool:${l.window.join('x')}:${l.stride.join('x')}` : l.kind));
    if (!(rest.includes('activation:relu') && rest.includes('pool:2x2:2x2'))) fail(`layer ${i}: a convolution must be followed by ReLU and 2×2 max-pooling`);
    convs.push({ filters: conv.outChannels, kernel: conv.kernel[0] });
    chunks.push(conv.weights, conv.bias);
    i += 3;
  }
  if (convs.length > 0) {
    if (layers[i]?.kind !== 'flatten') fail(`layer ${i}: expected flatten after the convolutions`);
    i++;
  }
  const denseLayers: Extract<LayerSpec, { kind: 'dense' }>[] = [];
  while (i < layers.length) {
    const layer = layers[i]!;
    if (layer.kind !== 'dense') fail(`layer ${i}: unexpected ${layer.kind}`);
    const d = layer as Extract<LayerSpec, { kind: 'dense' }>;
    const act = layers[i + 1];
    if (act?.kind !== 'activation') fail(`layer ${i + 1}: expected an activation after the dense layer`);
    const fn = (act as Extract<LayerSpec, { kind: 'activation' }>).fn;
    denseLayers.push(d);
    i += 2;
    if (i === layers.length) {
      if (fn !== 'softmax') fail('the output must be softmax');
    } else {
      if (fn !== 'relu' && fn !== 'sigmoid') fail(`layer ${i - 1}: hidden activation ${fn} is not built`);
      if (hiddenActivation && hiddenActivation !== fn) fail('hidden layers mix activations');
      hiddenActivation = fn as 'relu' | 'sigmoid';
      dense.push(d.outputs);
    }
  }
  if (denseLayers.length === 0) fail('no output layer');
  for (const d of denseLayers) chunks.push(d.weights, d.bias);
  const output = denseLayers[denseLayers.length - 1]!;
  const arch: TfArch = convs.length > 0 ? 'cnn' : 'tfmlp';
  const architecture: Architecture = {
    arch,
    inputShape: [...spec.inputShape],
    convs,
    dense,
    hiddenActivation: hiddenActivation ?? (arch === 'cnn' ? 'relu' : 'sigmoid'),
    classes: output.outputs,
    dropout: arch === 'cnn' ? CNN_DROPOUT : 0,
  };
  const layout = paramLayout(architecture);
  const weights = new Float32Array(paramCount(layout));
  let at = 0;
  layout.forEach((p, k) => {
    const chunk = chunks[k]!;
    if (chunk.length !== p.size) fail(`${p.name} holds ${chunk.length} values, expected ${p.size} for shape [${p.shape.join(', ')}]`);
    weights.set(chunk, at);
    at += p.size;
  });
  return { architecture, weights };
}

/** A readable one-line description, e.g. "32×32×1 → conv3×3 16 → … → dense 128 → 36". */
export function describeArchitecture(a: Architecture): string {
  const parts = [a.inputShape.join('×')];
  for (const c of a.convs) parts.push(`conv${c.kernel}×${c.kernel} ${c.filters} + maxpool 2 + ReLU`);
  if (a.convs.length) parts.push(`flatten ${featureSize(a)}`);
  for (const d of a.dense) parts.push(`dense ${d} ${a.hiddenActivation}`);
  if (a.dropout > 0) parts.push(`dropout ${a.dropout}`);
  parts.push(`dense ${a.classes} softmax`);
  return parts.join(' → ');
}
