import type { LayerSpec, NetworkSpec } from '../nn/spec.ts';

/**
 * Shape inference over a NetworkSpec, shared by the reference forward pass, the exporter and the
 * importer, so that all three reject the same malformed specs with the same message.
 * Shapes are per sample (no batch axis): [features], [height, width, channels] or, for a
 * sequence, [frames, features]. A width of -1 (VARIABLE) is given at run time: line images.
 */

/** A size known only at run time (the width of a line, and so its frame count). */
export const VARIABLE = -1;

const ACTIVATIONS = new Set(['relu', 'sigmoid', 'tanh', 'softmax', 'identity']);

/** Padding (before, after) on one axis for TensorFlow's 'same': the odd pixel goes after. */
export function samePads(size: number, kernel: number, stride: number): [number, number] {
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + kernel - size, 0);
  const before = Math.floor(total / 2);
  return [before, total - before];
}

/** Output size on one axis of a window op with explicit padding (floor mode). */
export function windowOutput(size: number, kernel: number, stride: number, padTotal = 0): number {
  return Math.floor((size + padTotal - kernel) / stride) + 1;
}

/** The (top, left, bottom, right) padding of a conv2d layer on an H×W input. */
export function convPads(
  layer: { kernel: [number, number]; stride: [number, number]; padding: 'same' | 'valid' },
  height: number,
  width: number,
): [number, number, number, number] {
  if (layer.padding === 'valid') return [0, 0, 0, 0];
  const [top, bottom] = samePads(height, layer.kernel[0], layer.stride[0]);
  const [left, right] = samePads(width, layer.kernel[1], layer.stride[1]);
  return [top, left, bottom, right];
}

