/**
 * Where the line recogniser's gradients and validation reads are computed: in this thread, or
 * data-parallel in replicas (one thread each), as engine.ts does for the glyph networks.
 *
 * Lines differ in width, so a batch (lines of similar width, drawn together) is dealt out
 * line by line — the k-th replica takes lines k, k + R, k + 2R… — and each share is padded to
 * its own widest line: the shares cost about the same, and no replica waits on a wide one. Each
 * replica writes the gradient of its share's mean loss into its own slot of shared memory; this
 * thread averages the slots weighted by share size, which is the gradient of the whole batch's
 * mean loss (the network masks what lies past a line's end, so padding changes nothing).
 */
import type * as tfjs from '@tensorflow/tfjs';
import { padLines } from '../../data/lines.ts';
import { mixSeed } from '../sampling.ts';
import { ReplicaPool, SharedWeightReplicas } from './replica-pool.ts';
import { ctcLossTf, framesOf, lineLogits, type LineArchitecture, type LineParam } from './line-model.ts';

type Tf = typeof tfjs;

/** A line as the engine takes it: ink 0..1, `height` rows of `width`, and its labels (charset.ts). */
export interface LineItem {
  ink: Float32Array;
  width: number;
  labels: Int32Array;
}

/** A padded batch (what one thread computes on). */
export interface LineBatch {
  pixels: Float32Array;
  count: number;
  width: number;
  widths: number[];
  labels: Int32Array[];
}

/** What reading a batch gives: per line its frames' probabilities (softmax) and its CTC loss summed over the batch. */
export interface LineReading {
  /** Per line, `frames[n] × classes` probabilities. */
  probs: Float32Array[];
  frames: number[];
  lossSum: number;
}

export interface LineEngine {
  /** Threads computing. */
  readonly threads: number;
  /** Loads new weights (flat, the layout's order) for the next computation. */
  setWeights(weights: Float32Array): void;
  /** Mean CTC loss over `items` and its gradient (into `out`); `seed` drives dropout. */
  gradients(items: readonly LineItem[], seed: number, out: Float32Array): Promise<number>;
  /** Reads `items` (no dropout): probabilities per frame and the loss. */
  read(items: readonly LineItem[]): Promise<LineReading>;
  close(): Promise<void>;
}

export function padBatch(items: readonly LineItem[], height: number): LineBatch {
  const { pixels, width } = padLines(items, height);
  return { pixels, count: items.length, width, widths: items.map((i) => i.width), labels: items.map((i) => i.labels) };
}

/** The network's weights as TF.js variables, and the two computations asked of them. */
export class LineComputer {
  readonly params: tfjs.Variable[];

  constructor(
    private readonly tf: Tf,
    private readonly arch: LineArchitecture,
    private readonly layout: readonly LineParam[],
    weights: Float32Array,
  ) {
    this.params = tf.tidy(() => layout.map((p) => tf.variable(tf.tensor(weights.subarray(p.offset, p.offset + p.size), p.shape))));
  }

  setWeights(w: Float32Array): void {
    // tidy: assign copies, so the temporary tensors go at once (2.5 MB a step otherwise).
    this.tf.tidy(() => this.layout.forEach((p, i) => this.params[i]!.assign(this.tf.tensor(w.subarray(p.offset, p.offset + p.size), p.shape))));
  }

  /** Mean CTC loss of the batch; its gradient goes into `out` (flat, the layout's order). */
  gradients(b: LineBatch, seed: number, out: Float32Array): number {
    const { tf, arch } = this;
    const input = tf.tensor4d(b.pixels, [b.count, arch.height, b.width, 1]);
    const frames = b.widths.map((w) => framesOf(arch, w));
    const { value, grads } = tf.variableGrads(
      () => ctcLossTf(tf, lineLogits(tf, arch, this.params, input, true, seed, b.widths), b.labels, frames),
      this.params,
    );
    const loss = value.dataSync()[0]!;
    this.layout.forEach((p, i) => out.set(grads[this.params[i]!.name]!.dataSync() as Float32Array, p.offset));
    tf.dispose([input, value, ...Object.values(grads)]);
    return loss;
  }

  read(b: LineBatch): LineReading {
    const { tf, arch } = this;
    const input = tf.tensor4d(b.pixels, [b.count, arch.height, b.width, 1]);
    const logits = lineLogits(tf, arch, this.params, input, false, undefined, b.widths);
    const frames = b.widths.map((w) => framesOf(arch, w));
    const loss = ctcLossTf(tf, logits, b.labels, frames);
    const probs = tf.softmax(logits);
    const data = probs.dataSync() as Float32Array;
    const T = logits.shape[1];
    const out = frames.map((f, n) => data.slice(n * T * arch.classes, (n * T + f) * arch.classes));
    const lossSum = loss.dataSync()[0]! * b.count;
    tf.dispose([input, logits, loss, probs]);
    return { probs: out, frames, lossSum };
  }

  dispose(): void {
    this.tf.dispose(this.params);
  }
}

