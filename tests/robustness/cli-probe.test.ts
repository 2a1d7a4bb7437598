/**
 * Wrong answers and hangs found by a probe (issue 14): where output goes is checked before the
 * work (a folder that cannot be made — under /proc, where Node's own recursive mkdir loops for
 * ever — or a file in the way gets a clear error naming it, at once, instead of a run of hours
 * that ends in a hang); `--resume` without a run to continue is refused; `hwr eval-ae` refuses
 * images it cannot judge instead of printing a PSNR.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { checkWritableFolder, makeDirectory } from '../../app/base/atomic.ts';
import { writeIdx } from '../../app/data/idx.ts';
import { projectRoot } from '../../app/base/paths.ts';
import { runHwr } from '../helpers/fixtures.ts';
import { sharedDataForTests } from '../helpers/shared-data.ts';

const root = mkdtempSync(join(tmpdir(), 'hwr-out-paths-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const run = promisify(execFile);

describe('output folders', () => {
  it('are made folder by folder, and a folder that cannot be made is named at once', () => {
    makeDirectory(join(root, 'a', 'b', 'c'));
    expect(existsSync(join(root, 'a', 'b', 'c'))).toBe(true);
    const t = performance.now();
    expect(() => makeDirectory('/proc/hwr-test/x')).toThrow(/cannot make the folder \/proc\/hwr-test/);
    expect(performance.now() - t).toBeLessThan(1000);
    writeFileSync(join(root, 'file'), 'x');
    expect(() => checkWritableFolder(join(root, 'file', 'inside'))).toThrow(/is a file/);
    checkWritableFolder(join(root, 'ok'));
    expect(existsSync(join(root, 'ok'))).toBe(true);
  });

  it.each([
    ['train --save', ['train', '--arch', 'mlp', '--epochs', '1', '--save', '/proc/hwr-test/m.onnx']],
    ['train --out', ['train', '--arch', 'mlp', '--epochs', '1', '--out', '/proc/hwr-test/run']],
    ['ocr --out', ['ocr', '--out', '/proc/hwr-test', join(projectRoot, 'assets', 'icon.png')]],
  ])('hwr %s to a folder it cannot make fails before any work, naming the folder', async (_, args) => {
    const t = performance.now();
    const r = await runHwr(args);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/cannot make the folder \/proc\/hwr-test/);
    expect(performance.now() - t).toBeLessThan(10_000);
  });

  it('hwr train --resume without --out refuses, rather than start a new run', async () => {
    const r = await runHwr(['train', '--arch', 'mlp', '--epochs', '1', '--resume']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--resume continues the run in --out DIR, and none was given; (runs in runs\/ that can be resumed|runs\/ holds no run)/);
  });

  it.skipIf(!sharedDataForTests())('hwr train --init-from a model it cannot fine-tune names the file and leaves no run folder', async () => {
    const out = join(root, 'init-from-run');
    const model = join(projectRoot, 'models', 'ae.onnx');
    const r = await runHwr(['train', '--arch', 'cnn', '--epochs', '1', '--limit', '100', '--init-from', model, '--out', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`--init-from ${model}:`);
    expect(existsSync(out)).toBe(false);
  });

  it('hwr serve with a data folder it cannot make says so and exits', async () => {
    const err = await run(process.execPath, [join(projectRoot, 'bin', 'hwr.mjs'), 'serve', '--home', '/proc/hwr-test', '--port', '0'], {
      timeout: 30_000,
    }).catch((e: { code: number; stderr: string }) => e);
    expect(err).toMatchObject({ code: 1, stderr: expect.stringMatching(/cannot make the folder \/proc\/hwr-test/) });
  });
});

describe('hwr eval-ae', () => {
  it.each([
    [5, 7],
    [20, 20],
    [64, 64],
  ])('refuses %i×%i images, which it cannot judge, instead of printing a PSNR', async (h, w) => {
    const path = join(root, `ae-${h}x${w}-images-idx3-ubyte`);
    writeIdx(path, [3, h, w], new Uint8Array(3 * h * w).fill(200));
    const r = await runHwr(['eval-ae', '--images', path]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`images are ${h}×${w}, expected 28×28`));
    expect(r.stdout).not.toMatch(/psnr/);
  });

  it('says an IDX of no images holds nothing to evaluate', async () => {
    const path = join(root, 'ae-empty-images-idx3-ubyte');
    writeIdx(path, [0, 28, 28], new Uint8Array(0));
    const r = await runHwr(['eval-ae', '--images', path]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/holds no images, so there is nothing to evaluate/);
    expect(r.stdout).toBe('');
  });
});
