import { defineConfig } from 'vitest/config';

/**
 * Test files that mock modules or globals, or watch which native libraries load, run each in a
 * fresh process. The rest share their workers' module cache: loading TensorFlow.js, sharp and
 * onnxruntime once per worker rather than once per file saves about a quarter of the run.
 */
const ISOLATED = [
  'main/**/*.test.ts',
  'tests/packaging/**/*.test.ts',
  'tests/robustness/boundary.test.ts',
  'renderer/src/lib/api.test.ts',
  'tests/train/install.test.ts',
];

export default defineConfig({
  test: {
    testTimeout: 120_000,
    hookTimeout: 300_000,
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: 2,
    projects: [
      { extends: true, test: { name: 'isolated', include: ISOLATED, isolate: true } },
      {
        extends: true,
        test: {
          name: 'shared',
          include: ['app/**/*.test.ts', 'renderer/**/*.test.ts', 'tests/**/*.test.ts'],
          exclude: ISOLATED,
          isolate: false,
        },
      },
    ],
  },
});
