import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../app/base/paths.ts';

const script = join(projectRoot, 'scripts', 'start.mjs');

describe('npm start (scripts/start.mjs)', () => {
  it('without the Electron binary, points to the browser version instead of failing obscurely', () => {
    // An empty Electron dist folder stands for a machine without the binary (this one, or one with it).
    const noElectron = mkdtempSync(join(tmpdir(), 'hwr-no-electron-'));
    const run = spawnSync(process.execPath, [script], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, ELECTRON_OVERRIDE_DIST_PATH: noElectron } });
    rmSync(noElectron, { recursive: true, force: true });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('Electron binary is not installed');
    expect(run.stderr).toContain('npx hwr serve');
  });
});
