/**
 * MNIST/EMNIST IDX files (http://yann.lecun.com/exdb/mnist/): a big-endian header
 * `00 00 <type> <ndims>`, ndims uint32 sizes, then the values row-major. Gzipped or not
 * (detected by the gzip magic, not the name).
 */
import { gzipSync } from 'node:zlib';
import { type LabelledImages } from './glyphs.ts';
import { DatasetError, checkLabelRange, hexHead, readMaybeGzipped } from './files.ts';
import { writeFileAtomic } from '../base/atomic.ts';
import { CLASSES_LOWER, GLYPH_VALUES, GLYPH_SIDE } from '../contract.ts';

export type IdxValues = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

export interface IdxArray {
  dims: number[];
  /** Row-major values, in the type the file declares. */
  data: IdxValues;
}

export interface IdxImages {
  count: number;
  height: number;
  width: number;
  /** count × height × width bytes, 0–255, row-major. */
  pixels: Uint8Array;
}

interface IdxType {
  code: number;
  name: string;
  bytes: number;
  make(n: number): IdxValues;
  get(view: DataView, at: number): number;
  set(view: DataView, at: number, value: number): void;
}

const IDX_TYPES: readonly IdxType[] = [
  { code: 0x08, name: 'ubyte', bytes: 1, make: (n) => new Uint8Array(n), get: (v, a) => v.getUint8(a), set: (v, a, x) => v.setUint8(a, x) },
  { code: 0x09, name: 'byte', bytes: 1, make: (n) => new Int8Array(n), get: (v, a) => v.getInt8(a), set: (v, a, x) => v.setInt8(a, x) },
  { code: 0x0b, name: 'short', bytes: 2, make: (n) => new Int16Array(n), get: (v, a) => v.getInt16(a), set: (v, a, x) => v.setInt16(a, x) },
  { code: 0x0c, name: 'int', bytes: 4, make: (n) => new Int32Array(n), get: (v, a) => v.getInt32(a), set: (v, a, x) => v.setInt32(a, x) },
  { code: 0x0d, name: 'float', bytes: 4, make: (n) => new Float32Array(n), get: (v, a) => v.getFloat32(a), set: (v, a, x) => v.setFloat32(a, x) },
  { code: 0x0e, name: 'double', bytes: 8, make: (n) => new Float64Array(n), get: (v, a) => v.getFloat64(a), set: (v, a, x) => v.setFloat64(a, x) },
];

function typeOfCode(code: number): IdxType | undefined {
  return IDX_TYPES.find((t) => t.code === code);
}

function typeOfArray(data: IdxValues): IdxType {
  const code =
    data instanceof Uint8Array
      ? 0x08
      : data instanceof Int8Array
        ? 0x09
        : data instanceof Int16Array
          ? 0x0b
          : data instanceof Int32Array
            ? 0x0c
            : data instanceof Float32Array
              ? 0x0d
              : 0x0e;
  return typeOfCode(code)!;
}

/** Reads any IDX file (gzipped or not: inflated no further than its header promises). */
export function readIdx(path: string): IdxArray {
  return parseIdx(path, readMaybeGzipped(path, idxPromisedBytes));
}

/** How many bytes an IDX file whose content starts with `head` holds, by its header; null where the head is no IDX header. */
export function idxPromisedBytes(head: Uint8Array): number | null {
  if (head.length < 4 || head[0] !== 0 || head[1] !== 0) return null;
  const type = typeOfCode(head[2]!);
  const ndims = head[3]!;
  if (!type || ndims === 0 || head.length < 4 + 4 * ndims) return null;
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  let count = 1;
  for (let i = 0; i < ndims; i++) count *= view.getUint32(4 + 4 * i);
  return 4 + 4 * ndims + count * type.bytes;
}

