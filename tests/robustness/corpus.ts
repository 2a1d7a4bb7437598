/**
 * Generators of bad inputs for the robustness tests: images cut short, corrupted, empty, tiny,
 * claiming impossible sizes, or not images at all; malformed dataset files. Deterministic (seeded),
 * built in memory from a few valid files, so the corpus needs nothing on disk but what it writes.
 */
import { crc32, deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { createRng } from '../../app/base/random.ts';

export interface BadFile {
  /** Test name. */
  name: string;
  /** File name, extension included. */
  file: string;
  bytes: Uint8Array;
  /** What the error must say (besides naming the file). */
  expect: RegExp;
}

/** A gray page with a few dark strokes, as a real scan would have. */
export async function validImage(format: 'png' | 'jpeg' | 'webp' | 'tiff' | 'gif', width = 240, height = 120): Promise<Buffer> {
  const gray = Buffer.alloc(width * height, 235);
  for (let y = 30; y < 90; y++) for (let x = 40; x < 46; x++) gray[y * width + x] = 20;
  for (let y = 30; y < 36; y++) for (let x = 40; x < 90; x++) gray[y * width + x] = 20;
  const image = sharp(gray, { raw: { width, height, channels: 1 } });
  return format === 'png'
    ? image.png().toBuffer()
    : format === 'jpeg'
      ? image.jpeg({ quality: 90 }).toBuffer()
      : format === 'webp'
        ? image.webp().toBuffer()
        : format === 'tiff'
          ? image.tiff().toBuffer()
          : image.gif().toBuffer();
}

export async function solidImage(format: 'png' | 'jpeg', width: number, height: number, level: number): Promise<Buffer> {
  const image = sharp(Buffer.alloc(width * height, level), { raw: { width, height, channels: 1 } });
  return format === 'png' ? image.png().toBuffer() : image.jpeg().toBuffer();
}

function chunk(type: string, data: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0);
  return Buffer.concat([head, data, crc]);
}

/** A PNG whose header says width × height (8-bit gray) over a tiny, valid IDAT. */
export function pngClaiming(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 0, 0, 0, 0], 8);
  const rows = Buffer.alloc(Math.min(64, Math.max(1, width + 1)) * 2);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(rows)),
    chunk('IEND', new Uint8Array(0)),
  ]);
}

/** A JPEG (from a valid one) whose frame header says width × height. */
export function jpegClaiming(valid: Buffer, width: number, height: number): Buffer {
  const out = Buffer.from(valid);
  for (let i = 2; i < out.length - 9; i++) {
    if (out[i] === 0xff && (out[i + 1] === 0xc0 || out[i + 1] === 0xc2)) {
      out.writeUInt16BE(height, i + 5);
      out.writeUInt16BE(width, i + 7);
      return out;
    }
  }
  throw new Error('no SOF marker in the JPEG');
}

/** A GIF whose screen and image descriptor say width × height. */
export function gifClaiming(width: number, height: number): Buffer {
  const b = Buffer.alloc(13 + 6 + 10 + 4 + 1);
  b.write('GIF89a', 0, 'ascii');
  b.writeUInt16LE(width, 6);
  b.writeUInt16LE(height, 8);
  b.set([0x80, 0, 0], 10); // global colour table of 2
  b.set([0, 0, 0, 255, 255, 255], 13);
  let o = 19;
  b[o++] = 0x2c;
  b.writeUInt16LE(0, o);
  b.writeUInt16LE(0, o + 2);
  b.writeUInt16LE(width, o + 4);
  b.writeUInt16LE(height, o + 6);
  b[o + 8] = 0;
  o += 9;
  b.set([2, 2, 0x4c, 0x01, 0x00], o - 0); // LZW min size, one tiny block
  return Buffer.concat([b.subarray(0, o + 5), Buffer.from([0x3b])]);
}

