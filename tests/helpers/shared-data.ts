import { sharedDataDir } from '../../app/base/paths.ts';

/**
 * The shared data folder for tests that need real data. On a user's fresh clone it may be
 * absent: those tests skip, saying why. On CI (CI=true) it must exist: a missing folder fails.
 */
export function sharedDataForTests(): string | null {
  const dir = sharedDataDir();
  if (dir) return dir;
  if (process.env.CI === 'true' || process.env.CI === '1') {
    throw new Error('CI: ../shared/data is missing; tests that need the real data cannot run');
  }
  console.warn('skipping tests that need ../shared/data: the folder is absent (set HWR_DATA to point at it)');
  return null;
}
