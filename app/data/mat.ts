/**
 * MATLAB level-5 .mat files (MathWorks, "MAT-File Format", the v5/v6/v7 layout): a 128-byte header
 * ending in the endianness indicator 'IM'/'MI', then tagged data elements, each variable an
 * miMATRIX (array flags, dimensions, name, real part), possibly wrapped in an miCOMPRESSED (zlib)
 * element. Numeric arrays are read; cells, structs, chars, sparse and object arrays are skipped.
 * v7.3 files (HDF5) are not level 5 and are rejected with a hint.
 */
import { endianness } from 'node:os';
import { inflateSync } from 'node:zlib';
import { concat, type LabelledImages } from './glyphs.ts';
import { DatasetError, hexHead, readWholeFile } from './files.ts';
import { frameGlyph } from '../image/frame.ts';
import { CLASSES_36, GLYPH_VALUES, GLYPH_SIDE } from '../contract.ts';

export interface MatArray {
  /** MATLAB dimensions, at least 2 (a vector is 1×n or n×1). */
  dims: number[];
  /** The real part, in MATLAB's column-major order: element (r, c) of an R×C array is data[c * R + r]. */
  data: Float64Array;
  /** MATLAB class of the array: 'double', 'single', 'uint8', ... */
  class: string;
}

export const HEADER_BYTES = 128;
export const TAG_BYTES = 8;

// Data types (MAT-File Format, table 1-1).
export const mi = {
  INT8: 1,
  UINT8: 2,
  INT16: 3,
  UINT16: 4,
  INT32: 5,
  UINT32: 6,
  SINGLE: 7,
  DOUBLE: 9,
  INT64: 12,
  UINT64: 13,
  MATRIX: 14,
  COMPRESSED: 15,
} as const;

interface NumberType {
  bytes: number;
  array: new (buffer: ArrayBuffer) => ArrayLike<number | bigint>;
  get(view: DataView, at: number, little: boolean): number;
}

const NUMBER_TYPES: Record<number, NumberType> = {
  [mi.INT8]: { bytes: 1, array: Int8Array, get: (v, a) => v.getInt8(a) },
  [mi.UINT8]: { bytes: 1, array: Uint8Array, get: (v, a) => v.getUint8(a) },
  [mi.INT16]: { bytes: 2, array: Int16Array, get: (v, a, l) => v.getInt16(a, l) },
  [mi.UINT16]: { bytes: 2, array: Uint16Array, get: (v, a, l) => v.getUint16(a, l) },
  [mi.INT32]: { bytes: 4, array: Int32Array, get: (v, a, l) => v.getInt32(a, l) },
  [mi.UINT32]: { bytes: 4, array: Uint32Array, get: (v, a, l) => v.getUint32(a, l) },
  [mi.SINGLE]: { bytes: 4, array: Float32Array, get: (v, a, l) => v.getFloat32(a, l) },
  [mi.DOUBLE]: { bytes: 8, array: Float64Array, get: (v, a, l) => v.getFloat64(a, l) },
  [mi.INT64]: { bytes: 8, array: BigInt64Array, get: (v, a, l) => Number(v.getBigInt64(a, l)) },
  [mi.UINT64]: { bytes: 8, array: BigUint64Array, get: (v, a, l) => Number(v.getBigUint64(a, l)) },
};

// Array classes (MAT-File Format, table 1-3); numeric ones are 6–15.
const CLASS_NAMES: Record<number, string> = {
  1: 'cell',
  2: 'struct',
  3: 'object',
  4: 'char',
  5: 'sparse',
  6: 'double',
  7: 'single',
  8: 'int8',
  9: 'uint8',
  10: 'int16',
  11: 'uint16',
  12: 'int32',
  13: 'uint32',
  14: 'int64',
  15: 'uint64',
};
export const CLASS_DOUBLE = 6;
export const CLASS_UINT8 = 9;

interface Element {
  type: number;
  data: Uint8Array;
  /** Offset of the next element. */
  next: number;
}