/** A little-endian TIFF whose IFD says width × height, 8-bit gray, one strip of 16 bytes. */
export function tiffClaiming(width: number, height: number): Buffer {
  const entries: [number, number, number, number][] = [
    [256, 4, 1, width],
    [257, 4, 1, height],
    [258, 3, 1, 8],
    [259, 3, 1, 1],
    [262, 3, 1, 1],
    [273, 4, 1, 8 + 2 + 12 * 9 + 4],
    [277, 3, 1, 1],
    [278, 4, 1, height],
    [279, 4, 1, 16],
  ];
  const b = Buffer.alloc(8 + 2 + 12 * entries.length + 4 + 16);
  b.write('II', 0, 'ascii');
  b.writeUInt16LE(42, 2);
  b.writeUInt32LE(8, 4);
  b.writeUInt16LE(entries.length, 8);
  entries.forEach(([tag, type, count, value], k) => {
    const o = 10 + 12 * k;
    b.writeUInt16LE(tag, o);
    b.writeUInt16LE(type, o + 2);
    b.writeUInt32LE(count, o + 4);
    if (type === 3) b.writeUInt16LE(value, o + 8);
    else b.writeUInt32LE(value, o + 8);
  });
  return b;
}

/** Bytes from a seeded generator. */
export function randomBytes(length: number, seed: number): Uint8Array {
  const rng = createRng(seed);
  return Uint8Array.from({ length }, () => rng.int(256));
}

/** A copy with `count` bytes after `from` overwritten by seeded noise. */
export function scramble(bytes: Uint8Array, from: number, count: number, seed: number): Uint8Array {
  const out = Uint8Array.from(bytes);
  const noise = randomBytes(count, seed);
  out.set(noise.subarray(0, Math.max(0, Math.min(count, out.length - from))), from);
  return out;
}

/** A copy with one byte changed (xor 0xff). */
export function flip(bytes: Uint8Array, at: number): Uint8Array {
  const out = Uint8Array.from(bytes);
  out[at] = out[at]! ^ 0xff;
  return out;
}

/** Where a PNG chunk of the given type starts (its length field), or -1. */
export function pngChunkAt(png: Uint8Array, type: string): number {
  for (let at = 8; at + 8 <= png.length;) {
    const length = ((png[at]! << 24) | (png[at + 1]! << 16) | (png[at + 2]! << 8) | png[at + 3]!) >>> 0;
    if (String.fromCharCode(...png.subarray(at + 4, at + 8)) === type) return at;
    at += 12 + length;
  }
  return -1;
}

const text = (s: string) => new TextEncoder().encode(s);

/**
 * The image corpus: files that are not usable images, each with what its error must say.
 * Blank pages (readable, but without writing) are in `blankPages`.
 */
