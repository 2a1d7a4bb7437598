/**
 * The one adapter over sharp: image files in, plain gray images out (and back out, for tests,
 * debugging overlays and sample pages). Everything after this file is framework-free.
 */
import sharp, { type Metadata } from 'sharp';

/** HWR_IMAGE_THREADS: libvips threads for this process (a queue worker decodes on one core; by default, every core). */
export function applyImageThreads(): void {
  const threads = Number(process.env.HWR_IMAGE_THREADS);
  if (Number.isInteger(threads) && threads >= 1) sharp.concurrency(threads);
}
applyImageThreads();
import { readFile } from 'node:fs/promises';
import type { GrayImage } from './gray.ts';
import { tiffExtent } from './tiff-extent.ts';

/** Images whose header claims more pixels than this are refused before any pixel is decoded. */
export const MAX_INPUT_PIXELS = 100_000_000;
/**
 * Decoded images are shrunk so their longer side is at most this: 2560² floats is 26 MB, and
 * characters of even a dense page stay 20+ px tall. JPEGs shrink while decoding, which is also
 * what keeps a 12 MP photo fast.
 */
export const MAX_DECODED_SIDE = 2560;

export interface DecodeOptions {
  maxInputPixels?: number;
  maxSide?: number;
  /** How the input is named in errors (defaults to the path, or "image buffer"). */
  name?: string;
  /**
   * Coarse to fine, for large JPEGs (which shrink cheaply while decoding): the image is first
   * decoded `shrink` times smaller, and `refine` says whether that will do (null) or which
   * longer side to decode it at instead (at most maxSide).
   */
  coarse?: { shrink: number; refine: (coarse: DecodedImage) => number | null };
}

/** Coarse-to-fine decoding is tried for JPEGs whose longer side is above this. */
export const COARSE_ABOVE_SIDE = 3000;

export interface DecodedImage extends GrayImage {
  /** Values are brightness, 0 (black) to 1 (white). */
  data: Float32Array;
  /** Size of the upright source image before any downscaling; width / originalWidth is the scale. */
  originalWidth: number;
  originalHeight: number;
  /** The container format sharp recognised (jpeg, png, webp, tiff, heif, ...). */
  format: string;
  name: string;
}

export class ImageDecodeError extends Error {
  constructor(
    readonly file: string,
    /** What is wrong, without the file's name (datasets put it in their own error). */
    readonly reason: string,
  ) {
    super(`${file}: ${reason}`);
    this.name = 'ImageDecodeError';
  }
}

/**
 * Reads an image file or buffer as upright (EXIF orientation applied), gray, alpha flattened onto
 * white, downscaled so the longer side is at most `maxSide`.
 */
export async function decodeImage(input: string | Buffer, options: DecodeOptions = {}): Promise<DecodedImage> {
  const name = options.name ?? (typeof input === 'string' ? input : 'image buffer');
  const maxPixels = options.maxInputPixels ?? MAX_INPUT_PIXELS;
  const maxSide = options.maxSide ?? MAX_DECODED_SIDE;
  const fail = (reason: string): never => {
    throw new ImageDecodeError(name, reason);
  };

  const { bytes, meta, width, height } = await openImage(input, name, maxPixels);
  const upright = (meta.orientation ?? 1) >= 5;
  const originalWidth = upright ? height : width;
  const originalHeight = upright ? width : height;

  const format = meta.format ?? 'unknown';
  const decodeAt = async (side: number): Promise<DecodedImage> => {
    try {
      const { data, info } = await sharp(bytes, { limitInputPixels: maxPixels, failOn: 'truncated' })
        .rotate()
        .resize({ width: side, height: side, fit: 'inside', withoutEnlargement: true })
        .flatten({ background: '#ffffff' })
        .toColourspace('b-w')
        .raw({ depth: 'uchar' })
        .toBuffer({ resolveWithObject: true });
      if (info.channels !== 1) fail(`decoded to ${info.channels} channels, expected 1`);
      const gray = new Float32Array(info.width * info.height);
      for (let i = 0; i < gray.length; i++) gray[i] = data[i]! / 255;
      return { width: info.width, height: info.height, data: gray, originalWidth, originalHeight, format, name };
    } catch (err) {
      if (err instanceof ImageDecodeError) throw err;
      return fail(`cannot decode ${format} data (${shortReason(err)})`);
    }
  };
  const longer = Math.max(width, height);
  if (options.coarse && format === 'jpeg' && longer > COARSE_ABOVE_SIDE) {
    const coarse = await decodeAt(Math.ceil(longer / options.coarse.shrink));
    const side = options.coarse.refine(coarse);
    if (side === null) return coarse;
    return decodeAt(Math.max(coarse.width, coarse.height, Math.min(maxSide, Math.ceil(side))));
  }
  return decodeAt(maxSide);
}

