import type { Rng } from '../base/random.ts';
import { isElementwiseActivation, type ElementwiseActivation } from './activations.ts';
import { allocate, kernels, type DType } from './backend.ts';
import type { FloatArray } from './kernels/types.ts';
import type { LayerSpec } from './spec.ts';

/** A trainable array and its gradient (same length); what the optimiser sees. */
export interface Param {
  readonly name: string;
  readonly value: FloatArray;
  /** dL/d(value) from the last backward (computed on first read if it was deferred). */
  readonly grad: FloatArray;
  /**
   * Set when the last backward deferred this gradient as the product Aᵀ·B (value m×n, A k×m,
   * B k×n): an optimiser can fuse it into its update and call `settled()`. Deferring is
   * only asked for by trainEpoch, which steps the optimiser right after backward.
   */
  readonly deferred?: DeferredProduct | null;
}

export interface DeferredProduct {
  readonly m: number;
  readonly n: number;
  readonly k: number;
  readonly a: FloatArray;
  readonly b: FloatArray;
  /** The optimiser has used the product: the gradient array is now stale. */
  settled(): void;
}

/** A weight matrix whose gradient Xᵀ·δ can be left as a product for the optimiser to fuse. */
class ProductParam implements Param {
  private pending: DeferredProduct | null = null;
  private stale = false;

  constructor(
    readonly name: string,
    readonly value: FloatArray,
    private readonly gradient: FloatArray,
    private readonly m: number,
    private readonly n: number,
  ) {}

  get deferred(): DeferredProduct | null {
    return this.pending;
  }

  get grad(): FloatArray {
    if (this.pending) {
      const { m, n, k, a, b } = this.pending;
      kernels().gemmTN(m, n, k, a, b, this.gradient);
      this.pending = null;
    } else if (this.stale) {
      throw new Error(`${this.name}: the gradient was used by a fused optimiser step and not kept`);
    }
    return this.gradient;
  }

  /** Sets the gradient to Aᵀ·B: now, or (defer) when read or fused into an optimiser step. */
  setProduct(k: number, a: FloatArray, b: FloatArray, defer: boolean): void {
    this.stale = false;
    this.pending = null;
    if (!defer) {
      kernels().gemmTN(this.m, this.n, k, a, b, this.gradient);
      return;
    }
    this.pending = {
      m: this.m,
      n: this.n,
      k,
      a,
      b,
      settled: () => {
        this.pending = null;
        this.stale = true;
      },
    };
  }

  /** Computes a deferred gradient that no optimiser used, before its inputs change. */
  settle(): void {
    if (this.pending) void this.grad;
  }
}

/**
 * A layer owns its forward and its hand-written backward pass (no autograd tape: each layer
 * derives its own gradients, whole matrices at a time). Data flows as row-major
 * matrices of n rows (samples): forward takes n × inputSize and returns n × outputSize.
 * The returned array belongs to the layer and stays valid until its next forward.
 * backward takes dL/dy for the last forward, sets the gradients of the layer's parameters
 * (overwriting: each parameter is used once per forward) and returns dL/dx, or null when
 * `inputGrad` is false (the first layer has no use for it, and it costs a matrix product).
 * With `defer`, a weight gradient may be left as a product for the optimiser (Param.deferred).
 */
export interface Layer {
  readonly inputSize: number;
  readonly outputSize: number;
  readonly dtype: DType;
  forward(x: FloatArray, n: number): FloatArray;
  backward(dy: FloatArray, n: number, inputGrad?: boolean, defer?: boolean): FloatArray | null;
  params(): Param[];
  /** Computes any deferred gradient no optimiser used (see Param.deferred). */
  settle?(): void;
  /** The layer in the exchange format (arrays copied). */
  toSpec(): LayerSpec;
}

/**
 * A rows × width buffer for the current batch size: grown (never shrunk) when more rows are
 * needed, so training allocates nothing per batch.
 */
export class RowBuffer {
  private data: FloatArray;
  private capacity = 0;
  private view: FloatArray;
  private viewRows = 0;

  constructor(
    readonly width: number,
    readonly dtype: DType,
  ) {
    this.data = this.view = allocate(0, dtype);
  }

