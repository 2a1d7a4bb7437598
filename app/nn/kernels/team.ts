import { Worker } from 'node:worker_threads';
import type { WasmModule, WasmMemory } from './webassembly.ts';

/**
 * Kernel threads (thread.mjs) that share large kernel calls with the main thread. A call
 * becomes a job cut into chunks (blocks of columns, rows or elements); every thread claims
 * chunks one at a time from a shared counter until none are left, and the main thread returns
 * when all are done. Claiming, rather than handing each thread a fixed share, means the main
 * thread never waits for work nobody has started: if a kernel thread is busy elsewhere or
 * descheduled (a loaded machine), the main thread simply does more chunks itself.
 *
 * Control lives in a SharedArrayBuffer (Atomics, no messages), so a job costs about a
 * microsecond while the kernel threads spin. Protocol, for job number seq:
 *   main:   write the description (job floats) → NEXT = tag(seq) | 0 → SEQ = seq → notify
 *   anyone: CAS NEXT from tag|i to tag|i+1 claims chunk i (while i < chunks); run it; DONE += 1
 *   main:   wait until DONE = chunks → NEXT = CLOSED
 * A thread that reads a description while main is already rewriting it for the next job cannot
 * claim anything (the tag no longer matches), so it never runs a torn job.
 *
 * Kernel threads start in the background; until one reports ready the main thread works alone. They
 * are unref'd, so an idle team never keeps the process alive; `close()` ends them. Whether a
 * call is worth sharing at all is decided by timing (chooser.ts).
 */
/** Arguments a shared kernel may take. */
export const ARGS = 16;
const LAYOUT = {
  ints: 256,
  SEQ: 0, // each hot field on its own cache line
  NEXT: 16,
  DONE: 32,
  QUIT: 48,
  ERROR: 49,
  READY: 64, // + thread index
  SEQ_MASK: 0x7fff,
  jobOffset: 1024,
  jobFloats: 128,
  FN: 0,
  TOTAL: 1,
  CHUNK: 2,
  CHUNKS: 3,
  COUNT_ARG: 4,
  TMP_ARG: 5,
  PACK_ARG: 6,
  ARGS: 8,
  STRIDES: 8 + ARGS,
  SCRATCH: 8 + 2 * ARGS, // tmp and pack address per thread (0 = main)
  args: ARGS,
} as const;
export const MAX_THREADS = (LAYOUT.jobFloats - LAYOUT.SCRATCH) / 2;
const CLOSED = -1;
/** How long an idle kernel thread spins before it sleeps (ms), and how many checks the main thread spins. */
const THREAD_SPIN_MS = 0.25;
const MAIN_SPIN = 1 << 14;
/** A chunk that has not finished after this long means a dead kernel thread. */
const JOB_TIMEOUT_MS = 60_000;
/** A wait this long for a kernel thread's chunk means it was preempted (a chunk takes microseconds). */
const STALL_MS = 0.5;

/** A kernel call to share: `args` at chunk start 0, each advanced by `strides[i] × from` for a chunk starting at unit `from`. */
export interface Job {
  fn: string;
  /** Units of work (columns, rows or elements) and units per chunk. */
  total: number;
  chunk: number;
  args: ArrayLike<number>;
  strides: ArrayLike<number>;
  /** The argument that receives the chunk's length in units. */
  countArg: number;
  /** Arguments that receive the thread's own scratch tile and packing panel (−1: none). */
  tmpArg: number;
  packArg: number;
}

export interface Scratch {
  /** Per thread (0 = main): the byte address of its 128-byte tile and of its packing panel. */
  tmp: number[];
  pack: number[];
}

export class ThreadTeam {
  private readonly threads: Worker[] = [];
  private readonly exited: Promise<unknown>[] = [];
  private readonly ints: Int32Array;
  private readonly job: Float64Array;
  private readonly functionIndex: Map<string, number>;
  private readonly a = new Float64Array(ARGS);
  private seq = 0;
  private readyCount = 0;
  private closed = false;
  /** Jobs shared, and jobs in which the main thread stalled waiting for a preempted kernel thread. */
  readonly counts = { shared: 0, stalled: 0 };

  constructor(
    module: WasmModule,
    memory: WasmMemory,
    helpers: number,
    private readonly functions: readonly ((...args: number[]) => unknown)[],
    names: readonly string[],
  ) {
    if (helpers + 1 > MAX_THREADS) throw new RangeError(`ThreadTeam: at most ${MAX_THREADS - 1} threads besides the main one`);
    this.functionIndex = new Map(names.map((name, i) => [name, i]));
    const control = new SharedArrayBuffer(LAYOUT.jobOffset + LAYOUT.jobFloats * 8);
    this.ints = new Int32Array(control, 0, LAYOUT.ints);
    this.job = new Float64Array(control, LAYOUT.jobOffset, LAYOUT.jobFloats);
    Atomics.store(this.ints, LAYOUT.NEXT, CLOSED);
    for (let w = 1; w <= helpers; w++) {
      const thread = new Worker(new URL('./thread.mjs', import.meta.url), {
        workerData: { module, memory, control, layout: LAYOUT, functions: names, index: w, spinMs: THREAD_SPIN_MS },
      });
      thread.unref();
      this.exited.push(new Promise((resolve) => thread.once('exit', resolve)));
      thread.on('error', (error) => console.error('hwr nn kernel thread failed:', error));
      this.threads.push(thread);
    }
  }

  get size(): number {
    return this.threads.length;
  }

