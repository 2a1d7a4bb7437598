import { describe, expect, it } from 'vitest';
import { decodeImage, encodeImage } from '../../app/image/decode.ts';
import type { Box, GrayImage } from '../../app/image/gray.ts';
import { connectedComponents } from '../../app/image/components.ts';
import { pageGlyphs, segmentPage, toInputBox, type SegmentedPage } from '../../app/image/segment.ts';
import { join } from 'node:path';
import { type LabelledImages } from '../../app/data/glyphs.ts';
import { loadIdx } from '../../app/data/idx.ts';
import { resolveWord } from '../../app/image/glyphs.ts';
import { sharedDataForTests } from '../helpers/shared-data.ts';
import { BROKEN_FONT, emnistRaster, iou, renderPage, rng, type SyntheticPage } from './synthetic.ts';
import { CLASSES_36 } from '../../app/contract.ts';

/** Glyph boxes per row in input pixels. */
function rowsOf(seg: SegmentedPage): Box[][] {
  return seg.rows.map((r) => r.words.flatMap((w) => pageGlyphs({ ...seg, rows: [{ box: r.box, words: [w] }] })).map((b) => toInputBox(seg, b)));
}

function expectMatchesTruth(seg: SegmentedPage, page: SyntheticPage, minIou = 0.6): void {
  const found = rowsOf(seg);
  expect(found.map((r) => r.length)).toEqual(page.rows.map((r) => r.length));
  page.rows.forEach((row, r) => row.forEach((g, i) => expect(iou(g.box, found[r]![i]!), `row ${r} char ${i} '${g.char}'`).toBeGreaterThan(minIou)));
}

