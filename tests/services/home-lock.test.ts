/**
 * One program at a time on a data folder (issue 14): a second hwr serve or app on the same
 * HWR_HOME is told who holds it and stops, before it reads or repairs anything; a lock left by a
 * process that is gone is taken over.
 */
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../app/base/paths.ts';
import { LOCK_FILE } from '../../app/services/home.ts';
import { createServices } from '../../app/services/services.ts';
import type { LaunchWorker } from '../../app/services/worker-protocol.ts';
import { spawnServe } from '../helpers/serve.ts';

const root = mkdtempSync(join(tmpdir(), 'hwr-lock-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const run = promisify(execFile);
const noWorkers = (() => {
  throw new Error('no workers in this test');
}) as unknown as LaunchWorker;
const open = (home: string) => createServices({ transport: 'http', home, modelsDir: join(root, 'no-models'), sharedData: null, launchWorker: noWorkers });

describe('the data folder lock', () => {
  it('lets one program in at a time, naming the one that holds it, and lets the next in once it closes', async () => {
    const home = join(root, 'one');
    const first = open(home);
    expect(JSON.parse(readFileSync(join(home, LOCK_FILE), 'utf8'))).toMatchObject({ pid: process.pid, program: 'hwr serve' });
    // The same process asking again is refused too: two services on one folder is the hazard.
    expect(() => open(home)).toThrow(new RegExp(`in use by hwr serve \\(process ${process.pid}, since .*\\): close it first, or give this one another folder`));
    await first.close();
    expect(existsSync(join(home, LOCK_FILE))).toBe(false);
    const second = open(home);
    await second.close();
  });

  it('takes over a lock whose process is gone', async () => {
    const home = join(root, 'stale');
    mkdirSync(home, { recursive: true });
    const gone = spawnSync(process.execPath, ['-e', 'process.pid']).pid!;
    writeFileSync(join(home, LOCK_FILE), JSON.stringify({ pid: gone, started: '2026-01-01T00:00:00Z', program: 'hwr serve' }));
    const services = open(home);
    expect(JSON.parse(readFileSync(join(home, LOCK_FILE), 'utf8')).pid).toBe(process.pid);
    await services.close();
  });

  it('a second hwr serve on the same folder says who holds it and exits', async () => {
    const home = join(root, 'serve');
    const { child } = await spawnServe(['--home', home, '--port', '0'], { HWR_HOME: home });
    try {
      const err = await run(process.execPath, [join(projectRoot, 'bin', 'hwr.mjs'), 'serve', '--home', home, '--port', '0'], { timeout: 60_000 }).catch(
        (e: { code: number; stderr: string }) => e,
      );
      expect(err).toMatchObject({ code: 1, stderr: expect.stringMatching(new RegExp(`in use by hwr serve \\(process ${child.pid}`)) });
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  }, 120_000);
});
