/**
 * Builds the project's WebAssembly kernels from their AssemblyScript sources, each twice: with
 * SIMD, and with SIMD plus relaxed fused multiply-add.
 * - app/nn/kernels/simd.ts → simd.wasm, simd-relaxed.wasm: the engine's kernels, on an imported
 *   shared memory so kernel threads can run them on the same data;
 * - app/train/tfjs/kernels/grad.ts → grad.wasm, grad-relaxed.wasm: gradient kernels on the
 *   TensorFlow.js WASM backend's own memory.
 * The flags live here once, for `npm run build:kernels` (`tsx scripts/build-kernels.ts`) and for
 * the test that the committed binaries are current.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const OPTIMIZED = ['--optimize', '-O3', '--runtime', 'stub', '--noAssert'];
const MEMORY = ['--importMemory', '--sharedMemory', '--initialMemory', '1', '--maximumMemory', '65536'];
const ENGINE = [...OPTIMIZED, '--enable', 'simd', '--enable', 'threads', ...MEMORY];
const GRAD = [...OPTIMIZED, '--importMemory', '--noExportMemory'];

export interface KernelSet {
  /** The folder of the source and of the binaries it builds. */
  dir: URL;
  source: string;
  builds: readonly { file: string; flags: readonly string[] }[];
}

export const KERNEL_SETS: readonly KernelSet[] = [
  {
    dir: new URL('../app/nn/kernels/', import.meta.url),
    source: 'simd.ts',
    builds: [
      { file: 'simd.wasm', flags: ENGINE },
      { file: 'simd-relaxed.wasm', flags: [...ENGINE, '--enable', 'relaxed-simd'] },
    ],
  },
  {
    dir: new URL('../app/train/tfjs/kernels/', import.meta.url),
    source: 'grad.ts',
    builds: [
      { file: 'grad.wasm', flags: [...GRAD, '--enable', 'simd'] },
      { file: 'grad-relaxed.wasm', flags: [...GRAD, '--enable', 'simd,relaxed-simd'] },
    ],
  },
];

/** Compiles every build of a set in memory; returns the binaries' paths → bytes. */
export async function compileKernels(set: KernelSet): Promise<Map<string, Uint8Array>> {
  const asc = await import('assemblyscript/asc');
  const source = readFileSync(new URL(set.source, set.dir), 'utf8');
  const out = new Map<string, Uint8Array>();
  for (const build of set.builds) {
    let binary: Uint8Array | null = null;
    const { error, stderr } = await asc.main([set.source, '--outFile', build.file, ...build.flags], {
      readFile: (name) => (name === set.source ? source : null),
      writeFile: (name, contents) => {
        if (name === build.file) binary = contents as Uint8Array;
      },
      listFiles: () => [],
    });
    if (error || !binary) throw new Error(`asc failed on ${build.file}: ${error?.message ?? 'no output'}\n${stderr.toString()}`);
    out.set(fileURLToPath(new URL(build.file, set.dir)), binary);
  }
  return out;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const set of KERNEL_SETS) {
    for (const [path, bytes] of await compileKernels(set)) {
      writeFileSync(path, bytes);
      console.log(`${path}: ${bytes.length} bytes`);
    }
  }
}
