/**
 * Threads that compute for a data-parallel training engine (engine.ts for glyph networks,
 * line-engine.ts for the line recogniser): starts them, routes each reply to its call, turns a
 * crash or an early exit into an error for every call still waiting, and stops them.
 *
 * A replica's script answers `{ type: 'ready' }` or `{ type: 'failed', error }` once started,
 * then one reply `{ id, error? }` per request `{ id }`, and exits on `{ type: 'close' }`.
 */
import { Worker } from 'node:worker_threads';

export interface ReplicaCallReply {
  id: number;
  error?: string;
}

type StartReply = { type: 'ready' } | { type: 'failed'; error: string };

export class ReplicaPool<Request extends { id: number }, Reply extends ReplicaCallReply> {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: Reply) => void; reject: (e: Error) => void }>();
  private failure: Error | null = null;
  private readonly exited = new Set<Worker>();

  private constructor(private readonly workers: Worker[]) {}

  get size(): number {
    return this.workers.length;
  }

  /** Starts one replica per entry of `inits` (its workerData) and waits until each is ready. */
  static async start<Request extends { id: number }, Reply extends ReplicaCallReply>(
    script: URL,
    inits: readonly unknown[],
  ): Promise<ReplicaPool<Request, Reply>> {
    const pool = new ReplicaPool<Request, Reply>(inits.map((workerData) => new Worker(script, { workerData })));
    try {
      await Promise.all(pool.workers.map((w) => pool.listen(w)));
    } catch (err) {
      await pool.close();
      throw err;
    }
    return pool;
  }

  /** A fresh request id. */
  id(): number {
    return this.nextId++;
  }

  /** Resolves when the replica is ready; afterwards routes its replies to the pending calls. */
  private listen(worker: Worker): Promise<void> {
    return new Promise((resolve, reject) => {
      let ready = false;
      worker.on('message', (msg: Reply | StartReply) => {
        if ('type' in msg) {
          if (msg.type === 'ready') {
            ready = true;
            resolve();
          } else reject(new Error(`training replica failed to start: ${msg.error}`));
          return;
        }
        const call = this.pending.get(msg.id);
        if (!call) return;
        this.pending.delete(msg.id);
        if (msg.error) call.reject(new Error(`training replica: ${msg.error}`));
        else call.resolve(msg);
      });
      const fail = (err: Error) => {
        this.failure ??= err;
        for (const call of this.pending.values()) call.reject(err);
        this.pending.clear();
        if (!ready) reject(err);
      };
      worker.on('error', (err) => fail(new Error(`training replica crashed: ${err.message}`)));
      worker.on('exit', (code) => {
        this.exited.add(worker);
        if (code !== 0 || this.pending.size > 0) fail(new Error(`training replica exited (code ${code})`));
      });
    });
  }

  /** Sends `request` to replica `k` (moving the `transfer` buffers) and resolves with its reply. */
  call(k: number, request: Request, transfer: ArrayBuffer[] = []): Promise<Reply> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.pending.set(request.id, { resolve, reject });
      this.workers[k]!.postMessage(request, transfer);
    });
  }

  async close(): Promise<void> {
    await Promise.all(
      this.workers.map(
        (w) =>
          new Promise<void>((resolve) => {
            if (this.exited.has(w)) return resolve();
            w.once('exit', () => resolve());
            w.postMessage({ type: 'close' });
            // A replica stuck in a kernel does not read messages: stop it after a grace period.
            setTimeout(() => void w.terminate(), 2000).unref();
          }),
      ),
    );
  }
}

/**
 * A data-parallel engine's shared memory and replicas: the weights every replica reads before
 * its next step, one gradient slot per replica, and the pool that computes on them.
 */
export abstract class SharedWeightReplicas<Request extends { id: number }, Reply extends ReplicaCallReply> {
  /** Bumped with each new set of weights; a replica reloads when a request carries a newer one. */
  protected version = 0;

  protected constructor(
    protected readonly pool: ReplicaPool<Request, Reply>,
    protected readonly weights: Float32Array,
    protected readonly slots: Float32Array[],
  ) {}

  /** The weights (a copy of `initial`) and `replicas` gradient slots, in shared memory. */
  protected static sharedMemory(initial: Float32Array, replicas: number): { weights: Float32Array; slots: Float32Array[] } {
    const weights = new Float32Array(new SharedArrayBuffer(initial.length * 4));
    weights.set(initial);
    const slots = Array.from({ length: replicas }, () => new Float32Array(new SharedArrayBuffer(initial.length * 4)));
    return { weights, slots };
  }

  get threads(): number {
    return this.pool.size;
  }

  setWeights(weights: Float32Array): void {
    this.weights.set(weights);
    this.version++;
  }

  /**
   * The batch's mean gradient into `out` from the replicas' slots, each weighted by its share
   * of the batch (replica k took `shares[k]` of it and reported `losses[k]`); returns the mean loss.
   */
  protected average(shares: readonly number[], losses: readonly number[], out: Float32Array): number {
    out.fill(0);
    let loss = 0;
    shares.forEach((share, k) => {
      if (share === 0) return;
      const g = this.slots[k]!;
      for (let i = 0; i < out.length; i++) out[i]! += share * g[i]!;
      loss += share * losses[k]!;
    });
    return loss;
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
