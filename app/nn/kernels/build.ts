/**
 * Builds the WebAssembly kernels from simd.ts: simd.wasm (SIMD) and simd-relaxed.wasm (SIMD with
 * relaxed fused multiply-add), both on an imported shared memory so worker threads can run
 * them on the same data. The flags live here once, for `npm run build:kernels`
 * (`tsx app/nn/kernels/build.ts`) and for the test that the committed binaries are current.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const COMMON = [
  '--optimize', '-O3', '--enable', 'simd', '--enable', 'threads',
  '--importMemory', '--sharedMemory', '--initialMemory', '1', '--maximumMemory', '65536',
  '--runtime', 'stub', '--noAssert',
];

export const KERNEL_BUILDS: readonly { file: string; flags: readonly string[] }[] = [
  { file: 'simd.wasm', flags: COMMON },
  { file: 'simd-relaxed.wasm', flags: [...COMMON, '--enable', 'relaxed-simd'] },
];

const here = (name: string): string => fileURLToPath(new URL(`./${name}`, import.meta.url));

/** Compiles every build in memory; returns file name → bytes. */
export async function compileKernels(): Promise<Map<string, Uint8Array>> {
  const asc = await import('assemblyscript/asc');
  const source = readFileSync(here('simd.ts'), 'utf8');
  const out = new Map<string, Uint8Array>();
  for (const build of KERNEL_BUILDS) {
    let binary: Uint8Array | null = null;
    const { error, stderr } = await asc.main(['simd.ts', '--outFile', build.file, ...build.flags], {
      readFile: (name) => (name === 'simd.ts' ? source : null),
      writeFile: (name, contents) => {
        if (name === build.file) binary = contents as Uint8Array;
      },
      listFiles: () => [],
    });
    if (error || !binary) throw new Error(`asc failed on ${build.file}: ${error?.message ?? 'no output'}\n${stderr.toString()}`);
    out.set(build.file, binary);
  }
  return out;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const [file, bytes] of await compileKernels()) {
    writeFileSync(here(file), bytes);
    console.log(`${file}: ${bytes.length} bytes`);
  }
}
