import { allocate, kernels } from './backend.ts';
import type { FloatArray } from './kernels/types.ts';
import type { Param } from './layers.ts';

/** What trainEpoch needs of an optimiser: one update from the gradients in its parameters. */
export interface Optimizer {
  readonly params: readonly Param[];
  learningRate: number;
  step(): void;
}

export interface SgdOptions {
  /** Learning rate, > 0. */
  learningRate: number;
  /** Momentum in [0, 1); 0 (the default) is plain mini-batch SGD. */
  momentum?: number;
  /** L2 weight decay ≥ 0, added to every parameter's gradient as decay · w (default 0). */
  weightDecay?: number;
}

/**
 * Mini-batch SGD, with optional momentum and weight decay. It knows parameters (value and
 * gradient arrays), not layers. With g′ = g + decay·w:
 *   plain:    w ← w − learningRate·g′
 *   momentum: v ← momentum·v − learningRate·g′;  w ← w + v   (v starts at 0)
 * Bad hyper-parameters are rejected here, at construction, naming the value.
 */
export class SGD implements Optimizer {
  private rate: number;
  readonly momentum: number;
  readonly weightDecay: number;
  private readonly velocity: (FloatArray | null)[];

  constructor(
    readonly params: readonly Param[],
    options: SgdOptions,
  ) {
    this.rate = checkLearningRate(options.learningRate);
    this.momentum = options.momentum ?? 0;
    this.weightDecay = options.weightDecay ?? 0;
    if (!(this.momentum >= 0 && this.momentum < 1)) throw new RangeError(`SGD: momentum must be in [0, 1), got ${this.momentum}`);
    if (!(this.weightDecay >= 0 && Number.isFinite(this.weightDecay)))
      throw new RangeError(`SGD: weightDecay must be a finite number ≥ 0, got ${this.weightDecay}`);
    if (params.length === 0) throw new Error('SGD: no parameters to optimise');
    for (const p of params) {
      if (p.value.length !== p.grad.length) throw new RangeError(`SGD: parameter ${p.name} has ${p.value.length} values but ${p.grad.length} gradients`);
    }
    this.velocity = params.map((p) => (this.momentum > 0 ? allocate(p.value.length, p.value instanceof Float64Array ? 'float64' : 'float32') : null));
  }

  /** The momentum buffers, one per parameter (null without momentum): a checkpoint saves them. */
  get velocities(): readonly (FloatArray | null)[] {
    return this.velocity;
  }

  get learningRate(): number {
    return this.rate;
  }

  /** Changes the learning rate (for schedules); the same check as at construction. */
  set learningRate(value: number) {
    this.rate = checkLearningRate(value);
  }

  /**
   * Applies one update from the gradients the last backward pass left in the parameters.
   * A gradient deferred as a product (Param.deferred) is fused into the update, never stored.
   */
  step(): void {
    const k = kernels();
    for (let i = 0; i < this.params.length; i++) {
      const p = this.params[i]!;
      const product = p.deferred;
      if (product) {
        k.sgdStepProduct(product.m, product.n, product.k, product.a, product.b, p.value, this.velocity[i]!, this.rate, this.momentum, this.weightDecay);
        product.settled();
      } else {
        k.sgdStep(p.value, p.grad, this.velocity[i]!, p.value.length, this.rate, this.momentum, this.weightDecay);
      }
    }
  }
}

function checkLearningRate(rate: number): number {
  if (!(typeof rate === 'number' && rate > 0 && Number.isFinite(rate))) throw new RangeError(`SGD: learningRate must be a finite number > 0, got ${rate}`);
  return rate;
}
