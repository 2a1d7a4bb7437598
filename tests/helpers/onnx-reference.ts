import type { Activation, Conv1dSpec, Conv2dSpec, DenseSpec, MaxPoolSpec, NetworkSpec } from '../../app/nn/spec.ts';
import { convPads, shapeSize, specShapes, VARIABLE } from '../../app/onnx/shapes.ts';

/**
 * A deliberately plain forward pass over a NetworkSpec, written straight from the layouts in
 * app/nn/spec.ts with float64 accumulation: the ground truth that the ONNX export, the engine in
 * app/nn and the TensorFlow.js trainer are compared against. Slow by design; no tricks.
 *
 * `input` is batch × inputShape (NHWC for images); returns batch × output shape as float32.
 * `width` is the input width of a network that takes any (inputShape [h, -1, c]).
 */
export function forwardSpec(spec: NetworkSpec, input: Float32Array, batch: number, width?: number): Float32Array {
  if (spec.inputShape[1] === VARIABLE) {
    if (!width) throw new Error('forwardSpec: this network takes any width; say which');
    spec = { ...spec, inputShape: spec.inputShape.map((d) => (d === VARIABLE ? width : d)) };
  }
  const shapes = specShapes(spec);
  if (!Number.isInteger(batch) || batch < 1) throw new Error(`forwardSpec: batch must be a positive integer, got ${batch}`);
  const expected = batch * shapeSize(shapes[0]!);
  if (input.length !== expected) {
    throw new Error(`forwardSpec: input holds ${input.length} values, expected ${batch} × [${shapes[0]!.join(', ')}] = ${expected}`);
  }
  let x: Float64Array = Float64Array.from(input);
  spec.layers.forEach((layer, i) => {
    const inShape = shapes[i]!;
    const outShape = shapes[i + 1]!;
    switch (layer.kind) {
      case 'dense':
        x = dense(layer, x, inShape.length === 2 ? batch * inShape[0]! : batch);
        break;
      case 'columns':
        x = columns(x, batch, inShape as Image);
        break;
      case 'conv1d':
        x = conv1d(layer, x, batch, inShape[0]!);
        break;
      case 'conv2d':
        x = conv2d(layer, x, batch, inShape as Image, outShape as Image);
        break;
      case 'maxpool2d':
        x = maxpool(layer, x, batch, inShape as Image, outShape as Image);
        break;
      case 'flatten':
        break; // NHWC row-major storage already is the flattened order
      case 'activation':
        x = activate(layer.fn, x, inShape[inShape.length - 1]!);
        break;
    }
  });
  return Float32Array.from(x);
}

type Image = [number, number, number];

function dense(layer: DenseSpec, x: Float64Array, batch: number): Float64Array {
  const { inputs, outputs, weights, bias } = layer;
  const y = new Float64Array(batch * outputs);
  for (let n = 0; n < batch; n++) {
    for (let o = 0; o < outputs; o++) {
      let sum = bias[o]!;
      for (let i = 0; i < inputs; i++) sum += x[n * inputs + i]! * weights[i * outputs + o]!;
      y[n * outputs + o] = sum;
    }
  }
  return y;
}

function conv2d(layer: Conv2dSpec, x: Float64Array, batch: number, [h, w, c]: Image, [oh, ow, oc]: Image): Float64Array {
  const [kh, kw] = layer.kernel;
  const [sh, sw] = layer.stride;
  const [top, left] = convPads(layer, h, w);
  const y = new Float64Array(batch * oh * ow * oc);
  for (let n = 0; n < batch; n++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        for (let o = 0; o < oc; o++) {
          let sum = layer.bias[o]!;
          for (let ky = 0; ky < kh; ky++) {
            const iy = oy * sh + ky - top;
            if (iy < 0 || iy >= h) continue;
            for (let kx = 0; kx < kw; kx++) {
              const ix = ox * sw + kx - left;
              if (ix < 0 || ix >= w) continue;
              for (let i = 0; i < c; i++) {
                sum += x[((n * h + iy) * w + ix) * c + i]! * layer.weights[((ky * kw + kx) * c + i) * oc + o]!;
              }
            }
          }
          y[((n * oh + oy) * ow + ox) * oc + o] = sum;
        }
      }
    }
  }
  return y;
}

function maxpool(layer: MaxPoolSpec, x: Float64Array, batch: number, [h, w, c]: Image, [oh, ow]: Image): Float64Array {
  const [wh, ww] = layer.window;
  const [sh, sw] = layer.stride;
  const y = new Float64Array(batch * oh * ow * c);
  for (let n = 0; n < batch; n++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        for (let ch = 0; ch < c; ch++) {
          let best = -Infinity;
          for (let ky = 0; ky < wh; ky++) {
            for (let kx = 0; kx < ww; kx++) {
              best = Math.max(best, x[((n * h + oy * sh + ky) * w + ox * sw + kx) * c + ch]!);
            }
          }
          y[((n * oh + oy) * ow + ox) * c + ch] = best;
        }
      }
    }
  }
  return y;
}

/** NHWC → N × W × (H·C). */
function columns(x: Float64Array, batch: number, [h, w, c]: Image): Float64Array {
  const y = new Float64Array(x.length);
  for (let n = 0; n < batch; n++)
    for (let r = 0; r < h; r++)
      for (let col = 0; col < w; col++) for (let ch = 0; ch < c; ch++) y[((n * w + col) * h + r) * c + ch] = x[((n * h + r) * w + col) * c + ch]!;
  return y;
}

function conv1d(layer: Conv1dSpec, x: Float64Array, batch: number, frames: number): Float64Array {
  const { kernel: k, inChannels: ci, outChannels: co } = layer;
  const pad = (k - 1) / 2;
  const y = new Float64Array(batch * frames * co);
  for (let n = 0; n < batch; n++) {
    for (let t = 0; t < frames; t++) {
      for (let o = 0; o < co; o++) {
        let sum = layer.bias[o]!;
        for (let d = 0; d < k; d++) {
          const at = t + d - pad;
          if (at < 0 || at >= frames) continue;
          for (let i = 0; i < ci; i++) sum += x[(n * frames + at) * ci + i]! * layer.weights[(d * ci + i) * co + o]!;
        }
        if (layer.activation === 'relu') sum = Math.max(0, sum);
        y[(n * frames + t) * co + o] = layer.residual ? sum + x[(n * frames + t) * ci + o]! : sum;
      }
    }
  }
  return y;
}

/** Element-wise activations, or softmax over the last axis (of length `last`). */
function activate(fn: Activation, x: Float64Array, last: number): Float64Array {
  const y = new Float64Array(x.length);
  switch (fn) {
    case 'relu':
      for (let i = 0; i < x.length; i++) y[i] = Math.max(0, x[i]!);
      return y;
    case 'sigmoid':
      for (let i = 0; i < x.length; i++) y[i] = 1 / (1 + Math.exp(-x[i]!));
      return y;
    case 'tanh':
      for (let i = 0; i < x.length; i++) y[i] = Math.tanh(x[i]!);
      return y;
    case 'identity':
      y.set(x);
      return y;
    case 'softmax':
      for (let start = 0; start < x.length; start += last) {
        let max = -Infinity;
        for (let i = start; i < start + last; i++) max = Math.max(max, x[i]!);
        let sum = 0;
        for (let i = start; i < start + last; i++) {
          y[i] = Math.exp(x[i]! - max);
          sum += y[i]!;
        }
        for (let i = start; i < start + last; i++) y[i] = y[i]! / sum;
      }
      return y;
  }
}
