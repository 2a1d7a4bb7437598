import { describe, expect, it } from 'vitest';
import { createRng, type Rng } from '../base/random.ts';
import { allocate, allocateInt32, toEngine } from './backend.ts';
import { autoencoder, mlp } from './builders.ts';
import { softmaxCrossEntropy } from './losses.ts';
import { Network } from './network.ts';
import { SGD } from './optim.ts';
import { predict, trainEpoch } from './train.ts';

/** Four Gaussian blobs in 16 dimensions, one per class: linearly separable. */
function blobs(count: number, rng: Rng): { x: Float32Array; y: Int32Array } {
  const centres = Array.from({ length: 4 }, () => Array.from({ length: 16 }, () => rng.normal() * 2));
  const x = new Float32Array(count * 16);
  const y = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    y[i] = rng.int(4);
    for (let j = 0; j < 16; j++) x[i * 16 + j] = centres[y[i]!]![j]! + rng.normal() * 0.5;
  }
  return { x, y };
}

describe('trainEpoch', () => {
  it('drives the loss of a small sigmoid MLP down on a separable problem', () => {
    const rng = createRng(21);
    const { x, y } = blobs(400, rng);
    const net = mlp([16, 12, 4], 'sigmoid', rng);
    const opt = new SGD(net.params(), { learningRate: 0.5 });
    const crossEntropy = (p: Float32Array): number => y.reduce((s, label, i) => s - Math.log(p[i * 4 + label]!), 0) / y.length;
    const before = crossEntropy(predict(net, x, 400));
    const losses = Array.from({ length: 15 }, () => trainEpoch(net, opt, x, y, 400, { batchSize: 16, rng }).meanLoss);
    const last = trainEpoch(net, opt, x, y, 400, { batchSize: 16, rng });
    expect(before).toBeGreaterThan(1); // about ln 4 at the start
    expect(losses[0]!).toBeLessThan(before);
    expect(losses[14]!).toBeLessThan(losses[0]! / 5);
    expect(last.meanLoss).toBeLessThan(0.05);
    expect(last.accuracy).toBe(1);
    // The trained net classifies through predict (softmax probabilities) too.
    const p = predict(net, x, 400);
    let correct = 0;
    for (let i = 0; i < 400; i++) {
      const row = [...p.subarray(i * 4, i * 4 + 4)];
      if (row.indexOf(Math.max(...row)) === y[i]) correct++;
      expect(row.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 5);
    }
    expect(correct).toBe(400);
  });

  it('trains the autoencoder with squared error and momentum (targets = inputs)', () => {
    const rng = createRng(22);
    // Low-rank images: 3 random patterns mixed, in [0, 1].
    const patterns = Array.from({ length: 3 }, () => Float32Array.from({ length: 1024 }, () => rng.next()));
    const count = 256;
    const x = new Float32Array(count * 1024);
    for (let i = 0; i < count; i++) {
      const w = [rng.next(), rng.next(), rng.next()];
      const total = w[0]! + w[1]! + w[2]!;
      for (let j = 0; j < 1024; j++) x[i * 1024 + j] = (w[0]! * patterns[0]![j]! + w[1]! * patterns[1]![j]! + w[2]! * patterns[2]![j]!) / total;
    }
    const net = autoencoder(rng);
    const opt = new SGD(net.params(), { learningRate: 0.002, momentum: 0.9 });
    const losses: number[] = [];
    for (let e = 0; e < 12; e++) losses.push(trainEpoch(net, opt, x, x, count, { batchSize: 32, rng }).meanLoss);
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses[losses.length - 1]!).toBeLessThan(losses[0]! / 4);
  });

  it('is reproducible from the seed, and reads engine-memory inputs in place with the same result', () => {
    const run = (engineInputs: boolean): Float32Array => {
      const rng = createRng(23);
      const { x, y } = blobs(100, rng);
      const net = mlp([16, 8, 4], 'relu', rng);
      const opt = new SGD(net.params(), { learningRate: 0.1, momentum: 0.5 });
      trainEpoch(net, opt, engineInputs ? toEngine(x) : x, y, 100, { batchSize: 7, rng });
      return Float32Array.from((net.layers[0] as unknown as { weights: Float32Array }).weights);
    };
    expect(run(true)).toEqual(run(false));
  });

  it('fuses the weight update into the gradient product with the same result as plain steps', () => {
    const rng = createRng(25);
    const { x, y } = blobs(64, rng);
    const nets = [mlp([16, 8, 4], 'tanh', createRng(1)), mlp([16, 8, 4], 'tanh', createRng(1))];
    const opts = nets.map((net) => new SGD(net.params(), { learningRate: 0.1, momentum: 0.9, weightDecay: 1e-3 }));
    trainEpoch(nets[0]!, opts[0]!, x, y, 64, { batchSize: 16 });
    // The same epoch by hand: forward, fused loss, backward with stored gradients, step.
    const net = nets[1]!;
    const grad = allocate(16 * 4);
    const labels = allocateInt32(16);
    for (let start = 0; start < 64; start += 16) {
      const logits = net.forward(toEngine(x.subarray(start * 16, (start + 16) * 16)), 16, net.layers.length - 1);
      labels.set(y.subarray(start, start + 16));
      softmaxCrossEntropy.lossAndGrad(logits, labels, 16, 4, grad);
      net.backward(grad, 16, net.layers.length - 1);
      opts[1]!.step();
    }
    expect(nets[0]!.params().map((p) => [...p.value])).toEqual(nets[1]!.params().map((p) => [...p.value]));
    expect(() => nets[0]!.params()[0]!.grad).toThrow(/used by a fused optimiser step/);
    expect(nets[1]!.params()[0]!.grad.length).toBe(16 * 8);
  });

  it('rejects bad options and data with messages that name them', () => {
    const net = mlp([4, 3, 2], createRng(1));
    const opt = new SGD(net.params(), { learningRate: 0.1 });
    const x = new Float32Array(8);
    expect(() => trainEpoch(net, opt, x, new Int32Array(2), 2, { batchSize: 0 })).toThrow(/batchSize must be an integer ≥ 1, got 0/);
    expect(() => trainEpoch(net, opt, x, new Int32Array(2), 2, { batchSize: 1.5 })).toThrow(/batchSize/);
    expect(() => trainEpoch(net, opt, x, new Int32Array(2), 3, { batchSize: 1 })).toThrow(/inputs hold 8 values, expected 3 × 4/);
    expect(() => trainEpoch(net, opt, x, Int32Array.from([0, 2]), 2, { batchSize: 1 })).toThrow(/label 2 of sample 1/);
    expect(() => trainEpoch(net, opt, x, new Float32Array(4), 2, { batchSize: 1, loss: 'softmax-cross-entropy' })).toThrow(/Int32Array labels/);
  });
});

describe('predict', () => {
  it('gives the same outputs whatever the batch size', () => {
    const rng = createRng(24);
    const net = mlp([20, 9, 5], 'tanh', rng);
    const x = Float32Array.from({ length: 50 * 20 }, () => rng.next());
    const whole = predict(net, x, 50);
    expect(predict(net, x, 50, { batchSize: 7 })).toEqual(whole);
    expect(predict(Network.fromSpec(net.toSpec()), toEngine(x), 50, { batchSize: 1 })).toEqual(whole);
    expect(predict(net, x, 0)).toEqual(new Float32Array(0));
  });
});
