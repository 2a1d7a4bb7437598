/**
 * A MATLAB level-5 .mat writer (numeric arrays only) for test fixtures: whole course files and
 * deliberately corrupt ones. The reader is app/data/mat.ts.
 */
import { writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';
import { CLASS_DOUBLE, CLASS_UINT8, HEADER_BYTES, mi, TAG_BYTES } from '../../app/data/mat.ts';

export interface MatVariable {
  dims: readonly number[];
  /** Column-major. Float64Array is stored as double, Uint8Array as uint8. */
  data: Float64Array | Uint8Array;
}

export interface MatWriteOptions {
  /** Wrap each variable in a zlib miCOMPRESSED element (as MATLAB's default -v7 does). */
  compress?: boolean;
  /** Byte order of the file; default little-endian. */
  endian?: 'little' | 'big';
}

/** Writes a level-5 .mat file. */
export function writeMat(path: string, variables: Record<string, MatVariable>, options: MatWriteOptions = {}): void {
  writeFileSync(path, encodeMat(variables, options));
}

/** The bytes of a level-5 .mat file; tests use it to build corrupt fixtures. */
export function encodeMat(variables: Record<string, MatVariable>, options: MatWriteOptions = {}): Buffer {
  const little = (options.endian ?? 'little') === 'little';
  const header = Buffer.alloc(HEADER_BYTES, 0x20);
  header.write(`MATLAB 5.0 MAT-file, Platform: ${process.platform}, Created by: hwr`.slice(0, 116), 0, 'latin1');
  header.fill(0, 116, 124); // no subsystem data
  const tail = new DataView(header.buffer, header.byteOffset + 124, 4);
  tail.setUint16(0, 0x0100, little);
  tail.setUint16(2, 0x4d49, little); // reads back as 'IM' in the file's byte order
  const chunks: Uint8Array[] = [header];
  for (const [name, variable] of Object.entries(variables)) {
    const matrix = matrixElement(name, variable, little);
    chunks.push(options.compress ? tagged(mi.COMPRESSED, deflateSync(matrix), little, false) : matrix);
  }
  return Buffer.concat(chunks);
}

function matrixElement(name: string, variable: MatVariable, little: boolean): Uint8Array {
  const count = variable.dims.reduce((a, b) => a * b, 1);
  if (variable.dims.length < 2) throw new RangeError(`writeMat: '${name}' needs at least 2 dimensions, got ${variable.dims.length}`);
  if (count !== variable.data.length)
    throw new RangeError(`writeMat: '${name}' is ${variable.dims.join('×')} (${count} values) but data has ${variable.data.length}`);
  const isDouble = variable.data instanceof Float64Array;
  const flags = new DataView(new ArrayBuffer(8));
  flags.setUint32(0, isDouble ? CLASS_DOUBLE : CLASS_UINT8, little);
  const dims = new DataView(new ArrayBuffer(4 * variable.dims.length));
  variable.dims.forEach((d, i) => dims.setInt32(4 * i, d, little));
  let real: Uint8Array;
  if (isDouble) {
    const view = new DataView(new ArrayBuffer(8 * count));
    for (let i = 0; i < count; i++) view.setFloat64(8 * i, variable.data[i]!, little);
    real = new Uint8Array(view.buffer);
  } else {
    real = variable.data as Uint8Array;
  }
  const body = Buffer.concat([
    tagged(mi.UINT32, new Uint8Array(flags.buffer), little),
    tagged(mi.INT32, new Uint8Array(dims.buffer), little),
    tagged(mi.INT8, Buffer.from(name, 'latin1'), little),
    tagged(isDouble ? mi.DOUBLE : mi.UINT8, real, little),
  ]);
  return tagged(mi.MATRIX, body, little, false);
}

/** A data element: small format for 1–4 bytes (as MATLAB writes names), else tag + data + padding. */
function tagged(type: number, payload: Uint8Array, little: boolean, allowSmall = true): Uint8Array {
  if (allowSmall && payload.length > 0 && payload.length <= 4) {
    const out = new Uint8Array(8);
    new DataView(out.buffer).setUint32(0, (payload.length << 16) | type, little);
    out.set(payload, 4);
    return out;
  }
  const padded = type === mi.COMPRESSED ? payload.length : Math.ceil(payload.length / 8) * 8;
  const out = new Uint8Array(TAG_BYTES + padded);
  const view = new DataView(out.buffer);
  view.setUint32(0, type, little);
  view.setUint32(4, payload.length, little);
  out.set(payload, TAG_BYTES);
  return out;
}