export async function badImages(): Promise<BadFile[]> {
  const png = new Uint8Array(await validImage('png'));
  const jpeg = new Uint8Array(await validImage('jpeg'));
  const webp = new Uint8Array(await validImage('webp'));
  const tiff = new Uint8Array(await validImage('tiff'));
  const gif = new Uint8Array(await validImage('gif'));
  const idat = pngChunkAt(png, 'IDAT');
  const idatEnd = pngChunkAt(png, 'IEND');
  const cases: BadFile[] = [];
  const add = (name: string, file: string, bytes: Uint8Array, expect: RegExp) => cases.push({ name, file, bytes, expect });

  // Cut short: inside the header, inside the image data.
  const unreadable = /not a readable image|cannot decode|the file is empty|truncated|premature end/;
  for (const cut of [0, 1, 4, 8, 16, 24, 33, idat + 4, idat + 12, Math.floor((idat + idatEnd) / 2), idatEnd - 8])
    add(`PNG cut at byte ${cut}`, `cut-${cut}.png`, png.subarray(0, cut), unreadable);
  for (const share of [0.002, 0.01, 0.05, 0.1, 0.3, 0.5, 0.7, 0.9, 0.97]) {
    const cut = Math.max(1, Math.floor(jpeg.length * share));
    add(`JPEG cut at ${(share * 100).toFixed(1)}% (byte ${cut})`, `cut-${cut}.jpg`, jpeg.subarray(0, cut), unreadable);
  }
  for (const share of [0.01, 0.05, 0.15, 0.3, 0.6, 0.9])
    add(`WebP cut at ${share * 100}%`, `cut-${share}.webp`, webp.subarray(0, Math.floor(webp.length * share)), unreadable);
  // Cut at 70% and 90% the directory is whole but strips run past the end (libtiff only warns).
  for (const share of [0.005, 0.02, 0.1, 0.3, 0.5, 0.7, 0.9])
    add(`TIFF cut at ${share * 100}%`, `cut-${share}.tif`, tiff.subarray(0, Math.floor(tiff.length * share)), unreadable);
  for (const share of [0.05, 0.3, 0.6]) add(`GIF cut at ${share * 100}%`, `cut-${share}.gif`, gif.subarray(0, Math.floor(gif.length * share)), unreadable);

  // Corrupt: broken checksums, compressed data and headers.
  add('PNG with a bad signature', 'signature.png', flip(png, 1), unreadable);
  add(
    'PNG whose IHDR claims colour type 9',
    'colour-type.png',
    (() => {
      const b = Uint8Array.from(png);
      b[8 + 8 + 9] = 9;
      return b;
    })(),
    unreadable,
  );
  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8])
    add(`PNG with scrambled compressed data (seed ${seed})`, `scrambled-idat-${seed}.png`, scramble(png, idat + 8, 24, seed), unreadable);
  add(
    'PNG with a chunk length of 2 GB',
    'chunk-length.png',
    (() => {
      const b = Uint8Array.from(png);
      b.set([0x7f, 0xff, 0xff, 0xff], idat);
      return b;
    })(),
    unreadable,
  );
  for (const seed of [1, 2, 3, 4, 5, 6])
    add(`JPEG with scrambled headers (seed ${seed})`, `scrambled-head-${seed}.jpg`, scramble(jpeg, 2, 40, seed), unreadable);
  add('JPEG without its start marker', 'no-soi.jpg', jpeg.subarray(2), unreadable);
  add('WebP with a scrambled header', 'scrambled.webp', scramble(webp, 12, 24, 9), unreadable);
  add('TIFF with a scrambled directory', 'scrambled.tif', scramble(tiff, 4, 12, 5), unreadable);

  // No pixels, and more pixels than any page.
  const noPixels = /no pixels|not a readable image|cannot decode/;
  add('PNG of 0×0', 'zero.png', pngClaiming(0, 0), noPixels);
  add('PNG of 0×100', 'zero-width.png', pngClaiming(0, 100), noPixels);
  add('JPEG of 0×0', 'zero.jpg', jpegClaiming(Buffer.from(jpeg), 0, 0), noPixels);
  add('TIFF of 0×0', 'zero.tif', tiffClaiming(0, 0), noPixels);
  const huge = /\d+×\d+ \(\d+ MP\), more than the limit of 100 MP|exceeds pixel limit|too large|not a readable image/;
  for (const [w, h] of [
    [50_000, 50_000],
    [20_000, 20_000],
    [100_000, 1_001],
    [65_535, 65_535],
  ] as const) {
    add(`PNG claiming ${w}×${h}`, `huge-${w}x${h}.png`, pngClaiming(w, h), huge);
    // JPEG and GIF store sides in 16 bits.
    if (w <= 65_535 && h <= 65_535) add(`JPEG claiming ${w}×${h}`, `huge-${w}x${h}.jpg`, jpegClaiming(Buffer.from(jpeg), w, h), huge);
    if (w <= 65_535 && h <= 65_535) add(`GIF claiming ${w}×${h}`, `huge-${w}x${h}.gif`, gifClaiming(w, h), huge);
    add(`TIFF claiming ${w}×${h}`, `huge-${w}x${h}.tif`, tiffClaiming(w, h), huge);
  }

  // Not images at all, named as images.
  const notImage = /not a readable image|the file is empty|unsupported image format/;
  const impostors: [string, Uint8Array][] = [
    ['plain text', text('hello, this is not an image\n')],
    ['an HTML page', text('<!doctype html><html><body><img src="x.png"></body></html>')],
    ['a PDF', text('%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n')],
    ['a ZIP archive', Uint8Array.from([0x50, 0x4b, 0x03, 0x04, 20, 0, 0, 0, 8, 0, ...randomBytes(60, 11)])],
    ['an ELF program', Uint8Array.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, ...randomBytes(120, 12)])],
    ['JSON', text('{"image": "data:image/png;base64,iVBORw0KGgo="}')],
    ['a gzip stream', Uint8Array.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, ...randomBytes(40, 13)])],
    ['an empty file', new Uint8Array(0)],
    ['one zero byte', new Uint8Array(1)],
    ['a PNG signature and nothing else', png.subarray(0, 8)],
    ['a JPEG start marker and nothing else', Uint8Array.from([0xff, 0xd8])],
  ];
  const extensions = ['png', 'jpg', 'jpeg', 'webp', 'tif', 'gif', 'tiff', 'jpe', 'avif'];
  impostors.forEach(([what, bytes], k) =>
    add(
      `${what}, named .${extensions[k % extensions.length]}`,
      `impostor-${k}.${extensions[k % extensions.length]}`,
      bytes,
      what === 'an empty file' ? /the file is empty/ : notImage,
    ),
  );
  for (const [k, length] of [16, 100, 1000, 10_000, 100_000, 3, 500, 4096].entries())
    add(`${length} random bytes, named .${extensions[k]}`, `random-${length}.${extensions[k]}`, randomBytes(length, 100 + k), notImage);
  return cases;
}

