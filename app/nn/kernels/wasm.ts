import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { ACTIVATIONS } from '../activations.ts';
import { WasmHeap } from './heap.ts';
import { WorkerPool } from './pool.ts';
import { tsKernels } from './ts.ts';
import type { FloatArray, Kernels } from './types.ts';
import { WebAssemblyApi, type WasmMemory, type WasmModule } from './webassembly.ts';

/** The exports of kernels/simd.ts (addresses are byte offsets into the shared memory). */
export interface SimdExports {
  heapBase(): number;
  relaxed(): number;
  gemm_nn(m: number, n: number, k: number, a: number, lda: number, b: number, ldb: number, c: number, ldc: number, bias: number, tmp: number): void;
  gemm_tn(m: number, n: number, k: number, a: number, lda: number, b: number, ldb: number, c: number, ldc: number, pack: number, tmp: number): void;
  gemm_nt(m: number, n: number, k: number, a: number, lda: number, b: number, ldb: number, c: number, ldc: number, pack: number, tmp: number): void;
  col_sums(m: number, n: number, a: number, lda: number, out: number): void;
  act_forward(fn: number, x: number, y: number, len: number): void;
  act_backward(fn: number, x: number, y: number, dy: number, dx: number, len: number): void;
  softmax_rows(m: number, n: number, x: number, y: number): void;
  softmax_ce(m: number, n: number, logits: number, labels: number, grad: number, scale: number): number;
  squared_error(len: number, y: number, t: number, grad: number, scale: number): number;
  sgd_step(w: number, g: number, v: number, len: number, lr: number, momentum: number, decay: number): void;
  gather_rows(src: number, width: number, index: number, count: number, dst: number): void;
}

export type SimdVariant = 'wasm-relaxed-simd' | 'wasm-simd';

export interface LoadedSimd {
  variant: SimdVariant;
  module: WasmModule;
  memory: WasmMemory;
  exports: SimdExports;
}

/**
 * Compiles the kernels on a new shared memory. Prefers the build with relaxed SIMD (fused
 * multiply-add, ~1.3× faster matrix products); Node 20 has it behind a V8 flag, which this
 * turns on (later engines have it by default). `variant` forces one build.
 */
export function loadSimd(variant?: SimdVariant): LoadedSimd {
  const relaxedBytes = readFileSync(new URL('./simd-relaxed.wasm', import.meta.url));
  let chosen: SimdVariant = variant ?? 'wasm-relaxed-simd';
  if (chosen === 'wasm-relaxed-simd' && !WebAssemblyApi.validate(relaxedBytes)) {
    setFlagsFromString('--experimental-wasm-relaxed-simd');
    if (!WebAssemblyApi.validate(relaxedBytes)) {
      if (variant) throw new Error('this JavaScript engine has no relaxed SIMD');
      chosen = 'wasm-simd';
    }
  }
  const bytes = chosen === 'wasm-relaxed-simd' ? relaxedBytes : readFileSync(new URL('./simd.wasm', import.meta.url));
  const module = new WebAssemblyApi.Module(bytes);
  const memory = new WebAssemblyApi.Memory({ initial: 16, maximum: 65536, shared: true });
  const exports = new WebAssemblyApi.Instance(module, { env: { memory } }).exports as unknown as SimdExports;
  return { variant: chosen, module, memory, exports };
}

/** Work (multiply–adds or elements) below which a call is not split between threads. */
const SPLIT_MIN_MACS = 1 << 17;
const SPLIT_MIN_ELEMENTS = 1 << 15;

const FUNCTIONS = ['gemm_nn', 'gemm_tn', 'gemm_nt', 'act_forward', 'act_backward', 'sgd_step', 'gather_rows'] as const;

/** Per-thread scratch: a 128-byte tile and a packing panel, grown on demand. */
class Scratch {
  private tile: Float32Array;
  private panel: Float32Array;
  constructor(private readonly heap: WasmHeap) {
    this.tile = heap.float32(32);
    this.panel = heap.float32(16 * 64);
  }
  get tmp(): number {
    return this.tile.byteOffset;
  }
  pack(floats: number): number {
    if (this.panel.length < floats) this.panel = this.heap.float32(floats);
    return this.panel.byteOffset;
  }
}

/**
 * The Kernels on WebAssembly SIMD. Arrays must be float32 views into `heap`; any call with
 * another array (a float64 gradient check, a caller's own buffer) runs in TypeScript instead.
 * Large calls are split between the main thread and the pool's workers.
 */
export class WasmKernels implements Kernels {
  private readonly scratch: Scratch[] = [];
  private pool: WorkerPool | null = null;
  private readonly args = new Float64Array(12);

  constructor(
    private readonly simd: LoadedSimd,
    readonly heap: WasmHeap,
    private threads: number,
  ) {}

