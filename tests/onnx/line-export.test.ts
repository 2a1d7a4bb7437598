import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '../../app/base/random.ts';
import { exportOnnx } from '../../app/onnx/export.ts';
import { OnnxModel } from '../../app/onnx/runtime.ts';
import { selectBackend } from '../../app/train/tfjs/backend.ts';
import { framesOf, initialLineWeights, lineLogits, lineParamLayout, lineToNetworkSpec, type LineArchitecture } from '../../app/train/tfjs/line-model.ts';
import { forwardSpec } from '../helpers/onnx-reference.ts';

const arch: LineArchitecture = {
  height: 16,
  convs: [
    { filters: 4, pool: [2, 2] },
    { filters: 6, pool: [2, 1] },
  ],
  seq: [
    { filters: 10, kernel: 3 },
    { filters: 10, kernel: 5 },
  ],
  classes: 5,
  dropout: 0.3,
};
const chars = ['a', 'b', 'é', ' '];
const layout = lineParamLayout(arch);
const weights = initialLineWeights(layout, 4);
const rng = createRng(9);
for (const p of layout) if (p.shape.length === 1) for (let i = p.offset; i < p.offset + p.size; i++) weights[i] = (rng.next() - 0.5) * 0.4;
const spec = lineToNetworkSpec(arch, layout, weights, chars, { trainer: 'test' });

/** A batch of lines of different widths, padded with paper to the widest. */
const widths = [40, 57, 23];
const W = Math.max(...widths);
const batch = new Float32Array(widths.length * arch.height * W);
widths.forEach((w, n) => {
  for (let y = 0; y < arch.height; y++) for (let x = 0; x < w; x++) batch[(n * arch.height + y) * W + x] = rng.next() < 0.3 ? rng.next() : 0;
});

function tfProbs(input: Float32Array, n: number, width: number): Float32Array {
  const params = layout.map((p) => tf.tensor(weights.subarray(p.offset, p.offset + p.size), p.shape));
  const x = tf.tensor4d(input, [n, arch.height, width, 1]);
  const out = tf.tidy(() => tf.softmax(lineLogits(tf, arch, params, x)));
  const data = out.dataSync() as Float32Array;
  tf.dispose([...params, x, out]);
  return data;
}

const maxDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);

describe('line model export to ONNX', () => {
  let model: OnnxModel;
  beforeAll(async () => {
    await selectBackend({ start: 'wasm' });
    model = await OnnxModel.load(exportOnnx(spec), { label: 'lines.onnx' });
  });

  it('onnxruntime and TF.js agree within 1e-4 on a batch of lines of different widths', async () => {
    const ours = tfProbs(batch, widths.length, W);
    const onnx = await model.runShaped(batch, [widths.length, arch.height, W, 1]);
    expect(onnx.dims).toEqual([widths.length, framesOf(arch, W), arch.classes]);
    expect(maxDiff(onnx.data, ours)).toBeLessThan(1e-4);
    expect(maxDiff(onnx.data, forwardSpec(spec, batch, widths.length, W))).toBeLessThan(1e-4);
  });

  it('reads each line at its own width, as the app will, with the same result as in the padded batch', async () => {
    for (const [n, w] of widths.entries()) {
      const line = new Float32Array(arch.height * w);
      for (let y = 0; y < arch.height; y++) line.set(batch.subarray((n * arch.height + y) * W, (n * arch.height + y) * W + w), y * w);
      const alone = await model.runShaped(line, [1, arch.height, w, 1]);
      expect(alone.dims).toEqual([1, framesOf(arch, w), arch.classes]);
      expect(maxDiff(alone.data, tfProbs(line, 1, w))).toBeLessThan(1e-4);
    }
  });

  it('carries the character table, blank first, and says what it takes', () => {
    expect(model.classes).toEqual(['<blank>', ...chars]);
    expect(model.inputShape).toEqual([16, -1, 1]);
    expect(JSON.parse(model.metadata.architecture!)).toEqual(arch);
    expect(model.metadata.trainer).toBe('test');
  });

  it('refuses an input of the wrong height', async () => {
    await expect(model.runShaped(new Float32Array(20 * 8), [1, 20, 8, 1])).rejects.toThrow(
      /lines\.onnx: input shape \[1, 20, 8, 1\] does not fit \[N, 16, -1, 1\]/,
    );
  });
});

const PYTHON = '/usr/bin/python3';
const hasPythonOnnx = existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import onnx'], { stdio: 'ignore' }).status === 0;

describe.skipIf(!hasPythonOnnx)('the line model file under onnx.checker (python3-onnx)', () => {
  it('passes full_check, with the width and frame axes symbolic', () => {
    const script = [
      'import sys, onnx',
      'm = onnx.load_from_string(sys.stdin.buffer.read())',
      'onnx.checker.check_model(m, full_check=True)',
      'g = onnx.shape_inference.infer_shapes(m, strict_mode=True).graph',
      'inputs = [d.dim_param or d.dim_value for d in g.input[0].type.tensor_type.shape.dim]',
      'outputs = [d.dim_param or d.dim_value for d in g.output[0].type.tensor_type.shape.dim]',
      'print(inputs, outputs)',
    ].join('\n');
    const result = spawnSync(PYTHON, ['-c', script], { input: Buffer.from(exportOnnx(spec)), encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe("['N', 16, 'width', 1] ['N', 'frames', 5]");
  });
});
