import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { tiffExtent } from './tiff-extent.ts';

const page = (width = 300, height = 200) => {
  const gray = Buffer.alloc(width * height, 230);
  for (let y = 50; y < 150; y++) gray.fill(20, y * width + 60, y * width + 70);
  return sharp(gray, { raw: { width, height, channels: 1 } });
};

/** A big-endian TIFF by hand: 2×2 8-bit grey, one strip at `stripAt` of 4 bytes. */
function motorolaTiff(stripAt: number, length: number): Uint8Array {
  const b = new Uint8Array(length);
  const v = new DataView(b.buffer);
  b.set([0x4d, 0x4d]);
  v.setUint16(2, 42);
  v.setUint32(4, 8);
  const entries: [number, number, number, number][] = [
    [256, 3, 1, 2 << 16], // width (SHORT, left-justified in the value field)
    [257, 3, 1, 2 << 16], // height
    [258, 3, 1, 8 << 16], // bits per sample
    [262, 3, 1, 1 << 16], // black is zero
    [273, 4, 1, stripAt], // strip offsets
    [279, 4, 1, 4], // strip byte counts
  ];
  v.setUint16(8, entries.length);
  entries.forEach(([tag, type, count, value], i) => {
    const at = 10 + i * 12;
    v.setUint16(at, tag);
    v.setUint16(at + 2, type);
    v.setUint32(at + 4, count);
    v.setUint32(at + 8, value);
  });
  return b;
}

describe('tiffExtent: does a TIFF hold the data its directory points at', () => {
  // Where libvips puts the directory decides what a cut leaves: after the strips (uncompressed),
  // a cut takes the directory and the decoder refuses the file itself; before its long values
  // (JPEG tables) or amid the tiles, the directory survives and only this check sees the loss.
  it.each([
    ['uncompressed strips', () => page().tiff({ compression: 'none' }), 0],
    ['JPEG-compressed (sharp default)', () => page().tiff(), 3],
    ['LZW tiles', () => page(600, 400).tiff({ compression: 'lzw', tile: true, tileWidth: 128, tileHeight: 128 }), 1],
  ] as const)('%s: a whole file reaches exactly its end; a cut one with its directory left reaches past it', async (_name, make, detectable) => {
    const whole = new Uint8Array(await make().toBuffer());
    const extent = tiffExtent(whole)!;
    expect(extent.fileLength).toBe(whole.length);
    expect(extent.dataEnd).toBeLessThanOrEqual(whole.length);
    expect(extent.dataEnd).toBeGreaterThan(whole.length * 0.5);
    const cuts = [0.6, 0.8, 0.95, 0.999].map((share) => whole.subarray(0, Math.floor(whole.length * share)));
    const readable = cuts.filter((cut) => tiffExtent(cut) !== null);
    expect(readable).toHaveLength(detectable);
    for (const cut of readable) expect(tiffExtent(cut)!.dataEnd).toBeGreaterThan(cut.length);
  });

  it('reads big-endian files', () => {
    expect(tiffExtent(motorolaTiff(100, 104))).toEqual({ dataEnd: 104, fileLength: 104 });
    expect(tiffExtent(motorolaTiff(100, 102))).toEqual({ dataEnd: 104, fileLength: 102 });
  });

  it('says nothing of files that are not TIFF', async () => {
    expect(tiffExtent(new Uint8Array(await page().png().toBuffer()))).toBeNull();
    expect(tiffExtent(new Uint8Array([0x49, 0x49, 42]))).toBeNull();
    expect(tiffExtent(new Uint8Array(0))).toBeNull();
  });
});