/** Parses the (already decompressed) bytes of an IDX file; `path` is for messages only. */
export function parseIdx(path: string, bytes: Uint8Array): IdxArray {
  if (bytes.length < 4) throw new DatasetError(path, `truncated: ${bytes.length} bytes is too short for an IDX header`);
  const type = typeOfCode(bytes[2]!);
  const ndims = bytes[3]!;
  if (bytes[0] !== 0 || bytes[1] !== 0 || !type || ndims === 0) {
    throw new DatasetError(path, `wrong magic number (${hexHead(bytes)}): not an IDX file, expected 00 00 <type 08–0e> <dimensions>`);
  }
  const headerBytes = 4 + 4 * ndims;
  if (bytes.length < headerBytes) throw new DatasetError(path, `truncated: the IDX header needs ${headerBytes} bytes, the file holds ${bytes.length}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims = Array.from({ length: ndims }, (_, i) => view.getUint32(4 + 4 * i));
  const count = dims.reduce((a, b) => a * b, 1);
  const dataBytes = count * type.bytes;
  const held = bytes.length - headerBytes;
  const shape = `${dims.join('×')} ${type.name}`;
  if (held < dataBytes) throw new DatasetError(path, `truncated: the header says ${shape} (${dataBytes} bytes of data), the file holds ${held}`);
  if (held > dataBytes) throw new DatasetError(path, `wrong size: ${held - dataBytes} bytes follow the ${shape} data the header describes`);

  if (type.code === 0x08) return { dims, data: bytes.subarray(headerBytes, headerBytes + dataBytes) };
  const data = type.make(count);
  for (let i = 0; i < count; i++) data[i] = type.get(view, headerBytes + i * type.bytes);
  return { dims, data };
}

/** Reads an images file: N × rows × cols unsigned bytes. */
export function readIdxImages(path: string): IdxImages {
  return idxImagesOf(path, readIdx(path));
}

export function idxImagesOf(path: string, idx: IdxArray): IdxImages {
  if (idx.dims.length !== 3) {
    const hint = idx.dims.length === 1 ? ' (is this a labels file?)' : '';
    throw new DatasetError(
      path,
      `wrong shape: an images file has 3 dimensions (count×rows×cols), this one has ${idx.dims.length} (${idx.dims.join('×')})${hint}`,
    );
  }
  if (!(idx.data instanceof Uint8Array))
    throw new DatasetError(path, `wrong type: images must be unsigned bytes (IDX type 08), found ${typeOfArray(idx.data).name}`);
  const [count, height, width] = idx.dims as [number, number, number];
  return { count, height, width, pixels: idx.data };
}

/** Reads a labels file: N integers (unsigned bytes in MNIST/EMNIST). */
export function readIdxLabels(path: string): Int32Array {
  return idxLabelsOf(path, readIdx(path));
}

export function idxLabelsOf(path: string, idx: IdxArray): Int32Array {
  if (idx.dims.length !== 1) {
    const hint = idx.dims.length === 3 ? ' (is this an images file?)' : '';
    throw new DatasetError(path, `wrong shape: a labels file has 1 dimension, this one has ${idx.dims.length} (${idx.dims.join('×')})${hint}`);
  }
  if (idx.data instanceof Float32Array || idx.data instanceof Float64Array) {
    throw new DatasetError(path, `wrong type: labels must be integers, found ${typeOfArray(idx.data).name}`);
  }
  return Int32Array.from(idx.data);
}

export interface LoadIdxOptions {
  classes: readonly string[];
  /**
   * Make 32×32 glyphs (28×28 images get a 2-pixel zero border, as glyphs.ts frames them).
   * Default: true for 28×28 images with 36 classes.
   */
  glyphs?: boolean;
  /** The images are stored transposed (as in the original EMNIST files): transpose them back. */
  transposed?: boolean;
}

/** Reads an images file and its labels file as one set, values scaled to [0, 1]. */
export function loadIdx(imagesPath: string, labelsPath: string, options: LoadIdxOptions): LabelledImages {
  const images = readIdxImages(imagesPath);
  const labels = readIdxLabels(labelsPath);
  if (labels.length !== images.count) {
    throw new DatasetError(labelsPath, `count mismatch: ${labels.length} labels for ${images.count} images in ${imagesPath}`);
  }
  checkLabelRange(labelsPath, labels, options.classes.length);
  const glyphs =
    options.glyphs ?? (images.height === 28 && images.width === 28 && (options.classes.length === 36 || options.classes.join() === CLASSES_LOWER.join()));
  const transposed = options.transposed ?? false;
  const height = glyphs ? GLYPH_SIDE : transposed ? images.width : images.height;
  const width = glyphs ? GLYPH_SIDE : transposed ? images.height : images.width;
  if (glyphs) checkGlyphSize(imagesPath, images);
  const pixels = new Float32Array(images.count * height * width);
  if (glyphs) bytesToGlyphs(images, transposed, pixels, 0);
  else bytesToUnit(images, transposed, pixels);
  return { count: images.count, height, width, channels: 1, pixels, labels, classes: options.classes, source: imagesPath };
}

export function checkGlyphSize(path: string, images: IdxImages): void {
  const ok = (images.height === 28 && images.width === 28) || (images.height === GLYPH_SIDE && images.width === GLYPH_SIDE);
  if (!ok) throw new DatasetError(path, `wrong shape for glyphs: images are ${images.height}×${images.width}, expected 28×28 (padded to 32×32) or 32×32`);
}

const UNIT = Float32Array.from({ length: 256 }, (_, v) => v / 255);

/** 8-bit values as floats in [0, 1] (a plain loop: Float32Array.from with a mapping function is ~50× slower). */
export function toUnitFloats(bytes: Uint8Array): Float32Array {
  const out = new Float32Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = UNIT[bytes[i]!]!;
  return out;
}

/**
 * Writes 28×28 (2-pixel zero border) or 32×32 byte images as 32×32 glyphs in [0, 1] into `out`,
 * starting at glyph `at`.
 */
export function bytesToGlyphs(images: IdxImages, transposed: boolean, out: Float32Array, at: number): void {
  const { count, height: h, width: w, pixels: src } = images;
  const border = (GLYPH_SIDE - h) / 2;
  for (let n = 0; n < count; n++) {
    const s = n * h * w;
    const o = (at + n) * GLYPH_VALUES;
    for (let y = 0; y < h; y++) {
      const row = o + (y + border) * GLYPH_SIDE + border;
      if (transposed) for (let x = 0; x < w; x++) out[row + x] = UNIT[src[s + x * w + y]!]!;
      else for (let x = 0; x < w; x++) out[row + x] = UNIT[src[s + y * w + x]!]!;
    }
  }
}

function bytesToUnit(images: IdxImages, transposed: boolean, out: Float32Array): void {
  const { count, height: h, width: w, pixels: src } = images;
  if (!transposed) {
    for (let i = 0; i < src.length; i++) out[i] = UNIT[src[i]!]!;
    return;
  }
  for (let n = 0; n < count; n++) {
    const s = n * h * w;
    // The upright image is w rows of h.
    for (let y = 0; y < w; y++) for (let x = 0; x < h; x++) out[s + y * h + x] = UNIT[src[s + x * w + y]!]!;
  }
}

/**
 * Writes an IDX file (gzipped when the path ends in .gz), atomically. The value type follows the
 * array: Uint8Array → ubyte, Int32Array → int, Float32Array → float, and so on.
 */
export function writeIdx(path: string, dims: readonly number[], data: IdxValues): void {
  writeFileAtomic(path, encodeIdx(dims, data, /\.gz$/i.test(path)));
}

/** The bytes of an IDX file; tests use it to build corrupt fixtures. */
export function encodeIdx(dims: readonly number[], data: IdxValues, gzip = false): Buffer {
  if (dims.length < 1 || dims.length > 255) throw new RangeError(`writeIdx: ${dims.length} dimensions, expected 1–255`);
  for (const d of dims) if (!Number.isInteger(d) || d < 0 || d > 0xffffffff) throw new RangeError(`writeIdx: bad dimension ${d}`);
  const count = dims.reduce((a, b) => a * b, 1);
  if (count !== data.length) throw new RangeError(`writeIdx: dimensions ${dims.join('×')} hold ${count} values, data has ${data.length}`);
  const type = typeOfArray(data);
  const header = 4 + 4 * dims.length;
  const bytes = Buffer.alloc(header + count * type.bytes);
  bytes[2] = type.code;
  bytes[3] = dims.length;
  dims.forEach((d, i) => bytes.writeUInt32BE(d, 4 + 4 * i));
  if (type.code === 0x08) bytes.set(data as Uint8Array, header);
  else {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < count; i++) type.set(view, header + i * type.bytes, data[i]!);
  }
  return gzip ? gzipSync(bytes) : bytes;
}
