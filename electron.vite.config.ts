/**
 * `electron-vite build|dev|preview`: main (with the worker processes' entry), the
 * sandboxed preload (CommonJS, as sandboxed preloads must be) and the renderer. The renderer's
 * options match renderer/vite.config.ts, which `hwr serve` builds with (a TypeScript project
 * cannot import across the node/web tsconfigs, hence the two short lists).
 */
import { resolve } from 'node:path';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'electron-vite';

const root = import.meta.dirname;

export default defineConfig({
  main: {
    build: {
      outDir: resolve(root, 'out/main'),
      rollupOptions: {
        input: {
          index: resolve(root, 'main/index.ts'),
          'worker-process': resolve(root, 'main/worker-process.ts'),
        },
      },
    },
  },
  preload: {
    build: {
      outDir: resolve(root, 'out/preload'),
      rollupOptions: {
        input: { preload: resolve(root, 'main/preload.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve(root, 'renderer'),
    base: './',
    plugins: [svelte()],
    build: {
      outDir: resolve(root, 'out/renderer'),
      target: 'chrome120',
      reportCompressedSize: false,
      rollupOptions: { input: resolve(root, 'renderer/index.html') },
    },
  },
});