  /** Kernel threads ready to help now; never blocks. */
  ready(): number {
    while (this.readyCount < this.threads.length && Atomics.load(this.ints, LAYOUT.READY + this.readyCount + 1) === 1) this.readyCount++;
    return this.closed ? 0 : this.readyCount;
  }

  /** Resolves once every kernel thread is ready (or the team is closed). */
  async whenReady(timeoutMs = 30_000): Promise<void> {
    const start = Date.now();
    while (!this.closed && this.ready() < this.threads.length) {
      if (Date.now() - start > timeoutMs) throw new Error(`kernel threads not ready after ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  }

  /**
   * Runs the job with whichever kernel threads join in; returns when every chunk is done.
   * `mainHelps: false` leaves every chunk to the kernel threads (for tests of their path).
   */
  run(job: Job, scratch: Scratch, mainHelps = true): void {
    const fn = this.functionIndex.get(job.fn);
    if (fn === undefined) throw new Error(`ThreadTeam: unknown kernel ${job.fn}`);
    const chunks = Math.ceil(job.total / job.chunk);
    if (chunks > 0xffff) throw new RangeError(`ThreadTeam: ${chunks} chunks is too many`);
    const d = this.job,
      ints = this.ints;
    d[LAYOUT.FN] = fn;
    d[LAYOUT.TOTAL] = job.total;
    d[LAYOUT.CHUNK] = job.chunk;
    d[LAYOUT.CHUNKS] = chunks;
    d[LAYOUT.COUNT_ARG] = job.countArg;
    d[LAYOUT.TMP_ARG] = job.tmpArg;
    d[LAYOUT.PACK_ARG] = job.packArg;
    for (let i = 0; i < ARGS; i++) {
      d[LAYOUT.ARGS + i] = i < job.args.length ? job.args[i]! : 0;
      d[LAYOUT.STRIDES + i] = i < job.strides.length ? job.strides[i]! : 0;
    }
    for (let t = 0; t <= this.threads.length; t++) {
      d[LAYOUT.SCRATCH + 2 * t] = scratch.tmp[t] ?? 0;
      d[LAYOUT.SCRATCH + 2 * t + 1] = scratch.pack[t] ?? 0;
    }
    this.seq = (this.seq + 1) & LAYOUT.SEQ_MASK;
    const tag = this.seq << 16;
    Atomics.store(ints, LAYOUT.DONE, 0);
    Atomics.store(ints, LAYOUT.NEXT, tag);
    Atomics.store(ints, LAYOUT.SEQ, this.seq);
    Atomics.notify(ints, LAYOUT.SEQ);

    // The main thread's share: claim like everyone else.
    const a = this.a,
      f = this.functions[fn]!;
    const tmp = scratch.tmp[0] ?? 0,
      pack = scratch.pack[0] ?? 0;
    let failure: unknown = null;
    while (mainHelps) {
      const next = Atomics.load(ints, LAYOUT.NEXT);
      const i = next & 0xffff;
      if (i >= chunks) break;
      if (Atomics.compareExchange(ints, LAYOUT.NEXT, next, next + 1) !== next) continue;
      const from = i * job.chunk;
      for (let k = 0; k < ARGS; k++) a[k] = d[LAYOUT.ARGS + k]! + d[LAYOUT.STRIDES + k]! * from;
      if (job.countArg >= 0) a[job.countArg] = Math.min(job.chunk, job.total - from);
      if (job.tmpArg >= 0) a[job.tmpArg] = tmp;
      if (job.packArg >= 0) a[job.packArg] = pack;
      try {
        f(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!, a[6]!, a[7]!, a[8]!, a[9]!, a[10]!, a[11]!, a[12]!, a[13]!, a[14]!, a[15]!);
      } catch (error) {
        failure ??= error;
      }
      Atomics.add(ints, LAYOUT.DONE, 1);
    }
    this.counts.shared++;
    this.waitDone(chunks, mainHelps);
    Atomics.store(ints, LAYOUT.NEXT, CLOSED);
    if (failure) throw failure;
    if (Atomics.exchange(ints, LAYOUT.ERROR, 0) !== 0) throw new Error('a kernel thread failed (see the error printed above)');
  }

  /** Waits for chunks a kernel thread has claimed but not finished: spin briefly, then sleep. */
  private waitDone(chunks: number, judge: boolean): void {
    const ints = this.ints;
    let spins = 0;
    let waitedMs = 0;
    let start = 0;
    for (let done = Atomics.load(ints, LAYOUT.DONE); done !== chunks; done = Atomics.load(ints, LAYOUT.DONE)) {
      if (start === 0) start = performance.now();
      if (++spins < MAIN_SPIN) continue;
      if (Atomics.wait(ints, LAYOUT.DONE, done, 10) === 'timed-out' && (waitedMs += 10) > JOB_TIMEOUT_MS) {
        throw new Error(`a kernel thread did not finish its share in ${JOB_TIMEOUT_MS / 1000} s`);
      }
    }
    if (!judge) return;
    if (start !== 0 && performance.now() - start > STALL_MS) this.counts.stalled++;
  }

  /** Ends the kernel threads; resolves when they have exited. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    Atomics.store(this.ints, LAYOUT.QUIT, 1);
    this.seq = (this.seq + 1) & LAYOUT.SEQ_MASK;
    Atomics.store(this.ints, LAYOUT.SEQ, this.seq);
    Atomics.notify(this.ints, LAYOUT.SEQ);
    // Referenced while closing, so that awaiting close() keeps the process alive until they exit.
    for (const thread of this.threads) thread.ref();
    const timer = setTimeout(() => this.threads.forEach((t) => void t.terminate()), 2000);
    await Promise.all(this.exited);
    clearTimeout(timer);
  }
}
