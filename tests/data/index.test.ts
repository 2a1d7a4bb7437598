import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedDataForTests } from '../helpers/shared-data.ts';
import { writeCifarBatch } from '../../app/data/cifar.ts';
import { encodeIdx, writeIdx } from '../../app/data/idx.ts';
import { detectDatasetKind, loadDataset } from '../../app/data/index.ts';
import { writeMat } from '../helpers/mat-writer.ts';
import { CLASSES_36 } from '../../app/contract.ts';

const shared = sharedDataForTests();
const root = mkdtempSync(join(tmpdir(), 'hwr-dataset-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const at = (...parts: string[]) => join(root, ...parts);

beforeAll(async () => {
  // an EMNIST36 pool of two parts
  writeIdx(at('pool', 'emnist36-pool-part0-images-idx3-ubyte.gz'), [2, 28, 28], new Uint8Array(2 * 784));
  writeIdx(at('pool', 'emnist36-pool-part0-labels-idx1-ubyte.gz'), [2], Uint8Array.of(0, 35));
  writeIdx(at('pool', 'emnist36-pool-part1-images-idx3-ubyte.gz'), [1, 28, 28], new Uint8Array(784));
  writeIdx(at('pool', 'emnist36-pool-part1-labels-idx1-ubyte.gz'), [1], Uint8Array.of(10));
  // MNIST-like and EMNIST36-like single files
  writeIdx(at('idx', 'mnist-images-idx3-ubyte.gz'), [3, 28, 28], new Uint8Array(3 * 784));
  writeIdx(at('idx', 'mnist-labels-idx1-ubyte.gz'), [3], Uint8Array.of(9, 0, 5));
  writeIdx(at('idx', 'emnist36-test-images-idx3-ubyte'), [1, 28, 28], new Uint8Array(784));
  writeIdx(at('idx', 'emnist36-test-labels-idx1-ubyte'), [1], Uint8Array.of(3));
  writeFileSync(at('idx', 'digits.dat'), gzipSync(encodeIdx([1, 28, 28], new Uint8Array(784))));
  // a course .mat file
  writeMat(
    at('letters.mat'),
    {
      test_data: { dims: [2, 1024], data: new Float64Array(2048).fill(1) },
      test_labels: { dims: [2, 26], data: Float64Array.from({ length: 52 }, (_, i) => (i === 0 || i === 2 * 25 + 1 ? 1 : 0)) },
    },
    { compress: true },
  );
  // CIFAR-10 batches, written out of order
  mkdirSync(at('cifar'));
  writeCifarBatch(at('cifar', 'data_batch_10.bin'), new Uint8Array(3072), [7]);
  writeCifarBatch(at('cifar', 'data_batch_2.bin'), new Uint8Array(3072 * 2), [2, 2]);
  writeCifarBatch(at('cifar', 'test_batch.bin'), new Uint8Array(3072), [5]);
  // an image folder
  mkdirSync(at('folder', 'X'), { recursive: true });
  const img = Buffer.alloc(20 * 20, 255);
  for (let y = 4; y < 16; y++) img[y * 20 + 10] = 0;
  writeFileSync(
    at('folder', 'X', 'one.png'),
    await sharp(img, { raw: { width: 20, height: 20, channels: 1 } })
      .png()
      .toBuffer(),
  );
  mkdirSync(at('empty'));
  writeFileSync(at('notes.txt'), 'hello');
});

describe('loadDataset picks the reader from the path', () => {
  it('a folder of pool parts → the EMNIST36 pool', async () => {
    expect(detectDatasetKind(at('pool'))).toBe('emnist-pool');
    const set = await loadDataset(at('pool'));
    expect(set.count).toBe(3);
    expect(Array.from(set.labels)).toEqual([0, 35, 10]);
    expect(set.classes).toBe(CLASSES_36);
  });

  it('a .mat file → the course format', async () => {
    expect(detectDatasetKind(at('letters.mat'))).toBe('course-mat');
    const set = await loadDataset({ path: at('letters.mat') });
    expect(set.count).toBe(2);
    expect(Array.from(set.labels)).toEqual([0, 25]);
  });

  it('an IDX images file with its labels → IDX; class names by file name or label range', async () => {
    const mnist = await loadDataset({ path: at('idx', 'mnist-images-idx3-ubyte.gz'), labels: at('idx', 'mnist-labels-idx1-ubyte.gz') });
    expect(mnist.classes).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    expect([mnist.height, mnist.width]).toEqual([28, 28]);
    const emnist = await loadDataset({ path: at('idx', 'emnist36-test-images-idx3-ubyte'), labels: at('idx', 'emnist36-test-labels-idx1-ubyte') });
    expect(emnist.classes).toBe(CLASSES_36);
    expect([emnist.height, emnist.width]).toEqual([32, 32]);
    expect(detectDatasetKind(at('idx', 'digits.dat'))).toBe('idx'); // by its magic, through gzip
  });

  it('a folder of data_batch_*.bin → CIFAR-10 training batches in batch order; a .bin file → that batch', async () => {
    expect(detectDatasetKind(at('cifar'))).toBe('cifar');
    const train = await loadDataset(at('cifar'));
    expect(Array.from(train.labels)).toEqual([2, 2, 7]);
    const test = await loadDataset(at('cifar', 'test_batch.bin'));
    expect(Array.from(test.labels)).toEqual([5]);
  });

  it('a folder of class folders → images, as glyphs unless a size is given', async () => {
    expect(detectDatasetKind(at('folder'))).toBe('image-folder');
    const glyphs = await loadDataset(at('folder'));
    expect([glyphs.count, glyphs.height, glyphs.width, glyphs.channels]).toEqual([1, 32, 32, 1]);
    expect(glyphs.classes).toEqual(['X']);
    const sized = await loadDataset({ path: at('folder'), height: 5, width: 5, channels: 3 });
    expect([sized.height, sized.width, sized.channels]).toEqual([5, 5, 3]);
  });
});

describe('loadDataset errors say what was expected', () => {
  it('IDX images without labels', async () => {
    await expect(loadDataset(at('idx', 'mnist-images-idx3-ubyte.gz'))).rejects.toThrow(
      /mnist-images-idx3-ubyte\.gz: is an IDX images file: give its labels file too/,
    );
  });

  it('a file or folder that is no dataset, or nothing at all', async () => {
    await expect(loadDataset(at('notes.txt'))).rejects.toThrow(/notes\.txt: is not a dataset this program reads/);
    await expect(loadDataset(at('empty'))).rejects.toThrow(/empty: holds no dataset/);
    await expect(loadDataset(at('absent'))).rejects.toThrow(/absent: not found/);
  });
});

describe.skipIf(!shared)('loadDataset on the real course file', () => {
  it('reads nist26_valid.mat by its path alone', async () => {
    const set = await loadDataset(join(shared!, 'nist26', 'nist26_valid.mat'));
    expect([set.count, set.classes.length, set.height]).toEqual([1300, 26, 32]);
  });
});
