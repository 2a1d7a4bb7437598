import { describe, expect, it } from 'vitest';
import { createRng } from '../../app/base/random.ts';
import { forwardSpec } from '../helpers/onnx-reference.ts';
import { autoencoder, mlp } from '../../app/nn/builders.ts';
import { gradcheck } from '../../app/nn/gradcheck.ts';
import { softmaxCrossEntropy, squaredError } from '../../app/nn/losses.ts';
import { Network } from '../../app/nn/network.ts';
import type { NetworkSpec } from '../../app/nn/spec.ts';
import { predict } from '../../app/nn/train.ts';
import { CLASSES_36 } from '../../app/contract.ts';

function randomInputs(count: number, width: number, seed: number): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: count * width }, () => rng.next());
}

describe('builders', () => {
  it('mlp([1024, 64, 36]) is the course net: dense, sigmoid, dense, softmax, 36 classes', () => {
    const spec = mlp([1024, 64, 36], createRng(1)).toSpec();
    expect(spec.layers.map((l) => (l.kind === 'activation' ? l.fn : l.kind))).toEqual(['dense', 'sigmoid', 'dense', 'softmax']);
    expect(spec.classes).toEqual(CLASSES_36);
    expect(spec.inputShape).toEqual([1024]);
    expect(
      mlp([8, 5, 4, 3], 'relu', createRng(1))
        .toSpec()
        .layers.map((l) => (l.kind === 'activation' ? l.fn : l.kind)),
    ).toEqual(['dense', 'relu', 'dense', 'relu', 'dense', 'softmax']);
  });

  it('autoencoder() is 1024-32-32-32-1024 with ReLU hidden and sigmoid output', () => {
    const spec = autoencoder(createRng(1)).toSpec();
    expect(spec.layers.filter((l) => l.kind === 'dense').map((l) => (l.kind === 'dense' ? [l.inputs, l.outputs] : []))).toEqual([
      [1024, 32],
      [32, 32],
      [32, 32],
      [32, 1024],
    ]);
    expect(spec.layers.filter((l) => l.kind === 'activation').map((l) => (l.kind === 'activation' ? l.fn : ''))).toEqual(['relu', 'relu', 'relu', 'sigmoid']);
    expect(spec.classes).toBeUndefined();
  });

  it('rejects a bad hidden activation by name', () => {
    expect(() => mlp([4, 3, 2], 'softplus' as 'relu', createRng(1))).toThrow(/softplus/);
  });
});

describe('toSpec / fromSpec', () => {
  it('round-trips the spec and the outputs exactly', () => {
    const net = mlp([1024, 64, 36], 'tanh', createRng(2));
    net.metadata.trainer = 'engine';
    const spec = net.toSpec();
    const back = Network.fromSpec(spec);
    expect(back.toSpec()).toEqual(spec);
    const x = randomInputs(37, 1024, 3);
    expect(predict(back, x, 37)).toEqual(predict(net, x, 37));
  });

  it('takes overrides of name, input shape, classes and metadata', () => {
    const net = mlp([4, 3, 2], createRng(1), { classes: ['a', 'b'] });
    const spec = net.toSpec({ name: 'digits', inputShape: [2, 2, 1], classes: undefined, metadata: { trainer: 'engine' } });
    expect(spec.name).toBe('digits');
    expect(spec.inputShape).toEqual([2, 2, 1]);
    expect('classes' in spec).toBe(false);
    expect(spec.metadata).toEqual({ trainer: 'engine' });
    expect(net.toSpec().classes).toEqual(['a', 'b']);
    expect(net.backend).toMatch(/^(wasm|typescript)/);
  });

  it('copies arrays: changing the spec does not change the network', () => {
    const net = autoencoder(createRng(4));
    const spec = net.toSpec();
    const before = predict(net, randomInputs(2, 1024, 5), 2);
    (spec.layers[0] as { weights: Float32Array }).weights.fill(0);
    expect(predict(net, randomInputs(2, 1024, 5), 2)).toEqual(before);
  });

  it('agrees with the float64 reference forward pass of tests/helpers/onnx-reference.ts', () => {
    const net = mlp([1024, 64, 36], createRng(6));
    const x = randomInputs(9, 1024, 7);
    const ours = predict(net, x, 9);
    const reference = forwardSpec(net.toSpec(), x, 9);
    for (let i = 0; i < ours.length; i++) expect(Math.abs(ours[i]! - reference[i]!)).toBeLessThan(2e-6);
  });

  it('accepts flatten before dense layers, and rejects convolutions by name', () => {
    const spec: NetworkSpec = {
      name: 'flat',
      inputShape: [2, 2, 1],
      layers: [{ kind: 'flatten' }, { kind: 'dense', inputs: 4, outputs: 1, weights: Float32Array.from([1, 2, 3, 4]), bias: Float32Array.from([0]) }],
    };
    expect([...predict(Network.fromSpec(spec), Float32Array.from([1, 1, 1, 1]), 1)]).toEqual([10]);
    expect(Network.fromSpec(spec).toSpec()).toEqual(spec);
    const conv: NetworkSpec = { name: 'cnn', inputShape: [4, 4, 1], layers: [{ kind: 'maxpool2d', window: [2, 2], stride: [2, 2] }] };
    expect(() => Network.fromSpec(conv)).toThrow(/layer 0 is maxpool2d/);
    const mismatched: NetworkSpec = { ...spec, inputShape: [5] };
    expect(() => Network.fromSpec(mismatched)).toThrow(/takes 4 inputs but receives 5/);
  });
});

describe('whole-network gradients agree with finite differences (float64)', () => {
  it('mlp with softmax + cross-entropy from the logits', () => {
    const rng = createRng(8);
    const net = mlp([6, 5, 4], 'sigmoid', rng, { dtype: 'float64' });
    const n = 3;
    const x = Float64Array.from({ length: n * 6 }, () => rng.normal());
    const labels = Int32Array.from([0, 3, 1]);
    const grad = new Float64Array(n * 4);
    const depth = net.layers.length - 1; // the softmax is folded into the loss
    const loss = (): number => softmaxCrossEntropy.lossAndGrad(net.forward(x, n, depth), labels, n, 4, grad);
    const result = gradcheck(loss, () => void (loss(), net.backward(grad, n, depth)), net.params());
    expect(result.checked).toBe(6 * 5 + 5 + 5 * 4 + 4);
    expect(result.maxRelativeError).toBeLessThan(1e-6);
  });

  it('autoencoder-shaped net with squared error', () => {
    const rng = createRng(9);
    const net = autoencoder(rng, { sizes: [6, 3, 3, 6], dtype: 'float64' });
    for (const p of net.params()) if (p.name.endsWith('bias')) p.value.fill(0.1); // keep ReLUs off their kink
    const n = 2;
    const x = Float64Array.from({ length: n * 6 }, () => rng.next());
    const grad = new Float64Array(n * 6);
    const loss = (): number => squaredError.lossAndGrad(net.forward(x, n), x, n, 6, grad);
    expect(gradcheck(loss, () => void (loss(), net.backward(grad, n)), net.params()).maxRelativeError).toBeLessThan(1e-6);
  });
});