class MatParser {
  readonly little: boolean;
  constructor(
    readonly path: string,
    bytes: Uint8Array,
  ) {
    if (bytes.length < HEADER_BYTES) {
      throw new DatasetError(path, `not a MATLAB .mat file: ${bytes.length} bytes is shorter than the 128-byte level-5 header (starts with ${hexHead(bytes)})`);
    }
    const text = Buffer.from(bytes.subarray(0, 116)).toString('latin1');
    if (text.startsWith('MATLAB 7.3') || hexHead(bytes.subarray(512), 4) === '89 48 44 46') {
      throw new DatasetError(path, 'is a MATLAB v7.3 (HDF5) file, which is not supported: save it in MATLAB with -v7');
    }
    const indicator = String.fromCharCode(bytes[126]!, bytes[127]!);
    if (indicator !== 'IM' && indicator !== 'MI') {
      throw new DatasetError(
        path,
        `not a MATLAB level-5 .mat file: no endianness indicator 'IM' or 'MI' at byte 126 (header starts ${JSON.stringify(text.slice(0, 20))})`,
      );
    }
    this.little = indicator === 'IM';
  }

  private view(bytes: Uint8Array): DataView {
    return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** The data element at `at`, in either the normal or the small (4-byte) format. */
  element(bytes: Uint8Array, at: number, where: string): Element {
    const remaining = bytes.length - at;
    if (remaining < TAG_BYTES) throw new DatasetError(this.path, `truncated: ${where} at byte ${at} needs an 8-byte tag, ${remaining} bytes remain`);
    const view = this.view(bytes);
    const first = view.getUint32(at, this.little);
    const smallBytes = first >>> 16;
    if (smallBytes !== 0) {
      if (smallBytes > 4) throw new DatasetError(this.path, `corrupt: ${where} at byte ${at} is a small element of ${smallBytes} bytes (at most 4)`);
      return { type: first & 0xffff, data: bytes.subarray(at + 4, at + 4 + smallBytes), next: at + TAG_BYTES };
    }
    const type = first;
    const size = view.getUint32(at + 4, this.little);
    if (size > remaining - TAG_BYTES) {
      throw new DatasetError(this.path, `truncated: ${where} at byte ${at} claims ${size} bytes, only ${remaining - TAG_BYTES} remain`);
    }
    const end = at + TAG_BYTES + size;
    // Elements are padded to 8 bytes, except compressed ones, which follow each other directly.
    const next = type === mi.COMPRESSED ? end : Math.min(bytes.length, Math.ceil(end / 8) * 8);
    return { type, data: bytes.subarray(at + TAG_BYTES, end), next };
  }

  numbers(element: Element, where: string): Float64Array {
    const type = NUMBER_TYPES[element.type];
    if (!type) throw new DatasetError(this.path, `corrupt: ${where} has data type ${element.type}, which is not numeric`);
    if (element.data.length % type.bytes !== 0) {
      throw new DatasetError(this.path, `corrupt: ${where} holds ${element.data.length} bytes, not a whole number of ${type.bytes}-byte values`);
    }
    const n = element.data.length / type.bytes;
    const out = new Float64Array(n);
    if (this.little === (endianness() === 'LE')) {
      // Same byte order as this machine: copy to an aligned buffer and view it directly.
      // (Copied with Uint8Array.from: a Buffer's slice() is a view, not a copy.)
      const values = new type.array(Uint8Array.from(element.data).buffer);
      for (let i = 0; i < n; i++) out[i] = Number(values[i]);
    } else {
      const view = this.view(element.data);
      for (let i = 0; i < n; i++) out[i] = type.get(view, i * type.bytes, this.little);
    }
    return out;
  }

  /** All variables in the file body, in order (skipped kinds are left out). */
  variables(bytes: Uint8Array): Map<string, MatArray> {
    const result = new Map<string, MatArray>();
    let at = HEADER_BYTES;
    for (let k = 1; at < bytes.length; k++) {
      const where = `variable #${k}`;
      const start = at;
      const el = this.element(bytes, at, where);
      at = el.next;
      if (el.type === mi.COMPRESSED) {
        let inflated: Buffer;
        try {
          inflated = inflateSync(el.data);
        } catch (err) {
          const e = err as NodeJS.ErrnoException;
          const problem = e.code === 'Z_BUF_ERROR' ? 'is truncated' : 'is corrupt';
          throw new DatasetError(this.path, `compressed ${where} ${problem} (zlib: ${e.message})`, { cause: err });
        }
        for (let inner = 0; inner < inflated.length;) {
          const innerEl = this.element(inflated, inner, `${where} (decompressed)`);
          inner = innerEl.next;
          if (innerEl.type === mi.MATRIX) this.matrix(innerEl, where, result);
        }
      } else if (el.type === mi.MATRIX) {
        this.matrix(el, where, result);
      } else if (!NUMBER_TYPES[el.type] && el.type !== 16 && el.type !== 17 && el.type !== 18) {
        throw new DatasetError(this.path, `corrupt: ${where} at byte ${start} has unknown data type ${el.type}`);
      }
    }
    return result;
  }

  private matrix(el: Element, where: string, into: Map<string, MatArray>): void {
    if (el.data.length === 0) return; // an empty placeholder matrix
    const flags = this.element(el.data, 0, `${where} array flags`);
    if (flags.type !== mi.UINT32 || flags.data.length < 4) throw new DatasetError(this.path, `corrupt: ${where} does not start with array flags`);
    const classCode = this.view(flags.data).getUint32(0, this.little) & 0xff;
    const className = CLASS_NAMES[classCode];
    if (!className) throw new DatasetError(this.path, `corrupt: ${where} has unknown array class ${classCode}`);
    const dimsEl = this.element(el.data, flags.next, `${where} dimensions`);
    if (dimsEl.type !== mi.INT32 || dimsEl.data.length < 8)
      throw new DatasetError(this.path, `corrupt: ${where} has no valid dimensions (need at least 2 int32)`);
    const dims = Array.from(this.numbers(dimsEl, `${where} dimensions`));
    if (dims.some((d) => d < 0)) throw new DatasetError(this.path, `corrupt: ${where} has negative dimensions ${dims.join('×')}`);
    const nameEl = this.element(el.data, dimsEl.next, `${where} name`);
    if (nameEl.type !== mi.INT8 && nameEl.type !== mi.UINT8) throw new DatasetError(this.path, `corrupt: ${where} has no array name`);
    const name = Buffer.from(nameEl.data).toString('latin1');
    if (classCode < CLASS_DOUBLE) return; // cell, struct, object, char, sparse: not needed here
    const realWhere = `'${name || where}' real part`;
    const real = this.numbers(this.element(el.data, nameEl.next, realWhere), realWhere);
    const expected = dims.reduce((a, b) => a * b, 1);
    if (real.length !== expected) {
      throw new DatasetError(this.path, `wrong shape: '${name}' is ${dims.join('×')} (${expected} values) but holds ${real.length}`);
    }
    into.set(name, { dims, data: real, class: className });
  }
}

/** Reads the numeric variables of a level-5 .mat file: name → {dims, data (column-major)}. */
export function readMat(path: string): Map<string, MatArray> {
  return parseMat(path, readWholeFile(path));
}

/** Parses the bytes of a .mat file; `path` is for messages only. */
export function parseMat(path: string, bytes: Uint8Array): Map<string, MatArray> {
  const parser = new MatParser(path, bytes);
  return parser.variables(bytes);
}

// ---------------------------------------------------------------------------------------------
// The course's files: {train,valid,test}_data N×1024 and {train,valid,test}_labels N×K one-hot.

export const COURSE_SPLITS = ['train', 'valid', 'test'] as const;
export type CourseSplit = (typeof COURSE_SPLITS)[number];

export const CLASSES_26: readonly string[] = Object.freeze(CLASSES_36.slice(0, 26));

/** Every data/labels pair present in a course .mat file, as 32×32 glyphs. */
export function loadCourseMatSplits(path: string): Partial<Record<CourseSplit, LabelledImages>> {
  const vars = readMat(path);
  const result: Partial<Record<CourseSplit, LabelledImages>> = {};
  for (const split of COURSE_SPLITS) {
    const data = vars.get(`${split}_data`);
    const labels = vars.get(`${split}_labels`);
    if (!data && !labels) continue;
    if (!data) throw new DatasetError(path, `has ${split}_labels but no ${split}_data`);
    if (!labels) throw new DatasetError(path, `has ${split}_data but no ${split}_labels`);
    result[split] = courseGlyphs(path, split, data, labels);
  }
  if (Object.keys(result).length === 0) {
    const found = [...vars.keys()].join(', ') || 'no numeric variables';
    throw new DatasetError(path, `has none of train_data/valid_data/test_data with their _labels (found: ${found})`);
  }
  return result;
}

/**
 * One course .mat file as glyphs: the given split, or else every pair present, concatenated in
 * the order train, valid, test (a course file normally holds one pair).
 */
export function loadCourseMat(path: string, options: CourseMatOptions = {}): LabelledImages {
  const splits = loadCourseMatSplits(path);
  let set: LabelledImages;
  if (options.split) {
    const chosen = splits[options.split];
    if (!chosen) throw new DatasetError(path, `has no ${options.split}_data (it holds: ${Object.keys(splits).join(', ')})`);
    set = chosen;
  } else {
    const sets = COURSE_SPLITS.flatMap((s) => (splits[s] ? [splits[s]] : []));
    set = sets.length === 1 ? sets[0]! : concat(sets, path);
  }
  if (options.reframe) {
    for (let n = 0; n < set.count; n++) {
      const at = n * GLYPH_VALUES;
      set.pixels.set(frameGlyph(set.pixels.subarray(at, at + GLYPH_VALUES), GLYPH_SIDE, GLYPH_SIDE), at);
    }
  }
  return set;
}

export interface CourseMatOptions {
  /** Which pair to read; default every pair present. */
  split?: CourseSplit;
  /**
   * Re-frame each glyph with frameGlyph. The course's characters are drawn larger (longer side
   * about 25 px of 32) than the EMNIST framing (22 px) the glyph models are trained on.
   */
  reframe?: boolean;
}

function courseGlyphs(path: string, split: CourseSplit, data: MatArray, labels: MatArray): LabelledImages {
  const [count = 0, features = 0] = data.dims;
  if (data.dims.length !== 2 || features !== GLYPH_VALUES) {
    throw new DatasetError(path, `wrong shape: ${split}_data is ${data.dims.join('×')}, expected N×${GLYPH_VALUES} (one 32×32 image per row)`);
  }
  const [labelRows = 0, classCount = 0] = labels.dims;
  if (labels.dims.length !== 2 || (classCount !== 26 && classCount !== 36)) {
    throw new DatasetError(path, `wrong shape: ${split}_labels is ${labels.dims.join('×')}, expected N×26 or N×36 (one-hot)`);
  }
  if (labelRows !== count) throw new DatasetError(path, `count mismatch: ${split}_data has ${count} rows, ${split}_labels has ${labelRows}`);

  const classIndex = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    let hot = -1;
    for (let k = 0; k < classCount; k++) {
      const v = labels.data[k * count + i]!;
      if (v > 0.5) {
        if (hot >= 0) throw new DatasetError(path, `${split}_labels row ${i + 1} is not one-hot (classes ${hot + 1} and ${k + 1} are both set)`);
        hot = k;
      }
    }
    if (hot < 0) throw new DatasetError(path, `${split}_labels row ${i + 1} is not one-hot (no class is set)`);
    classIndex[i] = hot;
  }

  // Row i is a 32×32 image stored column-major (transposed): its value j is pixel (y = j % 32,
  // x = j / 32). Paper is white (~1) and ink dark (~0), a little outside [0, 1].
  const pixels = new Float32Array(count * GLYPH_VALUES);
  for (let j = 0; j < GLYPH_VALUES; j++) {
    const target = (j % GLYPH_SIDE) * GLYPH_SIDE + Math.floor(j / GLYPH_SIDE);
    const column = j * count;
    for (let i = 0; i < count; i++) {
      const v = data.data[column + i]!;
      if (!Number.isFinite(v)) throw new DatasetError(path, `${split}_data row ${i + 1} holds a non-finite value (${v})`);
      const ink = 1 - v;
      pixels[i * GLYPH_VALUES + target] = ink < 0 ? 0 : ink > 1 ? 1 : ink;
    }
  }
  const classes = classCount === 26 ? CLASSES_26 : CLASSES_36;
  return { count, height: GLYPH_SIDE, width: GLYPH_SIDE, channels: 1, pixels, labels: classIndex, classes, source: `${path} (${split})` };
}
