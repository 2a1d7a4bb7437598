/**
 * A trained network as plain data: the exchange format between the from-scratch engine
 * (app/nn), the TensorFlow.js trainer (app/train), the ONNX exporter/importer and inference.
 *
 * Layouts (fixed, so that layout mistakes cannot hide):
 * - dense: `weights` is inputs × outputs, row-major (W[i * outputs + o]); y = x·W + b.
 * - conv2d: input NHWC; `weights` is kernelH × kernelW × inChannels × outChannels (the
 *   TensorFlow/HWIO layout), row-major; padding 'same' or 'valid'; stride per axis.
 * - maxpool2d: NHWC, window and stride per axis, padding 'valid'.
 * - flatten: NHWC → N × (H·W·C) in that order (channels fastest).
 * - columns: NHWC → N × W × (H·C): each column of a feature map becomes one frame of a
 *   sequence (the line recogniser reads a line left to right).
 * - conv1d: along the frames of N × T × F, 'same' padding, stride 1; `weights` is
 *   kernel × inChannels × outChannels; y = act(conv(x) + b), plus x when `residual`.
 * - dense on a sequence (N × T × F): the same layer applied to every frame.
 * - activation: element-wise, or softmax over the last axis.
 * The network's input is N × inputShape (e.g. [1024] for the MLP, [32, 32, 1] for a CNN,
 * [48, -1, 1] for lines of any width: -1 is a size given at run time), float32 in [0, 1] with
 * the polarity of app/data/glyphs.ts.
 */
export type Activation = 'relu' | 'sigmoid' | 'tanh' | 'softmax' | 'identity';

export interface DenseSpec {
  kind: 'dense';
  inputs: number;
  outputs: number;
  weights: Float32Array;
  bias: Float32Array;
}

export interface Conv2dSpec {
  kind: 'conv2d';
  kernel: [number, number];
  stride: [number, number];
  padding: 'same' | 'valid';
  inChannels: number;
  outChannels: number;
  weights: Float32Array;
  bias: Float32Array;
}

export interface MaxPoolSpec {
  kind: 'maxpool2d';
  window: [number, number];
  stride: [number, number];
}

export interface FlattenSpec {
  kind: 'flatten';
}

export interface ColumnsSpec {
  kind: 'columns';
}

export interface Conv1dSpec {
  kind: 'conv1d';
  kernel: number;
  inChannels: number;
  outChannels: number;
  weights: Float32Array;
  bias: Float32Array;
  activation: 'relu' | 'identity';
  residual: boolean;
}

export interface ActivationSpec {
  kind: 'activation';
  fn: Activation;
}

export type LayerSpec = DenseSpec | Conv2dSpec | MaxPoolSpec | FlattenSpec | ColumnsSpec | Conv1dSpec | ActivationSpec;

export interface NetworkSpec {
  /** Short name, e.g. "mlp", "ae", "cnn". */
  name: string;
  /** Per-sample input shape: [features] or [height, width, channels]; a width of -1 is given at run time. */
  inputShape: number[];
  layers: LayerSpec[];
  /** Class names for classifiers (output i is classes[i]; for a line model, per frame); absent for the autoencoder. */
  classes?: string[];
  /** Free-form facts carried into ONNX metadata_props (training command, backend, figures). */
  metadata?: Record<string, string>;
}

/** A copy of `spec` whose last dense layer has `outputs` units, Xavier-initialised. */
export function replaceOutputLayer(spec: NetworkSpec, outputs: number, rng: { next(): number }): NetworkSpec {
  const layers = [...spec.layers];
  const at = layers.map((l) => l.kind).lastIndexOf('dense');
  if (at < 0) throw new Error(`${spec.name}: no dense output layer to replace`);
  const last = layers[at] as DenseSpec;
  const limit = Math.sqrt(6 / (last.inputs + outputs));
  const weights = Float32Array.from({ length: last.inputs * outputs }, () => (rng.next() * 2 - 1) * limit);
  layers[at] = { kind: 'dense', inputs: last.inputs, outputs, weights, bias: new Float32Array(outputs) };
  return { ...spec, layers, classes: undefined };
}
