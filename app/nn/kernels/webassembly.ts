import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';

/**
 * The slice of the WebAssembly JavaScript API the engine uses, typed here because the node
 * tsconfig has no DOM library (where TypeScript declares WebAssembly).
 */
export interface WasmMemory {
  readonly buffer: SharedArrayBuffer | ArrayBuffer;
  grow(pages: number): number;
}

/** A compiled module (opaque; can be sent to kernel threads). */
export interface WasmModule {
  readonly __wasmModule?: never;
}

interface WasmApi {
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: Record<string, Record<string, unknown>>) => { exports: Record<string, unknown> };
  Memory: new (descriptor: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;
  validate(bytes: Uint8Array): boolean;
}

/** The engine's WebAssembly, looked up when used (undefined where there is none). */
export function webAssembly(): WasmApi {
  const api = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;
  if (!api) throw new Error('this JavaScript engine has no WebAssembly');
  return api;
}

/**
 * The bytes of a kernel build this engine runs: the one with relaxed SIMD (fused multiply-add)
 * where the engine has it (Node 20's V8 has it behind a flag, which this switches on), else the
 * plain SIMD one. `forced` asks for one build; relaxed SIMD the engine lacks is then an error.
 */
export function chooseSimdBuild(relaxedUrl: URL, plainUrl: URL, forced?: 'relaxed' | 'plain'): { bytes: Uint8Array; relaxed: boolean } {
  if (forced !== 'plain') {
    const wasm = webAssembly();
    const relaxed = readFileSync(relaxedUrl);
    if (!wasm.validate(relaxed)) setFlagsFromString('--experimental-wasm-relaxed-simd');
    if (wasm.validate(relaxed)) return { bytes: relaxed, relaxed: true };
    if (forced) throw new Error('this JavaScript engine has no relaxed SIMD');
  }
  return { bytes: readFileSync(plainUrl), relaxed: false };
}
