import { Worker } from 'node:worker_threads';
import type { WasmMemory, WasmModule } from './webassembly.ts';

/**
 * Worker threads that run WebAssembly kernels on the engine's shared memory, for fork–join
 * splits of one kernel call: the main thread posts a job per worker, runs its own share, then
 * waits for the workers. Control goes through a SharedArrayBuffer with Atomics (no messages),
 * so a job costs about a microsecond while the workers are spinning.
 *
 * Workers start in the background; until one reports ready, calls simply run on the main
 * thread. They are unref'd, so an idle pool never keeps the process alive; `close()` ends them.
 */
const LAYOUT = {
  ints: 32,
  SEQ: 0, // own cache line: written by the main thread
  DONE: 16, // another line: written by the worker
  READY: 17,
  ERROR: 18,
  floatsOffset: 128,
  floats: 16,
} as const;
const BLOCK_BYTES = 256;
/** How long an idle worker spins before it sleeps, and how long the main thread spins before it does. */
const WORKER_SPIN_MS = 2;
const MAIN_SPIN = 1 << 16;
/** A job that has not finished after this long means a dead worker. */
const JOB_TIMEOUT_MS = 60_000;

export class WorkerPool {
  private readonly workers: Worker[] = [];
  private readonly ints: Int32Array[] = [];
  private readonly floats: Float64Array[] = [];
  private readonly seq: number[] = [];
  private readonly functionIndex: Map<string, number>;
  private readonly exited: Promise<unknown>[] = [];
  private readyCount = 0;
  private closed = false;

  constructor(module: WasmModule, memory: WasmMemory, count: number, functions: readonly string[]) {
    this.functionIndex = new Map(functions.map((name, i) => [name, i]));
    const control = new SharedArrayBuffer(BLOCK_BYTES * count);
    for (let w = 0; w < count; w++) {
      const offset = w * BLOCK_BYTES;
      const worker = new Worker(new URL('./worker.mjs', import.meta.url), {
        workerData: { module, memory, control, offset, layout: LAYOUT, functions, spinMs: WORKER_SPIN_MS },
      });
      worker.unref();
      this.exited.push(new Promise((resolve) => worker.once('exit', resolve)));
      worker.on('error', (error) => console.error('hwr nn kernel thread failed:', error));
      this.workers.push(worker);
      this.ints.push(new Int32Array(control, offset, LAYOUT.ints));
      this.floats.push(new Float64Array(control, offset + LAYOUT.floatsOffset, LAYOUT.floats));
      this.seq.push(0);
    }
  }

  get size(): number {
    return this.workers.length;
  }

  /** Workers ready to take jobs now (a prefix of the pool); never blocks. */
  ready(): number {
    while (this.readyCount < this.workers.length && Atomics.load(this.ints[this.readyCount]!, LAYOUT.READY) === 1) this.readyCount++;
    return this.closed ? 0 : this.readyCount;
  }

  /** Resolves once every worker is ready (or the pool is closed). */
  async whenReady(timeoutMs = 30_000): Promise<void> {
    const start = Date.now();
    while (!this.closed && this.ready() < this.workers.length) {
      if (Date.now() - start > timeoutMs) throw new Error(`kernel threads not ready after ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  }

  /** Starts `fn(...args)` on worker w; pair with `wait(w)`. */
  post(w: number, fn: string, args: ArrayLike<number>): void {
    const index = this.functionIndex.get(fn);
    if (index === undefined) throw new Error(`WorkerPool: unknown kernel ${fn}`);
    const floats = this.floats[w]!;
    floats[0] = index;
    for (let i = 0; i < args.length; i++) floats[i + 1] = args[i]!;
    const ints = this.ints[w]!;
    Atomics.store(ints, LAYOUT.SEQ, ++this.seq[w]!);
    Atomics.notify(ints, LAYOUT.SEQ);
  }

  /** Waits until worker w has finished its last job; throws if the job failed. */
  wait(w: number): void {
    const ints = this.ints[w]!;
    const target = this.seq[w]!;
    let spins = 0;
    let waitedMs = 0;
    for (let done = Atomics.load(ints, LAYOUT.DONE); done !== target; done = Atomics.load(ints, LAYOUT.DONE)) {
      if (++spins < MAIN_SPIN) continue;
      if (Atomics.wait(ints, LAYOUT.DONE, done, 100) === 'timed-out' && (waitedMs += 100) > JOB_TIMEOUT_MS) {
        throw new Error(`kernel thread ${w} did not finish a job in ${JOB_TIMEOUT_MS / 1000} s`);
      }
    }
    if (Atomics.exchange(ints, LAYOUT.ERROR, 0) !== 0) throw new Error(`kernel thread ${w} failed (see the error printed above)`);
  }

  /** Ends the workers; resolves when they have exited. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (let w = 0; w < this.workers.length; w++) {
      this.floats[w]![0] = -1;
      Atomics.store(this.ints[w]!, LAYOUT.SEQ, ++this.seq[w]!);
      Atomics.notify(this.ints[w]!, LAYOUT.SEQ);
    }
    const timer = setTimeout(() => this.workers.forEach((w) => void w.terminate()), 2000);
    await Promise.all(this.exited);
    clearTimeout(timer);
  }
}
