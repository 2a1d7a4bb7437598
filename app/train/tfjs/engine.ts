/**
 * Where gradients are computed: in this thread, or data-parallel in replicas (one thread each).
 *
 * The WASM backend runs each kernel on one thread (its thread pool is off in Node), so on a
 * machine with several cores the batch is split between replicas: each holds the network, takes
 * its share of the batch (building and augmenting it itself from the training images, which
 * live in a SharedArrayBuffer), and writes the gradient of its share into its own slot of a
 * shared buffer. This thread averages the slots (weighted by share size — the same gradient as
 * one big batch) and applies the update to the shared weights, which every replica reads before
 * its next step. The native backends use all cores themselves and run in this thread.
 */
import { availableParallelism } from 'node:os';
import type * as tfjs from '@tensorflow/tfjs';
import { paramCount, TfNetwork, type Architecture, type ParamInfo } from './model.ts';
import { mixSeed, type ImageSet } from '../sampling.ts';
import { ReplicaPool, SharedWeightReplicas } from './replica-pool.ts';
import { computeLogits, GradientStep } from './step.ts';

export interface GradientEngine {
  /** Threads computing gradients. */
  readonly threads: number;
  /** Loads new weights (flat, the layout's order) for the next computation. */
  setWeights(weights: Float32Array): void;
  /**
   * Mean loss over the training images `indices` and its gradient (into `out`). `seed` drives
   * dropout and, with `augment`, the augmentation (each replica mixes in its number).
   */
  gradients(indices: Int32Array, seed: number, augment: boolean, out: Float32Array): Promise<number>;
  /** Logits for `count` images (no dropout). */
  logits(pixels: Float32Array, count: number): Promise<Float32Array>;
  close(): Promise<void>;
}

export interface EngineOptions {
  tf: typeof tfjs;
  /** Backend the replicas select (the main thread's choice). */
  backend: string;
  architecture: Architecture;
  layout: readonly ParamInfo[];
  weights: Float32Array;
  trainable: readonly boolean[];
  train: ImageSet;
  /** Replicas; 0 = compute in this thread. */
  replicas: number;
}

/** Replicas a backend gets by default: a single-threaded one (WASM) one per core, up to 4; a native one none. */
export function defaultReplicas(backend: { singleThreaded: boolean }): number {
  return backend.singleThreaded ? Math.min(4, availableParallelism()) : 0;
}

export async function createEngine(options: EngineOptions): Promise<GradientEngine> {
  return options.replicas > 0 ? ReplicaEngine.start(options) : new LocalEngine(options);
}

/** Splits `n` items into `parts` contiguous shares whose sizes differ by at most one. */
export function shares(n: number, parts: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let start = 0;
  for (let k = 0; k < parts; k++) {
    const size = Math.floor(n / parts) + (k < n % parts ? 1 : 0);
    out.push([start, start + size]);
    start += size;
  }
  return out;
}

class LocalEngine implements GradientEngine {
  readonly threads = 1;
  private readonly net: TfNetwork;
  private readonly step: GradientStep;

  constructor(private readonly o: EngineOptions) {
    this.net = new TfNetwork(o.tf, o.architecture, o.layout, o.weights);
    this.step = new GradientStep(o.tf, this.net, o.train, o.trainable);
  }

  setWeights(weights: Float32Array): void {
    this.net.setWeights(weights);
  }

  async gradients(indices: Int32Array, seed: number, augment: boolean, out: Float32Array): Promise<number> {
    return this.step.run(indices, mixSeed(seed, 0), augment, out);
  }

  async logits(pixels: Float32Array, count: number): Promise<Float32Array> {
    return computeLogits(this.o.tf, this.net, pixels, count);
  }

  async close(): Promise<void> {
    this.net.dispose();
  }
}

/** Messages between the engine and its replicas (see replica.ts). */
export type ReplicaRequest =
  | { type: 'step'; id: number; indices: Int32Array; seed: number; augment: boolean; version: number }
  | { type: 'logits'; id: number; pixels: Float32Array; count: number; version: number }
  | { type: 'close' };
