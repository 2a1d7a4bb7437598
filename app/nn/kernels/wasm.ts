import { ACTIVATIONS } from '../activations.ts';
import type { WasmHeap } from './heap.ts';
import { ShareChooser } from './chooser.ts';
import { ARGS, ThreadTeam, type Scratch } from './team.ts';
import { tsKernels } from './ts.ts';
import type { FloatArray, Kernels } from './types.ts';
import { chooseSimdBuild, webAssembly, type WasmMemory, type WasmModule } from './webassembly.ts';

/** The exports of kernels/simd.ts (addresses are byte offsets into the shared memory). */
export interface SimdExports {
  heapBase(): number;
  relaxed(): number;
  gemm_nn(m: number, n: number, k: number, a: number, lda: number, b: number, ldb: number, c: number, ldc: number, bias: number, tmp: number): void;
  gemm_tn(m: number, n: number, k: number, a: number, lda: number, b: number, ldb: number, c: number, ldc: number, pack: number, tmp: number): void;
  gemm_tn_sgd(
    m: number,
    n: number,
    k: number,
    a: number,
    lda: number,
    b: number,
    ldb: number,
    w: number,
    ldw: number,
    pack: number,
    tmp: number,
    v: number,
    lr: number,
    momentum: number,
    decay: number,
  ): void;
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
  const wasm = webAssembly();
  const prefer = variant && (variant === 'wasm-relaxed-simd' ? 'relaxed' : 'plain');
  const { bytes, relaxed } = chooseSimdBuild(new URL('./simd-relaxed.wasm', import.meta.url), new URL('./simd.wasm', import.meta.url), prefer);
  const chosen: SimdVariant = relaxed ? 'wasm-relaxed-simd' : 'wasm-simd';
  const module = new wasm.Module(bytes);
  const memory = new wasm.Memory({ initial: 16, maximum: 65536, shared: true });
  const exports = new wasm.Instance(module, { env: { memory } }).exports as unknown as SimdExports;
  return { variant: chosen, module, memory, exports };
}

/** Work (multiply–adds or elements) below which a call is not shared between threads. */
const SHARE_MIN_MACS = 1 << 17;
const SHARE_MIN_ELEMENTS = 1 << 15;
/** Chunks per thread when a call is shared: enough for the threads to even out. */
const CHUNKS_PER_THREAD = 4;

const FUNCTIONS = ['gemm_nn', 'gemm_tn', 'gemm_tn_sgd', 'gemm_nt', 'act_forward', 'act_backward', 'sgd_step', 'gather_rows'] as const;
type Shared = (typeof FUNCTIONS)[number];

/** Per-thread scratch (0 = main): a 128-byte tile and a packing panel, grown on demand. */
class ScratchSet implements Scratch {
  readonly tmp: number[] = [];
  readonly pack: number[] = [];
  private readonly arrays: Float32Array[] = [];
  private packFloats = 0;

  constructor(private readonly heap: WasmHeap) {}

  /** Scratch for `threads` threads with panels of at least `packFloats` floats. */
  ensure(threads: number, packFloats: number): this {
    if (threads > this.tmp.length || packFloats > this.packFloats) {
      this.packFloats = Math.max(packFloats, this.packFloats, 16 * 64);
      const count = Math.max(threads, this.tmp.length);
      this.arrays.length = 0;
      this.tmp.length = this.pack.length = 0;
      for (let t = 0; t < count; t++) {
        const tile = this.heap.float32(32),
          panel = this.heap.float32(this.packFloats);
        this.arrays.push(tile, panel);
        this.tmp.push(tile.byteOffset);
        this.pack.push(panel.byteOffset);
      }
    }
    return this;
  }
}

/**
 * The Kernels on WebAssembly SIMD. Arrays must be float32 views into `heap`; any call with
 * another array (a float64 gradient check, a caller's own buffer) runs in TypeScript instead.
 * Large calls are shared with kernel threads (see team.ts), split where every chunk writes its
 * own part of the output: matrix products by columns or rows of C, element-wise kernels by
 * ranges. Each element is computed by the same code whichever thread runs it, so results do
 * not depend on the number of threads.
 */
export class WasmKernels implements Kernels {
  private team: ThreadTeam | null = null;
  private readonly scratch: ScratchSet;
  private chooser = new ShareChooser();
  private readonly exports: SimdExports;
  private readonly args = new Float64Array(ARGS);
  private readonly strides = new Float64Array(ARGS);
  /** Calls that ran in TypeScript because an array was not in engine memory. */
  fallbackCalls = 0;
  /** Leave shared calls entirely to the kernel threads (tests of their path). */
  threadsOnly = false;

