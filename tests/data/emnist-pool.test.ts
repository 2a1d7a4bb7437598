import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedDataForTests } from '../helpers/shared-data.ts';
import { findPoolParts, loadEmnistPool, splitTrainValidation } from '../../app/data/emnist-pool.ts';
import { classCounts, type LabelledImages } from '../../app/data/glyphs.ts';
import { readIdxImages, writeIdx } from '../../app/data/idx.ts';
import { detectDatasetKind, loadDataset, mergeDatasets } from '../../app/data/index.ts';
import { loadTrainingData } from '../../app/train/data.ts';
import { CLASSES_36, CLASSES_62 } from '../../app/contract.ts';

const shared = sharedDataForTests();
const tmp = mkdtempSync(join(tmpdir(), 'hwr-pool-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A pool folder with parts of the given sizes; image i of part k is filled with k + 1. */
function fixturePool(name: string, sizes: number[], labelOf = (k: number, i: number) => (k * 7 + i) % 36): string {
  const dir = join(tmp, name);
  sizes.forEach((n, k) => {
    writeIdx(join(dir, `emnist36-pool-part${k}-images-idx3-ubyte.gz`), [n, 28, 28], new Uint8Array(n * 784).fill(k + 1));
    writeIdx(
      join(dir, `emnist36-pool-part${k}-labels-idx1-ubyte.gz`),
      [n],
      Uint8Array.from({ length: n }, (_, i) => labelOf(k, i)),
    );
  });
  return dir;
}

describe('loadEmnistPool on fixtures', () => {
  it('concatenates the parts in part order (numeric, not by name), as 32×32 glyphs', () => {
    const dir = fixturePool(
      'twelve',
      Array.from({ length: 12 }, (_, k) => k + 1),
    );
    expect(findPoolParts(dir).map((p) => p.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    const set = loadEmnistPool(dir);
    expect(set.count).toBe(78);
    expect([set.height, set.width, set.channels]).toEqual([32, 32, 1]);
    expect(set.classes).toBe(CLASSES_36);
    // part 2 holds images 3..5 (after 1 + 2), filled with 3; part 10 starts at 1+…+10 = 55
    expect(set.pixels[3 * 1024 + 16 * 32 + 16]).toBeCloseTo(3 / 255, 6);
    expect(set.pixels[55 * 1024 + 16 * 32 + 16]).toBeCloseTo(11 / 255, 6);
    expect(set.pixels[55 * 1024]).toBe(0); // the border
    expect(set.labels[55]).toBe((10 * 7) % 36);
  });

  it('says which part is missing or incomplete', () => {
    const gap = fixturePool('gap', [2, 2, 2]);
    rmSync(join(gap, 'emnist36-pool-part1-images-idx3-ubyte.gz'));
    expect(() => loadEmnistPool(gap)).toThrow(/gap: pool part 1 has a labels file but no images file/);
    rmSync(join(gap, 'emnist36-pool-part1-labels-idx1-ubyte.gz'));
    expect(() => loadEmnistPool(gap)).toThrow(/gap: pool part 1 is missing \(found parts 0, 2\)/);
    expect(() => loadEmnistPool(join(tmp))).toThrow(/no EMNIST36 pool parts here/);
    expect(() => loadEmnistPool(join(tmp, 'absent'))).toThrow(/absent: cannot list the folder/);
  });

  it('names the part whose labels are bad or do not match its images', () => {
    const bad = fixturePool('badlabel', [2, 3], (k, i) => (k === 1 && i === 2 ? 36 : 0));
    expect(() => loadEmnistPool(bad)).toThrow(/emnist36-pool-part1-labels-idx1-ubyte\.gz: label 36 at index 2 is out of range/);
    const mismatch = fixturePool('mismatch', [2, 3]);
    writeIdx(join(mismatch, 'emnist36-pool-part1-labels-idx1-ubyte.gz'), [2], Uint8Array.of(0, 1));
    expect(() => loadEmnistPool(mismatch)).toThrow(/emnist36-pool-part1-labels-idx1-ubyte\.gz: count mismatch: 2 labels for 3 images/);
  });
});

describe('splitTrainValidation', () => {
  const labels = Int32Array.from({ length: 1000 }, (_, i) => (i < 900 ? i % 3 : 3)); // classes of 300, 300, 300, 100
  const set = { count: labels.length, labels, classes: ['a', 'b', 'c', 'd'] };

  it('is disjoint, covers the set, and keeps each class share', () => {
    const { train, validation } = splitTrainValidation(set, { validationFraction: 0.2, seed: 9 });
    expect(train.length + validation.length).toBe(1000);
    expect(new Set([...train, ...validation]).size).toBe(1000);
    const perClass = [0, 0, 0, 0];
    for (const i of validation) perClass[labels[i]!]!++;
    expect(perClass).toEqual([60, 60, 60, 20]);
    expect(Array.from(validation)).toEqual(Array.from(validation).sort((a, b) => a - b));
  });

  it('is deterministic in its seed', () => {
    const a = splitTrainValidation(set, { seed: 4 });
    const b = splitTrainValidation(set, { seed: 4 });
    const c = splitTrainValidation(set, { seed: 5 });
    expect(Array.from(a.validation)).toEqual(Array.from(b.validation));
    expect(Array.from(a.validation)).not.toEqual(Array.from(c.validation));
    expect(Array.from(splitTrainValidation(set).validation)).toEqual(Array.from(splitTrainValidation(set, { seed: 1, validationFraction: 0.1 }).validation));
  });

  it('rejects a fraction outside [0, 1) and accepts 0', () => {
    expect(() => splitTrainValidation(set, { validationFraction: 1 })).toThrow(/validationFraction/);
    expect(() => splitTrainValidation(set, { validationFraction: -0.1 })).toThrow(/validationFraction/);
    expect(splitTrainValidation(set, { validationFraction: 0 }).validation.length).toBe(0);
  });
});

describe.skipIf(!shared)('the real EMNIST36 pool', () => {
  let pool: LabelledImages;
  beforeAll(() => {
    pool = loadEmnistPool(join(shared!, 'emnist36'));
  });

  // How fast it loads is the benchmarks' to say, not a test's (it ran over 10 s on a loaded machine).
  it('loads all 85,664 images as 32×32 glyphs', () => {
    expect(pool.count).toBe(85_664);
    expect([pool.height, pool.width, pool.channels]).toEqual([32, 32, 1]);
    expect(pool.pixels.length).toBe(85_664 * 1024);
    expect(pool.classes).toEqual(CLASSES_36);
  });

  it('keeps part order: the first and last glyphs are part 0’s first and part 5’s last image', () => {
    const first = readIdxImages(join(shared!, 'emnist36', 'emnist36-pool-part0-images-idx3-ubyte.gz'));
    const last = readIdxImages(join(shared!, 'emnist36', 'emnist36-pool-part5-images-idx3-ubyte.gz'));
    expect(last.count).toBe(10_664);
    for (let y = 0; y < 28; y++) {
      for (let x = 0; x < 28; x++) {
        expect(pool.pixels[(y + 2) * 32 + x + 2]).toBeCloseTo(first.pixels[y * 28 + x]! / 255, 6);
        expect(pool.pixels[(pool.count - 1) * 1024 + (y + 2) * 32 + x + 2]).toBeCloseTo(last.pixels[(last.count - 1) * 784 + y * 28 + x]! / 255, 6);
      }
    }
  });

  it('is white ink on black with an empty 2-pixel border, values in [0, 1]', () => {
    let min = Infinity,
      max = -Infinity,
      border = 0,
      total = 0;
    for (let n = 0; n < pool.count; n += 97) {
      for (let i = 0; i < 1024; i++) {
        const v = pool.pixels[n * 1024 + i]!;
        min = Math.min(min, v);
        max = Math.max(max, v);
        total += v;
        const y = i >> 5,
          x = i & 31;
        if (y < 2 || y > 29 || x < 2 || x > 29) border += v;
      }
    }
    expect(min).toBe(0);
    expect(max).toBe(1);
    expect(border).toBe(0);
    expect(total / (Math.ceil(pool.count / 97) * 1024)).toBeLessThan(0.3); // mostly black paper
  });

  it('has every class, digits far more common than K', () => {
    const counts = classCounts(pool);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(85_664);
    for (const n of counts) expect(n).toBeGreaterThan(200);
    const k = counts[CLASSES_36.indexOf('K')]!;
    for (let d = 26; d < 36; d++) expect(counts[d]!).toBeGreaterThan(10 * k);
  });

  it('splits 90/10 per class, disjoint, the same every time', () => {
    const a = splitTrainValidation(pool);
    const b = splitTrainValidation(pool);
    expect(Array.from(a.validation)).toEqual(Array.from(b.validation));
    expect(a.train.length + a.validation.length).toBe(pool.count);
    const inValidation = new Uint8Array(pool.count);
    for (const i of a.validation) inValidation[i] = 1;
    let overlap = 0;
    for (const i of a.train) overlap += inValidation[i]!;
    expect(overlap).toBe(0);
    const counts = classCounts(pool);
    const validationCounts = new Int32Array(36);
    for (const i of a.validation) validationCounts[pool.labels[i]!]!++;
    for (let c = 0; c < 36; c++) expect(validationCounts[c]).toBe(Math.round(counts[c]! * 0.1));
  });
});

describe('the 62 mixed-case classes from the two pools (--data A,B)', () => {
  function lowerPool(name: string, labels: number[]): string {
    const dir = join(tmp, name);
    writeIdx(join(dir, 'emnist-lower-pool-images-idx3-ubyte.gz'), [labels.length, 28, 28], new Uint8Array(labels.length * 784).fill(200));
    writeIdx(join(dir, 'emnist-lower-pool-labels-idx1-ubyte.gz'), [labels.length], Uint8Array.from(labels));
    return dir;
  }

  it('reads the lower-case pool as a–z and merges it with the capitals and digits in the order A–Z a–z 0–9', async () => {
    const upper = fixturePool('upper62', [180], (_, i) => i % 36);
    const lower = lowerPool(
      'lower62',
      Array.from({ length: 130 }, (_, i) => i % 26),
    );
    expect(detectDatasetKind(lower)).toBe('emnist-lower');
    const data = await loadTrainingData({ arch: 'cnn', data: `${upper},${lower}`, limit: 0, seed: 1 });
    expect(data.set.classes).toEqual(CLASSES_62);
    expect(data.set.count).toBe(310);
    // The pool's 'A' (0) stays A, its '0' (26) becomes class 52; the lower pool's 'a' (0) is class 26.
    expect(data.set.classes[data.set.labels[0]!]).toBe('A');
    expect(data.set.classes[data.set.labels[26]!]).toBe('0');
    expect(data.set.classes[data.set.labels[180]!]).toBe('a');
    expect(data.set.classes[data.set.labels[180 + 25]!]).toBe('z');
    // Lower-case images are framed as glyphs like the pool's (28×28 in a 32×32 frame).
    expect(data.set.pixels[180 * 1024]).toBe(0);
    expect(data.set.pixels[180 * 1024 + 2 * 32 + 2]).toBeCloseTo(200 / 255);
    expect(data.description).toMatch(/EMNIST pools .* 62 classes .*lower-case letters/);
  });

  it('refuses to merge datasets of different image sizes, naming both', async () => {
    const lower = lowerPool('lower-mix', [0, 1, 2]);
    const other = join(tmp, 'other-size');
    writeIdx(join(other, 'x-images-idx3-ubyte'), [3, 20, 20], new Uint8Array(3 * 400));
    writeIdx(join(other, 'x-labels-idx1-ubyte'), [3], Uint8Array.from([0, 1, 2]));
    const a = await loadDataset(lower);
    const b = await loadDataset({ path: join(other, 'x-images-idx3-ubyte'), labels: join(other, 'x-labels-idx1-ubyte') });
    expect(() => mergeDatasets([a, b])).toThrow(/20×20×1, but .*lower-mix has 32×32×1/);
  });
});
