import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project root (the folder holding package.json), whether run from source or packaged. */
export const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Shipped models and their cards. */
export const modelsDir = join(projectRoot, 'models');

/**
 * The shared data folder: $HWR_DATA, else `../shared/data` beside the project (as on developer
 * machines and CI). Returns null when it does not exist.
 */
export function sharedDataDir(): string | null {
  const candidates = [process.env.HWR_DATA, join(projectRoot, '..', 'shared', 'data')].filter(Boolean) as string[];
  for (const dir of candidates) if (existsSync(dir)) return resolve(dir);
  return null;
}
