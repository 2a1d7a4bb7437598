/**
 * A layer's bias, ReLU and line mask as one TF.js op, and its gradient as one more: the line
 * recogniser (line-model.ts) adds a bias, applies ReLU and zeroes what lies past each line's end
 * after every layer. Written with TF.js's own ops that is five passes over the activations
 * forward (Add, Relu, Multiply by a broadcast mask) and back (Multiply, Step, Cast, Multiply,
 * Sum for the bias), about a quarter of a training step's time on the WASM backend (profiled on
 * batches of real lines); here it is one pass each way.
 *
 *   Y[n, …, p, i] = max(X[n, …, p, i] + B[i], 0) where p < valid[n], else 0
 *   dX = dY where Y > 0, else 0;  dB = Σ dX over everything but the channels
 *
 * (Y > 0 holds exactly where the mask keeps the pixel and X + B > 0, so the mask needs no
 * second look on the way back.) p is the second-last axis: a 4-D [n, h, w, c] activation is
 * masked along its width, a 3-D [n, frames, c] one along its frames.
 *
 * Kernels: 'cpu' here, in JavaScript; 'wasm' in wasm-kernels.ts (our SIMD kernels, or this
 * JavaScript on the backend's heap). On a backend with neither (tfjs-node), `fusedBiasRelu`
 * says so and line-model.ts takes TF.js's own ops.
 */
import type * as tfjs from '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs';

type Tf = typeof tfjs;

export const BIAS_RELU_MASK = 'HwrBiasReluMask';
export const RELU_BIAS_GRAD = 'HwrReluBiasGrad';

/** The layout the kernels see: `images` of `rows` × `cols` pixels of `channels`. */
export interface MaskedShape {
  images: number;
  rows: number;
  cols: number;
  channels: number;
}

export function maskedShape(shape: readonly number[]): MaskedShape {
  if (shape.length < 3) throw new RangeError(`${BIAS_RELU_MASK}: needs [n, …, pixels, channels], got [${shape.join(', ')}]`);
  const r = shape.length;
  return { images: shape[0]!, rows: shape.slice(1, r - 2).reduce((a, d) => a * d, 1), cols: shape[r - 2]!, channels: shape[r - 1]! };
}

/** Y = mask(max(X + B, 0)) on plain arrays (the 'cpu' kernel, and the 'wasm' one without our kernels). */
export function biasReluMaskJs(x: Float32Array, b: Float32Array, y: Float32Array, s: MaskedShape, valid: readonly number[]): void {
  const { images, rows, cols, channels: c } = s;
  for (let n = 0; n < images; n++) {
    const keep = Math.max(0, Math.min(valid[n] ?? cols, cols));
    for (let r = 0; r < rows; r++) {
      const row = (n * rows + r) * cols * c;
      for (let j = 0; j < keep * c; j += c) {
        for (let i = 0; i < c; i++) {
          const v = x[row + j + i]! + b[i]!;
          y[row + j + i] = v > 0 ? v : 0;
        }
      }
      y.fill(0, row + keep * c, row + cols * c);
    }
  }
}

/** dX = dY where Y > 0; dB = Σ dX per channel. */
export function reluBiasGradJs(dy: Float32Array, y: Float32Array, dx: Float32Array, db: Float32Array, channels: number): void {
  db.fill(0);
  for (let p = 0; p < y.length; p += channels) {
    for (let i = 0; i < channels; i++) {
      const g = y[p + i]! > 0 ? dy[p + i]! : 0;
      dx[p + i] = g;
      db[i] = db[i]! + g;
    }
  }
}

/** The valid pixels of each image, checked. */
export function validOf(attrs: tf.NamedAttrMap | undefined, images: number): number[] {
  const valid = (attrs as unknown as { valid?: number[] } | undefined)?.valid;
  if (!Array.isArray(valid) || valid.length !== images) throw new RangeError(`${BIAS_RELU_MASK}: ${images} images need as many valid widths`);
  return valid;
}

