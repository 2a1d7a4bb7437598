/**
 * The renderer `hwr serve` hands out: out/renderer (what `electron-vite build` also writes), built
 * with Vite on first use when it is missing. The build goes to a temporary folder that is renamed
 * into place, so two servers starting at once never serve a half-written folder.
 */
import { existsSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type * as Vite from 'vite';
import { projectRoot } from '../base/paths.ts';

export const RENDERER_OUT = join(projectRoot, 'out', 'renderer');
export const RENDERER_CONFIG = join(projectRoot, 'renderer', 'vite.config.ts');

export function rendererBuilt(dir = RENDERER_OUT): boolean {
  return existsSync(join(dir, 'index.html'));
}

export async function buildRenderer(outDir = RENDERER_OUT, log: (line: string) => void = () => {}): Promise<string> {
  if (!existsSync(RENDERER_CONFIG)) throw new Error(`cannot build the UI: ${RENDERER_CONFIG} is missing`);
  let vite: typeof Vite;
  try {
    vite = await import('vite');
  } catch {
    throw new Error(`the UI is not built (${outDir}) and Vite is not installed: run 'npm install' then 'npm run build'`);
  }
  const tmp = `${outDir}.tmp-${process.pid}-${Date.now().toString(36)}`;
  log('building the UI with Vite (first start only)...');
  try {
    await vite.build({ configFile: RENDERER_CONFIG, logLevel: 'warn', build: { outDir: tmp, emptyOutDir: true } });
    // Swap the new build in; an old one is moved aside first (a rename cannot replace a folder).
    const old = `${outDir}.old-${process.pid}-${Date.now().toString(36)}`;
    if (existsSync(outDir)) renameSync(outDir, old);
    renameSync(tmp, outDir);
    rmSync(old, { recursive: true, force: true });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return outDir;
}

/** Whether the build is older than any renderer source (or the contract and shared helpers it imports). */
export function rendererStale(outDir = RENDERER_OUT): boolean {
  if (!rendererBuilt(outDir)) return true;
  const built = statSync(join(outDir, 'index.html')).mtimeMs;
  const newest = (path: string): number => {
    const info = statSync(path);
    if (!info.isDirectory()) return info.mtimeMs;
    return Math.max(info.mtimeMs, ...readdirSync(path).map((name) => newest(join(path, name))));
  };
  return [join(projectRoot, 'renderer'), join(projectRoot, 'app', 'contract.ts'), join(projectRoot, 'app', 'shared')].some((path) => newest(path) > built);
}
