/**
 * How the renderer is built: shared by electron.vite.config.ts (its renderer section) and by
 * `hwr serve`, which builds the UI on first use. `base: './'` so the same files load from file://
 * in Electron and from the server's root in a browser.
 */
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig, type UserConfig } from 'vite';

/** `root` is the renderer folder (absolute); `outDir` where the built files go (absolute). */
export function rendererConfig(root: string, outDir: string): UserConfig {
  return {
    root,
    base: './',
    plugins: [svelte()],
    build: {
      outDir,
      emptyOutDir: true,
      target: 'chrome120',
      reportCompressedSize: false,
      chunkSizeWarningLimit: 1024,
    },
  };
}

const here = decodeURIComponent(new URL('.', import.meta.url).pathname);
export default defineConfig(rendererConfig(here, `${here}../out/renderer`));
