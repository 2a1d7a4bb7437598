import type { Rng } from '../base/random.ts';
import type { FloatArray } from './kernels/types.ts';
import type { Layer, Param } from './layers.ts';
import type { Loss } from './losses.ts';

export interface GradcheckOptions {
  /** Finite-difference step (default 1e-5, which balances truncation and round-off in float64). */
  epsilon?: number;
  /** Check at most this many entries per parameter, drawn with rng (default: all). */
  samples?: number;
  rng?: Rng;
  /**
   * Entries far smaller than their parameter's largest gradient are judged against that scale:
   * the denominator is at least floor × max |analytic| of the parameter (default 1e-3), and at
   * least 1e-12. Otherwise round-off in a 1e-8 gradient would read as a large relative error.
   */
  floor?: number;
}

export interface GradcheckResult {
  /** max over checked entries of |analytic − numeric| / max(|analytic| + |numeric|, floor · scale). */
  maxRelativeError: number;
  checked: number;
  worst: { param: string; index: number; analytic: number; numeric: number } | null;
}

/**
 * Compares analytic gradients with central finite differences (f(θ+ε) − f(θ−ε)) / 2ε.
 * `loss` runs a forward pass and returns the scalar loss from the current parameter values;
 * `gradients` runs forward and backward, leaving dL/dθ in each param's grad. Use float64
 * parameters: in float32 the differences drown in rounding.
 */
export function gradcheck(loss: () => number, gradients: () => void, params: readonly Param[], options: GradcheckOptions = {}): GradcheckResult {
  const eps = options.epsilon ?? 1e-5;
  const floor = options.floor ?? 1e-3;
  gradients();
  const analytic = params.map((p) => Float64Array.from(p.grad));
  const result: GradcheckResult = { maxRelativeError: 0, checked: 0, worst: null };
  params.forEach((p, pi) => {
    const scale = analytic[pi]!.reduce((m, g) => Math.max(m, Math.abs(g)), 0);
    const least = Math.max(floor * scale, 1e-12);
    for (const index of entries(p.value.length, options)) {
      const saved = p.value[index]!;
      p.value[index] = saved + eps;
      const up = loss();
      p.value[index] = saved - eps;
      const down = loss();
      p.value[index] = saved;
      const numeric = (up - down) / (2 * eps);
      const a = analytic[pi]![index]!;
      const error = Math.abs(a - numeric) / Math.max(Math.abs(a) + Math.abs(numeric), least);
      result.checked++;
      if (!(error <= result.maxRelativeError)) {
        result.maxRelativeError = error;
        result.worst = { param: p.name, index, analytic: a, numeric };
      }
    }
  });
  return result;
}

function entries(length: number, { samples, rng }: GradcheckOptions): number[] {
  const all = Array.from({ length }, (_, i) => i);
  if (samples === undefined || samples >= length) return all;
  if (!rng) throw new Error('gradcheck: sampling entries needs an rng');
  return rng.shuffle(all).slice(0, samples);
}

/**
 * Checks a layer's backward: the loss is Σ r ⊙ layer(x) for a fixed random r (so dL/dy = r),
 * and both the parameters and the input x are checked.
 */
export function checkLayerGradients(layer: Layer, n: number, rng: Rng, options: GradcheckOptions & { input?: FloatArray } = {}): GradcheckResult {
  const x = options.input ?? randomNormal(n * layer.inputSize, rng);
  const r = randomNormal(n * layer.outputSize, rng);
  const dx = new Float64Array(x.length);
  const loss = (): number => {
    const y = layer.forward(x, n);
    let s = 0;
    for (let i = 0; i < r.length; i++) s += r[i]! * y[i]!;
    return s;
  };
  const gradients = (): void => {
    layer.forward(x, n);
    dx.set(layer.backward(r, n, true)!.subarray(0, x.length));
  };
  return gradcheck(loss, gradients, [...layer.params(), { name: 'input', value: x, grad: dx }], { rng, ...options });
}

/** Checks a loss's gradient with respect to the outputs it is given. */
export function checkLossGradients(
  loss: Loss,
  output: FloatArray,
  targets: Int32Array | FloatArray,
  n: number,
  width: number,
  options: GradcheckOptions = {},
): GradcheckResult {
  const grad = new Float64Array(n * width);
  const scratch = new Float64Array(n * width);
  return gradcheck(
    () => loss.lossAndGrad(output, targets, n, width, scratch),
    () => void loss.lossAndGrad(output, targets, n, width, grad),
    [{ name: loss.name, value: output, grad }],
    options,
  );
}

function randomNormal(length: number, rng: Rng): Float64Array {
  const a = new Float64Array(length);
  for (let i = 0; i < length; i++) a[i] = rng.normal();
  return a;
}
