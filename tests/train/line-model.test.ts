import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { createRng } from '../../app/base/random.ts';
import { renderLine } from '../../app/data/synthetic-lines.ts';
import { Charset } from '../../app/recognize/charset.ts';
import { greedyDecode } from '../../app/recognize/ctc-decode.ts';
import { selectBackend } from '../../app/train/tfjs/backend.ts';
import { useFusedBiasRelu } from '../../app/train/tfjs/fused-relu.ts';
import { ctcLossTf, framesOf, initialLineWeights, lineLogits, lineParamLayout, type LineArchitecture } from '../../app/train/tfjs/line-model.ts';
import { blockBank, trainTinyLineModel } from '../helpers/line-pages.ts';

describe('line model', () => {
  it('learns to read short lines with CTC: the loss falls and greedy decoding gives the text', async () => {
    const charset = new Charset(['a', 'b', ' ']);
    const texts = ['ab', 'ba', 'aab', 'b ab', 'bba', 'a b'];
    const style = { slant: 0, letterGap: 0.4, wordGap: 1, stroke: 0, ruled: false, blur: false, noise: 0, xHeight: 1 } as const;
    const lines = texts.map((text) => ({ ...renderLine(text, blockBank(), createRng(1), { ...style }, 16), text })).map((l) => ({ ...l, ink: l.data }));
    const { arch, params, input, frames, first, last } = await trainTinyLineModel(lines, charset);
    expect(last).toBeLessThan(first / 10);

    const probs = tf.softmax(lineLogits(tf, arch, params, input)).dataSync() as Float32Array;
    const T = probs.length / (lines.length * charset.size);
    const read = texts.map((_, n) => greedyDecode(probs.subarray(n * T * charset.size, (n * T + frames[n]!) * charset.size), frames[n]!, charset).text);
    expect(read).toEqual(texts);
  }, 60_000);

  it('a line reads the same padded in a batch as alone, given the widths', async () => {
    await selectBackend({ start: 'wasm' });
    const arch: LineArchitecture = {
      height: 8,
      convs: [{ filters: 3, pool: [2, 2] }],
      seq: [
        { filters: 4, kernel: 3 },
        { filters: 4, kernel: 3 },
      ],
      classes: 3,
      dropout: 0,
    };
    const layout = lineParamLayout(arch);
    const flat = initialLineWeights(layout, 5);
    for (const p of layout) if (p.shape.length === 1) flat.fill(0.3, p.offset, p.offset + p.size); // biases that would leak
    const params = layout.map((p) => tf.tensor(flat.subarray(p.offset, p.offset + p.size), p.shape));
    const rng = createRng(2);
    const [short, long] = [13, 30];
    const line = Float32Array.from({ length: 8 * short }, () => rng.next());
    const padded = new Float32Array(2 * 8 * long);
    for (let y = 0; y < 8; y++) padded.set(line.subarray(y * short, (y + 1) * short), y * long);
    const alone = lineLogits(tf, arch, params, tf.tensor4d(line, [1, 8, short, 1])).dataSync();
    const frames = framesOf(arch, short);
    const inBatch = (widths?: number[]) =>
      lineLogits(tf, arch, params, tf.tensor4d(padded, [2, 8, long, 1]), false, undefined, widths)
        .dataSync()
        .slice(0, frames * 3);
    const diff = (a: ArrayLike<number>) => Math.max(...Array.from(a, (v, i) => Math.abs(v - alone[i]!)));
    expect(diff(inBatch([short, long]))).toBeLessThan(1e-5);
    expect(diff(inBatch())).toBeGreaterThan(1e-3); // unmasked, the padding changes the last frames
  });

  it.each(['wasm', 'cpu'])('on %s, the fused bias-ReLU-mask op gives the loss and gradients of TF.js’s own ops', async (backend) => {
    await selectBackend({ start: backend });
    expect(tf.getBackend()).toBe(backend);
    const arch: LineArchitecture = {
      height: 8,
      convs: [
        { filters: 4, pool: [2, 2] },
        { filters: 6, pool: [2, 1] }, // 6 channels: the SIMD kernels' scalar tail
      ],
      seq: [
        { filters: 8, kernel: 3 },
        { filters: 8, kernel: 3 }, // residual
      ],
      classes: 4,
      dropout: 0,
    };
    const layout = lineParamLayout(arch);
    const flat = initialLineWeights(layout, 9);
    for (const p of layout) if (p.shape.length === 1) flat.fill(0.2, p.offset, p.offset + p.size);
    const params = layout.map((p) => tf.variable(tf.tensor(flat.subarray(p.offset, p.offset + p.size), p.shape)));
    const rng = createRng(4);
    const widths = [33, 18, 27]; // odd widths: the mask falls inside a pooling window
    const input = tf.tensor4d(
      Float32Array.from({ length: 3 * 8 * 33 }, () => rng.next()),
      [3, 8, 33, 1],
    );
    const labels = [[1, 2, 3], [2], [3, 1]];
    const frames = widths.map((w) => framesOf(arch, w));
    const run = (fused: boolean) => {
      useFusedBiasRelu(fused);
      try {
        const { value, grads } = tf.variableGrads(() => ctcLossTf(tf, lineLogits(tf, arch, params, input, true, 1, widths), labels, frames), params);
        return { loss: value.dataSync()[0]!, grads: params.map((p) => grads[p.name]!.dataSync() as Float32Array) };
      } finally {
        useFusedBiasRelu(true);
      }
    };
    const fused = run(true);
    const plain = run(false);
    expect(fused.loss).toBeCloseTo(plain.loss, 5);
    fused.grads.forEach((g, i) => {
      const scale = Math.max(...Array.from(plain.grads[i]!, Math.abs));
      expect(scale, layout[i]!.name).toBeGreaterThan(0);
      expect(Math.max(...Array.from(g, (v, j) => Math.abs(v - plain.grads[i]![j]!))) / scale, layout[i]!.name).toBeLessThan(1e-4);
    });
    tf.dispose([input, ...params]);
  });

  it("the CTC gradient that TF.js sees is the loss module's, divided over the batch", () => {
    const logits = tf.randomNormal([2, 5, 4], 0, 1, 'float32', 7) as tf.Tensor3D;
    const grad = tf.grad((l: tf.Tensor) => ctcLossTf(tf, l as tf.Tensor3D, [[1, 2], [3]], [5, 3]))(logits);
    const h = 1e-2;
    const data = logits.dataSync() as Float32Array;
    const at = [3, 17, 25];
    for (const i of at) {
      const plus = data.slice();
      const minus = data.slice();
      plus[i]! += h;
      minus[i]! -= h;
      const f = (v: Float32Array) => ctcLossTf(tf, tf.tensor3d(v, [2, 5, 4]), [[1, 2], [3]], [5, 3]).dataSync()[0]!;
      expect(grad.dataSync()[i]).toBeCloseTo((f(plus) - f(minus)) / (2 * h), 2);
    }
    expect(
      grad
        .dataSync()
        .slice(2 * 20 - 8)
        .every((v) => v === 0),
    ).toBe(true); // frames past the second line's 3
  });
});
