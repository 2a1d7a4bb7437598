import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { NetworkSpec } from '../../app/nn/spec.ts';
import { OnnxModel } from '../../app/onnx/runtime.ts';
import { autoencoderSpec, cnnSpec, maxAbsDiff, mlpSpec, oddConvSpec, randomInputs } from './specs.ts';
import { exportOnnx, writeOnnx } from '../../app/onnx/export.ts';
import { onnx, toNumber } from '../../app/onnx/format.ts';
import { forwardSpec } from '../helpers/onnx-reference.ts';

const dir = mkdtempSync(join(tmpdir(), 'hwr-onnx-export-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const BATCH = 5;
const cases: [string, () => NetworkSpec][] = [
  ['MLP 1024-64-36 sigmoid/softmax', () => mlpSpec()],
  ['autoencoder 1024-32-32-32-1024 relu/sigmoid', () => autoencoderSpec()],
  ['CNN 32×32×1 conv-pool-conv-pool-dense', () => cnnSpec()],
  ['odd sizes, asymmetric same pads, stride 2, image output', () => oddConvSpec()],
];

describe('exportOnnx run by onnxruntime-node', () => {
  it.each(cases)('%s matches the reference forward pass within 1e-5', async (_, make) => {
    const spec = make();
    const path = join(dir, `${spec.name}.onnx`);
    writeOnnx(path, spec);
    const model = await OnnxModel.load(path);
    try {
      const input = randomInputs(spec, BATCH);
      const got = await model.run(input, BATCH);
      const want = forwardSpec(spec, input, BATCH);
      expect(got.length).toBe(want.length);
      expect(maxAbsDiff(got, want)).toBeLessThan(1e-5);
      // and the samples are not all alike, so the comparison means something
      expect(maxAbsDiff(want.subarray(0, want.length / BATCH), want.subarray(want.length / BATCH, (2 * want.length) / BATCH))).toBeGreaterThan(1e-4);
    } finally {
      await model.close();
    }
  });

  it('uses weights that make layout mistakes visible: a spatially flipped kernel changes the output', () => {
    const spec = cnnSpec();
    const conv = spec.layers[0] as Extract<NetworkSpec['layers'][number], { kind: 'conv2d' }>;
    const flipped = { ...conv, weights: conv.weights.slice().reverse() }; // 3×3×1×8 reversed = kernel flipped and channels swapped
    const input = randomInputs(spec, 2);
    const changed = forwardSpec({ ...spec, layers: [flipped, ...spec.layers.slice(1)] }, input, 2);
    expect(maxAbsDiff(changed, forwardSpec(spec, input, 2))).toBeGreaterThan(1e-3);
  });

  it('writes IR 8, opset 13, producer "hwr", a symbolic batch dim and the metadata', () => {
    const spec = mlpSpec();
    const model = onnx.ModelProto.decode(exportOnnx(spec));
    expect(toNumber(model.irVersion)).toBe(8);
    expect(model.opsetImport.map((o) => [o.domain, toNumber(o.version)])).toEqual([['', 13]]);
    expect(model.producerName).toBe('hwr');
    const input = model.graph!.input![0]!;
    expect(input.name).toBe('input');
    expect(input.type!.tensorType!.shape!.dim!.map((d) => d.dimParam || toNumber(d.dimValue))).toEqual(['N', 1024]);
    expect(model.graph!.output!.map((o) => o.name)).toEqual(['output']);
    const props = Object.fromEntries(model.metadataProps.map((p) => [p.key, p.value]));
    expect(JSON.parse(props.classes!)).toEqual(spec.classes);
    expect(props).toMatchObject({ name: 'mlp', input_shape: '[1024]', ...spec.metadata });
    expect(model.graph!.node!.map((n) => n.opType)).toEqual(['Gemm', 'Sigmoid', 'Gemm', 'Softmax']);
  });

  it('wraps each conv stretch in one Transpose pair and writes explicit pads', () => {
    const model = onnx.ModelProto.decode(exportOnnx(cnnSpec()));
    const nodes = model.graph!.node!;
    expect(nodes.map((n) => n.opType)).toEqual(['Transpose', 'Conv', 'Relu', 'MaxPool', 'Conv', 'Relu', 'MaxPool', 'Transpose', 'Flatten', 'Gemm', 'Softmax']);
    const pads = (n: (typeof nodes)[number]) => n.attribute!.find((a) => a.name === 'pads')!.ints!.map(toNumber);
    expect(pads(nodes[1]!)).toEqual([1, 1, 1, 1]);
    expect(pads(nodes[4]!)).toEqual([0, 0, 0, 0]);
    const odd = onnx.ModelProto.decode(exportOnnx(oddConvSpec())).graph!.node!;
    expect(pads(odd[1]!)).toEqual([1, 1, 2, 1]); // 9 rows, kernel 4, stride 2: 3 rows of padding, the odd one after
    expect(odd.map((n) => n.opType).slice(-2)).toEqual(['Transpose', 'Softmax']); // softmax over channels needs NHWC
  });

  it('writes atomically: no temp file is left beside the model, and a rewrite replaces it', () => {
    const sub = mkdtempSync(join(dir, 'atomic-'));
    const path = join(sub, 'model.onnx');
    writeOnnx(path, autoencoderSpec(1));
    writeOnnx(path, autoencoderSpec(2));
    expect(readdirSync(sub)).toEqual(['model.onnx']);
    expect(Buffer.from(readFileSync(path)).equals(Buffer.from(exportOnnx(autoencoderSpec(2))))).toBe(true);
  });

  it('rejects a malformed spec and a reserved metadata key, saying what is wrong', () => {
    const spec = mlpSpec();
    expect(() => exportOnnx({ ...spec, metadata: { classes: 'x' } })).toThrow('metadata key "classes" is reserved');
    expect(() => exportOnnx({ ...spec, classes: ['A', 'B'] })).toThrow('2 class names for an output of shape [36]');
    const [first, ...rest] = spec.layers;
    expect(() => exportOnnx({ ...spec, layers: [{ ...first!, bias: new Float32Array(3) } as typeof first & object, ...rest] })).toThrow(
      'layer 0 (dense): bias holds 3 values, expected 64',
    );
  });
});

/** Debian's python3-onnx (not the pyenv python on PATH), for an independent check of the files. */
const PYTHON = '/usr/bin/python3';
const hasPythonOnnx = existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import onnx'], { stdio: 'ignore' }).status === 0;
const onCi = process.env.CI === 'true' || process.env.CI === '1';
if (!hasPythonOnnx && !onCi) console.warn('skipping the onnx.checker test: /usr/bin/python3 cannot import onnx (apt-get install python3-onnx)');

// .ci/run installs python3-onnx, so on CI its absence is a failure, not a skip.
it.runIf(onCi && !hasPythonOnnx)('CI has python3-onnx for the onnx.checker test', () => {
  throw new Error('CI: /usr/bin/python3 cannot import onnx; .ci/run should have installed python3-onnx');
});

describe.skipIf(!hasPythonOnnx)('onnx.checker (python3-onnx)', () => {
  it('accepts every exported file with full_check (type and shape inference)', () => {
    const paths = cases.map(([, make]) => {
      const spec = make();
      const path = join(dir, `checked-${spec.name}.onnx`);
      writeOnnx(path, spec);
      return path;
    });
    const script = [
      'import sys, onnx',
      'for p in sys.argv[1:]:',
      '    m = onnx.load(p)',
      '    onnx.checker.check_model(m, full_check=True)',
      '    out = onnx.shape_inference.infer_shapes(m, strict_mode=True).graph.output[0]',
      '    print(p, [d.dim_param or d.dim_value for d in out.type.tensor_type.shape.dim])',
    ].join('\n');
    const result = spawnSync(PYTHON, ['-c', script, ...paths], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(
      result.stdout
        .trim()
        .split('\n')
        .map((line) => line.slice(line.indexOf('['))),
    ).toEqual(["['N', 36]", "['N', 1024]", "['N', 36]", "['N', 4, 2, 3]"]);
  });
});
