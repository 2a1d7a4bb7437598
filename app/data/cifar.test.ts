import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { CIFAR10_CLASSES, encodeCifarBatch, loadCifarBatches, writeCifarBatch } from './cifar.ts';

const root = mkdtempSync(join(tmpdir(), 'hwr-cifar-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** NHWC bytes where pixel (n, y, x, c) = (n * 50 + y * 3 + x + c * 70) % 256. */
function pixelsFor(count: number): Uint8Array {
  const bytes = new Uint8Array(count * 3072);
  for (let n = 0; n < count; n++) {
    for (let y = 0; y < 32; y++)
      for (let x = 0; x < 32; x++) for (let c = 0; c < 3; c++) bytes[((n * 32 + y) * 32 + x) * 3 + c] = (n * 50 + y * 3 + x + c * 70) % 256;
  }
  return bytes;
}

describe('loadCifarBatches', () => {
  const dir = join(root, 'plain');
  mkdirSync(dir);
  const batch1 = join(dir, 'data_batch_1.bin');
  const batch2 = join(dir, 'data_batch_2.bin');
  writeCifarBatch(batch1, pixelsFor(3), [9, 0, 4]);
  writeCifarBatch(batch2, pixelsFor(2), [1, 1]);

  it('stores records as a label byte then the R, G and B planes', () => {
    const bytes = readFileSync(batch1);
    expect(bytes.length).toBe(3 * 3073);
    expect(bytes[0]).toBe(9);
    // record 0, pixel (y=1, x=2): R at 1 + 34, G at 1 + 1024 + 34, B at 1 + 2048 + 34
    expect([bytes[1 + 34], bytes[1 + 1024 + 34], bytes[1 + 2048 + 34]]).toEqual([5, 75, 145]);
  });

  it('reads NHWC 32×32×3 in [0, 1] with the CIFAR-10 class names', () => {
    const set = loadCifarBatches(batch1);
    expect([set.count, set.height, set.width, set.channels]).toEqual([3, 32, 32, 3]);
    expect(set.classes).toEqual(CIFAR10_CLASSES);
    expect(Array.from(set.labels)).toEqual([9, 0, 4]);
    const expected = pixelsFor(3);
    for (let i = 0; i < expected.length; i += 97) expect(set.pixels[i]).toBeCloseTo(expected[i]! / 255, 6);
    expect(set.pixels[((2 * 32 + 5) * 32 + 7) * 3 + 1]).toBeCloseTo(((100 + 15 + 7 + 70) % 256) / 255, 6);
  });

  it('concatenates batches in the order given', () => {
    const set = loadCifarBatches([batch2, batch1]);
    expect(set.count).toBe(5);
    expect(Array.from(set.labels)).toEqual([1, 1, 9, 0, 4]);
    expect(set.pixels[2 * 3072 + 1]).toBeCloseTo(70 / 255, 6);
  });

  it('takes class names from batches.meta.txt beside the batch', () => {
    const meta = join(root, 'named');
    mkdirSync(meta);
    writeFileSync(join(meta, 'batches.meta.txt'), 'cat\ndog\n\n');
    writeCifarBatch(join(meta, 'test_batch.bin'), pixelsFor(2), [1, 0]);
    expect(loadCifarBatches(join(meta, 'test_batch.bin')).classes).toEqual(['cat', 'dog']);
  });
});

describe('CIFAR errors name the file and the problem', () => {
  const good = encodeCifarBatch(pixelsFor(2), [3, 4]);
  const write = (name: string, bytes: Uint8Array): string => {
    const path = join(root, name);
    writeFileSync(path, bytes);
    return path;
  };

  it('a truncated record', () => {
    const path = write('cut_batch.bin', good.subarray(0, good.length - 73));
    expect(() => loadCifarBatches(path)).toThrow(
      /cut_batch\.bin: truncated: 6073 bytes is not a whole number of 3073-byte CIFAR-10 records .* the last record has 3000 bytes/,
    );
  });

  it('an empty, a gzipped or a missing file', () => {
    expect(() => loadCifarBatches(write('empty.bin', new Uint8Array(0)))).toThrow(/empty\.bin: is empty/);
    expect(() => loadCifarBatches(write('zipped.bin', gzipSync(good)))).toThrow(/zipped\.bin: is gzip-compressed/);
    expect(() => loadCifarBatches(join(root, 'absent.bin'))).toThrow(/absent\.bin: file not found/);
  });

  it('a label outside the classes', () => {
    const bytes = Buffer.from(good);
    bytes[3073] = 10;
    expect(() => loadCifarBatches(write('label_batch.bin', bytes))).toThrow(/label_batch\.bin: label 10 at index 1 is out of range: expected 0\.\.9/);
  });
});
