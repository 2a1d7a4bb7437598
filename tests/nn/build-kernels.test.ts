import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileKernels, KERNEL_SETS } from '../../scripts/build-kernels.ts';

describe('the committed WebAssembly kernels', () => {
  it.each(KERNEL_SETS.map((set) => [set.source, set] as const))('are what %s compiles to (run `npm run build:kernels` after editing it)', async (_, set) => {
    const built = await compileKernels(set);
    expect(built.size).toBe(set.builds.length);
    for (const [path, bytes] of built) expect(Buffer.from(bytes).equals(readFileSync(path)), `${path} is stale`).toBe(true);
  });
});
