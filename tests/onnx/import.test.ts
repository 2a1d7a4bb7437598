import { describe, expect, it } from 'vitest';
import type { NetworkSpec } from '../../app/nn/spec.ts';
import { autoencoderSpec, cnnSpec, mlpSpec, oddConvSpec } from './specs.ts';
import { exportOnnx } from '../../app/onnx/export.ts';
import { floatTensor, intAttribute, onnx, type ModelProto } from '../../app/onnx/format.ts';
import { importOnnx, readOnnxInfo } from '../../app/onnx/import.ts';

const specs: [string, () => NetworkSpec][] = [
  ['MLP', mlpSpec],
  ['autoencoder', autoencoderSpec],
  ['CNN', cnnSpec],
  ['odd conv (1×1 same, asymmetric pads, image output)', oddConvSpec],
];

/** Exports `spec`, lets `edit` tamper with the decoded model, and re-encodes it. */
function tampered(spec: NetworkSpec, edit: (model: ModelProto) => void): Uint8Array {
  const model = onnx.ModelProto.decode(exportOnnx(spec));
  edit(model);
  return onnx.ModelProto.encode(model).finish();
}

describe('importOnnx', () => {
  it.each(specs)('%s: export → import gives the same spec, weights bit for bit', (_, make) => {
    const spec = make();
    const back = importOnnx(exportOnnx(spec));
    expect(back).toEqual(spec);
    // toEqual compares typed arrays by value; check the kinds and bits explicitly too
    back.layers.forEach((layer, i) => {
      const original = spec.layers[i]!;
      if ('weights' in layer && 'weights' in original) {
        expect(layer.weights).toBeInstanceOf(Float32Array);
        expect(Buffer.from(layer.weights.buffer).equals(Buffer.from(original.weights.buffer))).toBe(true);
      }
    });
    expect(Buffer.from(exportOnnx(back)).equals(Buffer.from(exportOnnx(spec)))).toBe(true);
  });

  it('reads the class names and metadata without the layers', () => {
    expect(readOnnxInfo(exportOnnx(mlpSpec()))).toEqual({
      name: 'mlp',
      classes: mlpSpec().classes,
      inputShape: [1024],
      metadata: mlpSpec().metadata,
    });
    expect(readOnnxInfo(exportOnnx(autoencoderSpec()))).toEqual({ name: 'ae', inputShape: [1024], metadata: {} });
  });

  it('rejects an op hwr does not export, naming it', () => {
    const bytes = tampered(mlpSpec(), (m) => {
      m.graph!.node![1]!.opType = 'LeakyRelu';
      m.graph!.node![1]!.attribute = [{ name: 'alpha', type: onnx.AttributeProto.AttributeType.FLOAT, f: 0.1 }];
    });
    expect(() => importOnnx(bytes)).toThrow('node "layer1_sigmoid" (LeakyRelu): unsupported op "LeakyRelu"');
  });

  it('rejects variants of our ops that it would read wrongly', () => {
    const transB = tampered(mlpSpec(), (m) => {
      m.graph!.node![0]!.attribute = [intAttribute('transB', 1)];
    });
    expect(() => importOnnx(transB)).toThrow('(Gemm): transB = 1 is not supported');
    const softmaxAxis = tampered(mlpSpec(), (m) => {
      m.graph!.node![3]!.attribute = [intAttribute('axis', 0)];
    });
    expect(() => importOnnx(softmaxAxis)).toThrow('softmax over axis 0 is not over the last axis');
    const noTranspose = tampered(cnnSpec(), (m) => {
      m.graph!.node!.splice(7, 1); // Flatten straight after MaxPool, on NCHW data
      m.graph!.node![7]!.input![0] = m.graph!.node![6]!.output![0]!;
    });
    expect(() => importOnnx(noTranspose)).toThrow('node "layer6_flatten" (Flatten) runs on NCHW data');
    const pads = tampered(cnnSpec(), (m) => {
      m.graph!.node![1]!.attribute!.find((a) => a.name === 'pads')!.ints = [0, 0, 2, 2];
    });
    expect(() => importOnnx(pads)).toThrow("pads [0, 0, 2, 2] do not match padding 'same'");
  });

  it('rejects a graph that is not a single chain', () => {
    const bytes = tampered(autoencoderSpec(), (m) => {
      m.graph!.node![2]!.input![0] = 'input';
    });
    expect(() => importOnnx(bytes)).toThrow('node "layer2_dense" (Gemm) does not continue the single chain');
  });

  it('rejects weights whose size disagrees with their dims', () => {
    const bytes = tampered(mlpSpec(), (m) => {
      m.graph!.initializer![1] = floatTensor('layer0.bias', [64], new Float32Array(63));
    });
    expect(() => importOnnx(bytes)).toThrow('initializer "layer0.bias" holds 252 bytes, expected 256');
  });

  it('rejects bytes that are not an ONNX model', () => {
    const good = exportOnnx(cnnSpec());
    expect(() => importOnnx(good.subarray(0, Math.floor(good.length / 2)))).toThrow(/not a valid ONNX model/);
    expect(() => importOnnx(new Uint8Array(0))).toThrow('the file is empty');
    expect(() => importOnnx(new TextEncoder().encode('hello, this is not protobuf at all'))).toThrow(/not a valid ONNX model/);
  });
});
