/**
 * The slice of the WebAssembly JavaScript API the engine uses, typed here because the node
 * tsconfig has no DOM library (where TypeScript declares WebAssembly).
 */
export interface WasmMemory {
  readonly buffer: SharedArrayBuffer | ArrayBuffer;
  grow(pages: number): number;
}

/** A compiled module (opaque; can be sent to worker threads). */
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