  /** Calls shared with the kernel threads, and calls that stalled on a preempted one. */
  get teamCounts(): { shared: number; stalled: number } {
    return { ...(this.team?.counts ?? { shared: 0, stalled: 0 }) };
  }

  constructor(
    private readonly simd: LoadedSimd,
    readonly heap: WasmHeap,
    private threads: number,
  ) {
    this.exports = simd.exports;
    this.scratch = new ScratchSet(heap);
  }

  /** Sets the number of threads (main included) used from now on; stops surplus kernel threads. */
  async setThreads(threads: number): Promise<void> {
    this.threads = threads;
    if (this.team && this.team.size !== threads - 1) await this.closeTeam();
  }

  get threadCount(): number {
    return this.threads;
  }

  /** Starts the kernel threads if they are not running, and resolves when they are ready. */
  async ready(): Promise<void> {
    await this.startTeam()?.whenReady();
  }

  async closeTeam(): Promise<void> {
    const team = this.team;
    this.team = null;
    await team?.close();
  }

  private startTeam(): ThreadTeam | null {
    if (this.threads > 1 && !this.team) {
      // A new team is judged anew: what the last one measured says nothing of it.
      this.chooser = new ShareChooser();
      const exports = this.exports as unknown as Record<string, (...a: number[]) => unknown>;
      this.team = new ThreadTeam(
        this.simd.module,
        this.simd.memory,
        this.threads - 1,
        FUNCTIONS.map((f) => exports[f]!),
        FUNCTIONS,
      );
    }
    return this.team;
  }

  /** The team, if this much work is worth sharing and some kernel thread is ready to help. */
  private helpers(work: number, min: number): ThreadTeam | null {
    if (this.threads <= 1 || work < min) return null;
    const team = this.startTeam();
    return team && team.ready() > 0 ? team : null;
  }

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
   * Runs fn over [0, total) units: in one call here, or shared as chunks (multiples of
   * `align` units) with the team. this.args holds the arguments for the whole range and
   * this.strides how far each moves per unit; countArg receives a chunk's length.
   */
  private share(
    fn: Shared,
    team: ThreadTeam | null,
    work: number,
    total: number,
    align: number,
    countArg: number,
    tmpArg = -1,
    packArg = -1,
    packFloats = 0,
  ): void {
    const scratch = this.scratch.ensure(1 + (team?.size ?? 0), packFloats);
    const a = this.args;
    const shared = team !== null && (this.threadsOnly || this.chooser.choose(fn, work));
    const start = team ? performance.now() : 0;
    if (shared) {
      const chunk = Math.max(align, Math.ceil(total / ((team.size + 1) * CHUNKS_PER_THREAD) / align) * align);
      team.run({ fn, total, chunk, args: a, strides: this.strides, countArg, tmpArg, packArg }, scratch, !this.threadsOnly);
    } else {
      if (tmpArg >= 0) a[tmpArg] = scratch.tmp[0]!;
      if (packArg >= 0) a[packArg] = scratch.pack[0]!;
      const kernel = this.exports[fn] as (...args: number[]) => void;
      kernel(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!, a[6]!, a[7]!, a[8]!, a[9]!, a[10]!, a[11]!, a[12]!, a[13]!, a[14]!);
    }
    if (team) this.chooser.record(fn, work, shared, performance.now() - start);
  }

  /** Sets this.args and zeroes this.strides (callers then set the strides that move). */
  private set(...values: number[]): void {
    this.args.fill(0).set(values);
    this.strides.fill(0);
  }

  gemmNN(m: number, n: number, k: number, a: FloatArray, b: FloatArray, c: FloatArray, bias: FloatArray | null): void {
    if (!this.inHeap(a, b, c) || (bias && !this.inHeap(bias))) return tsKernels.gemmNN(m, n, k, a, b, c, bias);
    const team = this.helpers(m * n * k, SHARE_MIN_MACS);
    // Chunks are blocks of columns: each reads all of A and its own columns of B.
    this.set(m, n, k, a.byteOffset, k, b.byteOffset, n, c.byteOffset, n, bias ? bias.byteOffset : 0, 0);
    this.strides[5] = this.strides[7] = 4;
    if (bias) this.strides[9] = 4;
    this.share('gemm_nn', team, m * n * k, n, 8, 1, 10);
  }

