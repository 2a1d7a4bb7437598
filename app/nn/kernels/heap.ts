import type { WasmMemory } from './webassembly.ts';

/**
 * Allocation in the WebAssembly memory that the kernels and kernel threads share. Arrays are
 * views into one growable shared memory; a block returns to the free list when its view is
 * garbage-collected, so callers hold on to the array they were given (a `subarray` alone does
 * not keep the block alive).
 *
 * Blocks are 64-byte aligned (cache lines, v128 loads) and padded by 64 bytes, because the
 * kernels' edge tiles read up to 60 bytes past the end of a row.
 */
const ALIGN = 64;
const PAD = 64;
const PAGE = 65536;

interface Block {
  start: number;
  size: number;
}

export class WasmHeap {
  private top: number;
  private free: Block[] = [];
  // Strong references: V8 may hand out a new wrapper object for the same shared memory once
  // the old one is collected, so every wrapper a view was made on is kept and recognised.
  private readonly buffers = new Set<ArrayBufferLike>();
  private readonly registry = new FinalizationRegistry<Block>((block) => this.release(block));

  constructor(
    readonly memory: WasmMemory,
    base: number,
  ) {
    this.top = roundUp(base, ALIGN);
  }

  /** A zero-filled float32 array of n values in the shared memory. */
  float32(n: number): Float32Array {
    const block = this.allocate(n * 4);
    const array = new Float32Array(this.buffer(), block.start, n);
    this.register(array, block);
    return array;
  }

  /** A zero-filled int32 array of n values in the shared memory. */
  int32(n: number): Int32Array {
    const block = this.allocate(n * 4);
    const array = new Int32Array(this.buffer(), block.start, n);
    this.register(array, block);
    return array;
  }

  /** Whether the array is a view into this heap (so the WebAssembly kernels can address it). */
  contains(array: ArrayBufferView): boolean {
    return this.buffers.has(array.buffer);
  }

  /** Bytes in use and reserved, for tests and diagnostics. */
  stats(): { top: number; free: number; memory: number } {
    return { top: this.top, free: this.free.reduce((s, b) => s + b.size, 0), memory: this.memory.buffer.byteLength };
  }

  private buffer(): ArrayBufferLike {
    const buffer = this.memory.buffer;
    this.buffers.add(buffer);
    return buffer;
  }

  private register(array: ArrayBufferView, block: Block): void {
    new Uint8Array(this.memory.buffer, block.start, block.size).fill(0);
    this.registry.register(array, block);
  }

  private allocate(bytes: number): Block {
    if (!Number.isInteger(bytes) || bytes < 0) throw new RangeError(`WasmHeap: cannot allocate ${bytes} bytes`);
    const size = roundUp(bytes + PAD, ALIGN);
    const at = this.free.findIndex((b) => b.size >= size);
    if (at >= 0) {
      const block = this.free[at]!;
      if (block.size === size) this.free.splice(at, 1);
      else this.free[at] = { start: block.start + size, size: block.size - size };
      return { start: block.start, size };
    }
    const start = this.top;
    const end = start + size;
    const have = this.memory.buffer.byteLength;
    if (end > have) {
      this.memory.grow(Math.ceil((end - have) / PAGE));
    }
    this.top = end;
    return { start, size };
  }

  private release(block: Block): void {
    // Keep the free list sorted by address and merge neighbours.
    let at = this.free.findIndex((b) => b.start > block.start);
    if (at < 0) at = this.free.length;
    this.free.splice(at, 0, { ...block });
    const here = this.free[at]!;
    const next = this.free[at + 1];
    if (next && here.start + here.size === next.start) {
      here.size += next.size;
      this.free.splice(at + 1, 1);
    }
    const prev = this.free[at - 1];
    if (prev && prev.start + prev.size === here.start) {
      prev.size += here.size;
      this.free.splice(at, 1);
    }
    const last = this.free[this.free.length - 1];
    if (last && last.start + last.size === this.top) {
      this.top = last.start;
      this.free.pop();
    }
  }
}

function roundUp(n: number, to: number): number {
  return Math.ceil(n / to) * to;
}
