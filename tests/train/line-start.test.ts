import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '../../app/base/random.ts';
import { exportOnnx } from '../../app/onnx/export.ts';
import { importOnnx } from '../../app/onnx/import.ts';
import { selectBackend } from '../../app/train/tfjs/backend.ts';
import { initialLineWeights, lineLogits, lineParamLayout, lineToNetworkSpec, type LineArchitecture } from '../../app/train/tfjs/line-model.ts';
import { extendChars, growLineModel, growthProblem, lineModelOf, type LineModel } from '../../app/train/tfjs/line-start.ts';

const small: LineArchitecture = {
  height: 16,
  convs: [
    { filters: 4, pool: [2, 2] },
    { filters: 6, pool: [2, 1] },
  ],
  seq: [
    { filters: 8, kernel: 3 },
    { filters: 8, kernel: 3 },
  ],
  classes: 4,
  dropout: 0.2,
};
const chars = ['a', 'b', ' '];

function trained(): LineModel {
  const layout = lineParamLayout(small);
  const weights = initialLineWeights(layout, 5);
  const rng = createRng(2);
  for (const p of layout) if (p.shape.length === 1) for (let i = p.offset; i < p.offset + p.size; i++) weights[i] = (rng.next() - 0.5) * 0.4;
  return { arch: small, chars, weights };
}

/** Per-frame logits of a batch of lines, widths as given, padded to the widest. */
function logits(arch: LineArchitecture, weights: Float32Array, input: Float32Array, widths: number[]): Float32Array {
  const layout = lineParamLayout(arch);
  const params = layout.map((p) => tf.tensor(weights.subarray(p.offset, p.offset + p.size), p.shape));
  const x = tf.tensor4d(input, [widths.length, arch.height, Math.max(...widths), 1]);
  const out = lineLogits(tf, arch, params, x, false, undefined, widths);
  const data = out.dataSync() as Float32Array;
  tf.dispose([...params, x, out]);
  return data;
}

const widths = [37, 52];
const W = Math.max(...widths);
const rng = createRng(11);
const batch = new Float32Array(widths.length * small.height * W);
widths.forEach((w, n) => {
  for (let y = 0; y < small.height; y++) for (let x = 0; x < w; x++) batch[(n * small.height + y) * W + x] = rng.next() < 0.3 ? rng.next() : 0;
});

/** Logits of `to` (classes in its order) at the columns of the model's own classes. */
function ownColumns(values: Float32Array, classes: number, keep: number[]): number[] {
  const out: number[] = [];
  for (let f = 0; f < values.length / classes; f++) for (const k of keep) out.push(values[f * classes + k]!);
  return out;
}

describe('starting a line model from a trained one', () => {
  beforeAll(async () => {
    await selectBackend({ start: 'wasm' });
  });

  it('reads back an exported line model: architecture, characters and every weight', () => {
    const model = trained();
    const spec = lineToNetworkSpec(small, lineParamLayout(small), model.weights, chars);
    const back = lineModelOf(importOnnx(exportOnnx(spec)));
    expect(back.arch).toEqual(small);
    expect(back.chars).toEqual(chars);
    expect(back.weights).toEqual(model.weights);
  });

  it('a model grown wider, with wider kernels and more layers, reads exactly as before (no noise)', () => {
    const model = trained();
    const to: LineArchitecture = {
      ...small,
      seq: [
        { filters: 13, kernel: 5 },
        { filters: 13, kernel: 3 },
        { filters: 13, kernel: 5 },
      ],
    };
    const grown = growLineModel(model, to, chars, 1, { noise: 0, newLayerScale: 0 });
    const before = logits(small, model.weights, batch, widths);
    const after = logits(to, grown, batch, widths);
    expect(after.length).toBe(before.length);
    const diff = after.reduce((m, v, i) => Math.max(m, Math.abs(v - before[i]!)), 0);
    expect(diff).toBeLessThan(1e-4);
  });

  it('with its noise and new layers it reads nearly as before, and new characters start silent', () => {
    const model = trained();
    const more = extendChars(chars, ['b', 'é', 'a', 'c']);
    expect(more).toEqual(['a', 'b', ' ', 'c', 'é']);
    const to: LineArchitecture = {
      ...small,
      seq: [
        { filters: 16, kernel: 3 },
        { filters: 16, kernel: 3 },
        { filters: 16, kernel: 5 },
      ],
      classes: more.length + 1,
    };
    const grown = growLineModel(model, to, more, 1);
    const before = logits(small, model.weights, batch, widths);
    const after = logits(to, grown, batch, widths);
    const own = ownColumns(after, to.classes, [0, 1, 2, 3]);
    const spread = Math.max(...before) - Math.min(...before);
    const diff = own.reduce((m, v, i) => Math.max(m, Math.abs(v - before[i]!)), 0);
    expect(diff).toBeGreaterThan(0); // the copies differ a little, so they can learn apart
    expect(diff).toBeLessThan(0.05 * spread);
    // A new character's score is far below every old one's in every frame.
    const fresh = ownColumns(after, to.classes, [4, 5]);
    expect(Math.max(...fresh)).toBeLessThan(Math.min(...own) - 2);
  });

  it('refuses what is not a growth, saying why', () => {
    expect(
      growthProblem(small, {
        ...small,
        seq: [
          { filters: 4, kernel: 3 },
          { filters: 4, kernel: 3 },
        ],
      }),
    ).toMatch(/--width cannot make them fewer/);
    expect(growthProblem(small, { ...small, seq: [{ filters: 8, kernel: 3 }] })).toMatch(/--depth cannot make them fewer/);
    expect(growthProblem(small, { ...small, convs: [{ filters: 8, pool: [2, 2] }, small.convs[1]!] })).toMatch(/convolution blocks differ/);
    expect(
      growthProblem(small, {
        ...small,
        seq: [
          { filters: 8, kernel: 1 },
          { filters: 8, kernel: 3 },
        ],
      }),
    ).toMatch(/narrower/);
    expect(() =>
      lineModelOf(
        importOnnx(
          exportOnnx({
            name: 'mlp',
            inputShape: [4],
            layers: [{ kind: 'dense', inputs: 4, outputs: 2, weights: new Float32Array(8), bias: new Float32Array(2) }],
            classes: ['A', 'B'],
          }),
        ),
      ),
    ).toThrow(/not a line model/);
  });
});
