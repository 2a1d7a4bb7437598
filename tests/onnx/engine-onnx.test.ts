import { afterAll, describe, expect, it } from 'vitest';
import { createRng } from '../../app/base/random.ts';
import { autoencoder, dispose, mlp, predict, SGD, trainEpoch, type Network } from '../../app/nn/index.ts';
import { OnnxModel } from '../../app/onnx/runtime.ts';
import { exportOnnx } from '../../app/onnx/export.ts';

afterAll(() => dispose());

async function maxDiffAgainstOnnx(net: Network, inputShape: number[], count: number): Promise<number> {
  const rng = createRng(11);
  const inputs = Float32Array.from({ length: count * 1024 }, () => rng.next());
  const engine = predict(net, inputs, count);
  const model = await OnnxModel.load(exportOnnx(net.toSpec({ inputShape })));
  try {
    const onnx = await model.run(inputs, count);
    expect(onnx.length).toBe(engine.length);
    let max = 0;
    for (let i = 0; i < engine.length; i++) max = Math.max(max, Math.abs(engine[i]! - onnx[i]!));
    return max;
  } finally {
    await model.close();
  }
}

describe("the engine's networks exported to ONNX give the engine's own outputs in onnxruntime-node", () => {
  it('course MLP 1024-64-36 (sigmoid, softmax), after some training so the weights are not symmetric', async () => {
    const rng = createRng(5);
    const net = mlp([1024, 64, 36], 'sigmoid', rng);
    const n = 256;
    const x = Float32Array.from({ length: n * 1024 }, () => rng.next());
    const labels = Int32Array.from({ length: n }, () => rng.int(36));
    trainEpoch(net, new SGD(net.params(), { learningRate: 0.5, momentum: 0.9 }), x, labels, n, { batchSize: 32, rng });
    expect(await maxDiffAgainstOnnx(net, [1024], 17)).toBeLessThan(1e-5);
  });

  it('autoencoder 1024-32-32-32-1024 (ReLU, sigmoid out)', async () => {
    const net = autoencoder(createRng(6));
    expect(await maxDiffAgainstOnnx(net, [1024], 9)).toBeLessThan(1e-5);
  });

  it('the shipped models/mlp.onnx round-trips through the engine unchanged', async () => {
    const { readFileSync } = await import('node:fs');
    const { importOnnx } = await import('../../app/onnx/import.ts');
    const { Network } = await import('../../app/nn/index.ts');
    const spec = importOnnx(readFileSync(new URL('../../models/mlp.onnx', import.meta.url)));
    const net = Network.fromSpec(spec);
    expect(await maxDiffAgainstOnnx(net, spec.inputShape, 12)).toBeLessThan(1e-5);
  });
});
