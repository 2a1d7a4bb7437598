/**
 * Starting a line model from a trained one (`hwr train --arch crnn --init-from MODEL.onnx`):
 * fine-tuning on a person's own lines, or growing the network (`--width`, `--depth`) without
 * losing what it has learnt.
 *
 * Growing follows Net2Net (Chen, Goodfellow & Shlens 2016): a 1-D convolution made wider copies
 * existing filters into the new ones and divides the next layer's weights by the number of
 * copies, so the wider network computes what the narrow one did; a wider kernel is padded with
 * zeros; a new residual layer at the end starts near the identity (small weights). The copies
 * get a little noise so that they can grow apart. Characters the data has and the model lacks get
 * new outputs that start silent (zero weights, a low bias); the model's own characters keep theirs.
 */
import { readFileSync } from 'node:fs';
import { createRng } from '../../base/random.ts';
import type { NetworkSpec } from '../../nn/spec.ts';
import { importOnnx } from '../../onnx/import.ts';
import { BLANK_CLASS } from '../../recognize/charset.ts';
import { lineParamLayout, type LineArchitecture } from './line-model.ts';

/** Filter count of the 1-D convolutions at width 1, and their number at the default depth. */
export const LINE_SEQ_FILTERS = 192;
export const LINE_SEQ_DEPTH = 3;
/** Bias of a new character's output: far below the others, so it is not read until trained. */
const SILENT_BIAS = -8;
/** New layers' weights, as a share of He-uniform; copies' noise, as a share of the layer's spread. */
const NEW_LAYER_SCALE = 0.01;
const COPY_NOISE = 0.01;

export interface LineModel {
  arch: LineArchitecture;
  /** The characters of its outputs after the blank. */
  chars: string[];
  /** Flat, in lineParamLayout(arch) order. */
  weights: Float32Array;
}

/** The 1-D convolutions for a width multiplier and a depth: the first with kernel 3, the rest 5, filters a multiple of 8. */
export function seqLayers(width = 1, depth = LINE_SEQ_DEPTH): LineArchitecture['seq'] {
  const filters = Math.max(8, Math.round((LINE_SEQ_FILTERS * width) / 8) * 8);
  return Array.from({ length: depth }, (_, i) => ({ filters, kernel: i === 0 ? 3 : 5 }));
}

/** A line model exported by hwr, read back: its architecture, characters and weights. */
export function readLineModel(path: string): LineModel {
  const spec = importOnnx(readFileSync(path));
  return lineModelOf(spec);
}

export function lineModelOf(spec: NetworkSpec): LineModel {
  const text = spec.metadata?.architecture;
  if (spec.inputShape[1] !== -1 || !text) throw new Error('not a line model (it reads a fixed-size image, not lines of any width)');
  const arch = JSON.parse(text) as LineArchitecture;
  const classes = spec.classes ?? [];
  if (classes[0] !== BLANK_CLASS || classes.length !== arch.classes) throw new Error(`its ${classes.length} classes do not start with the CTC blank`);
  const convs = spec.layers.filter((l) => l.kind === 'conv2d');
  const seq = spec.layers.filter((l) => l.kind === 'conv1d');
  const dense = spec.layers.filter((l) => l.kind === 'dense');
  if (convs.length !== arch.convs.length || seq.length !== arch.seq.length || dense.length !== 1)
    throw new Error('its layers do not match the architecture it names');
  const parts = [...convs, ...seq, ...dense].flatMap((l) => [l.weights, l.bias]);
  const layout = lineParamLayout(arch);
  const weights = new Float32Array(layout.reduce((n, p) => n + p.size, 0));
  layout.forEach((p, i) => {
    const w = parts[i]!;
    if (w.length !== p.size) throw new Error(`${p.name} holds ${w.length} values, the architecture ${p.size}`);
    weights.set(w, p.offset);
  });
  return { arch, chars: classes.slice(1), weights };
}

/** Why `to` is not a growth of `from` (null when it is). */
export function growthProblem(from: LineArchitecture, to: LineArchitecture): string | null {
  if (from.height !== to.height) return `it reads lines ${from.height} px high, not ${to.height}`;
  if (JSON.stringify(from.convs) !== JSON.stringify(to.convs)) return 'its convolution blocks differ (only the 1-D convolutions can grow)';
  if (to.seq.length < from.seq.length) return `it has ${from.seq.length} 1-D convolutions; --depth cannot make them fewer (${to.seq.length})`;
  const widths = new Set(from.seq.map((s) => s.filters));
  const wider = new Set(to.seq.map((s) => s.filters));
  if (widths.size !== 1 || wider.size !== 1) return 'its 1-D convolutions differ in width';
  if (to.seq[0]!.filters < from.seq[0]!.filters)
    return `its 1-D convolutions have ${from.seq[0]!.filters} filters; --width cannot make them fewer (${to.seq[0]!.filters})`;
  for (let i = 0; i < to.seq.length; i++) {
    const k = to.seq[i]!.kernel;
    if (k % 2 !== 1) return `1-D convolution ${i + 1}: kernel ${k} is not odd`;
    if (i < from.seq.length && k < from.seq[i]!.kernel) return `1-D convolution ${i + 1}: kernel ${k} is narrower than its ${from.seq[i]!.kernel}`;
    if (i >= from.seq.length && (i === 0 || k === 1)) return 'new 1-D convolutions must be residual (kernel above 1, after another)';
  }
  return null;
}