export interface LineEngineOptions {
  tf: Tf;
  /** Backend the replicas select (the main thread's choice). */
  backend: string;
  arch: LineArchitecture;
  layout: readonly LineParam[];
  weights: Float32Array;
  /** Replicas; 0 = compute in this thread. */
  replicas: number;
}

export async function createLineEngine(o: LineEngineOptions): Promise<LineEngine> {
  return o.replicas > 0 ? LineReplicas.start(o) : new LocalLineEngine(o);
}

/** The seed of replica k's share: replica 0 keeps the batch's own, so one replica reads as this thread would. */
function shareSeed(seed: number, k: number): number {
  return k === 0 ? seed : mixSeed(seed, k);
}

/** Deals `items` out to `parts` shares: share k holds items k, k + parts, k + 2·parts… */
export function dealLines<T>(items: readonly T[], parts: number): T[][] {
  const out: T[][] = Array.from({ length: Math.min(parts, items.length) }, () => []);
  items.forEach((item, i) => out[i % out.length]!.push(item));
  return out;
}

class LocalLineEngine implements LineEngine {
  readonly threads = 1;
  private readonly computer: LineComputer;

  constructor(private readonly o: LineEngineOptions) {
    this.computer = new LineComputer(o.tf, o.arch, o.layout, o.weights);
  }

  setWeights(weights: Float32Array): void {
    this.computer.setWeights(weights);
  }

  async gradients(items: readonly LineItem[], seed: number, out: Float32Array): Promise<number> {
    return this.computer.gradients(padBatch(items, this.o.arch.height), shareSeed(seed, 0), out);
  }

  async read(items: readonly LineItem[]): Promise<LineReading> {
    return this.computer.read(padBatch(items, this.o.arch.height));
  }

  async close(): Promise<void> {
    this.computer.dispose();
  }
}

/** Messages between the engine and its line replicas (line-replica.ts). */
export type LineReplicaRequest =
  | { type: 'step'; id: number; batch: LineBatch; seed: number; version: number }
  | { type: 'read'; id: number; batch: LineBatch; version: number }
  | { type: 'close' };
export type LineCallReply = { id: number; loss?: number; reading?: LineReading; error?: string };
export type LineReplicaReply = LineCallReply | { type: 'ready' } | { type: 'failed'; error: string };

export interface LineReplicaInit {
  backend: string;
  arch: LineArchitecture;
  layout: readonly LineParam[];
  /** Shared: the current weights. */
  weights: Float32Array;
  /** Shared: this replica's gradient slot. */
  gradient: Float32Array;
}

class LineReplicas extends SharedWeightReplicas<Extract<LineReplicaRequest, { id: number }>, LineCallReply> implements LineEngine {
  private constructor(
    pool: ReplicaPool<Extract<LineReplicaRequest, { id: number }>, LineCallReply>,
    weights: Float32Array,
    slots: Float32Array[],
    private readonly height: number,
  ) {
    super(pool, weights, slots);
  }

  static async start(o: LineEngineOptions): Promise<LineReplicas> {
    const { weights, slots } = SharedWeightReplicas.sharedMemory(o.weights, o.replicas);
    const inits = slots.map((gradient): LineReplicaInit => ({ backend: o.backend, arch: o.arch, layout: o.layout, weights, gradient }));
    const pool = await ReplicaPool.start<Extract<LineReplicaRequest, { id: number }>, LineCallReply>(new URL('./line-replica.mjs', import.meta.url), inits);
    return new LineReplicas(pool, weights, slots, o.arch.height);
  }

  private send(k: number, part: readonly LineItem[], request: { type: 'step'; seed: number } | { type: 'read' }): Promise<LineCallReply> {
    const batch = padBatch(part, this.height);
    return this.pool.call(k, { ...request, id: this.pool.id(), batch, version: this.version }, [batch.pixels.buffer as ArrayBuffer]);
  }

  async gradients(items: readonly LineItem[], seed: number, out: Float32Array): Promise<number> {
    const parts = dealLines(items, this.pool.size);
    const replies = await Promise.all(parts.map((part, k) => this.send(k, part, { type: 'step', seed: shareSeed(seed, k) })));
    return this.average(
      parts.map((part) => part.length / items.length),
      replies.map((r) => r.loss!),
      out,
    );
  }

  async read(items: readonly LineItem[]): Promise<LineReading> {
    const parts = dealLines(items, this.pool.size);
    const replies = await Promise.all(parts.map((part, k) => this.send(k, part, { type: 'read' })));
    const probs = new Array<Float32Array>(items.length);
    const frames = new Array<number>(items.length);
    let lossSum = 0;
    replies.forEach((r, k) => {
      const reading = r.reading!;
      reading.probs.forEach((p, j) => {
        probs[k + j * parts.length] = p;
        frames[k + j * parts.length] = reading.frames[j]!;
      });
      lossSum += reading.lossSum;
    });
    return { probs, frames, lossSum };
  }
}