  /** Sets the number of threads (main included) used from now on; stops surplus workers. */
  async setThreads(threads: number): Promise<void> {
    this.threads = threads;
    if (this.pool && this.pool.size !== threads - 1) await this.closePool();
  }

  get threadCount(): number {
    return this.threads;
  }

  /** Starts the workers if they are not running, and resolves when they are ready. */
  async ready(): Promise<void> {
    await this.startPool()?.whenReady();
  }

  async closePool(): Promise<void> {
    const pool = this.pool;
    this.pool = null;
    await pool?.close();
  }

  private startPool(): WorkerPool | null {
    if (this.threads > 1 && !this.pool) this.pool = new WorkerPool(this.simd.module, this.simd.memory, this.threads - 1, FUNCTIONS);
    return this.pool;
  }

  /** Threads that will share a call of this much work (1 = main only). */
  private parts(work: number, min: number): number {
    if (this.threads <= 1 || work < min) return 1;
    return 1 + (this.startPool()?.ready() ?? 0);
  }

  private scratchOf(thread: number): Scratch {
    while (this.scratch.length <= thread) this.scratch.push(new Scratch(this.heap));
    return this.scratch[thread]!;
  }

  /** Calls that ran in TypeScript because an array was not in engine memory. */
  fallbackCalls = 0;
  /** Calls split across more than one thread. */
  parallelCalls = 0;

  private inHeap(...arrays: ArrayBufferView[]): boolean {
    for (const a of arrays) {
      if (!(a instanceof Float32Array || a instanceof Int32Array) || !this.heap.contains(a)) {
        this.fallbackCalls++;
        return false;
      }
    }
    return true;
  }

  /**
   * Runs fn over `parts` consecutive chunks of [0, total) (chunk bounds multiples of `align`):
   * chunks 1.. on workers, chunk 0 here. `args(from, to, thread)` fills this.args.
   */
  private fork(fn: (typeof FUNCTIONS)[number], parts: number, total: number, align: number, args: (from: number, to: number, thread: number) => void): void {
    const exports = this.simd.exports as unknown as Record<string, (...a: number[]) => void>;
    const chunk = Math.ceil(total / parts / align) * align;
    const pool = this.pool!;
    if (parts > 1) this.parallelCalls++;
    let used = 1;
    for (let t = 1; t < parts && t * chunk < total; t++, used++) {
      args(t * chunk, Math.min(total, (t + 1) * chunk), t);
      pool.post(t - 1, fn, this.args);
    }
    args(0, Math.min(total, chunk), 0);
    const a = this.args;
    exports[fn]!(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!, a[6]!, a[7]!, a[8]!, a[9]!, a[10]!);
    for (let w = 0; w < used - 1; w++) pool.wait(w);
  }

  private set(...values: number[]): void {
    this.args.set(values);
  }

  gemmNN(m: number, n: number, k: number, a: FloatArray, b: FloatArray, c: FloatArray, bias: FloatArray | null): void {
    if (!this.inHeap(a, b, c) || (bias && !this.inHeap(bias))) return tsKernels.gemmNN(m, n, k, a, b, c, bias);
    const parts = this.parts(m * n * k, SPLIT_MIN_MACS);
    const pa = a.byteOffset, pb = b.byteOffset, pc = c.byteOffset, pbias = bias ? bias.byteOffset : 0;
    if (parts === 1) return this.simd.exports.gemm_nn(m, n, k, pa, k, pb, n, pc, n, pbias, this.scratchOf(0).tmp);
    if (n >= 8 * parts) {
      // Split the columns: each thread reads all of A and its own columns of B.
      this.fork('gemm_nn', parts, n, 8, (from, to, t) =>
        this.set(m, to - from, k, pa, k, pb + 4 * from, n, pc + 4 * from, n, pbias && pbias + 4 * from, this.scratchOf(t).tmp),
      );
    } else {
      this.fork('gemm_nn', parts, m, 4, (from, to, t) =>
        this.set(to - from, n, k, pa + 4 * k * from, k, pb, n, pc + 4 * n * from, n, pbias, this.scratchOf(t).tmp),
      );
    }
  }

  gemmTN(m: number, n: number, k: number, a: FloatArray, b: FloatArray, c: FloatArray): void {
    if (!this.inHeap(a, b, c)) return tsKernels.gemmTN(m, n, k, a, b, c);
    const parts = this.parts(m * n * k, SPLIT_MIN_MACS);
    const pa = a.byteOffset, pb = b.byteOffset, pc = c.byteOffset;
    // Split the rows of C (columns of A): each thread writes one contiguous block of C.
    this.fork('gemm_tn', parts, m, 16, (from, to, t) => {
      const s = this.scratchOf(t);
      this.set(to - from, n, k, pa + 4 * from, m, pb, n, pc + 4 * n * from, n, s.pack(16 * k), s.tmp);
    });
  }

