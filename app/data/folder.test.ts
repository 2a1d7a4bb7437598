import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp, { type Sharp } from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inkBox } from '../image/frame.ts';
import { loadImageFolder } from './folder.ts';

const root = mkdtempSync(join(tmpdir(), 'hwr-folder-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A w×h image of `channels` channels filled with `background`, with `fill` in columns x0..x1, rows y0..y1. */
function raw(w: number, h: number, channels: 1 | 3 | 4, background: number[], fill: number[], [x0, x1, y0, y1]: number[]) {
  const data = Buffer.alloc(w * h * channels);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const inside = x >= x0! && x <= x1! && y >= y0! && y <= y1!;
      data.set(inside ? fill : background, (y * w + x) * channels);
    }
  }
  return sharp(data, { raw: { width: w, height: h, channels } });
}

async function save(path: string, image: Sharp | Promise<Buffer>): Promise<void> {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, image instanceof Promise ? await image : await image.toBuffer());
}

const longSide = (b: { x0: number; x1: number; y0: number; y1: number }) => Math.max(b.x1 - b.x0 + 1, b.y1 - b.y0 + 1);
const centre = (b: { x0: number; x1: number; y0: number; y1: number }) => [(b.x0 + b.x1) / 2, (b.y0 + b.y1) / 2];

describe('loadImageFolder as glyphs', () => {
  const dir = join(root, 'glyphs');
  beforeAll(async () => {
    await save(join(dir, 'B', 'b1.png'), raw(40, 60, 1, [255], [20], [10, 19, 5, 44]).png());
    await save(join(dir, 'B', 'b2.png'), raw(40, 60, 1, [230], [120], [22, 31, 10, 49]).png()); // grey paper, faint pen
    await save(join(dir, 'A', 'a.jpg'), raw(50, 50, 3, [250, 250, 250], [10, 10, 10], [10, 39, 15, 34]).jpeg({ quality: 95 }));
    await save(join(dir, '7', 'white-on-black.png'), raw(30, 30, 1, [0], [255], [5, 24, 8, 17]).png());
    await save(join(dir, '7', 'transparent.png'), raw(30, 30, 4, [0, 0, 0, 0], [0, 0, 0, 255], [12, 17, 3, 26]).png());
    writeFileSync(join(dir, '7', 'notes.txt'), 'not an image');
    writeFileSync(join(dir, 'README.md'), 'labels are folder names');
    mkdirSync(join(dir, '.thumbnails'));
  });

  it('reads one class per subfolder, sorted, files sorted, as framed 32×32 ink=1 glyphs', async () => {
    const set = await loadImageFolder(dir, { glyphs: true });
    expect(set.classes).toEqual(['7', 'A', 'B']);
    expect(Array.from(set.labels)).toEqual([0, 0, 1, 2, 2]);
    expect([set.count, set.height, set.width, set.channels]).toEqual([5, 32, 32, 1]);
    expect(set.source).toBe(dir);
    for (let n = 0; n < set.count; n++) {
      const glyph = set.pixels.subarray(n * 1024, (n + 1) * 1024);
      const box = inkBox(glyph, 32, 32)!;
      expect(longSide(box)).toBe(22);
      expect(centre(box)).toEqual([15.5, 15.5]);
      expect(glyph[0]).toBe(0); // paper is 0
      expect(Math.max(...glyph)).toBeGreaterThan(0.95); // strongest ink is ~1
    }
    // b1: a 10×40 bar → 5.5×22, upright (tall, not wide)
    const b1 = inkBox(set.pixels.subarray(3 * 1024, 4 * 1024), 32, 32)!;
    expect([b1.x1 - b1.x0 + 1, b1.y1 - b1.y0 + 1]).toEqual([6, 22]);
  });

  it('frames grey paper with a faint pen like black on white', async () => {
    const set = await loadImageFolder(dir, { glyphs: true });
    const b1 = set.pixels.subarray(3 * 1024, 4 * 1024);
    const b2 = set.pixels.subarray(4 * 1024, 5 * 1024);
    for (let i = 0; i < 1024; i++) expect(b2[i]).toBeCloseTo(b1[i]!, 5);
  });
});