interface CpuBackendLike {
  data: { get(dataId: object): { values: Float32Array } | undefined };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values?: Float32Array): tf.TensorInfo;
}

/** Registers the 'cpu' kernels (done on import; idempotent). */
export function registerFusedCpuKernels(): void {
  if (!tf.getKernel(BIAS_RELU_MASK, 'cpu')) {
    tf.registerKernel({
      kernelName: BIAS_RELU_MASK,
      backendName: 'cpu',
      kernelFunc: ({ inputs, attrs, backend }) => {
        const cpu = backend as unknown as CpuBackendLike;
        const x = inputs.x!;
        const s = maskedShape(x.shape);
        const y = new Float32Array(x.shape.reduce((a, d) => a * d, 1));
        biasReluMaskJs(cpu.data.get(x.dataId)!.values, cpu.data.get(inputs.bias!.dataId)!.values, y, s, validOf(attrs, s.images));
        return cpu.makeTensorInfo(x.shape, 'float32', y);
      },
    });
  }
  if (!tf.getKernel(RELU_BIAS_GRAD, 'cpu')) {
    tf.registerKernel({
      kernelName: RELU_BIAS_GRAD,
      backendName: 'cpu',
      kernelFunc: ({ inputs, backend }) => {
        const cpu = backend as unknown as CpuBackendLike;
        const y = inputs.y!;
        const c = y.shape[y.shape.length - 1]!;
        const dx = new Float32Array(y.shape.reduce((a, d) => a * d, 1));
        const db = new Float32Array(c);
        reluBiasGradJs(cpu.data.get(inputs.dy!.dataId)!.values, cpu.data.get(y.dataId)!.values, dx, db, c);
        return [cpu.makeTensorInfo(y.shape, 'float32', dx), cpu.makeTensorInfo([c], 'float32', db)];
      },
    });
  }
}
registerFusedCpuKernels();

// HWR_FUSED_RELU=off takes TF.js's own ops (for comparisons, or should the fused op misbehave).
let enabled = process.env.HWR_FUSED_RELU !== 'off';

/** Tests and benchmarks: take TF.js's own ops (false) or the fused op where the backend has it (true, the default). */
export function useFusedBiasRelu(on: boolean): void {
  enabled = on;
}

/** Whether the fused op is on and the active backend has its kernels. */
export function hasFusedBiasRelu(t: Tf): boolean {
  if (!enabled) return false;
  const backend = t.getBackend();
  return !!t.getKernel(BIAS_RELU_MASK, backend) && !!t.getKernel(RELU_BIAS_GRAD, backend);
}

/**
 * mask(relu(x + bias)) with `valid[n]` pixels kept along x's second-last axis, differentiable;
 * null where the backend lacks the kernels (hasFusedBiasRelu).
 */
export function fusedBiasRelu<T extends tfjs.Tensor>(t: Tf, x: T, bias: tfjs.Tensor, valid: readonly number[]): T | null {
  if (!hasFusedBiasRelu(t)) return null;
  const op = t.customGrad((...args: (tfjs.Tensor | tfjs.GradSaveFunc)[]) => {
    const [input, b, save] = args as [tfjs.Tensor, tfjs.Tensor, tfjs.GradSaveFunc];
    const y = t.engine().runKernel(BIAS_RELU_MASK, { x: input, bias: b }, { valid: [...valid] } as unknown as tfjs.NamedAttrMap) as tfjs.Tensor;
    save([y]);
    return {
      value: y,
      gradFunc: (dy: tfjs.Tensor | tfjs.Tensor[], saved: tfjs.Tensor[]) =>
        t.engine().runKernel(RELU_BIAS_GRAD, { dy: dy as tfjs.Tensor, y: saved[0]! }, {}) as tfjs.Tensor[],
    };
  });
  return op(x, bias) as T;
}
