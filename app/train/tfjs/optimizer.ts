/**
 * Parameter updates on the flat weight array, in plain JavaScript: one place for the update
 * whether gradients come from this thread or from replicas, and state that is just arrays (so a
 * checkpoint saves it as it is).
 *
 * - 'adam' (the CNN): Adam with decoupled weight decay on kernels (AdamW), β1 = momentum.
 * - 'sgd' (the course MLP): mini-batch SGD with classical momentum, as the course trains it.
 */
import type { BackendState } from '../backend.ts';
import type { ParamInfo } from './model.ts';

export type OptimizerKind = 'adam' | 'sgd';

export interface OptimizerState {
  kind: OptimizerKind;
  /** Updates taken so far. */
  step: number;
  /** Adam: first moment; SGD: velocity. */
  m: Float32Array;
  /** Adam: second moment; SGD: unused (empty). */
  v: Float32Array;
}

export interface OptimizerSettings {
  kind: OptimizerKind;
  momentum: number;
  beta2?: number;
  epsilon?: number;
  /** Decoupled weight decay per step, times the learning rate (kernels only). */
  weightDecay?: number;
}

export function createOptimizerState(kind: OptimizerKind, size: number): OptimizerState {
  return { kind, step: 0, m: new Float32Array(size), v: kind === 'adam' ? new Float32Array(size) : new Float32Array(0) };
}

/** One update of `weights` in place with `grads`; parameters not `trainable` stay as they are. */
export function applyUpdate(
  weights: Float32Array,
  grads: Float32Array,
  state: OptimizerState,
  settings: OptimizerSettings,
  learningRate: number,
  layout: readonly ParamInfo[],
  trainable: readonly boolean[],
): void {
  state.step++;
  const { m, v } = state;
  if (settings.kind === 'sgd') {
    const mu = settings.momentum;
    layout.forEach((p, k) => {
      if (!trainable[k]) return;
      for (let i = p.offset; i < p.offset + p.size; i++) {
        m[i] = mu * m[i]! + grads[i]!;
        weights[i]! -= learningRate * m[i]!;
      }
    });
    return;
  }
  const b1 = settings.momentum;
  const b2 = settings.beta2 ?? 0.999;
  const eps = settings.epsilon ?? 1e-7;
  const c2 = 1 - b2 ** state.step;
  const stepSize = (learningRate * Math.sqrt(c2)) / (1 - b1 ** state.step);
  const epsHat = eps * Math.sqrt(c2);
  const decay = 1 - learningRate * (settings.weightDecay ?? 0);
  layout.forEach((p, k) => {
    if (trainable[k]) adamRange(weights, grads, m, v, p.offset, p.offset + p.size, b1, b2, stepSize, epsHat, p.shape.length > 1 ? decay : 1);
  });
}

/** One tight loop per parameter (monomorphic, no closures: this runs between every two steps). */
function adamRange(
  w: Float32Array,
  g: Float32Array,
  m: Float32Array,
  v: Float32Array,
  from: number,
  to: number,
  b1: number,
  b2: number,
  stepSize: number,
  epsHat: number,
  shrink: number,
): void {
  const c1 = 1 - b1;
  const c2 = 1 - b2;
  for (let i = from; i < to; i++) {
    const gi = g[i]!;
    const mi = b1 * m[i]! + c1 * gi;
    const vi = b2 * v[i]! + c2 * gi * gi;
    m[i] = mi;
    v[i] = vi;
    w[i] = w[i]! * shrink - (stepSize * mi) / (Math.sqrt(vi) + epsHat);
  }
}

/** Flat weights and their optimiser as a fit backend's state (fit.ts checkpoints it). */
export function flatState(weights: Float32Array, state: OptimizerState): BackendState {
  return { weights, arrays: { m: state.m, v: state.v }, scalars: { step: state.step } };
}

/** Puts a checkpoint's weights and optimiser state back into the live arrays. */
export function restoreFlatState(saved: BackendState, weights: Float32Array, state: OptimizerState): void {
  if (saved.weights.length !== weights.length) throw new Error(`checkpoint: ${saved.weights.length} weights, the network has ${weights.length}`);
  weights.set(saved.weights);
  if (saved.arrays.m) state.m.set(saved.arrays.m);
  if (saved.arrays.v) state.v.set(saved.arrays.v);
  state.step = saved.scalars.step ?? state.step;
}