export function shapeSize(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function positiveInts(values: readonly number[]): boolean {
  return values.every((v) => Number.isInteger(v) && v > 0);
}

/** The per-sample output shape of `layer` applied to `shape`; throws naming the layer on a mismatch. */
export function nextShape(shape: readonly number[], layer: LayerSpec, index: number): number[] {
  const where = `layer ${index} (${layer.kind})`;
  const fail = (why: string): never => {
    throw new Error(`${where}: ${why}`);
  };
  const image = (): [number, number, number] => {
    if (shape.length !== 3) fail(`needs an image input [height, width, channels], got [${shape.join(', ')}]`);
    return shape as [number, number, number];
  };
  switch (layer.kind) {
    case 'dense': {
      if (!positiveInts([layer.inputs, layer.outputs])) fail(`inputs and outputs must be positive integers, got ${layer.inputs}×${layer.outputs}`);
      if (shape.length !== 1 && shape.length !== 2) fail(`needs a flat input (add a flatten layer) or a sequence, got [${shape.join(', ')}]`);
      const features = shape[shape.length - 1];
      if (features !== layer.inputs) fail(`expects ${layer.inputs} inputs, gets ${features}`);
      if (layer.weights.length !== layer.inputs * layer.outputs) fail(`weights hold ${layer.weights.length} values, expected ${layer.inputs}×${layer.outputs}`);
      if (layer.bias.length !== layer.outputs) fail(`bias holds ${layer.bias.length} values, expected ${layer.outputs}`);
      return shape.length === 2 ? [shape[0]!, layer.outputs] : [layer.outputs];
    }
    case 'columns': {
      const [h, w, c] = image();
      return [w, h * c];
    }
    case 'conv1d': {
      if (shape.length !== 2) fail(`needs a sequence [frames, features], got [${shape.join(', ')}]`);
      if (!positiveInts([layer.kernel, layer.inChannels, layer.outChannels]) || layer.kernel % 2 !== 1)
        fail('kernel must be odd, channel counts positive integers');
      if (shape[1] !== layer.inChannels) fail(`expects ${layer.inChannels} features, gets ${shape[1]}`);
      if (layer.weights.length !== layer.kernel * layer.inChannels * layer.outChannels)
        fail(`weights hold ${layer.weights.length} values, expected ${layer.kernel}×${layer.inChannels}×${layer.outChannels}`);
      if (layer.bias.length !== layer.outChannels) fail(`bias holds ${layer.bias.length} values, expected ${layer.outChannels}`);
      if (layer.residual && layer.inChannels !== layer.outChannels) fail('a residual needs as many outputs as inputs');
      if (layer.activation !== 'relu' && layer.activation !== 'identity') fail(`activation must be relu or identity, got '${String(layer.activation)}'`);
      return [shape[0]!, layer.outChannels];
    }
    case 'conv2d': {
      const [h, w, c] = image();
      const [kh, kw] = layer.kernel;
      if (!positiveInts([kh, kw, ...layer.stride, layer.inChannels, layer.outChannels])) fail('kernel, stride and channel counts must be positive integers');
      if (layer.padding !== 'same' && layer.padding !== 'valid') fail(`padding must be 'same' or 'valid', got '${String(layer.padding)}'`);
      if (c !== layer.inChannels) fail(`expects ${layer.inChannels} input channels, gets ${c}`);
      const expected = kh * kw * layer.inChannels * layer.outChannels;
      if (layer.weights.length !== expected) fail(`weights hold ${layer.weights.length} values, expected ${kh}×${kw}×${layer.inChannels}×${layer.outChannels}`);
      if (layer.bias.length !== layer.outChannels) fail(`bias holds ${layer.bias.length} values, expected ${layer.outChannels}`);
      if (w === VARIABLE && (layer.stride[1] !== 1 || layer.padding !== 'same' || kw % 2 !== 1))
        fail('a variable width needs stride 1, an odd kernel and same padding');
      const [top, left, bottom, right] = convPads(layer, h, w);
      const oh = windowOutput(h, kh, layer.stride[0], top + bottom);
      const ow = w === VARIABLE ? VARIABLE : windowOutput(w, kw, layer.stride[1], left + right);
      if (oh < 1 || (ow < 1 && ow !== VARIABLE)) fail(`a ${kh}×${kw} kernel does not fit a ${h}×${w} input`);
      return [oh, ow, layer.outChannels];
    }
    case 'maxpool2d': {
      const [h, w, c] = image();
      if (!positiveInts([...layer.window, ...layer.stride])) fail('window and stride must be positive integers');
      const oh = windowOutput(h, layer.window[0], layer.stride[0]);
      const ow = w === VARIABLE ? VARIABLE : windowOutput(w, layer.window[1], layer.stride[1]);
      if (oh < 1 || (ow < 1 && ow !== VARIABLE)) fail(`a ${layer.window.join('×')} window does not fit a ${h}×${w} input`);
      return [oh, ow, c];
    }
    case 'flatten':
      if (shape.includes(VARIABLE)) fail('cannot flatten an input of variable width');
      return [shapeSize(shape)];
    case 'activation':
      if (!ACTIVATIONS.has(layer.fn)) fail(`unknown activation '${String(layer.fn)}'`);
      return [...shape];
    default:
      throw new Error(`layer ${index}: unknown kind '${(layer as { kind: unknown }).kind}'`);
  }
}

/**
 * Checks the whole spec and returns the per-sample shape after each layer (shapes[0] is the
 * input shape, shapes[i + 1] the output of layer i).
 */
export function specShapes(spec: NetworkSpec): number[][] {
  const { inputShape } = spec;
  const fixed = Array.isArray(inputShape) && inputShape.length === 3 && inputShape[1] === VARIABLE ? [inputShape[0]!, inputShape[2]!] : inputShape;
  if (!Array.isArray(inputShape) || (inputShape.length !== 1 && inputShape.length !== 3) || !positiveInts(fixed)) {
    throw new Error(
      `network "${spec.name}": inputShape must be [features] or [height, width, channels] of positive integers (width -1: any), ` +
        `got ${JSON.stringify(inputShape)}`,
    );
  }
  if (spec.layers.length === 0) throw new Error(`network "${spec.name}" has no layers`);
  const shapes = [[...inputShape]];
  spec.layers.forEach((layer, i) => {
    try {
      shapes.push(nextShape(shapes[i]!, layer, i));
    } catch (err) {
      throw new Error(`network "${spec.name}", ${(err as Error).message}`, { cause: err });
    }
  });
  const out = shapes[shapes.length - 1]!;
  if (spec.classes !== undefined && out[out.length - 1] !== spec.classes.length) {
    throw new Error(`network "${spec.name}": ${spec.classes.length} class names for an output of shape [${out.join(', ')}]`);
  }
  return shapes;
}
