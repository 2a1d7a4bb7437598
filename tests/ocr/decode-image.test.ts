import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeImage, encodeImage, ImageDecodeError, MAX_DECODED_SIDE, type EncodeFormat } from '../../app/image/decode.ts';
import { downscale } from '../../app/image/gray.ts';

const dir = mkdtempSync(join(tmpdir(), 'hwr-decode-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A horizontal gradient, dark (left) to light (right). */
function gradient(width: number, height: number) {
  const data = new Float32Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data[y * width + x] = x / (width - 1);
  return { width, height, data };
}

describe('decodeImage', () => {
  it.each<EncodeFormat>(['png', 'jpeg', 'webp', 'tiff', 'avif'])('reads %s as gray values 0..1', async (format) => {
    const bytes = await encodeImage(gradient(64, 32), format, 95);
    const img = await decodeImage(bytes, { name: `g.${format}` });
    expect([img.width, img.height]).toEqual([64, 32]);
    expect(img.data[16 * 64 + 2]!).toBeLessThan(0.15);
    expect(img.data[16 * 64 + 61]!).toBeGreaterThan(0.85);
    expect(img.format).toMatch(format === 'avif' ? /heif|avif/ : format);
  });

  it('reads colour as brightness and flattens transparency onto white', async () => {
    const blue = await sharp({ create: { width: 4, height: 4, channels: 3, background: { r: 20, g: 30, b: 160 } } })
      .png()
      .toBuffer();
    expect((await decodeImage(blue)).data[0]!).toBeLessThan(0.25);
    const clear = await sharp({ create: { width: 4, height: 4, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } })
      .png()
      .toBuffer();
    expect((await decodeImage(clear)).data[0]!).toBeGreaterThan(0.95);
  });

  it('applies the EXIF orientation', async () => {
    // Stored 40 wide and 20 high, dark on the left; orientation 6 means "rotate 90° clockwise".
    const stored = await encodeImage(gradient(40, 20), 'png');
    const jpeg = await sharp(stored).jpeg().withMetadata({ orientation: 6 }).toBuffer();
    const img = await decodeImage(jpeg);
    expect([img.width, img.height]).toEqual([20, 40]);
    expect([img.originalWidth, img.originalHeight]).toEqual([20, 40]);
    // After rotating clockwise the dark side is on top.
    expect(img.data[1 * 20 + 10]!).toBeLessThan(img.data[38 * 20 + 10]!);
  });

  it('shrinks large images so the longer side is bounded, and remembers the original size', async () => {
    const big = await sharp({ create: { width: 3000, height: 600, channels: 3, background: '#ffffff' } })
      .jpeg()
      .toBuffer();
    const img = await decodeImage(big);
    expect(img.width).toBe(MAX_DECODED_SIDE);
    expect(img.height).toBe(512);
    expect([img.originalWidth, img.originalHeight]).toEqual([3000, 600]);
  });

  it('refuses images whose header claims more pixels than the limit, before decoding them', async () => {
    const png = await sharp({ create: { width: 400, height: 300, channels: 3, background: '#fff' } })
      .png()
      .toBuffer();
    await expect(decodeImage(png, { name: 'huge.png', maxInputPixels: 100_000 })).rejects.toThrow(/huge\.png: image is 400×300 .*more than the limit/);
  });

  it('refuses a TIFF cut short whose directory is still readable, instead of reading the missing part as blank', async () => {
    // A JPEG-compressed TIFF: libvips writes the strip, the directory, then the directory's long
    // values (the JPEG tables among them), so a cut at 70% keeps the directory but not its tables.
    const gray = Buffer.alloc(240 * 120, 235);
    for (let y = 30; y < 90; y++) gray.fill(20, y * 240 + 40, y * 240 + 46);
    const tiff = await sharp(gray, { raw: { width: 240, height: 120, channels: 1 } })
      .tiff()
      .toBuffer();
    await expect(decodeImage(tiff, { name: 'whole.tif' })).resolves.toMatchObject({ width: 240, height: 120 });
    const cut = tiff.subarray(0, Math.floor(tiff.length * 0.7));
    await expect(decodeImage(cut, { name: 'cut.tif' })).rejects.toThrow(
      /cut\.tif: the TIFF file is truncated: its image data runs to byte \d+, the file ends at byte \d+/,
    );
  });

  it('names the file in a clear error for corrupt, truncated, empty and non-image files', async () => {
    const textFile = join(dir, 'notes.jpg');
    writeFileSync(textFile, 'this is not an image\n');
    await expect(decodeImage(textFile)).rejects.toThrow(new RegExp(`${textFile.replace(/[/.]/g, '\\$&')}: not a readable image`));
    const empty = join(dir, 'empty.png');
    writeFileSync(empty, '');
    await expect(decodeImage(empty)).rejects.toBeInstanceOf(ImageDecodeError);
    await expect(decodeImage(join(dir, 'missing.png'))).rejects.toThrow(/missing\.png/);
    const jpeg = await encodeImage(gradient(200, 200), 'jpeg');
    const truncated = join(dir, 'truncated.jpg');
    writeFileSync(truncated, jpeg.subarray(0, Math.floor(jpeg.length / 2)));
    await expect(decodeImage(truncated)).rejects.toThrow(/truncated\.jpg: cannot decode jpeg data/);
    const garbage = Buffer.from(jpeg);
    garbage.fill(7, 20);
    await expect(decodeImage(garbage, { name: 'garbage.jpg' })).rejects.toThrow(/garbage\.jpg/);
  });

  it('decodes a 1×1 image', async () => {
    const one = await sharp({ create: { width: 1, height: 1, channels: 3, background: '#000' } })
      .png()
      .toBuffer();
    const img = await decodeImage(one);
    expect([img.width, img.height, img.data[0]]).toEqual([1, 1, 0]);
  });
});

describe('downscale', () => {
  it('averages areas, also for non-integer factors, keeping the mean', () => {
    const img = gradient(101, 37);
    const small = downscale(img, 2.6);
    expect([small.width, small.height]).toEqual([39, 14]);
    const mean = (d: Float32Array) => d.reduce((a, b) => a + b, 0) / d.length;
    expect(mean(small.data)).toBeCloseTo(mean(img.data), 3);
    expect(small.data[0]!).toBeLessThan(small.data[38]!);
  });
});
