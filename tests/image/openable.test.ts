/**
 * The image types the app opens (IMAGE_TYPES in the contract) are ones the back end reads: each
 * is encoded with sharp and decoded by app/image/decode.ts, and nothing else passes the check.
 */
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { IMAGE_ACCEPT, IMAGE_TYPE_NAMES, IMAGE_TYPES, isOpenableImage } from '../../app/contract.ts';
import { decodeImage } from '../../app/image/decode.ts';

type SharpFormat = Parameters<ReturnType<typeof sharp>['toFormat']>[0];

describe('openable image types', () => {
  it.each(IMAGE_TYPES.map((t) => [t.name, t] as const))('%s decodes', async (_name, type) => {
    const pixels = Buffer.alloc(40 * 30, 255);
    for (let y = 10; y < 20; y++) pixels.fill(0, y * 40 + 5, y * 40 + 35);
    const file = await sharp(pixels, { raw: { width: 40, height: 30, channels: 1 } })
      .toFormat(type.name.toLowerCase() as SharpFormat)
      .toBuffer();
    const image = await decodeImage(file, { name: `page.${type.extensions[0]}` });
    expect([image.width, image.height]).toEqual([40, 30]);
    expect(image.data[15 * 40 + 20]).toBeLessThan(0.3);
    expect(image.data[2 * 40 + 2]).toBeGreaterThan(0.7);
    for (const ext of type.extensions) expect(isOpenableImage(`scan.${ext.toUpperCase()}`)).toBe(true);
    expect(isOpenableImage('pasted', type.mimeType)).toBe(true);
  });

  it('refuses what the back end cannot read, by name and by MIME type', () => {
    for (const name of ['page.bmp', 'page.heic', 'page.svg', 'notes.txt', 'png', 'scans.png/readme']) expect(isOpenableImage(name)).toBe(false);
    for (const mime of ['image/bmp', 'image/heic', 'image/svg+xml', 'text/plain']) expect(isOpenableImage('pasted', mime)).toBe(false);
  });

  it('names them for messages and file pickers', () => {
    expect(IMAGE_TYPE_NAMES).toBe('PNG, JPEG, WebP, TIFF, GIF or AVIF');
    expect(IMAGE_ACCEPT.split(',')).toEqual(expect.arrayContaining(['image/png', '.jpg', '.tiff', '.avif']));
    expect(IMAGE_ACCEPT).not.toMatch(/image\/\*|bmp/);
  });
});