export type CallReply = { id: number; loss?: number; logits?: Float32Array; error?: string };
export type ReplicaReply = CallReply | { type: 'ready'; label: string } | { type: 'failed'; error: string };

export interface ReplicaInit {
  backend: string;
  architecture: Architecture;
  layout: readonly ParamInfo[];
  trainable: readonly boolean[];
  train: ImageSet;
  /** Shared: the current weights. */
  weights: Float32Array;
  /** Shared: this replica's gradient slot. */
  gradient: Float32Array;
}

class ReplicaEngine extends SharedWeightReplicas<Extract<ReplicaRequest, { id: number }>, CallReply> implements GradientEngine {
  private constructor(
    pool: ReplicaPool<Extract<ReplicaRequest, { id: number }>, CallReply>,
    weights: Float32Array,
    slots: Float32Array[],
    private readonly classes: number,
  ) {
    super(pool, weights, slots);
  }

  static async start(o: EngineOptions): Promise<ReplicaEngine> {
    if (!(o.train.pixels.buffer instanceof SharedArrayBuffer) || !(o.train.labels.buffer instanceof SharedArrayBuffer)) {
      throw new Error('replica engine: the training images must live in a SharedArrayBuffer (see sharedImageSet)');
    }
    if (o.weights.length !== paramCount(o.layout)) throw new RangeError(`replica engine: ${o.weights.length} weights for ${paramCount(o.layout)} parameters`);
    const { weights, slots } = SharedWeightReplicas.sharedMemory(o.weights, o.replicas);
    const inits = slots.map((gradient): ReplicaInit => ({
      backend: o.backend,
      architecture: o.architecture,
      layout: o.layout,
      trainable: o.trainable,
      train: o.train,
      weights,
      gradient,
    }));
    const pool = await ReplicaPool.start<Extract<ReplicaRequest, { id: number }>, CallReply>(new URL('./replica.mjs', import.meta.url), inits);
    return new ReplicaEngine(pool, weights, slots, o.architecture.classes);
  }

  async gradients(indices: Int32Array, seed: number, augment: boolean, out: Float32Array): Promise<number> {
    const parts = shares(indices.length, this.pool.size);
    const replies = await Promise.all(
      parts.map(([a, b], k) =>
        b > a
          ? this.pool.call(k, {
              type: 'step',
              id: this.pool.id(),
              indices: indices.slice(a, b),
              seed: mixSeed(seed, k),
              augment,
              version: this.version,
            })
          : null,
      ),
    );
    return this.average(
      parts.map(([a, b]) => (b - a) / indices.length),
      replies.map((r) => r?.loss ?? 0),
      out,
    );
  }

  async logits(pixels: Float32Array, count: number): Promise<Float32Array> {
    const size = pixels.length / count;
    const parts = shares(count, this.pool.size).filter(([a, b]) => b > a);
    const replies = await Promise.all(
      parts.map(([a, b], k) => {
        const chunk = pixels.slice(a * size, b * size);
        return this.pool.call(k, { type: 'logits', id: this.pool.id(), pixels: chunk, count: b - a, version: this.version }, [chunk.buffer as ArrayBuffer]);
      }),
    );
    const classes = this.classes;
    const out = new Float32Array(count * classes);
    parts.forEach(([a], k) => out.set(replies[k]!.logits!, a * classes));
    return out;
  }
}

/** A copy of `set`'s images `indices` in SharedArrayBuffers (what the replicas read). */
export function sharedImageSet(
  set: { pixels: Float32Array; labels: Int32Array; height: number; width: number; channels: number },
  indices: ArrayLike<number>,
): ImageSet {
  const size = set.height * set.width * set.channels;
  const pixels = new Float32Array(new SharedArrayBuffer(indices.length * size * 4));
  const labels = new Int32Array(new SharedArrayBuffer(indices.length * 4));
  for (let i = 0; i < indices.length; i++) {
    const j = indices[i]!;
    pixels.set(set.pixels.subarray(j * size, (j + 1) * size), i * size);
    labels[i] = set.labels[j]!;
  }
  return { pixels, labels, height: set.height, width: set.width, channels: set.channels };
}
