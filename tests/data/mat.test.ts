import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedDataForTests } from '../helpers/shared-data.ts';
import { classCounts, type LabelledImages } from '../../app/data/glyphs.ts';
import { inkBox } from '../../app/image/frame.ts';
import { CLASSES_26, loadCourseMat, loadCourseMatSplits, readMat } from '../../app/data/mat.ts';
import { encodeMat, writeMat, type MatVariable } from '../helpers/mat-writer.ts';
import { CLASSES_36 } from '../../app/contract.ts';

const shared = sharedDataForTests();
const dir = mkdtempSync(join(tmpdir(), 'hwr-mat-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const write = (name: string, bytes: Uint8Array): string => {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
};

/**
 * Course-format data for the given labels: image n has ink (value -0.05, a little below 0) in the
 * upright block rows 0–3, columns 0–7, and n + 1 extra ink pixels along row 10; paper is 1.02.
 * Rows are stored column-major (transposed) in an N×1024 column-major matrix.
 */
function courseVariables(prefix: string, labels: number[], classCount: number): Record<string, MatVariable> {
  const n = labels.length;
  const data = new Float64Array(n * 1024).fill(1.02);
  const oneHot = new Float64Array(n * classCount);
  const set = (i: number, y: number, x: number) => (data[(x * 32 + y) * n + i] = -0.05);
  labels.forEach((label, i) => {
    for (let y = 0; y < 4; y++) for (let x = 0; x < 8; x++) set(i, y, x);
    for (let x = 0; x <= i; x++) set(i, 10, 10 + x);
    oneHot[label * n + i] = 1;
  });
  return { [`${prefix}_data`]: { dims: [n, 1024], data }, [`${prefix}_labels`]: { dims: [n, classCount], data: oneHot } };
}

describe('readMat / writeMat', () => {
  const variables: Record<string, MatVariable> = {
    m: { dims: [2, 3], data: Float64Array.of(1, 2, 3, 4, 5, -6.5) },
    longer_name: { dims: [1, 4], data: Uint8Array.of(0, 127, 200, 255) },
  };

  for (const [label, options] of [
    ['uncompressed', {}],
    ['compressed', { compress: true }],
    ['big-endian', { endian: 'big' }],
    ['big-endian compressed', { endian: 'big', compress: true }],
  ] as const) {
    it(`round-trips numeric arrays, ${label}`, () => {
      const path = join(dir, `roundtrip-${label.replace(/ /g, '-')}.mat`);
      writeMat(path, variables, options);
      const vars = readMat(path);
      expect([...vars.keys()]).toEqual(['m', 'longer_name']);
      expect(vars.get('m')).toEqual({ dims: [2, 3], data: Float64Array.of(1, 2, 3, 4, 5, -6.5), class: 'double' });
      expect(vars.get('longer_name')).toEqual({ dims: [1, 4], data: Float64Array.of(0, 127, 200, 255), class: 'uint8' });
    });
  }
});

describe('loadCourseMat on fixtures', () => {
  it('turns transposed white-background rows into upright ink=1 glyphs, clamped to [0, 1]', () => {
    const path = join(dir, 'letters_train.mat');
    writeMat(path, courseVariables('train', [0, 25, 7], 26), { compress: true });
    const set = loadCourseMat(path);
    expect([set.count, set.height, set.width, set.channels]).toEqual([3, 32, 32, 1]);
    expect(set.classes).toEqual(CLASSES_26);
    expect(Array.from(set.labels)).toEqual([0, 25, 7]);
    const at = (n: number, y: number, x: number) => set.pixels[n * 1024 + y * 32 + x]!;
    expect(at(0, 3, 7)).toBe(1); // upright block is 4 rows × 8 columns, not 8 × 4
    expect(at(0, 7, 3)).toBe(0);
    expect(at(2, 10, 12)).toBe(1);
    expect(at(2, 12, 10)).toBe(0);
    const inkPerImage = [0, 0, 0];
    for (let n = 0; n < 3; n++) for (let i = 0; i < 1024; i++) inkPerImage[n]! += set.pixels[n * 1024 + i]!;
    expect(inkPerImage).toEqual([33, 34, 35]);
    expect(Math.min(...set.pixels)).toBe(0);
    expect(Math.max(...set.pixels)).toBe(1);
  });

  it('reads 36-class files with CLASSES_36 and picks a split, or concatenates all', () => {
    const path = join(dir, 'two_splits.mat');
    writeMat(path, { ...courseVariables('train', [26, 35], 36), ...courseVariables('valid', [1, 2, 3], 36) });
    const splits = loadCourseMatSplits(path);
    expect(Object.keys(splits)).toEqual(['train', 'valid']);
    expect(splits.train!.classes).toEqual(CLASSES_36);
    expect(loadCourseMat(path, { split: 'valid' }).count).toBe(3);
    const all = loadCourseMat(path);
    expect(all.count).toBe(5);
    expect(Array.from(all.labels)).toEqual([26, 35, 1, 2, 3]);
    expect(() => loadCourseMat(path, { split: 'test' })).toThrow(/two_splits\.mat: has no test_data/);
  });
});

describe('.mat errors name the file and the problem', () => {
  const good = encodeMat(courseVariables('valid', [0, 1, 2, 3], 26), { compress: true });

  it('not a .mat file', () => {
    expect(() => readMat(write('notes.mat', Buffer.from('just some text, not MATLAB at all '.repeat(5))))).toThrow(
      /notes\.mat: not a MATLAB level-5 \.mat file/,
    );
    expect(() => readMat(write('tiny.mat', Buffer.from('MATLAB')))).toThrow(/tiny\.mat: not a MATLAB \.mat file: 6 bytes is shorter than the 128-byte/);
    expect(() => readMat(join(dir, 'absent.mat'))).toThrow(/absent\.mat: file not found/);
  });

  it('a v7.3 (HDF5) file', () => {
    const header = Buffer.alloc(600, 0x20);
    header.write('MATLAB 7.3 MAT-file, Platform: GLNXA64, HDF5 schema 1.00', 0, 'latin1');
    expect(() => readMat(write('v73.mat', header))).toThrow(/v73\.mat: is a MATLAB v7\.3 \(HDF5\) file.*-v7/);
  });

  it('truncated', () => {
    expect(() => readMat(write('cut.mat', good.subarray(0, good.length - 500)))).toThrow(/cut\.mat: truncated: variable #1 at byte 128 claims/);
    const plain = encodeMat(courseVariables('valid', [0], 26));
    expect(() => readMat(write('cut-plain.mat', plain.subarray(0, 1000)))).toThrow(/cut-plain\.mat: truncated/);
  });

  it('a corrupt compressed element', () => {
    const corrupt = Buffer.from(good);
    corrupt.fill(0xaa, 140, 200);
    expect(() => readMat(write('corrupt.mat', corrupt))).toThrow(/corrupt\.mat: compressed variable #1 is corrupt \(zlib/);
  });

  it('wrong dimensions', () => {
    const vars = courseVariables('train', [0, 1], 26);
    vars.train_data = { dims: [2, 1000], data: new Float64Array(2000) };
    expect(() => loadCourseMat(write('dims.mat', encodeMat(vars)))).toThrow(/dims\.mat: wrong shape: train_data is 2×1000, expected N×1024/);
    const vars10 = courseVariables('train', [0, 1], 10);
    expect(() => loadCourseMat(write('k10.mat', encodeMat(vars10)))).toThrow(/k10\.mat: wrong shape: train_labels is 2×10, expected N×26 or N×36/);
  });

  it('a header whose dimensions do not match the data', () => {
    const bytes = encodeMat({ abc: { dims: [2, 2], data: Float64Array.of(1, 2, 3, 4) } });
    bytes.writeInt32LE(3, 128 + 8 + 16 + 8); // first dimension 2 → 3
    expect(() => readMat(write('lying.mat', bytes))).toThrow(/lying\.mat: wrong shape: 'abc' is 3×2 \(6 values\) but holds 4/);
  });

  it('count mismatch between data and labels', () => {
    const vars = { ...courseVariables('test', [0, 1, 2], 26) };
    vars.test_labels = courseVariables('test', [0, 1], 26).test_labels!;
    expect(() => loadCourseMat(write('count.mat', encodeMat(vars)))).toThrow(/count\.mat: count mismatch: test_data has 3 rows, test_labels has 2/);
  });

  it('labels that are not one-hot', () => {
    const vars = courseVariables('train', [0, 1], 26);
    vars.train_labels!.data[5 * 2 + 1] = 1; // row 2 gets a second class
    expect(() => loadCourseMat(write('twohot.mat', encodeMat(vars)))).toThrow(/twohot\.mat: train_labels row 2 is not one-hot \(classes 2 and 6/);
    vars.train_labels!.data.fill(0);
    expect(() => loadCourseMat(write('nohot.mat', encodeMat(vars)))).toThrow(/nohot\.mat: train_labels row 1 is not one-hot \(no class is set\)/);
  });

  it('a file without the course variables, or with half a pair', () => {
    const other = encodeMat({ X: { dims: [1, 1], data: Float64Array.of(1) } });
    expect(() => loadCourseMat(write('other.mat', other))).toThrow(/other\.mat: has none of train_data\/valid_data\/test_data .*found: X/);
    const half = encodeMat({ train_data: courseVariables('train', [0], 26).train_data! });
    expect(() => loadCourseMat(write('half.mat', half))).toThrow(/half\.mat: has train_data but no train_labels/);
  });
});

describe.skipIf(!shared)('the real nist26_valid.mat', () => {
  let set: LabelledImages;
  beforeAll(() => {
    set = loadCourseMat(join(shared!, 'nist26', 'nist26_valid.mat'));
  });

  it('loads 1300 glyphs, 50 per letter A–Z, values in [0, 1] with ink = 1', () => {
    expect([set.count, set.height, set.width, set.channels]).toEqual([1300, 32, 32, 1]);
    expect(set.classes).toEqual(CLASSES_26);
    expect(Array.from(classCounts(set))).toEqual(new Array(26).fill(50));
    expect(set.pixels.reduce((a, b) => Math.min(a, b), Infinity)).toBe(0);
    expect(set.pixels.reduce((a, b) => Math.max(a, b), -Infinity)).toBe(1);
    const mean = set.pixels.reduce((a, b) => a + b, 0) / set.pixels.length;
    expect(mean).toBeLessThan(0.3); // mostly paper, now 0
  });

  it('are drawn larger than the EMNIST framing, and reframe: true brings them to 22 px', () => {
    const meanLongSide = (s: LabelledImages) => {
      let total = 0;
      for (let n = 0; n < s.count; n++) {
        const b = inkBox(s.pixels.subarray(n * 1024, (n + 1) * 1024), 32, 32)!;
        total += Math.max(b.x1 - b.x0 + 1, b.y1 - b.y0 + 1);
      }
      return total / s.count;
    };
    expect(meanLongSide(set)).toBeGreaterThan(24);
    const reframed = loadCourseMat(join(shared!, 'nist26', 'nist26_valid.mat'), { reframe: true });
    expect(Math.abs(meanLongSide(reframed) - 22)).toBeLessThan(0.3);
  });

  it('glyphs are upright: the mean L has its ink bottom-left, which no flip or transpose keeps', () => {
    const c = set.classes.indexOf('L');
    const mean = new Float64Array(1024);
    for (let n = 0; n < set.count; n++) if (set.labels[n] === c) for (let i = 0; i < 1024; i++) mean[i]! += set.pixels[n * 1024 + i]!;
    const view = (f: (y: number, x: number) => number) => {
      let top = 0,
        bottom = 0,
        left = 0,
        right = 0;
      for (let y = 0; y < 32; y++) {
        for (let x = 0; x < 32; x++) {
          const v = f(y, x);
          if (y < 16) top += v;
          else bottom += v;
          if (x < 16) left += v;
          else right += v;
        }
      }
      return bottom > 1.5 * top && left > 1.5 * right;
    };
    expect(view((y, x) => mean[y * 32 + x]!)).toBe(true);
    expect(view((y, x) => mean[x * 32 + y]!)).toBe(false); // transposed
    expect(view((y, x) => mean[(31 - y) * 32 + x]!)).toBe(false); // upside down
    expect(view((y, x) => mean[y * 32 + 31 - x]!)).toBe(false); // mirrored
  });
});