  gemmTN(m: number, n: number, k: number, a: FloatArray, b: FloatArray, c: FloatArray): void {
    if (!this.inHeap(a, b, c)) return tsKernels.gemmTN(m, n, k, a, b, c);
    const team = this.helpers(m * n * k, SHARE_MIN_MACS);
    // Chunks are blocks of rows of C (columns of A): each writes one contiguous block of C.
    this.set(m, n, k, a.byteOffset, m, b.byteOffset, n, c.byteOffset, n, 0, 0);
    this.strides[3] = 4;
    this.strides[7] = 4 * n;
    this.share('gemm_tn', team, m * n * k, m, 16, 0, 10, 9, 16 * k);
  }

  sgdStepProduct(
    m: number,
    n: number,
    k: number,
    a: FloatArray,
    b: FloatArray,
    w: FloatArray,
    v: FloatArray | null,
    lr: number,
    momentum: number,
    decay: number,
  ): void {
    if (!this.inHeap(a, b, w) || (v && !this.inHeap(v))) return tsKernels.sgdStepProduct(m, n, k, a, b, w, v, lr, momentum, decay);
    const team = this.helpers(m * n * k, SHARE_MIN_MACS);
    // Split like gemmTN: blocks of rows of W (and of v).
    this.set(m, n, k, a.byteOffset, m, b.byteOffset, n, w.byteOffset, n, 0, 0, v ? v.byteOffset : 0, lr, momentum, decay);
    this.strides[3] = 4;
    this.strides[7] = 4 * n;
    if (v) this.strides[11] = 4 * n;
    this.share('gemm_tn_sgd', team, m * n * k, m, 16, 0, 10, 9, 16 * k);
  }

  gemmNT(m: number, n: number, k: number, a: FloatArray, b: FloatArray, c: FloatArray): void {
    if (!this.inHeap(a, b, c)) return tsKernels.gemmNT(m, n, k, a, b, c);
    const team = this.helpers(m * n * k, SHARE_MIN_MACS);
    // Chunks are blocks of columns of C (rows of B).
    this.set(m, n, k, a.byteOffset, k, b.byteOffset, k, c.byteOffset, n, 0, 0);
    this.strides[5] = 4 * k;
    this.strides[7] = 4;
    this.share('gemm_nt', team, m * n * k, n, 8, 1, 10, 9, 8 * k);
  }

  columnSums(m: number, n: number, a: FloatArray, out: FloatArray): void {
    if (!this.inHeap(a, out)) return tsKernels.columnSums(m, n, a, out);
    this.simd.exports.col_sums(m, n, a.byteOffset, n, out.byteOffset);
  }

  activate(fn: Parameters<Kernels['activate']>[0], x: FloatArray, y: FloatArray, len: number): void {
    if (!this.inHeap(x, y)) return tsKernels.activate(fn, x, y, len);
    this.set(ACTIVATIONS[fn].code, x.byteOffset, y.byteOffset, len);
    this.strides[1] = this.strides[2] = 4;
    this.share('act_forward', this.helpers(len, SHARE_MIN_ELEMENTS), len, len, 16, 3);
  }

  activateBackward(fn: Parameters<Kernels['activate']>[0], x: FloatArray, y: FloatArray, dy: FloatArray, dx: FloatArray, len: number): void {
    if (!this.inHeap(x, y, dy, dx)) return tsKernels.activateBackward(fn, x, y, dy, dx, len);
    this.set(ACTIVATIONS[fn].code, x.byteOffset, y.byteOffset, dy.byteOffset, dx.byteOffset, len);
    this.strides[1] = this.strides[2] = this.strides[3] = this.strides[4] = 4;
    this.share('act_backward', this.helpers(len, SHARE_MIN_ELEMENTS), len, len, 16, 5);
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
    this.set(w.byteOffset, g.byteOffset, v ? v.byteOffset : 0, len, lr, momentum, decay);
    this.strides[0] = this.strides[1] = 4;
    if (v) this.strides[2] = 4;
    this.share('sgd_step', this.helpers(len, SHARE_MIN_ELEMENTS), len, len, 16, 3);
  }

  gatherRows(src: FloatArray, width: number, index: Int32Array, count: number, dst: FloatArray): void {
    if (!this.inHeap(src, index, dst)) return tsKernels.gatherRows(src, width, index, count, dst);
    this.set(src.byteOffset, width, index.byteOffset, count, dst.byteOffset);
    this.strides[2] = 4;
    this.strides[4] = 4 * width;
    this.share('gather_rows', this.helpers(count * width, SHARE_MIN_ELEMENTS), count * width, count, 1, 3);
  }
}
