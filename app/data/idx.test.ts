import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeIdx, loadIdx, readIdx, readIdxImages, readIdxLabels, writeIdx } from './idx.ts';
import { CLASSES_36 } from '../contract.ts';

const dir = mkdtempSync(join(tmpdir(), 'hwr-idx-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** n 28×28 images; image k has value 10 + k at (row 0, col 0) and 200 at (row 1, col 3). */
function images28(n: number): Uint8Array {
  const bytes = new Uint8Array(n * 784);
  for (let k = 0; k < n; k++) {
    bytes[k * 784] = 10 + k;
    bytes[k * 784 + 28 + 3] = 200;
  }
  return bytes;
}

describe('IDX reading and writing', () => {
  it('round-trips images and labels, gzipped or not', () => {
    const pixels = images28(3);
    for (const name of ['a-images-idx3-ubyte', 'b-images-idx3-ubyte.gz']) {
      writeIdx(join(dir, name), [3, 28, 28], pixels);
      const images = readIdxImages(join(dir, name));
      expect([images.count, images.height, images.width]).toEqual([3, 28, 28]);
      expect(Array.from(images.pixels)).toEqual(Array.from(pixels));
    }
    expect(readFileSync(join(dir, 'b-images-idx3-ubyte.gz')).subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    writeIdx(join(dir, 'labels.gz'), [3], Uint8Array.of(4, 0, 35));
    expect(Array.from(readIdxLabels(join(dir, 'labels.gz')))).toEqual([4, 0, 35]);
  });

  it('detects gzip by its magic bytes, not by the name', () => {
    writeFileSync(join(dir, 'gzipped-without-extension'), gzipSync(encodeIdx([2], Uint8Array.of(1, 2))));
    expect(Array.from(readIdxLabels(join(dir, 'gzipped-without-extension')))).toEqual([1, 2]);
  });

  it('round-trips every IDX value type, big-endian', () => {
    for (const data of [Int8Array.of(-3, 4), Int16Array.of(-300, 400), Int32Array.of(-70000, 5), Float32Array.of(0.5, -2), Float64Array.of(Math.PI, 1e-300)]) {
      writeIdx(join(dir, 'typed'), [2, 1], data);
      const idx = readIdx(join(dir, 'typed'));
      expect(idx.dims).toEqual([2, 1]);
      expect(idx.data.constructor).toBe(data.constructor);
      expect(Array.from(idx.data)).toEqual(Array.from(data));
    }
    expect(encodeIdx([1], Int16Array.of(0x0102)).subarray(8)).toEqual(Buffer.from([1, 2]));
  });

  it('writes atomically: no temporary file is left beside the target', () => {
    const sub = mkdtempSync(join(dir, 'atomic-'));
    writeIdx(join(sub, 'x-labels-idx1-ubyte.gz'), [1], Uint8Array.of(9));
    writeIdx(join(sub, 'x-labels-idx1-ubyte.gz'), [2], Uint8Array.of(9, 8));
    expect(readdirSync(sub)).toEqual(['x-labels-idx1-ubyte.gz']);
    expect(readIdxLabels(join(sub, 'x-labels-idx1-ubyte.gz')).length).toBe(2);
  });

  it('refuses to write data that does not match the dimensions', () => {
    expect(() => writeIdx(join(dir, 'bad'), [2, 2], new Uint8Array(3))).toThrow(/2×2/);
  });
});

describe('loadIdx', () => {
  const imagesPath = join(dir, 'set-images-idx3-ubyte.gz');
  const labelsPath = join(dir, 'set-labels-idx1-ubyte.gz');
  writeIdx(imagesPath, [3, 28, 28], images28(3));
  writeIdx(labelsPath, [3], Uint8Array.of(0, 26, 35));

  it('makes 36-class 28×28 sets 32×32 glyphs with a 2-pixel zero border, values in [0, 1]', () => {
    const set = loadIdx(imagesPath, labelsPath, { classes: CLASSES_36 });
    expect([set.count, set.height, set.width, set.channels]).toEqual([3, 32, 32, 1]);
    expect(set.pixels.length).toBe(3 * 1024);
    expect(set.pixels[2 * 32 + 2]).toBeCloseTo(10 / 255, 6); // (0, 0) → (2, 2)
    expect(set.pixels[1024 + 2 * 32 + 2]).toBeCloseTo(11 / 255, 6);
    expect(set.pixels[3 * 32 + 5]).toBeCloseTo(200 / 255, 6); // (1, 3) → (3, 5)
    const sum = set.pixels.reduce((a, b) => a + b, 0);
    expect(sum).toBeCloseTo((10 + 11 + 12 + 3 * 200) / 255, 4); // nothing else, borders zero
    expect(Array.from(set.labels)).toEqual([0, 26, 35]);
    expect(set.classes).toBe(CLASSES_36);
    expect(set.source).toBe(imagesPath);
  });

  it('keeps other sets at their own size unless glyphs are asked for', () => {
    const names = Array.from({ length: 36 }, (_, k) => `c${k}`);
    const plain = loadIdx(imagesPath, labelsPath, { classes: names, glyphs: false });
    expect([plain.height, plain.width]).toEqual([28, 28]);
    expect(plain.pixels[0]).toBeCloseTo(10 / 255, 6);
    expect(plain.pixels[28 + 3]).toBeCloseTo(200 / 255, 6);
  });

  it('transposes back images stored transposed (original EMNIST)', () => {
    const set = loadIdx(imagesPath, labelsPath, { classes: CLASSES_36, transposed: true });
    expect(set.pixels[5 * 32 + 3]).toBeCloseTo(200 / 255, 6); // stored (1, 3) is upright (3, 1) → (5, 3)
    expect(set.pixels[3 * 32 + 5]).toBe(0);
  });
});

describe('IDX errors name the file and the problem', () => {
  const good = encodeIdx([4, 28, 28], images28(4));
  const write = (name: string, bytes: Uint8Array): string => {
    const path = join(dir, name);
    writeFileSync(path, bytes);
    return path;
  };

  it('truncated data', () => {
    const path = write('cut-images-idx3-ubyte', good.subarray(0, good.length - 100));
    expect(() => readIdxImages(path)).toThrow(/cut-images-idx3-ubyte: truncated: the header says 4×28×28 ubyte/);
  });

  it('truncated header', () => {
    const path = write('cut-header', good.subarray(0, 9));
    expect(() => readIdxImages(path)).toThrow(/cut-header: truncated: the IDX header needs 16 bytes/);
  });

  it('truncated gzip stream', () => {
    const gz = gzipSync(good);
    const path = write('cut-images-idx3-ubyte.gz', gz.subarray(0, gz.length >> 1));
    expect(() => readIdxImages(path)).toThrow(/cut-images-idx3-ubyte\.gz: gzip data is truncated/);
  });

  it('wrong magic number', () => {
    const path = write('photo.png', Buffer.from('\x89PNG\r\n\x1a\n0000000000000000', 'latin1'));
    expect(() => readIdxImages(path)).toThrow(/photo\.png: wrong magic number \(89 50 4e 47\): not an IDX file/);
  });

  it('named .gz but not gzip', () => {
    const path = write('plain-images-idx3-ubyte.gz', good);
    expect(() => readIdxImages(path)).toThrow(/plain-images-idx3-ubyte\.gz: is named \.gz but is not gzip/);
  });

  it('a labels file given as images, and the other way round', () => {
    const labels = write('l-labels-idx1-ubyte', encodeIdx([4], Uint8Array.of(1, 2, 3, 4)));
    const images = write('i-images-idx3-ubyte', good);
    expect(() => readIdxImages(labels)).toThrow(/l-labels-idx1-ubyte: wrong shape: .*1 \(4\) \(is this a labels file\?\)/);
    expect(() => readIdxLabels(images)).toThrow(/i-images-idx3-ubyte: wrong shape: .*\(is this an images file\?\)/);
  });

  it('bytes after the data', () => {
    const path = write('long-images', Buffer.concat([good, Buffer.alloc(5)]));
    expect(() => readIdxImages(path)).toThrow(/long-images: wrong size: 5 bytes follow/);
  });

  it('count mismatch between images and labels', () => {
    const images = write('four-images', good);
    const labels = write('three-labels', encodeIdx([3], Uint8Array.of(1, 2, 3)));
    expect(() => loadIdx(images, labels, { classes: CLASSES_36 })).toThrow(/three-labels: count mismatch: 3 labels for 4 images/);
  });

  it('label out of range', () => {
    const images = write('four-images', good);
    const labels = write('bad-labels', encodeIdx([4], Uint8Array.of(1, 36, 3, 4)));
    expect(() => loadIdx(images, labels, { classes: CLASSES_36 })).toThrow(/bad-labels: label 36 at index 1 is out of range: expected 0\.\.35/);
  });

  it('images that cannot be glyphs', () => {
    const images = write('small-images', encodeIdx([1, 20, 20], new Uint8Array(400)));
    const labels = write('one-label', encodeIdx([1], Uint8Array.of(0)));
    expect(() => loadIdx(images, labels, { classes: CLASSES_36, glyphs: true })).toThrow(/small-images: wrong shape for glyphs: images are 20×20/);
  });

  it('a missing file and an empty file', () => {
    expect(() => readIdxImages(join(dir, 'nope.gz'))).toThrow(/nope\.gz: file not found/);
    const empty = write('empty-images', new Uint8Array(0));
    expect(() => readIdxImages(empty)).toThrow(/empty-images: truncated: 0 bytes/);
  });
});