/**
 * The weights of `to` (same convolutions, 1-D convolutions at least as wide, as long and as deep,
 * characters `chars`) from a trained `from`, computing what `from` computes up to the copies'
 * noise, the new layers' small outputs and the new characters.
 */
export function growLineModel(
  from: LineModel,
  to: LineArchitecture,
  chars: readonly string[],
  seed: number,
  { noise = COPY_NOISE, newLayerScale = NEW_LAYER_SCALE }: { noise?: number; newLayerScale?: number } = {},
): Float32Array {
  const problem = growthProblem(from.arch, to);
  if (problem) throw new Error(problem);
  if (to.classes !== chars.length + 1) throw new RangeError(`growLineModel: ${chars.length} characters and a blank for ${to.classes} classes`);
  const rng = createRng(seed);
  const oldLayout = lineParamLayout(from.arch);
  const layout = lineParamLayout(to);
  const old = (name: string) => {
    const p = oldLayout.find((q) => q.name === name)!;
    return from.weights.subarray(p.offset, p.offset + p.size);
  };
  const out = new Float32Array(layout.reduce((n, p) => n + p.size, 0));
  const target = (name: string) => {
    const p = layout.find((q) => q.name === name)!;
    return out.subarray(p.offset, p.offset + p.size);
  };
  for (let i = 0; i < from.arch.convs.length; i++) for (const part of ['kernel', 'bias']) target(`conv${i}/${part}`).set(old(`conv${i}/${part}`));

  // Which old filter each new filter copies: itself, then random ones; and how many copies each has.
  const f = from.arch.seq[0]!.filters;
  const F = to.seq[0]!.filters;
  const source = Array.from({ length: F }, (_, j) => (j < f ? j : Math.floor(rng.next() * f)));
  const copies = new Array<number>(f).fill(0);
  for (const s of source) copies[s]!++;
  const features = layout.find((p) => p.name === 'seq0/kernel')!.shape[1]!;

  from.arch.seq.forEach((layer, i) => {
    const w = old(`seq${i}/kernel`);
    const inOld = i === 0 ? features : f;
    const inNew = i === 0 ? features : F;
    const k = layer.kernel;
    const K = to.seq[i]!.kernel;
    const shift = (K - k) / 2;
    const kernel = target(`seq${i}/kernel`);
    const spread = std(w);
    for (let x = 0; x < k; x++)
      for (let a = 0; a < inNew; a++) {
        const from_a = i === 0 ? a : source[a]!;
        const share = i === 0 ? 1 : copies[from_a]!;
        for (let j = 0; j < F; j++) {
          const v = w[(x * inOld + from_a) * f + source[j]!]! / share;
          kernel[((x + shift) * inNew + a) * F + j] = j < f ? v : v + (rng.next() * 2 - 1) * noise * spread;
        }
      }
    const bias = old(`seq${i}/bias`);
    const b = target(`seq${i}/bias`);
    for (let j = 0; j < F; j++) b[j] = bias[source[j]!]!;
  });
  for (let i = from.arch.seq.length; i < to.seq.length; i++) {
    const kernel = target(`seq${i}/kernel`);
    const limit = newLayerScale * Math.sqrt(6 / (to.seq[i]!.kernel * F));
    for (let n = 0; n < kernel.length; n++) kernel[n] = (rng.next() * 2 - 1) * limit;
  }

  // The output layer: each character's column from the model, divided among the copies; new characters silent.
  const w = old('output/kernel');
  const bias = old('output/bias');
  const kernel = target('output/kernel');
  const b = target('output/bias');
  const oldClass = new Map([BLANK_CLASS, ...from.chars].map((c, k) => [c, k]));
  const classes = [BLANK_CLASS, ...chars];
  classes.forEach((c, k) => {
    const o = oldClass.get(c);
    if (o === undefined) {
      b[k] = SILENT_BIAS;
      return;
    }
    b[k] = bias[o]!;
    for (let a = 0; a < F; a++) kernel[a * to.classes + k] = w[source[a]! * from.arch.classes + o]! / copies[source[a]!]!;
  });
  return out;
}

/** The model's characters first (its outputs keep their meaning), then the data's others in code-point order. */
export function extendChars(model: readonly string[], data: readonly string[]): string[] {
  const have = new Set(model);
  return [...model, ...[...new Set(data)].filter((c) => !have.has(c)).sort()];
}

function std(values: Float32Array): number {
  let sum = 0;
  let sq = 0;
  for (const v of values) {
    sum += v;
    sq += v * v;
  }
  const mean = sum / values.length;
  return Math.sqrt(Math.max(0, sq / values.length - mean * mean));
}
