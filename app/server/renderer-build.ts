/**
 * The renderer `hwr serve` hands out: out/renderer (what `electron-vite build` also writes), built
 * with Vite on first use when it is missing. The build goes to a temporary folder that is renamed
 * into place, so two servers starting at once never serve a half-written folder.
 */
import { existsSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../paths.ts';

export const RENDERER_OUT = join(projectRoot, 'out', 'renderer');
export const RENDERER_CONFIG = join(projectRoot, 'renderer', 'vite.config.ts');

export function rendererBuilt(dir = RENDERER_OUT): boolean {
  return existsSync(join(dir, 'index.html'));
}

export async function buildRenderer(outDir = RENDERER_OUT, log: (line: string) => void = () => {}): Promise<string> {
  if (!existsSync(RENDERER_CONFIG)) throw new Error(`cannot build the UI: ${RENDERER_CONFIG} is missing`);
  let vite: typeof import('vite');
  try {
    vite = await import('vite');
  } catch {
    throw new Error(`the UI is not built (${outDir}) and Vite is not installed: run 'npm install' then 'npm run build'`);
  }
  const tmp = `${outDir}.tmp-${process.pid}-${Date.now().toString(36)}`;
  log('building the UI with Vite (first start only)...');
  try {
    await vite.build({ configFile: RENDERER_CONFIG, logLevel: 'warn', build: { outDir: tmp, emptyOutDir: true } });
    if (rendererBuilt(outDir)) return outDir; // another process finished first
    renameSync(tmp, outDir);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return outDir;
}