describe('loadImageFolder resized', () => {
  const dir = join(root, 'colours');
  beforeAll(async () => {
    await save(join(dir, 'red', 'r.png'), raw(10, 10, 3, [255, 0, 0], [255, 0, 0], [0, 0, 0, 0]).png());
    await save(join(dir, 'grey', 'g.webp'), raw(7, 9, 1, [128], [128], [0, 0, 0, 0]).webp({ lossless: true }));
  });

  it('resizes every image to the given size, NHWC, in [0, 1]', async () => {
    const set = await loadImageFolder(dir, { height: 4, width: 6, channels: 3 });
    expect(set.classes).toEqual(['grey', 'red']);
    expect([set.count, set.height, set.width, set.channels]).toEqual([2, 4, 6, 3]);
    expect(set.pixels.length).toBe(2 * 4 * 6 * 3);
    const red = set.pixels.subarray(72, 144);
    for (let p = 0; p < 24; p++) expect([red[3 * p], red[3 * p + 1], red[3 * p + 2]]).toEqual([1, 0, 0]);
    for (const v of set.pixels.subarray(0, 72)) expect(v).toBeCloseTo(128 / 255, 2);
  });

  it('gives one channel when asked', async () => {
    const set = await loadImageFolder(dir, { height: 3, width: 3, channels: 1 });
    expect(set.pixels.length).toBe(2 * 9);
    expect(set.pixels[0]).toBeCloseTo(128 / 255, 2);
  });
});

describe('loadImageFolder errors name the folder or file and the problem', () => {
  it('a missing folder, a folder without class folders, an empty class', async () => {
    await expect(loadImageFolder(join(root, 'absent'), { glyphs: true })).rejects.toThrow(/absent: folder not found/);
    mkdirSync(join(root, 'flat'));
    writeFileSync(join(root, 'flat', 'x.png'), 'x');
    await expect(loadImageFolder(join(root, 'flat'), { glyphs: true })).rejects.toThrow(/flat: has no class subfolders/);
    mkdirSync(join(root, 'partly', 'empty'), { recursive: true });
    await save(join(root, 'partly', 'full', 'f.png'), raw(4, 4, 1, [255], [0], [1, 2, 1, 2]).png());
    await expect(loadImageFolder(join(root, 'partly'), { glyphs: true })).rejects.toThrow(/empty: class folder 'empty' holds no images/);
  });

  it('an image that cannot be decoded', async () => {
    mkdirSync(join(root, 'broken', 'x'), { recursive: true });
    writeFileSync(join(root, 'broken', 'x', 'bad.png'), 'this is not a png');
    await expect(loadImageFolder(join(root, 'broken'), { glyphs: true })).rejects.toThrow(/bad\.png: cannot decode the image/);
  });

  it('of several broken images, names the first in sorted order, however fast each fails', async () => {
    // a.png fails late (a large PNG cut near its end); the text files named .png fail at once.
    const big = Buffer.alloc(1500 * 1500);
    for (let i = 0; i < big.length; i++) big[i] = (i * 2654435761) >>> 24;
    const png = await sharp(big, { raw: { width: 1500, height: 1500, channels: 1 } })
      .png({ compressionLevel: 0 })
      .toBuffer();
    mkdirSync(join(root, 'several', 'A'), { recursive: true });
    mkdirSync(join(root, 'several', 'B'), { recursive: true });
    writeFileSync(join(root, 'several', 'A', 'a.png'), png.subarray(0, png.length - 5000));
    for (const name of ['b.png', 'c.png', 'd.png']) writeFileSync(join(root, 'several', 'A', name), 'not a png');
    writeFileSync(join(root, 'several', 'B', 'e.png'), 'not a png either');
    await expect(loadImageFolder(join(root, 'several'), { glyphs: true })).rejects.toThrow(/A\/a\.png: cannot decode the image/);
  });

  it('a size that is missing or contradicts glyphs', async () => {
    await expect(loadImageFolder(root, {})).rejects.toThrow(/give height, width and channels, or glyphs: true/);
    await expect(loadImageFolder(root, { glyphs: true, height: 28 })).rejects.toThrow(/glyphs are 32×32×1/);
    await expect(loadImageFolder(root, { height: 0, width: 3, channels: 1 })).rejects.toThrow(/height must be/);
  });
});
