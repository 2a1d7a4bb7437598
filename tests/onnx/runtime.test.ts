import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { exportOnnx, writeOnnx } from '../../app/onnx/export.ts';
import { onnx } from '../../app/onnx/format.ts';
import { forwardSpec } from '../helpers/onnx-reference.ts';
import { cnnSpec, maxAbsDiff, mlpSpec, randomInputs } from './specs.ts';
import { OnnxModel } from '../../app/onnx/runtime.ts';

const dir = mkdtempSync(join(tmpdir(), 'hwr-onnx-runtime-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('OnnxModel', () => {
  it('loads a file and exposes its classes, input shape, name and metadata', async () => {
    const spec = mlpSpec();
    const path = join(dir, 'mlp.onnx');
    writeOnnx(path, spec);
    const model = await OnnxModel.load(path);
    try {
      expect(model.classes).toEqual(spec.classes);
      expect(model.inputShape).toEqual([1024]);
      expect(model.name).toBe('mlp');
      expect(model.metadata).toEqual(spec.metadata);
      expect(model.source).toBe(path);
    } finally {
      await model.close();
    }
  });

  it('runs image batches in NHWC from bytes, one sample or many', async () => {
    const spec = cnnSpec();
    const model = await OnnxModel.load(exportOnnx(spec), { intraOpThreads: 1 });
    try {
      expect(model.inputShape).toEqual([32, 32, 1]);
      const input = randomInputs(spec, 3);
      const all = await model.run(input, 3);
      expect(maxAbsDiff(all, forwardSpec(spec, input, 3))).toBeLessThan(1e-5);
      const one = await model.run(input.subarray(1024, 2048), 1);
      expect(maxAbsDiff(one, all.subarray(36, 72))).toBeLessThan(1e-6);
    } finally {
      await model.close();
    }
  });

  it('rejects an input of the wrong size, saying what it expected', async () => {
    const model = await OnnxModel.load(exportOnnx(mlpSpec()), { label: 'mlp bytes' });
    try {
      await expect(model.run(new Float32Array(1000), 1)).rejects.toThrow('mlp bytes: input holds 1000 values, expected 1 × [1024] = 1024');
      await expect(model.run(new Float32Array(0), 0)).rejects.toThrow('batch must be a positive integer');
    } finally {
      await model.close();
    }
  });

  it('names the file when it is missing, empty, a folder, truncated or not ONNX', async () => {
    const missing = join(dir, 'nope.onnx');
    await expect(OnnxModel.load(missing)).rejects.toThrow(`Cannot load ONNX model ${missing}: file not found`);

    const empty = join(dir, 'empty.onnx');
    writeFileSync(empty, '');
    await expect(OnnxModel.load(empty)).rejects.toThrow(`Cannot load ONNX model ${empty}: the file is empty`);

    const folder = join(dir, 'folder.onnx');
    mkdirSync(folder);
    await expect(OnnxModel.load(folder)).rejects.toThrow(`Cannot load ONNX model ${folder}: it is a folder`);

    const good = exportOnnx(cnnSpec());
    for (const cut of [0.3, 0.5, 0.9, 0.999]) {
      const truncated = join(dir, `truncated-${cut}.onnx`);
      writeFileSync(truncated, good.subarray(0, Math.floor(good.length * cut)));
      await expect(OnnxModel.load(truncated)).rejects.toThrow(`Cannot load ONNX model ${truncated}: not a valid ONNX model: truncated, or not an .onnx file`);
    }

    const text = join(dir, 'text.onnx');
    writeFileSync(text, 'this is a text file, not a model\n'.repeat(20));
    await expect(OnnxModel.load(text)).rejects.toThrow(`Cannot load ONNX model ${text}: not a valid ONNX model`);
  });

  it('passes on what onnxruntime says about a well-formed file it cannot run', async () => {
    const model = onnx.ModelProto.decode(exportOnnx(mlpSpec()));
    model.graph!.node![1]!.opType = 'NoSuchOp';
    const bytes = onnx.ModelProto.encode(model).finish();
    await expect(OnnxModel.load(bytes, { label: 'odd.onnx' })).rejects.toThrow(/^Cannot load ONNX model odd.onnx: onnxruntime rejected it: .*NoSuchOp/);
  });

  it('rejects a bad thread count at load', async () => {
    await expect(OnnxModel.load(exportOnnx(mlpSpec()), { intraOpThreads: 0 })).rejects.toThrow('intraOpThreads must be a positive integer, got 0');
  });
});