  rows(n: number): FloatArray {
    if (n > this.capacity) {
      this.data = allocate(n * this.width, this.dtype);
      this.capacity = n;
      this.viewRows = -1;
    }
    if (n !== this.viewRows) {
      this.view = this.data.subarray(0, n * this.width);
      this.viewRows = n;
    }
    return this.view;
  }
}

function checkSize(what: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${what} must be a positive integer, got ${value}`);
}

function checkInput(layer: string, x: FloatArray, n: number, width: number): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`${layer}: n must be a positive integer, got ${n}`);
  if (x.length < n * width) throw new RangeError(`${layer}: input holds ${x.length} values, expected ${n} × ${width}`);
}

export interface DenseOptions {
  /** Draws the Xavier initialisation; required unless weights are given. */
  rng?: Rng;
  /** inputs × outputs, row-major (the spec layout). */
  weights?: ArrayLike<number>;
  bias?: ArrayLike<number>;
  dtype?: DType;
}

/** y = x·W + b, with W inputs × outputs (the spec layout). */
export class Dense implements Layer {
  readonly weights: FloatArray;
  readonly bias: FloatArray;
  readonly weightGrad: FloatArray;
  readonly biasGrad: FloatArray;
  readonly dtype: DType;
  private readonly out: RowBuffer;
  private readonly dx: RowBuffer;
  private readonly weightParam: ProductParam;
  private input: FloatArray | null = null;

  constructor(
    readonly inputSize: number,
    readonly outputSize: number,
    options: DenseOptions,
  ) {
    checkSize('Dense: inputs', inputSize);
    checkSize('Dense: outputs', outputSize);
    this.dtype = options.dtype ?? 'float32';
    this.weights = allocate(inputSize * outputSize, this.dtype);
    this.bias = allocate(outputSize, this.dtype);
    this.weightGrad = allocate(inputSize * outputSize, this.dtype);
    this.biasGrad = allocate(outputSize, this.dtype);
    if (options.weights) {
      if (options.weights.length !== this.weights.length) {
        throw new RangeError(`Dense: weights hold ${options.weights.length} values, expected ${inputSize} × ${outputSize}`);
      }
      this.weights.set(options.weights);
    } else if (options.rng) {
      xavierUniform(this.weights, inputSize, outputSize, options.rng);
    } else {
      throw new Error('Dense: give an rng (for Xavier initialisation) or the weights');
    }
    if (options.bias) {
      if (options.bias.length !== outputSize) throw new RangeError(`Dense: bias holds ${options.bias.length} values, expected ${outputSize}`);
      this.bias.set(options.bias);
    }
    this.out = new RowBuffer(outputSize, this.dtype);
    this.dx = new RowBuffer(inputSize, this.dtype);
    this.weightParam = new ProductParam('weights', this.weights, this.weightGrad, inputSize, outputSize);
  }

  forward(x: FloatArray, n: number): FloatArray {
    checkInput('Dense', x, n, this.inputSize);
    this.input = x;
    const y = this.out.rows(n);
    kernels().gemmNN(n, this.outputSize, this.inputSize, x, this.weights, y, this.bias);
    return y;
  }

  backward(dy: FloatArray, n: number, inputGrad = true, defer = false): FloatArray | null {
    const x = this.input;
    if (!x) throw new Error('Dense: backward before forward');
    const k = kernels();
    this.weightParam.setProduct(n, x, dy, defer); // dW = xᵀ·dy
    k.columnSums(n, this.outputSize, dy, this.biasGrad);
    if (!inputGrad) return null;
    const dx = this.dx.rows(n);
    k.gemmNT(n, this.inputSize, this.outputSize, dy, this.weights, dx);
    return dx;
  }

  params(): Param[] {
    return [this.weightParam, { name: 'bias', value: this.bias, grad: this.biasGrad }];
  }

  settle(): void {
    this.weightParam.settle();
  }

  toSpec(): LayerSpec {
    return {
      kind: 'dense',
      inputs: this.inputSize,
      outputs: this.outputSize,
      weights: Float32Array.from(this.weights),
      bias: Float32Array.from(this.bias),
    };
  }
}

/** Xavier/Glorot uniform: U(−a, a) with a = √(6 / (inputs + outputs)), so activations keep their variance. */
export function xavierUniform(w: FloatArray, inputs: number, outputs: number, rng: Rng): void {
  const limit = Math.sqrt(6 / (inputs + outputs));
  for (let i = 0; i < w.length; i++) w[i] = (2 * rng.next() - 1) * limit;
}

/** An element-wise activation from the table in activations.ts. */
export class Activation implements Layer {
  readonly inputSize: number;
  readonly outputSize: number;
  private readonly out: RowBuffer;
  private readonly dx: RowBuffer;
  private input: FloatArray | null = null;
  private output: FloatArray | null = null;

  constructor(
    readonly fn: ElementwiseActivation,
    width: number,
    readonly dtype: DType = 'float32',
  ) {
    if (!isElementwiseActivation(fn)) throw new Error(`Activation: unknown function "${fn}" (use softmax through the Softmax layer)`);
    checkSize('Activation: width', width);
    this.inputSize = this.outputSize = width;
    this.out = new RowBuffer(width, dtype);
    this.dx = new RowBuffer(width, dtype);
  }

  forward(x: FloatArray, n: number): FloatArray {
    checkInput(`Activation(${this.fn})`, x, n, this.inputSize);
    const y = this.out.rows(n);
    kernels().activate(this.fn, x, y, n * this.inputSize);
    this.input = x;
    this.output = y;
    return y;
  }

  backward(dy: FloatArray, n: number, inputGrad = true): FloatArray | null {
    if (!this.input || !this.output) throw new Error(`Activation(${this.fn}): backward before forward`);
    if (!inputGrad) return null;
    const dx = this.dx.rows(n);
    kernels().activateBackward(this.fn, this.input, this.output, dy, dx, n * this.inputSize);
    return dx;
  }

  params(): Param[] {
    return [];
  }

  toSpec(): LayerSpec {
    return { kind: 'activation', fn: this.fn };
  }
}

/**
 * Softmax over each row, shifted by the row maximum (softmax(x) = softmax(x − max x), so no
 * exponential overflows). Training with cross-entropy skips this layer and differentiates the
 * fused loss from the logits instead; backward here is the general Jacobian product.
 */
export class Softmax implements Layer {
  readonly inputSize: number;
  readonly outputSize: number;
  private readonly out: RowBuffer;
  private readonly dx: RowBuffer;
  private output: FloatArray | null = null;

  constructor(
    width: number,
    readonly dtype: DType = 'float32',
  ) {
    checkSize('Softmax: width', width);
    this.inputSize = this.outputSize = width;
    this.out = new RowBuffer(width, dtype);
    this.dx = new RowBuffer(width, dtype);
  }

  forward(x: FloatArray, n: number): FloatArray {
    checkInput('Softmax', x, n, this.inputSize);
    const y = this.out.rows(n);
    kernels().softmaxRows(n, this.inputSize, x, y);
    this.output = y;
    return y;
  }

  /** dx_i = y_i (dy_i − Σ_j dy_j y_j). */
  backward(dy: FloatArray, n: number, inputGrad = true): FloatArray | null {
    const y = this.output;
    if (!y) throw new Error('Softmax: backward before forward');
    if (!inputGrad) return null;
    const dx = this.dx.rows(n);
    const w = this.inputSize;
    for (let r = 0; r < n; r++) {
      let dot = 0;
      for (let j = r * w; j < (r + 1) * w; j++) dot += dy[j]! * y[j]!;
      for (let j = r * w; j < (r + 1) * w; j++) dx[j] = y[j]! * (dy[j]! - dot);
    }
    return dx;
  }

  params(): Param[] {
    return [];
  }

  toSpec(): LayerSpec {
    return { kind: 'activation', fn: 'softmax' };
  }
}

/** NHWC → N × (H·W·C): the storage is already in that order, so this only passes data on. */
export class Flatten implements Layer {
  readonly outputSize: number;

  constructor(
    readonly inputSize: number,
    readonly dtype: DType = 'float32',
  ) {
    checkSize('Flatten: width', inputSize);
    this.outputSize = inputSize;
  }

  forward(x: FloatArray, n: number): FloatArray {
    checkInput('Flatten', x, n, this.inputSize);
    return x;
  }

  backward(dy: FloatArray, _n: number, inputGrad = true): FloatArray | null {
    return inputGrad ? dy : null;
  }

  params(): Param[] {
    return [];
  }

  toSpec(): LayerSpec {
    return { kind: 'flatten' };
  }
}