describe('segmentPage on synthetic pages', () => {
  it('finds rows, words and character boxes on an unevenly lit, blurred, slanted page saved as JPEG', async () => {
    const page = renderPage({
      rows: ['1. MAKE A LIST', 'THE QUICK BROWN FOX 1984', 'JUMPS OVER 27 LAZY DOGS'],
      charHeight: 50,
      slope: 0.04,
      shear: 0.15,
      light: [0.95, 0.45],
      blur: 1,
      jitter: 0.08,
      seed: 3,
    });
    const img = await decodeImage(await encodeImage(page.image, 'jpeg', 80));
    const seg = segmentPage(img);
    expect(seg.rows).toHaveLength(3);
    expect(seg.rows.map((r) => r.words.map((w) => w.glyphs.length))).toEqual(page.words);
    expectMatchesTruth(seg, page, 0.7);
  });

  it('adapts to the character size: 18 px to 200 px tall writing', () => {
    for (const charHeight of [18, 40, 200]) {
      const page = renderPage({ rows: ['HELLO 42', 'WORLD'], charHeight, seed: charHeight });
      const seg = segmentPage(page.image);
      expect(seg.rows, `height ${charHeight}`).toHaveLength(2);
      expectMatchesTruth(seg, page, 0.55);
    }
  });

  it('keeps rows apart when they slant and drift, and orders them top to bottom', () => {
    const page = renderPage({
      rows: ['ABCDEFGHIJ KLM', 'NOPQRS TUVWXYZ', '0123 456789', 'SLANTED ROWS'],
      charHeight: 40,
      slope: -0.07,
      rowPitch: 1.7,
      seed: 5,
    });
    const seg = segmentPage(page.image);
    expect(seg.rows).toHaveLength(4);
    expectMatchesTruth(seg, page);
  });

  it('joins the pieces of broken characters', () => {
    const page = renderPage({ rows: ['THE TEETH', 'HEH'], font: BROKEN_FONT, charHeight: 50, seed: 9 });
    // The pieces really are apart in the image.
    const seg = segmentPage(page.image);
    expect(seg.labelling.components.length).toBeGreaterThan(page.rows.flat().length + 5);
    expectMatchesTruth(seg, page);
  });

  it('proposes a split of touching characters, and cuts runs of them where they touch', () => {
    // 'HN' touching in the first row, 'MNW' run together in the second.
    const page = renderPage({
      rows: ['AHNE', 'OK MNWU'],
      charHeight: 50,
      letterGap: 0.35,
      gapOverride: (row, i) => ((row === 0 && i === 1) || (row === 1 && (i === 3 || i === 4)) ? -0.12 : undefined),
      seed: 11,
    });
    const seg = segmentPage(page.image);
    const first = seg.rows[0]!.words.flatMap((w) => w.glyphs);
    expect(first).toHaveLength(3);
    const pair = first[1]!;
    const options = pair.split?.options ?? [];
    expect(options.length).toBeGreaterThan(0);
    // One of the proposed cuts separates the two characters.
    const fits = options.map((pieces) => pieces.length === 2 && pieces.every((p, i) => iou(toInputBox(seg, p), page.rows[0]![1 + i]!.box) > 0.6));
    expect(fits).toContain(true);
    // Three characters wide is more than any one character: cut without asking a classifier.
    expectMatchesTruth({ ...seg, rows: seg.rows.slice(1) }, { ...page, rows: page.rows.slice(1) });
  });

  it('drops the dots after list numbers, specks of dirt and grid lines', () => {
    const page = renderPage({ rows: ['1. TO DO', '2. THE LIST', '3. NAP'], charHeight: 44, seed: 13, light: [0.8, 0.7] });
    const { width: w, height: h, data } = page.image;
    // A faint table grid: lines between the rows and down both margins; and dirt.
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) if ((y + 66) % 88 < 3 || Math.abs(x - 22) < 2 || Math.abs(x - (w - 22)) < 2) data[y * w + x]! *= 0.85;
    const random = rng(2);
    for (let k = 0; k < 40; k++) {
      const x = Math.floor(random() * (w - 3));
      const y = Math.floor(random() * (h - 3));
      for (let d = 0; d < 4; d++) data[(y + (d >> 1)) * w + x + (d & 1)] = 0.2;
    }
    const seg = segmentPage(page.image);
    expect(seg.rows).toHaveLength(3);
    expectMatchesTruth(seg, page);
    // The dots are not characters, but the layout notes them after the list numbers.
    expect(seg.rows.map((r) => r.words.map((w) => Boolean(w.dotAfter)))).toEqual([
      [true, false, false],
      [true, false, false],
      [true, false],
    ]);
  });

  it('ignores a dark border beyond the paper and ruled lines under the writing', () => {
    const page = renderPage({ rows: ['RULED PAPER', 'EDGE 2024'], charHeight: 40, seed: 17 });
    const { width: w, height: h, data } = page.image;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        if (x < 25 || y > h - 12) data[y * w + x] = 0.15; // table beyond the sheet
        if ((y + 78) % 80 < 2) data[y * w + x]! *= 0.6; // ruled line, just under each row
      }
    }
    const seg = segmentPage(page.image);
    expectMatchesTruth(seg, page);
  });

  it('gives no rows for a blank page, a speckled page and tiny images', () => {
    const blank = renderPage({ rows: [], width: 800, height: 600, grain: 0.03 });
    expect(segmentPage(blank.image).rows).toEqual([]);
    const speckled = blank.image.data.slice();
    const random = rng(4);
    for (let k = 0; k < 200; k++) speckled[Math.floor(random() * speckled.length)] = 0.3;
    expect(segmentPage({ ...blank.image, data: speckled }).rows).toEqual([]);
    const tiny = (w: number, h: number, v: number): GrayImage => ({ width: w, height: h, data: new Float32Array(w * h).fill(v) });
    for (const img of [tiny(1, 1, 1), tiny(1, 1, 0), tiny(3, 2, 0.5), tiny(5, 5, 0)]) expect(segmentPage(img).rows).toEqual([]);
  });
});

