import { availableParallelism } from 'node:os';
import { WasmHeap } from './kernels/heap.ts';
import { tsKernels } from './kernels/ts.ts';
import type { FloatArray, Kernels } from './kernels/types.ts';
import { MAX_THREADS } from './kernels/team.ts';
import { loadSimd, WasmKernels, type SimdVariant } from './kernels/wasm.ts';

/**
 * Which kernels the engine runs on, chosen once on first use: WebAssembly SIMD (relaxed if the
 * JavaScript engine allows) with kernel threads, or plain TypeScript if WebAssembly fails to
 * load. Environment overrides, read at that moment:
 *   HWR_NN_BACKEND=typescript | wasm-simd | wasm-relaxed-simd
 *   HWR_NN_THREADS=n   (threads including the main one; default: the machine's cores, at most 4)
 */
export type BackendKind = 'typescript' | SimdVariant;
export type DType = 'float32' | 'float64';

export interface BackendInfo {
  kind: BackendKind;
  /** Threads a large kernel call is split across (main thread included). */
  threads: number;
  /** Why the backend is not WebAssembly, when it is not. */
  reason?: string;
  /** Kernel calls that ran in TypeScript because an array was outside engine memory. */
  fallbackCalls?: number;
  /** Kernel calls shared with kernel threads, and those that stalled on a preempted one. */
  team?: { shared: number; stalled: number };
}

interface Engine {
  info: BackendInfo;
  kernels: Kernels;
  wasm: WasmKernels | null;
}

let engine: Engine | null = null;

function defaultThreads(): number {
  const fromEnv = process.env.HWR_NN_THREADS;
  if (fromEnv !== undefined) return checkThreads(Number(fromEnv), 'HWR_NN_THREADS');
  return Math.max(1, Math.min(4, availableParallelism()));
}

function checkThreads(threads: number, what: string): number {
  if (!Number.isInteger(threads) || threads < 1 || threads > MAX_THREADS) {
    throw new RangeError(`${what} must be an integer from 1 to ${MAX_THREADS}, got ${threads}`);
  }
  return threads;
}

function start(): Engine {
  const wanted = process.env.HWR_NN_BACKEND;
  if (wanted === 'typescript') return { info: { kind: 'typescript', threads: 1, reason: 'HWR_NN_BACKEND=typescript' }, kernels: tsKernels, wasm: null };
  if (wanted !== undefined && wanted !== 'wasm-simd' && wanted !== 'wasm-relaxed-simd') {
    throw new Error(`HWR_NN_BACKEND must be typescript, wasm-simd or wasm-relaxed-simd, got "${wanted}"`);
  }
  const threads = defaultThreads();
  try {
    const simd = loadSimd(wanted);
    const wasm = new WasmKernels(simd, new WasmHeap(simd.memory, simd.exports.heapBase()), threads);
    return { info: { kind: simd.variant, threads }, kernels: wasm, wasm };
  } catch (error) {
    if (wanted) throw error;
    const reason = `WebAssembly kernels failed to load: ${(error as Error).message}`;
    console.warn(`hwr nn: ${reason}; using the TypeScript kernels`);
    return { info: { kind: 'typescript', threads: 1, reason }, kernels: tsKernels, wasm: null };
  }
}

function current(): Engine {
  return (engine ??= start());
}

/** The kernels every layer, loss and optimiser calls. */
export function kernels(): Kernels {
  return current().kernels;
}

export function backendInfo(): BackendInfo {
  const { info, wasm } = current();
  return wasm ? { ...info, threads: wasm.threadCount, fallbackCalls: wasm.fallbackCalls, team: wasm.teamCounts } : { ...info };
}

/** A zero-filled array the fast kernels can work on (float32 in engine memory; float64 plain). */
export function allocate(n: number, dtype: DType = 'float32'): FloatArray {
  if (dtype === 'float64') return new Float64Array(n);
  const { wasm } = current();
  return wasm ? wasm.heap.float32(n) : new Float32Array(n);
}

export function allocateInt32(n: number): Int32Array {
  const { wasm } = current();
  return wasm ? wasm.heap.int32(n) : new Int32Array(n);
}

/**
 * A copy of `data` in engine memory. Kernels read engine arrays in place, so a training set
 * copied once this way is not copied again each epoch. Keep the returned array referenced
 * while it is in use (its memory is reclaimed when it is garbage-collected).
 */
export function toEngine(data: Float32Array): Float32Array {
  const copy = allocate(data.length) as Float32Array;
  copy.set(data);
  return copy;
}

/** Whether an array lives in engine memory (so the WebAssembly kernels read it in place). */
export function inEngine(array: ArrayBufferView): boolean {
  const { wasm } = current();
  return wasm !== null && wasm.heap.contains(array);
}

/**
 * Sets the number of threads (main included) that large kernel calls are split across.
 * Resolves when the kernel threads are ready, so that timing and tests see the parallel path.
 */
export async function setThreads(threads: number): Promise<void> {
  checkThreads(threads, 'setThreads: threads');
  const { wasm } = current();
  if (!wasm) return;
  await wasm.setThreads(threads);
  await wasm.ready();
}

/** Resolves when the kernel threads (if any) are started and ready. */
export async function ready(): Promise<void> {
  await current().wasm?.ready();
}

/**
 * Stops the kernel threads. The engine stays usable: a later large call starts them again.
 * Idle kernel threads never keep the process alive, so calling this is tidy rather than required.
 */
export async function dispose(): Promise<void> {
  await engine?.wasm?.closeTeam();
}
