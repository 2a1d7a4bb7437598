import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { LayerSpec, NetworkSpec } from '../../app/nn/spec.ts';
import { OnnxModel } from '../../app/onnx/runtime.ts';
import { cnnSpec, maxAbsDiff, oddConvSpec, randomInputs } from './specs.ts';
import { exportOnnx } from '../../app/onnx/export.ts';
import { forwardSpec } from '../helpers/onnx-reference.ts';

/**
 * The CNN trainer hands TensorFlow.js weights straight to NetworkSpec (conv kernels HWIO, dense
 * kernels inputs × outputs, NHWC tensors, flatten channels-fastest). This builds the same network
 * in tf.layers from a spec's weights and checks that tfjs, the ONNX export and the reference all
 * agree, so the convention is proven rather than assumed.
 */

function tfLayer(layer: LayerSpec): tf.layers.Layer {
  switch (layer.kind) {
    case 'conv2d':
      return tf.layers.conv2d({ filters: layer.outChannels, kernelSize: layer.kernel, strides: layer.stride, padding: layer.padding });
    case 'maxpool2d':
      return tf.layers.maxPooling2d({ poolSize: layer.window, strides: layer.stride, padding: 'valid' });
    case 'flatten':
      return tf.layers.flatten();
    case 'dense':
      return tf.layers.dense({ units: layer.outputs });
    case 'activation':
      return tf.layers.activation({ activation: layer.fn === 'identity' ? 'linear' : layer.fn });
    case 'columns':
    case 'conv1d':
      throw new Error(`${layer.kind}: the line model's layout is checked in tests/onnx/line-export.test.ts`);
  }
}

function tfModel(spec: NetworkSpec): tf.LayersModel {
  const input = tf.input({ shape: spec.inputShape });
  let x = input;
  for (const layer of spec.layers) {
    const built = tfLayer(layer);
    x = built.apply(x) as tf.SymbolicTensor;
    if (layer.kind === 'conv2d') {
      built.setWeights([tf.tensor4d(layer.weights, [...layer.kernel, layer.inChannels, layer.outChannels]), tf.tensor1d(layer.bias)]);
    } else if (layer.kind === 'dense') {
      built.setWeights([tf.tensor2d(layer.weights, [layer.inputs, layer.outputs]), tf.tensor1d(layer.bias)]);
    }
  }
  return tf.model({ inputs: input, outputs: x });
}

describe('layout convention against TensorFlow.js (cpu backend)', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it.each([
    ['CNN 32×32×1', cnnSpec],
    ['odd sizes, stride 2, asymmetric same pads', oddConvSpec],
  ] as const)('%s: tfjs predictions equal the ONNX export within 1e-4', async (_, make) => {
    const spec = make();
    const batch = 4;
    const input = randomInputs(spec, batch, 7);
    const model = tfModel(spec);
    const fromTf = tf.tidy(() => (model.predict(tf.tensor(input, [batch, ...spec.inputShape])) as tf.Tensor).dataSync().slice() as Float32Array);
    model.dispose();

    const onnxModel = await OnnxModel.load(exportOnnx(spec));
    try {
      const fromOnnx = await onnxModel.run(input, batch);
      expect(maxAbsDiff(fromTf, fromOnnx)).toBeLessThan(1e-4);
      expect(maxAbsDiff(fromTf, forwardSpec(spec, input, batch))).toBeLessThan(1e-4);
    } finally {
      await onnxModel.close();
    }
  });
});
