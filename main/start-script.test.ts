import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../app/paths.ts';

const script = join(projectRoot, 'scripts', 'start.mjs');

describe('npm start (scripts/start.mjs)', () => {
  it('without the Electron binary, points to the browser version instead of failing obscurely', async () => {
    const { installedElectron } = (await import(script)) as { installedElectron(): string | null };
    if (installedElectron()) return; // a machine with Electron opens the app instead
    const run = spawnSync(process.execPath, [script], { encoding: 'utf8', timeout: 30_000 });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('Electron binary is not installed');
    expect(run.stderr).toContain('npx hwr serve');
  });
});
