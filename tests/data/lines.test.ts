import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadLineDataset, splitByWriter, writerOf, type LineSample } from '../../app/data/lines.ts';
import { writeAlto, writePageXml, type PageDocument } from '../../app/data/page-xml.ts';
import { encodeImage } from '../../app/image/decode.ts';
import { sharedDataForTests } from '../helpers/shared-data.ts';

const root = mkdtempSync(join(tmpdir(), 'hwr-lines-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A white page with two lines of dark strokes, and its segmentation. */
async function page(dir: string, name: string, format: 'alto' | 'page'): Promise<void> {
  const [width, height] = [400, 200];
  const data = new Float32Array(width * height).fill(1);
  for (const base of [60, 140]) for (let x = 30; x < 370; x++) if (x % 12 < 3) for (let y = base - 25; y < base; y++) data[y * width + x] = 0.1;
  writeFileSync(join(dir, `${name}.png`), await encodeImage({ width, height, data }));
  const line = (id: string, base: number, text: string) => ({
    id,
    text,
    polygon: [
      { x: 20, y: base - 35 },
      { x: 380, y: base - 35 },
      { x: 380, y: base + 10 },
      { x: 20, y: base + 10 },
    ],
    baseline: [
      { x: 25, y: base },
      { x: 375, y: base },
    ],
  });
  const doc: PageDocument = {
    imageFile: `${name}.png`,
    width,
    height,
    regions: [{ id: 'r', polygon: [], lines: [line('a', 60, 'Bonjour à tous'), line('b', 140, 'deux'), line('c', 190, ' ')] }],
  };
  writeFileSync(join(dir, `${name}.xml`), format === 'alto' ? writeAlto(doc) : writePageXml(doc));
}

describe('line datasets', () => {
  it('pages with ALTO or PAGE XML become line images with their text; empty lines are left out', async () => {
    const dir = join(root, 'pages');
    mkdirSync(dir);
    await page(dir, 'letter_1', 'alto');
    await page(dir, 'letter_2', 'page');
    const set = await loadLineDataset(dir, { height: 32 });
    expect(set.lines.map((l) => l.text)).toEqual(['Bonjour à tous', 'deux', 'Bonjour à tous', 'deux']);
    expect(set.lines.map((l) => l.writer)).toEqual(['letter', 'letter', 'letter', 'letter']);
    for (const l of set.lines) {
      expect(l.height).toBe(32);
      expect(l.ink.length).toBe(l.width * l.height);
      const inked = l.ink.filter((v) => v > 128).length / l.ink.length;
      expect(inked).toBeGreaterThan(0.1);
      // The same line as `hwr ocr` cuts it, along the outline its own line finding gives: the same strokes.
      expect(l.found!.ink.length).toBe(l.found!.width * 32);
      expect(Math.abs(l.found!.ink.filter((v) => v > 128).length - l.ink.filter((v) => v > 128).length)).toBeLessThan(
        0.35 * l.ink.filter((v) => v > 128).length,
      );
    }
    expect(set.description).toMatch(/2 pages with ALTO\/PAGE XML, 4 lines, 1 writers/);
  });

  it('reads a page whose image is at another resolution than its XML, or a pixel off', async () => {
    const dir = join(root, 'scaled');
    mkdirSync(dir);
    await page(dir, 'big', 'alto');
    const xml = readFileSync(join(dir, 'big.xml'), 'utf8');
    // The segmentation made on a half-size copy, the image at full size.
    const halved = xml.replace(
      /(POINTS|BASELINE|HPOS|VPOS|WIDTH|HEIGHT)="([^"]+)"/g,
      (_, k: string, v: string) =>
        `${k}="${v
          .split(' ')
          .map((n) => Number(n) / 2)
          .join(' ')}"`,
    );
    writeFileSync(join(dir, 'big.xml'), halved);
    // And a page whose image is a row shorter than its XML says (sizes halved with rounding).
    await page(dir, 'off', 'alto');
    writeFileSync(join(dir, 'off.xml'), readFileSync(join(dir, 'off.xml'), 'utf8').replace(/HEIGHT="200"/g, 'HEIGHT="201"'));
    const set = await loadLineDataset(dir, { height: 32 });
    expect(set.lines.map((l) => l.text)).toEqual(['Bonjour à tous', 'deux', 'Bonjour à tous', 'deux']);
    for (const l of set.lines) expect(l.ink.filter((v) => v > 128).length / l.ink.length).toBeGreaterThan(0.1);
  });

  it('a cache file gives the same lines back, and is not used once a page changes', async () => {
    const dir = join(root, 'cached');
    mkdirSync(dir);
    await page(dir, 'c', 'alto');
    const cache = join(root, 'cache', 'lines.cache');
    const first = await loadLineDataset(dir, { height: 32, cache });
    expect(first.lines.every((l) => l.found)).toBe(true);
    expect(existsSync(cache)).toBe(true);
    let pagesRead = 0;
    const again = await loadLineDataset(dir, { height: 32, cache, onProgress: () => pagesRead++ });
    expect(again).toEqual(first);
    expect(pagesRead).toBe(0); // from the cache
    writeFileSync(join(dir, 'c.xml'), readFileSync(join(dir, 'c.xml'), 'utf8').replace('deux', 'trois'));
    const changed = await loadLineDataset(dir, { height: 32, cache, onProgress: () => pagesRead++ });
    expect(changed.lines.map((l) => l.text)).toEqual(['Bonjour à tous', 'trois']);
    expect(pagesRead).toBe(1);
    writeFileSync(cache, 'damaged');
    expect((await loadLineDataset(dir, { height: 32, cache })).lines).toHaveLength(2);
  });

  it('line images with .txt transcriptions beside them', async () => {
    const dir = join(root, 'line-images');
    mkdirSync(dir);
    const data = new Float32Array(300 * 40).fill(1);
    for (let x = 10; x < 290; x += 9) for (let y = 8; y < 32; y++) data[y * 300 + x] = 0;
    writeFileSync(join(dir, 'l1.png'), await encodeImage({ width: 300, height: 40, data }));
    writeFileSync(join(dir, 'l1.txt'), 'Hello  world\n');
    const set = await loadLineDataset(dir);
    expect(set.lines).toHaveLength(1);
    expect(set.lines[0]!.text).toBe('Hello world');
    expect(set.lines[0]!.height).toBe(48);
  });

  it('says which file is missing or does not match', async () => {
    const dir = join(root, 'broken');
    mkdirSync(dir);
    await page(dir, 'p', 'alto');
    rmSync(join(dir, 'p.png'));
    await expect(loadLineDataset(dir)).rejects.toThrow(/p\.xml: its image p\.png is not in/);
    writeFileSync(join(dir, 'p.png'), await encodeImage({ width: 10, height: 10, data: new Float32Array(100).fill(1) }));
    await expect(loadLineDataset(dir)).rejects.toThrow(/p\.xml: the page is 400×200 but its image p\.png is 10×10/);
    await page(dir, 'p', 'alto'); // a whole page again
    await expect(loadLineDataset(join(root, 'nowhere'))).rejects.toThrow(/nowhere: folder not found/);
    const lonely = join(root, 'lonely');
    mkdirSync(lonely);
    writeFileSync(join(lonely, 'a.txt'), 'text');
    await expect(loadLineDataset(lonely)).rejects.toThrow(/a\.txt: no line image beside it/);
  });

  it('splits by writer: the pages of one text stay together, and no writer is on both sides', () => {
    expect(writerOf('imp_wikitexte_0051_2')).toBe('imp_wikitexte_0051');
    expect(writerOf('imp_wikitexte_0052')).toBe('imp_wikitexte_0052');
    const lines = Array.from({ length: 400 }, (_, i) => ({ writer: `w${i % 100}` }) as LineSample);
    const { train, validation } = splitByWriter(lines, 0.2);
    const side = (ids: number[]) => new Set(ids.map((i) => lines[i]!.writer));
    const [t, v] = [side(train), side(validation)];
    expect([...v].filter((w) => t.has(w))).toEqual([]);
    expect(v.size).toBeGreaterThan(10);
    expect(v.size).toBeLessThan(30);
    expect(splitByWriter(lines, 0.2)).toEqual({ train, validation });
  });
});

describe('the Copiste pages as lines', () => {
  const data = sharedDataForTests();
  it.runIf(data)('three pages (one text on two pages) give their transcribed lines', async () => {
    const dir = join(root, 'copiste');
    mkdirSync(dir);
    for (const name of ['imp_wikitexte_0051_1', 'imp_wikitexte_0051_2', 'imp_wikitexte_0022']) {
      symlinkSync(join(data!, 'copiste', 'alto', `${name}.xml`), join(dir, `${name}.xml`));
      symlinkSync(join(data!, 'copiste', 'jpg', `${name}.jpg`), join(dir, `${name}.jpg`));
    }
    const set = await loadLineDataset(dir);
    expect(new Set(set.lines.map((l) => l.writer))).toEqual(new Set(['imp_wikitexte_0051', 'imp_wikitexte_0022']));
    expect(set.lines.length).toBeGreaterThan(40);
    // Nearly every line is also found by hwr's own line finding, and cut along its outline too.
    expect(set.lines.filter((l) => l.found).length).toBeGreaterThan(0.85 * set.lines.length);
    expect(set.lines.find((l) => l.source.startsWith('imp_wikitexte_0022'))!.text).toBe('imp_wikitexte_0022');
  });
});
