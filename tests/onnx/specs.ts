import type { Activation, LayerSpec, NetworkSpec } from '../../app/nn/spec.ts';
import { initialLineWeights, lineParamLayout, lineToNetworkSpec, type LineArchitecture } from '../../app/train/tfjs/line-model.ts';

/**
 * Small NetworkSpecs with seeded random weights for the ONNX, reference and layout tests. The
 * weights have no symmetry (every value drawn independently), so a transposed kernel or a
 * flatten in the wrong order changes the output instead of hiding.
 */

/** mulberry32: a tiny seeded generator, uniform in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function uniform(count: number, scale: number, random: () => number): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = (random() * 2 - 1) * scale;
  return out;
}

/** Glorot-uniform scale, so that activations stay O(1) through the layers. */
function glorot(fanIn: number, fanOut: number): number {
  return Math.sqrt(6 / (fanIn + fanOut));
}

export function dense(inputs: number, outputs: number, random: () => number): LayerSpec {
  return {
    kind: 'dense',
    inputs,
    outputs,
    weights: uniform(inputs * outputs, glorot(inputs, outputs), random),
    bias: uniform(outputs, 0.1, random),
  };
}

export function conv(
  kernel: [number, number],
  inChannels: number,
  outChannels: number,
  padding: 'same' | 'valid',
  random: () => number,
  stride: [number, number] = [1, 1],
): LayerSpec {
  const [kh, kw] = kernel;
  return {
    kind: 'conv2d',
    kernel,
    stride,
    padding,
    inChannels,
    outChannels,
    weights: uniform(kh * kw * inChannels * outChannels, glorot(kh * kw * inChannels, kh * kw * outChannels), random),
    bias: uniform(outChannels, 0.1, random),
  };
}

export function act(fn: Activation): LayerSpec {
  return { kind: 'activation', fn };
}

export function pool(size: number): LayerSpec {
  return { kind: 'maxpool2d', window: [size, size], stride: [size, size] };
}

export const CLASSES = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'.split('');

/** 1024-64-36, sigmoid hidden, softmax out. */
export function mlpSpec(seed = 1): NetworkSpec {
  const r = seededRandom(seed);
  return {
    name: 'mlp',
    inputShape: [1024],
    layers: [dense(1024, 64, r), act('sigmoid'), dense(64, 36, r), act('softmax')],
    classes: CLASSES,
    metadata: { trainer: 'test', epochs: '3', note: 'ünïcode ✓' },
  };
}

/** 1024-32-32-32-1024, relu hidden, sigmoid out. */
export function autoencoderSpec(seed = 2): NetworkSpec {
  const r = seededRandom(seed);
  return {
    name: 'ae',
    inputShape: [1024],
    layers: [dense(1024, 32, r), act('relu'), dense(32, 32, r), act('relu'), dense(32, 32, r), act('relu'), dense(32, 1024, r), act('sigmoid')],
  };
}

/** 32×32×1 → conv3×3 same 8 → relu → pool 2 → conv3×3 valid 16 → relu → pool 2 → flatten → dense 36 → softmax. */
export function cnnSpec(seed = 3): NetworkSpec {
  const r = seededRandom(seed);
  return {
    name: 'cnn',
    inputShape: [32, 32, 1],
    layers: [
      conv([3, 3], 1, 8, 'same', r),
      act('relu'),
      pool(2),
      conv([3, 3], 8, 16, 'valid', r),
      act('relu'),
      pool(2),
      { kind: 'flatten' },
      dense(7 * 7 * 16, 36, r),
      act('softmax'),
    ],
    classes: CLASSES,
    metadata: { trainer: 'tfjs' },
  };
}

/**
 * Odd sizes, a non-square even kernel with stride 2 and 'same' padding (so the pads are
 * asymmetric), a 1×1 'same' conv (zero pads that must still read back as 'same'), a non-square
 * pool, tanh in the NCHW stretch and softmax over channels on an image output.
 */
export function oddConvSpec(seed = 4): NetworkSpec {
  const r = seededRandom(seed);
  return {
    name: 'odd',
    inputShape: [9, 7, 2],
    layers: [
      conv([4, 3], 2, 5, 'same', r, [2, 2]),
      act('tanh'),
      conv([1, 1], 5, 3, 'same', r),
      { kind: 'maxpool2d', window: [2, 1], stride: [1, 2] },
      act('identity'),
      act('softmax'),
    ],
  };
}

/** A small line model that writes only 'a' and 'b': it reads whole lines, so it is no classifier for the glyph pipeline. */
export function lineSpec(): NetworkSpec {
  const arch: LineArchitecture = { height: 16, convs: [{ filters: 2, pool: [2, 2] }], seq: [{ filters: 4, kernel: 3 }], classes: 3, dropout: 0 };
  const layout = lineParamLayout(arch);
  return lineToNetworkSpec(arch, layout, initialLineWeights(layout, 1), ['a', 'b']);
}

export function randomInputs(spec: NetworkSpec, batch: number, seed = 99): Float32Array {
  const r = seededRandom(seed);
  const size = spec.inputShape.reduce((a, b) => a * b, 1);
  return Float32Array.from({ length: batch * size }, () => r());
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}
