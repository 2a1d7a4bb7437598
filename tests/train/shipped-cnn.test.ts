/**
 * The shipped recogniser (models/cnn.onnx) on the real validation split, through `hwr eval` as a
 * user runs it: it names its calibration, and the look-alike pairs are read evenly (before the
 * decision offsets, 44% of the I's were read as 1 and 42% of the O's as 0).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeIdx } from '../../app/data/idx.ts';
import { loadTrainingData } from '../../app/train/data.ts';
import { runHwr } from '../helpers/fixtures.ts';
import { sharedDataForTests } from '../helpers/shared-data.ts';

const shared = sharedDataForTests();
const dir = mkdtempSync(join(tmpdir(), 'hwr-shipped-cnn-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(!shared)('the shipped CNN on the validation split', () => {
  it('hwr eval names its calibration and reads I/1 and O/0 near even splits, every other class well', async () => {
    const data = await loadTrainingData({ arch: 'cnn', data: join(shared!, 'emnist36'), limit: 0, seed: 1 });
    // The pool's 28×28 bytes, as a user's IDX files would hold them (the loader framed them as 32×32).
    const n = data.validation.length;
    const images = new Uint8Array(n * 784);
    data.validation.forEach((i, k) => {
      for (let y = 0; y < 28; y++)
        for (let x = 0; x < 28; x++) images[k * 784 + y * 28 + x] = Math.round(255 * data.set.pixels[i * 1024 + (y + 2) * 32 + x + 2]!);
    });
    const imagesPath = join(dir, 'val-images-idx3-ubyte');
    const labelsPath = join(dir, 'val-labels-idx1-ubyte');
    writeFileSync(imagesPath, encodeIdx([n, 28, 28], images));
    writeFileSync(
      labelsPath,
      encodeIdx(
        [n],
        Uint8Array.from(data.validation, (i) => data.set.labels[i]!),
      ),
    );

    const r = await runHwr(['eval', '--images', imagesPath, '--labels', labelsPath]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^model .*cnn\.onnx \(temperature \d\.\d{3}; decision offsets [^)]*\)$/m);
    expect(r.stdout.trim().split('\n').at(-1)).toMatch(/^accuracy 0\.\d{4}$/);
    const perClass = new Map([...r.stdout.matchAll(/\b([A-Z0-9]) +(\d+\.\d)%/g)].map((m) => [m[1]!, Number(m[2]) / 100]));
    expect(perClass.size).toBe(36);
    for (const c of ['I', '1']) expect(perClass.get(c)).toBeGreaterThanOrEqual(0.7);
    expect(Math.abs(perClass.get('O')! - perClass.get('0')!)).toBeLessThan(0.08);
    for (const [c, acc] of perClass) if (!'IO01'.includes(c)) expect(acc, c).toBeGreaterThan(0.85);
    expect(Number(r.stdout.match(/balanced accuracy (0\.\d+)/)![1])).toBeGreaterThan(0.93);
  }, 60_000);
});