  gemmNT(m: number, n: number, k: number, a: FloatArray, b: FloatArray, c: FloatArray): void {
    if (!this.inHeap(a, b, c)) return tsKernels.gemmNT(m, n, k, a, b, c);
    const parts = this.parts(m * n * k, SPLIT_MIN_MACS);
    const pa = a.byteOffset, pb = b.byteOffset, pc = c.byteOffset;
    if (n >= 8 * parts) {
      this.fork('gemm_nt', parts, n, 8, (from, to, t) => {
        const s = this.scratchOf(t);
        this.set(m, to - from, k, pa, k, pb + 4 * k * from, k, pc + 4 * from, n, s.pack(8 * k), s.tmp);
      });
    } else {
      this.fork('gemm_nt', parts, m, 4, (from, to, t) => {
        const s = this.scratchOf(t);
        this.set(to - from, n, k, pa + 4 * k * from, k, pb, k, pc + 4 * n * from, n, s.pack(8 * k), s.tmp);
      });
    }
  }

  columnSums(m: number, n: number, a: FloatArray, out: FloatArray): void {
    if (!this.inHeap(a, out)) return tsKernels.columnSums(m, n, a, out);
    this.simd.exports.col_sums(m, n, a.byteOffset, n, out.byteOffset);
  }

  activate(fn: Parameters<Kernels['activate']>[0], x: FloatArray, y: FloatArray, len: number): void {
    if (!this.inHeap(x, y)) return tsKernels.activate(fn, x, y, len);
    const code = ACTIVATIONS[fn].code;
    const px = x.byteOffset, py = y.byteOffset;
    this.fork('act_forward', this.parts(len, SPLIT_MIN_ELEMENTS), len, 16, (from, to) => this.set(code, px + 4 * from, py + 4 * from, to - from));
  }

  activateBackward(fn: Parameters<Kernels['activate']>[0], x: FloatArray, y: FloatArray, dy: FloatArray, dx: FloatArray, len: number): void {
    if (!this.inHeap(x, y, dy, dx)) return tsKernels.activateBackward(fn, x, y, dy, dx, len);
    const code = ACTIVATIONS[fn].code;
    const px = x.byteOffset, py = y.byteOffset, pdy = dy.byteOffset, pdx = dx.byteOffset;
    this.fork('act_backward', this.parts(len, SPLIT_MIN_ELEMENTS), len, 16, (from, to) =>
      this.set(code, px + 4 * from, py + 4 * from, pdy + 4 * from, pdx + 4 * from, to - from),
    );
  }

  softmaxRows(m: number, n: number, x: FloatArray, y: FloatArray): void {
    if (!this.inHeap(x, y)) return tsKernels.softmaxRows(m, n, x, y);
    this.simd.exports.softmax_rows(m, n, x.byteOffset, y.byteOffset);
  }

  softmaxCrossEntropy(m: number, n: number, logits: FloatArray, labels: Int32Array, grad: FloatArray, scale: number): number {
    if (!this.inHeap(logits, labels, grad)) return tsKernels.softmaxCrossEntropy(m, n, logits, labels, grad, scale);
    for (let i = 0; i < m; i++) {
      const label = labels[i]!;
      if (!(label >= 0 && label < n)) throw new RangeError(`softmaxCrossEntropy: label ${label} in row ${i} is outside 0..${n - 1}`);
    }
    return this.simd.exports.softmax_ce(m, n, logits.byteOffset, labels.byteOffset, grad.byteOffset, scale);
  }

  squaredError(len: number, y: FloatArray, t: FloatArray, grad: FloatArray, scale: number): number {
    if (!this.inHeap(y, t, grad)) return tsKernels.squaredError(len, y, t, grad, scale);
    return this.simd.exports.squared_error(len, y.byteOffset, t.byteOffset, grad.byteOffset, scale);
  }

  sgdStep(w: FloatArray, g: FloatArray, v: FloatArray | null, len: number, lr: number, momentum: number, decay: number): void {
    if (!this.inHeap(w, g) || (v && !this.inHeap(v))) return tsKernels.sgdStep(w, g, v, len, lr, momentum, decay);
    const pw = w.byteOffset, pg = g.byteOffset, pv = v ? v.byteOffset : 0;
    this.fork('sgd_step', this.parts(len, SPLIT_MIN_ELEMENTS), len, 16, (from, to) =>
      this.set(pw + 4 * from, pg + 4 * from, pv && pv + 4 * from, to - from, lr, momentum, decay),
    );
  }

  gatherRows(src: FloatArray, width: number, index: Int32Array, count: number, dst: FloatArray): void {
    if (!this.inHeap(src, index, dst)) return tsKernels.gatherRows(src, width, index, count, dst);
    const ps = src.byteOffset, pi = index.byteOffset, pd = dst.byteOffset;
    this.fork('gather_rows', this.parts(count * width, SPLIT_MIN_ELEMENTS), count, 1, (from, to) =>
      this.set(ps, width, pi + 4 * from, to - from, pd + 4 * width * from),
    );
  }
}
