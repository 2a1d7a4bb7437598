import { describe, expect, it } from 'vitest';
import type { NetworkSpec } from '../../app/nn/spec.ts';
import { forwardSpec } from '../helpers/onnx-reference.ts';

// Hand-computed values: the reference is the ground truth for everything else, so it is checked
// against arithmetic done on paper, not against another implementation.

const f32 = (...v: number[]) => Float32Array.from(v);

describe('forwardSpec', () => {
  it('dense is x·W + b with W stored inputs × outputs, row-major', () => {
    const spec: NetworkSpec = {
      name: 'd',
      inputShape: [2],
      layers: [{ kind: 'dense', inputs: 2, outputs: 3, weights: f32(1, 2, 3, 4, 5, 6), bias: f32(0.5, 0, -1) }],
    };
    expect(Array.from(forwardSpec(spec, f32(1, 10, 2, 0), 2))).toEqual([41.5, 52, 62, 2.5, 4, 5]);
  });

  it("conv2d 'same' pads TensorFlow's way: the odd pixel goes after", () => {
    // 2×3 input, 2×2 kernel: one row/column of padding, all of it at the bottom/right.
    const spec: NetworkSpec = {
      name: 'c',
      inputShape: [2, 3, 1],
      layers: [
        { kind: 'conv2d', kernel: [2, 2], stride: [1, 1], padding: 'same', inChannels: 1, outChannels: 1, weights: f32(1, 10, 100, 1000), bias: f32(0) },
      ],
    };
    const out = forwardSpec(spec, f32(1, 2, 3, 4, 5, 6), 1);
    expect(Array.from(out)).toEqual([5421, 6532, 603, 54, 65, 6]);
  });

  it('conv2d weights are HWIO: in-channel major over out-channel', () => {
    const spec: NetworkSpec = {
      name: 'c',
      inputShape: [1, 1, 2],
      layers: [
        { kind: 'conv2d', kernel: [1, 1], stride: [1, 1], padding: 'valid', inChannels: 2, outChannels: 3, weights: f32(1, 2, 3, 4, 5, 6), bias: f32(0, 0, 1) },
      ],
    };
    expect(Array.from(forwardSpec(spec, f32(1, 10), 1))).toEqual([41, 52, 64]);
  });

  it("conv2d 'valid' with stride skips pixels", () => {
    const spec: NetworkSpec = {
      name: 'c',
      inputShape: [1, 5, 1],
      layers: [{ kind: 'conv2d', kernel: [1, 2], stride: [1, 2], padding: 'valid', inChannels: 1, outChannels: 1, weights: f32(1, -1), bias: f32(0) }],
    };
    expect(Array.from(forwardSpec(spec, f32(1, 4, 9, 16, 25), 1))).toEqual([-3, -7]);
  });

  it('maxpool2d takes the window maximum per channel; flatten keeps NHWC order', () => {
    const spec: NetworkSpec = {
      name: 'p',
      inputShape: [2, 4, 2],
      layers: [{ kind: 'maxpool2d', window: [2, 2], stride: [2, 2] }, { kind: 'flatten' }],
    };
    // channel 0 = 0..7 row-major, channel 1 = 70..77 reversed
    const x = new Float32Array(16);
    for (let p = 0; p < 8; p++) {
      x[p * 2] = p;
      x[p * 2 + 1] = 77 - p;
    }
    expect(Array.from(forwardSpec(spec, x, 1))).toEqual([5, 77, 7, 75]);
  });

  it('softmax runs over the last axis (channels for images); others are element-wise', () => {
    const spec: NetworkSpec = { name: 's', inputShape: [1, 2, 2], layers: [{ kind: 'activation', fn: 'softmax' }] };
    const out = forwardSpec(spec, f32(0, Math.log(3), 5, 5), 1);
    expect(Array.from(out)).toEqual([0.25, 0.75, 0.5, 0.5]);
    const acts = (fn: 'relu' | 'sigmoid' | 'tanh' | 'identity') =>
      Array.from(forwardSpec({ name: fn, inputShape: [2], layers: [{ kind: 'activation', fn }] }, f32(-1, 2), 1));
    expect(acts('relu')).toEqual([0, 2]);
    expect(acts('sigmoid')[0]).toBeCloseTo(1 / (1 + Math.E), 6);
    expect(acts('tanh')[1]).toBeCloseTo(Math.tanh(2), 6);
    expect(acts('identity')).toEqual([-1, 2]);
  });

  it('rejects wrong input sizes and inconsistent layers, naming the layer', () => {
    const spec: NetworkSpec = {
      name: 'bad',
      inputShape: [3],
      layers: [{ kind: 'dense', inputs: 2, outputs: 1, weights: f32(1, 2), bias: f32(0) }],
    };
    expect(() => forwardSpec(spec, f32(1, 2, 3), 1)).toThrow('network "bad", layer 0 (dense): expects 2 inputs, gets 3');
    const ok: NetworkSpec = { ...spec, inputShape: [2] };
    expect(() => forwardSpec(ok, f32(1, 2, 3), 1)).toThrow('input holds 3 values, expected 1 × [2] = 2');
    const conv: NetworkSpec = { name: 'c', inputShape: [4], layers: [{ kind: 'maxpool2d', window: [2, 2], stride: [2, 2] }] };
    expect(() => forwardSpec(conv, f32(1, 2, 3, 4), 1)).toThrow('layer 0 (maxpool2d): needs an image input');
  });
});
