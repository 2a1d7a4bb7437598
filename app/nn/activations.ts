/**
 * The element-wise activations and their derivatives, in one table. Every path of the engine
 * reads this table: the TypeScript kernels call `f` and `df` directly; the WebAssembly kernels
 * (kernels/simd.ts) implement the same functions under the same `code`.
 *
 * `df(x, y)` is dy/dx given the input x and the output y = f(x); each function uses whichever
 * is cheaper (the sigmoid and tanh derivatives come from y alone).
 */
export type ElementwiseActivation = 'identity' | 'sigmoid' | 'tanh' | 'relu';

export interface ActivationFunction {
  /** The code the WebAssembly kernels know this function by. */
  readonly code: number;
  f(x: number): number;
  df(x: number, y: number): number;
}

export const ACTIVATIONS: Readonly<Record<ElementwiseActivation, ActivationFunction>> = Object.freeze({
  identity: { code: 0, f: (x: number) => x, df: () => 1 },
  sigmoid: { code: 1, f: sigmoid, df: (_x: number, y: number) => y * (1 - y) },
  tanh: { code: 2, f: Math.tanh, df: (_x: number, y: number) => 1 - y * y },
  relu: { code: 3, f: (x: number) => (x > 0 ? x : 0), df: (x: number) => (x > 0 ? 1 : 0) },
});

export function isElementwiseActivation(name: string): name is ElementwiseActivation {
  return Object.hasOwn(ACTIVATIONS, name);
}

/** 1 / (1 + e^{-x}), written so that e^{|x|} never overflows. */
export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}
