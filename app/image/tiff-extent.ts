/**
 * Does a TIFF file hold all the image data its first directory points at?
 *
 * libtiff only warns when strips or tiles run past the end of the file, and libvips then decodes
 * the missing part as blank: a cut-off scan would be read as a shorter page without a word. This
 * reads the first image file directory (classic TIFF, either byte order; BigTIFF too) and returns
 * how far its strips, tiles and field values reach, so the decoder can refuse a truncated file by name.
 */

const STRIP_OFFSETS = 273;
const STRIP_BYTE_COUNTS = 279;
const TILE_OFFSETS = 324;
const TILE_BYTE_COUNTS = 325;

/** Bytes per value of each TIFF field type (BYTE, ASCII, SHORT, LONG, RATIONAL, … LONG8, SLONG8, IFD8). */
const TYPE_SIZE: Record<number, number> = { 1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4, 16: 8, 17: 8, 18: 8 };

export interface TiffExtent {
  /** The end of the furthest strip, tile or field value stored outside the directory, in bytes. */
  dataEnd: number;
  /** The file's length. */
  fileLength: number;
}

/**
 * The extent of the first directory's image data, or null when `bytes` is not a TIFF or its
 * directory cannot be read (left to the decoder to report).
 */
export function tiffExtent(bytes: Uint8Array): TiffExtent | null {
  if (bytes.length < 8) return null;
  const little = bytes[0] === 0x49 && bytes[1] === 0x49;
  const big = bytes[0] === 0x4d && bytes[1] === 0x4d;
  if (!little && !big) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u16 = (at: number) => view.getUint16(at, little);
  const u32 = (at: number) => view.getUint32(at, little);
  const u64 = (at: number) => Number(view.getBigUint64(at, little));
  const magic = u16(2);
  const bigTiff = magic === 43;
  if (magic !== 42 && !bigTiff) return null;
  if (bigTiff && bytes.length < 16) return null;
  const ifd = bigTiff ? u64(8) : u32(4);
  const countSize = bigTiff ? 8 : 2;
  const entrySize = bigTiff ? 20 : 12;
  const inlineSize = bigTiff ? 8 : 4;
  if (ifd + countSize > bytes.length) return null;
  const entries = bigTiff ? u64(ifd) : u16(ifd);
  if (ifd + countSize + entries * entrySize > bytes.length) return null;

  const fields = new Map<number, number[]>();
  // The directory ends with the offset of the next one.
  let dataEnd = ifd + countSize + entries * entrySize + (bigTiff ? 8 : 4);
  for (let e = 0; e < entries; e++) {
    const at = ifd + countSize + e * entrySize;
    const tag = u16(at);
    const size = TYPE_SIZE[u16(at + 2)];
    if (!size) continue; // an unknown type: readers skip the field
    const count = bigTiff ? u64(at + 4) : u32(at + 4);
    const valueAt = size * count <= inlineSize ? at + (bigTiff ? 12 : 8) : bigTiff ? u64(at + 12) : u32(at + 8);
    dataEnd = Math.max(dataEnd, valueAt + size * count);
    if (tag !== STRIP_OFFSETS && tag !== STRIP_BYTE_COUNTS && tag !== TILE_OFFSETS && tag !== TILE_BYTE_COUNTS) continue;
    if (valueAt + size * count > bytes.length) continue; // already past the end: dataEnd says so
    const values: number[] = [];
    for (let i = 0; i < count; i++) {
      const p = valueAt + i * size;
      values.push(size === 2 ? u16(p) : size === 4 ? u32(p) : u64(p));
    }
    fields.set(tag, values);
  }
  const offsets = fields.get(STRIP_OFFSETS) ?? fields.get(TILE_OFFSETS);
  const counts = fields.has(STRIP_OFFSETS) ? fields.get(STRIP_BYTE_COUNTS) : fields.get(TILE_BYTE_COUNTS);
  if (offsets && counts && offsets.length === counts.length) for (let i = 0; i < offsets.length; i++) dataEnd = Math.max(dataEnd, offsets[i]! + counts[i]!);
  return { dataEnd, fileLength: bytes.length };
}
