import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileKernels } from './build.ts';

describe('the committed WebAssembly kernels', () => {
  it('are what simd.ts compiles to (run `npx tsx app/nn/kernels/build.ts` after editing it)', async () => {
    for (const [file, bytes] of await compileKernels()) {
      const committed = readFileSync(new URL(`./${file}`, import.meta.url));
      expect(Buffer.from(bytes).equals(committed), `${file} is stale`).toBe(true);
    }
  });
});
