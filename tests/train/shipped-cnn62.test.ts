/**
 * The shipped mixed-case classifier (models/cnn62.onnx) as a user meets it: `hwr eval --charset
 * a-z` on lower-case letters it never trained on (the validation split of the two pools) picks it
 * and reads them, case aside, as well as its card says; and a page of block capitals read with it
 * comes back in capitals, every letter right.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { run as runOcr } from '../../app/cli/ocr.ts';
import { encodeIdx } from '../../app/data/idx.ts';
import { loadTrainingData } from '../../app/train/data.ts';
import { modelsDir } from '../../app/base/paths.ts';
import { CLASSES_LOWER } from '../../app/contract.ts';
import { runHwr } from '../helpers/fixtures.ts';
import { sharedDataForTests } from '../helpers/shared-data.ts';

const shared = sharedDataForTests();
const model = join(modelsDir, 'cnn62.onnx');
const dir = mkdtempSync(join(tmpdir(), 'hwr-shipped-cnn62-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(!shared || !existsSync(model))('the shipped mixed-case CNN', () => {
  it('hwr eval --charset a-z picks it and reads unseen lower-case letters at 94% or better, case aside', async () => {
    const data = await loadTrainingData({ arch: 'cnn', data: `${join(shared!, 'emnist36')},${join(shared!, 'emnist-lower')}`, limit: 0, seed: 1 });
    const lower = Array.from(data.validation).filter((i) => CLASSES_LOWER.includes(data.set.classes[data.set.labels[i]!]!));
    const images = new Uint8Array(lower.length * 784);
    lower.forEach((i, k) => {
      for (let y = 0; y < 28; y++)
        for (let x = 0; x < 28; x++) images[k * 784 + y * 28 + x] = Math.round(255 * data.set.pixels[i * 1024 + (y + 2) * 32 + x + 2]!);
    });
    const imagesPath = join(dir, 'lower-images-idx3-ubyte');
    const labelsPath = join(dir, 'lower-labels-idx1-ubyte');
    writeFileSync(imagesPath, encodeIdx([lower.length, 28, 28], images));
    writeFileSync(
      labelsPath,
      encodeIdx(
        [lower.length],
        Uint8Array.from(lower, (i) => CLASSES_LOWER.indexOf(data.set.classes[data.set.labels[i]!]!)),
      ),
    );

    const r = await runHwr(['eval', '--images', imagesPath, '--labels', labelsPath, '--charset', 'a-z']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^model .*cnn62\.onnx/m);
    const lines = r.stdout.trim().split('\n');
    expect(lines.at(-2)).toMatch(/^accuracy 0\.\d{4}$/);
    expect(lines.at(-1)).toMatch(/^accuracy_caseless 0\.\d{4}$/);
    const caseless = Number(lines.at(-1)!.split(' ')[1]);
    console.log(`cnn62 on ${lower.length} unseen lower-case letters: ${lines.at(-2)}, ${lines.at(-1)}`);
    expect(caseless).toBeGreaterThanOrEqual(0.94); // 2026-12-04: 0.9526
    expect(Number(lines.at(-2)!.split(' ')[1])).toBeLessThanOrEqual(caseless);
  }, 120_000);

  it('reads a photo of block capitals in capitals', async () => {
    let out = '';
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
    try {
      expect(await runOcr(['--model', model, '--reader', 'glyphs', join(shared!, 'photos', '01_list.jpg')])).toBe(0);
    } finally {
      write.mockRestore();
    }
    const rows = out.trim().split('\n');
    expect(rows).toContain('1 MAKE A TODO LIST');
    expect(rows.every((row) => row === row.toUpperCase())).toBe(true);
  }, 60_000);
});