/** Reads the bytes and the header, and refuses what cannot or should not be decoded. */
async function openImage(input: string | Buffer, name: string, maxPixels: number): Promise<{ bytes: Buffer; meta: Metadata; width: number; height: number }> {
  const fail = (reason: string): never => {
    throw new ImageDecodeError(name, reason);
  };
  let bytes: Buffer;
  if (typeof input === 'string') {
    try {
      bytes = await readFile(input);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      return fail(code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a folder, not an image' : `cannot read the file (${shortReason(err)})`);
    }
  } else bytes = input;
  if (bytes.length === 0) fail('the file is empty');

  let meta: Metadata;
  try {
    meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch (err) {
    return fail(`not a readable image (${shortReason(err)})`);
  }
  const { width = 0, height = 0 } = meta;
  if (width < 1 || height < 1) fail(`image has no pixels (${width}×${height})`);
  if (width * height > maxPixels) {
    fail(`image is ${width}×${height} (${megapixels(width * height)} MP), more than the limit of ${megapixels(maxPixels)} MP`);
  }
  if (meta.format === 'tiff') {
    // libtiff only warns about strips past the end of the file (and libvips decodes them blank).
    const extent = tiffExtent(bytes);
    if (extent && extent.dataEnd > extent.fileLength) {
      fail(`the TIFF file is truncated: its image data runs to byte ${extent.dataEnd}, the file ends at byte ${extent.fileLength}`);
    }
  }
  return { bytes, meta, width, height };
}

/** 8-bit pixels, channels interleaved: what dataset images become before they are scaled to [0, 1]. */
export interface PixelImage {
  width: number;
  height: number;
  channels: 1 | 3;
  data: Uint8Array;
}

/**
 * Reads an image file as upright 8-bit gray or sRGB pixels, alpha flattened onto white, with the
 * same checks as decodeImage; resized to exactly width × height when both are given (dataset
 * folders of a fixed size), else at its own size.
 */
export async function decodePixels(input: string | Buffer, options: { channels: 1 | 3; width?: number; height?: number; name?: string }): Promise<PixelImage> {
  const name = options.name ?? (typeof input === 'string' ? input : 'image buffer');
  const { bytes, meta } = await openImage(input, name, MAX_INPUT_PIXELS);
  try {
    let pipeline = sharp(bytes, { limitInputPixels: MAX_INPUT_PIXELS, failOn: 'truncated' }).rotate().flatten({ background: '#ffffff' });
    if (options.width && options.height) pipeline = pipeline.resize(options.width, options.height, { fit: 'fill' });
    pipeline = options.channels === 1 ? pipeline.toColourspace('b-w') : pipeline.toColourspace('srgb').removeAlpha();
    const { data, info } = await pipeline.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    if (info.channels !== options.channels) throw new ImageDecodeError(name, `decoded to ${info.channels} channels, expected ${options.channels}`);
    return { width: info.width, height: info.height, channels: options.channels, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
  } catch (err) {
    if (err instanceof ImageDecodeError) throw err;
    throw new ImageDecodeError(name, `cannot decode ${meta.format ?? 'unknown'} data (${shortReason(err)})`);
  }
}

/** An SVG drawing (charts, grids) rendered to PNG. */
export async function svgToPng(svg: string): Promise<Buffer> {
  return sharp(Buffer.from(svg)).png().toBuffer();
}

const megapixels = (n: number): string => (n / 1e6).toFixed(n >= 1e7 ? 0 : 1);

function shortReason(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text
    .split('\n')[0]!
    .replace(/^Input (buffer|file) /, '')
    .trim();
}

export type EncodeFormat = 'png' | 'jpeg' | 'webp' | 'tiff' | 'avif';

/** An 8-bit image with 1 (gray) or 3 (RGB) interleaved channels, for encoding. */
export interface RawImage {
  width: number;
  height: number;
  channels: 1 | 3;
  data: Uint8Array;
}

/** Brightness 0..1 → 8-bit gray. */
export function toRaw(img: GrayImage): RawImage {
  const data = new Uint8Array(img.width * img.height);
  for (let i = 0; i < data.length; i++) data[i] = Math.max(0, Math.min(255, Math.round(img.data[i]! * 255)));
  return { width: img.width, height: img.height, channels: 1, data };
}

/** Encodes a raw or gray (brightness) image, e.g. for sample pages, tests and debug views. */
export async function encodeImage(img: RawImage | GrayImage, format: EncodeFormat = 'png', quality = 90): Promise<Buffer> {
  const raw = 'channels' in img ? img : toRaw(img);
  const s = sharp(Buffer.from(raw.data.buffer, raw.data.byteOffset, raw.data.byteLength), {
    raw: { width: raw.width, height: raw.height, channels: raw.channels },
  });
  switch (format) {
    case 'png':
      return s.png().toBuffer();
    case 'jpeg':
      return s.jpeg({ quality }).toBuffer();
    case 'webp':
      return s.webp({ quality }).toBuffer();
    case 'tiff':
      return s.tiff({ quality }).toBuffer();
    case 'avif':
      return s.avif({ quality }).toBuffer();
  }
}

/**
 * An image file as a PDF page takes it: JPEG or PNG, upright (EXIF orientation applied, which PDF
 * viewers ignore), with its size. A JPEG or PNG that needs no turning is kept as it is.
 */
export async function pdfReadyImage(bytes: Uint8Array): Promise<{ bytes: Uint8Array; format: 'jpeg' | 'png'; width: number; height: number }> {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const meta = await sharp(buffer).metadata();
  const turned = (meta.orientation ?? 1) !== 1;
  if ((meta.format === 'jpeg' || meta.format === 'png') && !turned) return { bytes, format: meta.format, width: meta.width ?? 0, height: meta.height ?? 0 };
  const { data, info } = await sharp(buffer).rotate().jpeg({ quality: 90 }).toBuffer({ resolveWithObject: true });
  return { bytes: data, format: 'jpeg', width: info.width, height: info.height };
}
