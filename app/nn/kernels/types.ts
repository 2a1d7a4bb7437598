import type { ElementwiseActivation } from '../activations.ts';

/** Float storage of the engine: float32 for training and inference, float64 for gradient checks. */
export type FloatArray = Float32Array | Float64Array;

/**
 * The numeric kernels the layers, losses and optimiser are written on. Matrices are dense and
 * row-major, each argument exactly the rows it names (a `subarray` of a larger buffer is fine).
 * Two implementations: plain TypeScript (any FloatArray) and WebAssembly SIMD (float32 arrays
 * in engine memory; anything else falls back to TypeScript, call by call).
 */
export interface Kernels {
  /** C (m×n) = A (m×k) · B (k×n) + bias (n, broadcast over rows; none when null). */
  gemmNN(m: number, n: number, k: number, a: FloatArray, b: FloatArray, c: FloatArray, bias: FloatArray | null): void;
  /** C (m×n) = Aᵀ · B, with A stored k×m and B k×n. */
  gemmTN(m: number, n: number, k: number, a: FloatArray, b: FloatArray, c: FloatArray): void;
  /** C (m×n) = A · Bᵀ, with A stored m×k and B n×k. */
  gemmNT(m: number, n: number, k: number, a: FloatArray, b: FloatArray, c: FloatArray): void;
  /** out (n) = column sums of A (m×n). */
  columnSums(m: number, n: number, a: FloatArray, out: FloatArray): void;
  /** y = f(x), element-wise over len values (x and y may be the same array). */
  activate(fn: ElementwiseActivation, x: FloatArray, y: FloatArray, len: number): void;
  /** dx = dy · f′(x, y), element-wise (dx may be dy). */
  activateBackward(fn: ElementwiseActivation, x: FloatArray, y: FloatArray, dy: FloatArray, dx: FloatArray, len: number): void;
  /** Row-wise softmax of x (m×n) into y, shifted by each row's maximum. */
  softmaxRows(m: number, n: number, x: FloatArray, y: FloatArray): void;
  /**
   * Softmax + cross-entropy from logits (m×n) and labels (m): writes grad = (softmax − onehot)·scale
   * and returns Σ over rows of −log softmax[label].
   */
  softmaxCrossEntropy(m: number, n: number, logits: FloatArray, labels: Int32Array, grad: FloatArray, scale: number): number;
  /** Returns Σ (y − t)² over len values and writes grad = 2 (y − t)·scale. */
  squaredError(len: number, y: FloatArray, t: FloatArray, grad: FloatArray, scale: number): number;
  /** SGD over len values: g′ = g + decay·w; with velocity v: v = momentum·v − lr·g′, w += v; else w −= lr·g′. */
  sgdStep(w: FloatArray, g: FloatArray, v: FloatArray | null, len: number, lr: number, momentum: number, decay: number): void;
  /**
   * The SGD step of sgdStep for weights w (m×n) whose gradient is Aᵀ · B (A stored k×m, B k×n),
   * without storing the gradient (the WebAssembly kernel applies the step in the product's tiles).
   */
  sgdStepProduct(
    m: number,
    n: number,
    k: number,
    a: FloatArray,
    b: FloatArray,
    w: FloatArray,
    v: FloatArray | null,
    lr: number,
    momentum: number,
    decay: number,
  ): void;
  /** dst row r = src row index[r], rows of `width` values. */
  gatherRows(src: FloatArray, width: number, index: Int32Array, count: number, dst: FloatArray): void;
}
