/**
 * Malformed dataset files through `hwr train` and `hwr eval` (in-process): IDX, the course's
 * .mat, CIFAR-10 batches, image folders and the EMNIST pool layout. Each must fail with a message
 * naming the file and what is wrong with it, in bounded time, leaving nothing in the run folder.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeIdx, readIdxImages } from '../../app/data/idx.ts';
import { encodeMat } from '../helpers/mat-writer.ts';
import { runHwr } from '../helpers/fixtures.ts';
import { randomBytes, scramble, validImage } from './corpus.ts';
import { filesUnder } from './leftovers.ts';

const CASE_TIMEOUT = 20_000;
const root = mkdtempSync(join(tmpdir(), 'hwr-robust-data-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let n = 0;
/** Writes bytes under a fresh folder; returns the path. */
function put(name: string, bytes: Uint8Array | string): string {
  const dir = join(root, `case-${n++}`);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

const N = 40;
const images = (count = N, side = 28) => Uint8Array.from({ length: count * side * side }, (_, i) => (i * 7) & 255);
const labels = (count = N, classes = 4) => Uint8Array.from({ length: count }, (_, i) => i % classes);
const goodImages = encodeIdx([N, 28, 28], images());
const goodLabels = encodeIdx([N], labels());

interface DataCase {
  name: string;
  /** Arguments after `train` (the data) or `eval`. */
  args: () => string[];
  /** The file the message must name (default: the first path in args). */
  names?: () => string;
  expect: RegExp;
}

const idx = (name: string, images: Uint8Array | string, expect: RegExp, labelsBytes: Uint8Array = goodLabels): DataCase => {
  let paths: string[] | null = null;
  const make = () => (paths ??= [put(name, images), put('labels-idx1-ubyte', labelsBytes)]);
  return { name: `IDX: ${name.replace(/-/g, ' ')}`, args: () => ['--data', make()[0]!, '--labels', make()[1]!], names: () => make()[0]!, expect };
};
const idxLabels = (what: string, labelsBytes: Uint8Array, expect: RegExp): DataCase => {
  let paths: string[] | null = null;
  const make = () => (paths ??= [put('images-idx3-ubyte', goodImages), put('labels-idx1-ubyte', labelsBytes)]);
  return { name: `IDX labels: ${what}`, args: () => ['--data', make()[0]!, '--labels', make()[1]!], names: () => make()[1]!, expect };
};
const file = (what: string, name: string, bytes: () => Uint8Array | string, expect: RegExp): DataCase => {
  let path: string | null = null;
  return { name: what, args: () => ['--data', (path ??= put(name, bytes()))], expect };
};
const folder = (what: string, build: (dir: string) => void, expect: RegExp, named?: (dir: string) => string): DataCase => {
  let dir: string | null = null;
  const make = () => {
    if (!dir) {
      dir = join(root, `folder-${n++}`);
      mkdirSync(dir, { recursive: true });
      build(dir);
    }
    return dir;
  };
  return { name: what, args: () => ['--data', make()], names: () => (named ? named(make()) : make()), expect };
};

const header = (bytes: number[]) => Uint8Array.from(bytes);
const mat = (vars: Parameters<typeof encodeMat>[0], options?: Parameters<typeof encodeMat>[1]) => new Uint8Array(encodeMat(vars, options));
const oneHot = (count: number, classes = 26) => {
  const data = new Float64Array(count * classes);
  for (let i = 0; i < count; i++) data[(i % classes) * count + i] = 1; // column-major
  return data;
};
const png = await validImage('png', 64, 64);
const validMat = mat({ train_data: { dims: [4, 1024], data: new Float64Array(4 * 1024).fill(0.5) }, train_labels: { dims: [4, 26], data: oneHot(4) } });

const idxCases: DataCase[] = [
  idx('wrong-magic-images-idx3-ubyte', header([1, 0, 8, 3, 0, 0, 0, 1]), /wrong magic number/),
  idx('bad-type-images-idx3-ubyte', header([0, 0, 7, 3, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0]), /wrong magic number/),
  idx('no-dimensions-images-idx3-ubyte', header([0, 0, 8, 0]), /wrong magic number/),
  idx('three-bytes-images-idx3-ubyte', header([0, 0, 8]), /truncated: 3 bytes is too short/),
  idx('cut-header-images-idx3-ubyte', goodImages.subarray(0, 10), /truncated: the IDX header needs 16 bytes/),
  idx('cut-data-images-idx3-ubyte', goodImages.subarray(0, goodImages.length >> 1), /truncated: the header says 40×28×28 ubyte/),
  idx('extra-bytes-images-idx3-ubyte', Buffer.concat([goodImages, Buffer.alloc(5)]), /wrong size: 5 bytes follow/),
  idx(
    'claims-4-billion-images-idx3-ubyte',
    header([0, 0, 8, 3, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 28, 0, 0, 0, 28]),
    /truncated: the header says 4294967295×28×28/,
  ),
  idx('one-dimension-images-idx3-ubyte', encodeIdx([N], labels()), /wrong shape: an images file has 3 dimensions.*is this a labels file/),
  idx('floats-images-idx3-ubyte', encodeIdx([2, 28, 28], new Float32Array(2 * 28 * 28)), /wrong type: images must be unsigned bytes/),
  idx('not-gzip-images-idx3-ubyte.gz', goodImages, /is named \.gz but is not gzip/),
  idx('corrupt-gzip-images-idx3-ubyte.gz', scramble(gzipSync(goodImages), 12, 30, 4), /gzip data is (corrupt|truncated)/),
  idx('cut-gzip-images-idx3-ubyte.gz', gzipSync(goodImages).subarray(0, 60), /gzip data is truncated/),
  idx('empty-images-idx3-ubyte', new Uint8Array(0), /truncated: 0 bytes|not a dataset|is empty/),
  idx(
    'no-images-images-idx3-ubyte',
    encodeIdx([0, 28, 28], new Uint8Array(0)),
    /needs at least 2 images, found 0|holds no images/,
    encodeIdx([0], new Uint8Array(0)),
  ),
  idx('random-images-idx3-ubyte', randomBytes(3000, 21), /wrong magic number/),
  idxLabels('fewer labels than images', encodeIdx([N - 3], labels(N - 3)), /count mismatch: 37 labels for 40 images/),
  idxLabels('an images file given as labels', goodImages, /wrong shape: a labels file has 1 dimension.*is this an images file/),
  idxLabels('float labels', encodeIdx([N], new Float32Array(N)), /wrong type: labels must be integers/),
  idxLabels('labels file cut short', goodLabels.subarray(0, 20), /truncated/),
  idxLabels('labels with a bad magic', header([0, 1, 8, 1, 0, 0, 0, 0]), /wrong magic number/),
];

const matCases: DataCase[] = [
  file('.mat: empty', 'empty.mat', () => new Uint8Array(0), /not a MATLAB \.mat file: 0 bytes is shorter than the 128-byte/),
  file('.mat: shorter than its header', 'short.mat', () => validMat.subarray(0, 100), /shorter than the 128-byte level-5 header/),
  file(
    '.mat: a v7.3 (HDF5) file',
    'v73.mat',
    () =>
      Buffer.concat([
        Buffer.from('MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: Mon Jan 1 HDF5 schema 1.00 .'.padEnd(128, ' ')),
        Buffer.from([0x89, 0x48, 0x44, 0x46]),
      ]),
    /v7\.3 \(HDF5\) file, which is not supported/,
  ),
  file(
    '.mat: no endianness mark',
    '/noendian.mat'.slice(1),
    () => {
      const b = Uint8Array.from(validMat);
      b[126] = 0x41;
      b[127] = 0x41;
      return b;
    },
    /no endianness indicator 'IM' or 'MI'/,
  ),
  file('.mat: a variable cut short', 'cut.mat', () => validMat.subarray(0, 128 + 200), /truncated: .* claims \d+ bytes, only \d+ remain/),
  file('.mat: garbage after the header', 'garbage.mat', () => Buffer.concat([validMat.subarray(0, 128), randomBytes(400, 31)]), /corrupt|truncated/),
  file(
    '.mat: compressed data that is not zlib',
    'badzip.mat',
    () => {
      const b = mat({ train_data: { dims: [4, 1024], data: new Float64Array(4096) } }, { compress: true });
      return scramble(b, 128 + 8, 16, 8);
    },
    /compressed .* (corrupt|truncated)|zlib/,
  ),
  file(
    '.mat: no train/valid/test variables',
    'novars.mat',
    () => mat({ X: { dims: [2, 2], data: new Float64Array(4) } }),
    /has none of train_data\/valid_data\/test_data with their _labels \(found: X\)/,
  ),
  file(
    '.mat: data without labels',
    'nolabels.mat',
    () => mat({ train_data: { dims: [4, 1024], data: new Float64Array(4096) } }),
    /has train_data but no train_labels/,
  ),
  file(
    '.mat: rows that are not 32×32 images',
    'shape.mat',
    () => mat({ train_data: { dims: [4, 100], data: new Float64Array(400) }, train_labels: { dims: [4, 26], data: oneHot(4) } }),
    /wrong shape: train_data is 4×100, expected N×1024/,
  ),
  file(
    '.mat: labels that are not one-hot',
    'onehot.mat',
    () => mat({ train_data: { dims: [4, 1024], data: new Float64Array(4096) }, train_labels: { dims: [4, 26], data: new Float64Array(104) } }),
    /train_labels row 1 is not one-hot \(no class is set\)/,
  ),
  file(
    '.mat: fewer label rows than images',
    'count.mat',
    () => mat({ train_data: { dims: [4, 1024], data: new Float64Array(4096) }, train_labels: { dims: [3, 26], data: oneHot(3) } }),
    /count mismatch: train_data has 4 rows, train_labels has 3/,
  ),
  file(
    '.mat: a NaN pixel',
    'nan.mat',
    () => mat({ train_data: { dims: [4, 1024], data: new Float64Array(4096).fill(NaN) }, train_labels: { dims: [4, 26], data: oneHot(4) } }),
    /train_data row 1 holds a non-finite value \(NaN\)/,
  ),
];

const record = (label: number) => Uint8Array.from([label, ...new Uint8Array(3072).fill(label * 20)]);
const cifarCases: DataCase[] = [
  file('CIFAR: an empty batch', 'empty.bin', () => new Uint8Array(0), /is empty \(expected 3073-byte CIFAR-10 records\)/),
  file('CIFAR: a gzipped batch', 'gz.bin', () => gzipSync(record(1)), /is gzip-compressed: extract the CIFAR-10 archive/),
  file(
    'CIFAR: a record cut short',
    'cut.bin',
    () => Buffer.concat([record(1), record(2), record(3).subarray(0, 1000)]),
    /truncated: 7146 bytes is not a whole number of 3073-byte/,
  ),
  file(
    'CIFAR: a label of 12 (ten classes)',
    'label.bin',
    () => Buffer.concat([record(1), record(12), record(3)]),
    /label 12 at index 1 is out of range: expected 0\.\.9/,
  ),
  file('CIFAR: random bytes', 'random.bin', () => randomBytes(5000, 41), /truncated: 5000 bytes/),
  folder(
    'CIFAR folder: a truncated data_batch_1.bin',
    (dir) => writeFileSync(join(dir, 'data_batch_1.bin'), record(1).subarray(0, 100)),
    /data_batch_1\.bin: truncated: 100 bytes/,
    (dir) => join(dir, 'data_batch_1.bin'),
  ),
];

const folderCases: DataCase[] = [
  folder(
    'folder: no class subfolders',
    (dir) => writeFileSync(join(dir, 'a.png'), 'x'),
    /holds no dataset: expected emnist36-pool-part\* or emnist-lower-pool-\* IDX files, CIFAR-10 data_batch_\*\.bin files, or one subfolder of images per class/,
  ),
  folder(
    'folder: a class with no images',
    (dir) => (mkdirSync(join(dir, 'A')), writeFileSync(join(dir, 'A', 'notes.txt'), 'x')),
    /class folder 'A' holds no images/,
    (dir) => join(dir, 'A'),
  ),
  folder(
    'folder: a text file named .png in a class',
    (dir) => (
      mkdirSync(join(dir, 'A')),
      mkdirSync(join(dir, 'B')),
      writeFileSync(join(dir, 'A', 'x.png'), 'not a png'),
      writeFileSync(join(dir, 'B', 'y.png'), 'not a png either')
    ),
    /cannot decode the image/,
    (dir) => join(dir, 'A', 'x.png'),
  ),
  folder(
    'folder: a PNG cut short in a class',
    (dir) => {
      mkdirSync(join(dir, 'A'));
      mkdirSync(join(dir, 'B'));
      writeFileSync(join(dir, 'A', 'cut.png'), png.subarray(0, 60));
      writeFileSync(join(dir, 'B', 'ok.png'), png);
    },
    /cannot decode the image/,
    (dir) => join(dir, 'A', 'cut.png'),
  ),
  folder(
    'EMNIST pool: part 1 without part 0',
    (dir) => (
      writeFileSync(join(dir, 'emnist36-pool-part1-images-idx3-ubyte.gz'), gzipSync(goodImages)),
      writeFileSync(join(dir, 'emnist36-pool-part1-labels-idx1-ubyte.gz'), gzipSync(goodLabels))
    ),
    /pool part 0 is missing \(found parts 1\)/,
  ),
  folder(
    'EMNIST pool: images without labels',
    (dir) => writeFileSync(join(dir, 'emnist36-pool-part0-images-idx3-ubyte.gz'), gzipSync(goodImages)),
    /pool part 0 has an images file but no labels file/,
  ),
  folder(
    'EMNIST pool: labels out of range',
    (dir) => (
      writeFileSync(join(dir, 'emnist36-pool-part0-images-idx3-ubyte.gz'), gzipSync(goodImages)),
      writeFileSync(
        join(dir, 'emnist36-pool-part0-labels-idx1-ubyte.gz'),
        gzipSync(
          encodeIdx(
            [N],
            Uint8Array.from({ length: N }, (_, i) => (i === 5 ? 99 : 1)),
          ),
        ),
      )
    ),
    /label 99 at index 5 is out of range: expected 0\.\.35/,
    (dir) => join(dir, 'emnist36-pool-part0-labels-idx1-ubyte.gz'),
  ),
  folder(
    'EMNIST pool: 20×20 images',
    (dir) => (
      writeFileSync(join(dir, 'emnist36-pool-part0-images-idx3-ubyte.gz'), gzipSync(encodeIdx([N, 20, 20], images(N, 20)))),
      writeFileSync(join(dir, 'emnist36-pool-part0-labels-idx1-ubyte.gz'), gzipSync(goodLabels))
    ),
    /wrong shape for glyphs: images are 20×20, expected 28×28/,
    (dir) => join(dir, 'emnist36-pool-part0-images-idx3-ubyte.gz'),
  ),
  { name: 'a path that does not exist', args: () => ['--data', join(root, 'nowhere', 'data.mat')], expect: /not found/ },
  file(
    'a file that is no dataset kind',
    'notes.txt',
    () => 'just notes',
    /is not a dataset this program reads: expected a \.mat file, a CIFAR-10 \.bin batch, an IDX images file/,
  ),
];

const trainCases = [...idxCases, ...matCases, ...cifarCases, ...folderCases];

describe('malformed datasets', () => {
  describe('hwr train', () => {
    it.each(trainCases.map((c) => [c.name, c] as const))(
      '%s',
      async (_name, c) => {
        const out = join(root, 'runs', `run-${n++}`);
        const args = c.args();
        const r = await runHwr(['train', '--arch', 'mlp', '--epochs', '1', '--quiet', '--out', out, ...args]);
        expect(r.code).toBe(1);
        expect(r.stderr).toContain(`hwr train: ${(c.names ?? (() => args[1]!))()}`);
        expect(r.stderr).toMatch(c.expect);
        expect(filesUnder(out)).toEqual([]);
      },
      CASE_TIMEOUT,
    );
  });

  describe('hwr eval', () => {
    it.each(idxCases.map((c) => [c.name, c] as const))(
      '%s',
      async (_name, c) => {
        const [, imagesPath, , labelsPath] = c.args();
        const r = await runHwr(['eval', '--images', imagesPath!, '--labels', labelsPath!]);
        expect(r.code).toBe(1);
        expect(r.stderr).toContain(`hwr eval: ${(c.names ?? (() => imagesPath!))()}`);
        expect(r.stderr).toMatch(c.expect);
      },
      CASE_TIMEOUT,
    );

    it(
      "labels outside the model's 36 classes",
      async () => {
        const labelsPath = put(
          'labels-idx1-ubyte',
          encodeIdx(
            [N],
            Uint8Array.from({ length: N }, (_, i) => (i === 7 ? 40 : 2)),
          ),
        );
        const r = await runHwr(['eval', '--images', put('images-idx3-ubyte', goodImages), '--labels', labelsPath]);
        expect(r.code).toBe(1);
        expect(r.stderr).toContain(`${labelsPath}: label 40 at index 7 is out of range: expected 0..35 (36 classes)`);
      },
      CASE_TIMEOUT,
    );
  });
});

describe('a gzipped IDX that inflates past what its header promises (a zip bomb)', () => {
  it('is refused as soon as the inflation passes the promised size, naming the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hwr-bomb-'));
    try {
      // A header for 10 images of 28×28 (7,856 bytes in all), then 64 MB of zeros: 64 KB gzipped.
      const header = encodeIdx([10, 28, 28], new Uint8Array(10 * 784)).subarray(0, 16);
      const content = new Uint8Array(16 + 64 * 1024 * 1024);
      content.set(header);
      const path = join(dir, 'bomb-images-idx3-ubyte.gz');
      writeFileSync(path, gzipSync(content, { level: 1 }));
      const before = process.memoryUsage().arrayBuffers;
      const t = performance.now();
      expect(() => readIdxImages(path)).toThrow(/bomb-images-idx3-ubyte\.gz.*inflates to more than the 7,856 bytes its header promises/);
      expect(performance.now() - t).toBeLessThan(2000);
      // It stopped there: no 64 MB buffer was made.
      expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(32 * 1024 * 1024);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