/** Readable images with nothing written on them. */
export async function blankPages(): Promise<BadFile[]> {
  const blank = /no handwriting found/;
  return [
    { name: 'white page (PNG 1600×1200)', file: 'white.png', bytes: await solidImage('png', 1600, 1200, 255), expect: blank },
    { name: 'white page (JPEG 2400×1800)', file: 'white.jpg', bytes: await solidImage('jpeg', 2400, 1800, 250), expect: blank },
    { name: 'all-black page (PNG 1600×1200)', file: 'black.png', bytes: await solidImage('png', 1600, 1200, 0), expect: blank },
    { name: 'all-black page (JPEG 1200×900)', file: 'black.jpg', bytes: await solidImage('jpeg', 1200, 900, 0), expect: blank },
    { name: 'mid-grey page', file: 'grey.png', bytes: await solidImage('png', 800, 600, 128), expect: blank },
    { name: '1×1 white PNG', file: 'one-white.png', bytes: await solidImage('png', 1, 1, 255), expect: blank },
    { name: '1×1 black PNG', file: 'one-black.png', bytes: await solidImage('png', 1, 1, 0), expect: blank },
    { name: '1×1 JPEG', file: 'one.jpg', bytes: await solidImage('jpeg', 1, 1, 30), expect: blank },
    {
      name: '1×1 WebP',
      file: 'one.webp',
      bytes: await sharp(Buffer.alloc(1, 0), { raw: { width: 1, height: 1, channels: 1 } })
        .webp()
        .toBuffer(),
      expect: blank,
    },
    {
      name: '1×1 GIF',
      file: 'one.gif',
      bytes: await sharp(Buffer.alloc(1, 0), { raw: { width: 1, height: 1, channels: 1 } })
        .gif()
        .toBuffer(),
      expect: blank,
    },
    {
      name: '1×1 TIFF',
      file: 'one.tif',
      bytes: await sharp(Buffer.alloc(1, 255), { raw: { width: 1, height: 1, channels: 1 } })
        .tiff()
        .toBuffer(),
      expect: blank,
    },
    { name: '2×1000 sliver', file: 'sliver.png', bytes: await solidImage('png', 2, 1000, 0), expect: blank },
    // GIF decoders read a 0×0 screen as 1×1.
    { name: 'GIF claiming 0×0', file: 'zero.gif', bytes: gifClaiming(0, 0), expect: blank },
  ];
}