describe('connectedComponents', () => {
  it('labels 8-connected regions with their boxes, areas and borders', () => {
    // Two diagonal-touching pixels are one component; a separate 3×2 block is another.
    const w = 8;
    const h = 4;
    const mask = new Uint8Array(w * h);
    mask[0] = 1;
    mask[w + 1] = 1;
    for (let y = 1; y < 3; y++) for (let x = 4; x < 7; x++) mask[y * w + x] = 1;
    const { components, labels } = connectedComponents(mask, w, h);
    expect(components).toHaveLength(2);
    expect(components[0]).toMatchObject({ x0: 0, y0: 0, x1: 2, y1: 2, area: 2 });
    expect(components[1]).toMatchObject({ x0: 4, y0: 1, x1: 7, y1: 3, area: 6, perimeter: 6 });
    expect(labels[w + 1]).toBe(labels[0]);
  });

  it('merges labels met from both sides (a U shape) in one pass', () => {
    const rows = ['#...#', '#...#', '#####'];
    const mask = Uint8Array.from(rows.join('').split(''), (c) => (c === '#' ? 1 : 0));
    expect(connectedComponents(mask, 5, 3).components).toHaveLength(1);
  });
});

describe('segmentPage on pages of real handwriting (EMNIST glyphs)', () => {
  const data = sharedDataForTests();
  it.skipIf(!data)('finds every row, and the characters of nearly every row, across sizes, slants, light and spacing', () => {
    const { rowsRight, pages, glyphShare } = emnistPages(data!, false);
    expect(rowsRight).toBe(pages);
    expect(glyphShare).toBeGreaterThan(0.9);
  });

  it.skipIf(!data)('does the same on ruled paper, the writing resting on the lines', () => {
    const { rowsRight, pages, glyphShare } = emnistPages(data!, true);
    expect(rowsRight).toBe(pages);
    expect(glyphShare).toBeGreaterThan(0.75);
  });
});

let emnistSet: LabelledImages | null = null;

/** Segments pages of EMNIST writing; counts pages with every row found, and rows with every character found. */
function emnistPages(data: string, ruled: boolean): { pages: number; rowsRight: number; glyphShare: number } {
  {
    if (!emnistSet) {
      const part = join(data, 'emnist36', 'emnist36-pool-part5');
      emnistSet = loadIdx(`${part}-images-idx3-ubyte.gz`, `${part}-labels-idx1-ubyte.gz`, { classes: CLASSES_36 });
    }
    const raster = emnistRaster(emnistSet.pixels, emnistSet.labels, CLASSES_36);
    const words = (
      'THE OF AND TO IN IS YOU THAT IT HE WAS FOR ON ARE AS WITH HIS THEY AT BE THIS HAVE FROM OR ONE BY WORD BUT NOT WHAT ALL WERE WE ' +
      'WHEN YOUR CAN SAID LIST NOTE BUY MILK EGGS BREAD'
    ).split(' ');
    let rowsRight = 0;
    let glyphRows = 0;
    let glyphRowsRight = 0;
    const pages = 16;
    for (let p = 0; p < pages; p++) {
      const random = rng(500 + p);
      const u = (a: number, b: number) => a + (b - a) * random();
      const rows = Array.from({ length: 2 + Math.floor(random() * 5) }, () =>
        Array.from({ length: 1 + Math.floor(random() * 4) }, () =>
          random() < 0.15 ? String(Math.floor(random() * 2000)) : words[Math.floor(random() * words.length)]!,
        ).join(' '),
      );
      const page = renderPage({
        rows,
        raster,
        charHeight: Math.round(u(25, 110)),
        slope: u(-0.05, 0.05),
        shear: u(-0.1, 0.2),
        light: [u(0.7, 0.95), u(0.45, 0.95)],
        blur: Math.floor(u(0, 2.5)),
        letterGap: u(0.25, 0.5),
        wordGap: u(0.9, 1.8),
        rowPitch: u(1.5, 2.4),
        jitter: u(0.02, 0.08),
        ink: u(0.45, 0.85),
        seed: p,
        ...(ruled ? { ruled: { darkness: u(0.2, 0.6), thickness: u(1, 4) } } : {}),
      });
      const seg = segmentPage(page.image);
      if (seg.rows.length === rows.length) rowsRight++;
      const found = seg.rows.map((r) => r.words.reduce((n, w) => n + resolveWord(w.glyphs).length, 0));
      page.rows.forEach((r, i) => {
        glyphRows++;
        if (found[i] === r.length) glyphRowsRight++;
      });
    }
    return { pages, rowsRight, glyphShare: glyphRowsRight / glyphRows };
  }
}
