import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listPages, splitByWriter, writerOf, type LineSample } from '../../app/data/lines.ts';
import { decodeImage } from '../../app/image/decode.ts';
import { pointsBox, type Box } from '../../app/image/gray.ts';
import { OCR_DECODE } from '../../app/image/segment.ts';
import { boxIou, lineFindingScore, looksPrinted, matchLines, pageTextLines } from '../../app/image/text-lines.ts';
import { sharedDataForTests } from '../helpers/shared-data.ts';

/** Draws a thick polyline of ink (brightness 0) into a white page. */
function stroke(page: Float32Array, width: number, points: [number, number][], thickness: number): void {
  for (let k = 1; k < points.length; k++) {
    const [ax, ay] = points[k - 1]!;
    const [bx, by] = points[k]!;
    const steps = Math.ceil(Math.hypot(bx - ax, by - ay));
    for (let s = 0; s <= steps; s++) {
      const x = ax + ((bx - ax) * s) / steps;
      const y = ay + ((by - ay) * s) / steps;
      for (let dy = -thickness; dy <= thickness; dy++)
        for (let dx = -thickness; dx <= thickness; dx++) {
          if (dx * dx + dy * dy > thickness * thickness) continue;
          const i = Math.round(y + dy) * width + Math.round(x + dx);
          if (i >= 0 && i < page.length) page[i] = 0;
        }
    }
  }
}

/**
 * A page of "joined-up" writing: each word one wavy stroke with loops up (ascenders) and down
 * (descenders), a dot over some words, words apart on the line, lines on ruled paper; the
 * third line rises to the right, as lines do on unruled paper.
 */
function joinedUpPage(): { image: { width: number; height: number; data: Float32Array }; lines: Box[] } {
  const [width, height] = [900, 520];
  const data = new Float32Array(width * height).fill(1);
  const lines: Box[] = [];
  const starts = [90, 200, 330, 440];
  starts.forEach((base, li) => {
    const rise = li === 2 ? -0.06 : 0;
    let x = 40 + li * 15;
    const box: Box = { x0: Infinity, y0: Infinity, x1: -Infinity, y1: -Infinity };
    for (let w = 0; w < 5 + (li % 2); w++) {
      const letters = 3 + ((w * 7 + li) % 4);
      const points: [number, number][] = [];
      for (let k = 0; k <= letters * 8; k++) {
        const px = x + k * 3.2;
        const at = base + rise * (px - 40);
        // x-height 24 px; every third letter an ascender or a descender loop.
        const letter = Math.floor(k / 8);
        const reach = letter % 3 === 1 ? ((li + w) % 2 === 0 ? -22 : 20) : 0;
        const phase = (k % 8) / 8;
        const y = at - 12 - 12 * Math.cos(2 * Math.PI * phase) + reach * Math.max(0, Math.sin(Math.PI * phase)) ** 4;
        points.push([px, y]);
      }
      stroke(data, width, points, 1.6);
      for (const [px, py] of points) {
        box.x0 = Math.min(box.x0, px - 2);
        box.x1 = Math.max(box.x1, px + 2);
        box.y0 = Math.min(box.y0, py - 2);
        box.y1 = Math.max(box.y1, py + 2);
      }
      if (w % 2 === 0) {
        const dx = x + 12;
        const dy = base + rise * (dx - 40) - 34;
        stroke(
          data,
          width,
          [
            [dx, dy],
            [dx + 1, dy],
          ],
          2.2,
        );
        box.y0 = Math.min(box.y0, dy - 3);
      }
      x += letters * 8 * 3.2 + 30;
    }
    lines.push(box);
    // The ruled line under the writing.
    stroke(
      data,
      width,
      [
        [0, base + 3],
        [width - 1, base + 3],
      ],
      0.6,
    );
  });
  return { image: { width, height, data }, lines };
}

describe('text lines on a page', () => {
  it('finds each line of joined-up words, in reading order, dots and all, on ruled paper', () => {
    const { image, lines } = joinedUpPage();
    const found = pageTextLines(image);
    expect(found).toHaveLength(4);
    found.forEach((f, i) => expect(boxIou(f.box, lines[i]!)).toBeGreaterThan(0.7));
    // The rising line's baseline rises too; the others are level.
    const slope = (k: number) => (found[k]!.baseline[1]!.y - found[k]!.baseline[0]!.y) / (found[k]!.baseline[1]!.x - found[k]!.baseline[0]!.x);
    expect(slope(2)).toBeLessThan(-0.03);
    expect(Math.abs(slope(0))).toBeLessThan(0.02);
    // Outlines span the line's ink and leave room above and below it, as a segmenter's do (the
    // line model learned from such outlines), but keep out the ink of the lines around it.
    for (const [i, f] of found.entries()) {
      const ys = f.polygon.map((p) => p.y);
      const xs = f.polygon.map((p) => p.x);
      expect(Math.min(...xs)).toBeCloseTo(f.box.x0, 0);
      expect(Math.max(...xs)).toBeCloseTo(f.box.x1, 0);
      expect(Math.min(...ys)).toBeLessThan(f.box.y0 - 5);
      expect(Math.max(...ys)).toBeGreaterThan(f.box.y1 + 3);
      expect(Math.min(...ys)).toBeGreaterThan(f.box.y0 - 30);
      expect(Math.max(...ys)).toBeLessThan(f.box.y1 + 30);
      if (i + 1 < lines.length) expect(Math.max(...ys)).toBeLessThan(lines[i + 1]!.y0);
      if (i > 0) expect(Math.min(...ys)).toBeGreaterThan(lines[i - 1]!.y1);
    }
  });

  it('an empty page has no lines', () => {
    expect(pageTextLines({ width: 300, height: 200, data: new Float32Array(300 * 200).fill(1) })).toEqual([]);
  });

  it('pairs found and true lines one to one', () => {
    const a = { x0: 0, y0: 0, x1: 100, y1: 20 };
    const b = { x0: 0, y0: 30, x1: 100, y1: 50 };
    // Two found lines over one true line: one pair; the other found line counts against precision.
    expect(matchLines([a, { ...a, x1: 90 }], [a, b])).toEqual({ matched: 1, recall: 0.5, precision: 0.5 });
    expect(matchLines([a, b], [b, a]).recall).toBe(1);
  });

  const data = sharedDataForTests();
  it.runIf(data)(
    'finds the lines of real pages as their ALTO gives them (IoU ≥ 0.5)',
    async () => {
      const pages = listPages(join(data!, 'copiste'));
      const held = new Set(splitByWriter(pages.map((p) => ({ writer: writerOf(p.name) }) as LineSample)).validation);
      const chosen = pages.filter((_, i) => held.has(i)).slice(0, 6);
      const { matched, truth: truthCount, found: foundCount, printed } = await lineFindingScore(chosen);
      const [recall, precision] = [matched / truthCount, matched / foundCount].map((x) => x.toFixed(3));
      console.log(`line finding on 6 pages: recall ${recall}, precision ${precision}, ${printed} lines of print left out`);
      expect(matched / truthCount).toBeGreaterThan(0.95);
      expect(matched / foundCount).toBeGreaterThan(0.9);
      // Each page's printed notice (two lines, or one where they run together) is found as print.
      expect(printed).toBeGreaterThanOrEqual(6);
      expect(printed).toBeLessThanOrEqual(12);
    },
    // About 25 s of work: the margin is for a machine busy with other work (a training).
    300_000,
  );

  it.runIf(data)(
    'keeps a short line set close under a long one a line of its own',
    async () => {
      // "Reitwiller est une ancienne commune du Bas-Rhin," over "associée à Berstett depuis 1972.":
      // once found as one line and read as nonsense.
      const page = listPages(join(data!, 'copiste')).find((p) => p.name === 'wikitexte_0265_1')!;
      const found = pageTextLines(await decodeImage(page.imagePath, OCR_DECODE)).map((l) => l.box);
      const line = page.page.regions.flatMap((r) => r.lines).find((l) => l.text.startsWith('associée'))!;
      expect(Math.max(...found.map((f) => boxIou(f, pointsBox(line.polygon))))).toBeGreaterThanOrEqual(0.5);
    },
    60_000,
  );
});

describe('text lines of real pages, piece by piece', () => {
  const data = sharedDataForTests();
  it.runIf(data)(
    'takes a capital standing taller than its line, or a letter broken off, into the line',
    async () => {
      // "Éric Fourneret", "Grand Prix … Japon": their capitals were lines of their own, read "G", "C", "J", and missing from their lines.
      const page = listPages(join(data!, 'copiste')).find((p) => p.name === 'imp_wikitexte_0178')!;
      const found = pageTextLines(await decodeImage(page.imagePath, OCR_DECODE))
        .filter((l) => !l.printed)
        .map((l) => l.box);
      const area = (b: Box) => Math.max(0, b.x1 - b.x0) * Math.max(0, b.y1 - b.y0);
      const within = (a: Box, b: Box) =>
        area({ x0: Math.max(a.x0, b.x0), y0: Math.max(a.y0, b.y0), x1: Math.min(a.x1, b.x1), y1: Math.min(a.y1, b.y1) }) >= 0.5 * area(a);
      for (const start of ['Éric Fourneret', 'Le  Grand Prix moto du Japon']) {
        const truth = pointsBox(page.page.regions.flatMap((r) => r.lines).find((l) => l.text.startsWith(start))!.polygon);
        const line = found.reduce((a, b) => (boxIou(b, truth) > boxIou(a, truth) ? b : a));
        expect(boxIou(line, truth), start).toBeGreaterThanOrEqual(0.5);
        // No letter-sized piece inside it (specks of broken strokes may be).
        const letters = found.filter((a) => a !== line && a.y1 - a.y0 >= 0.5 * (line.y1 - line.y0) && area(a) < area(line) && within(a, line));
        expect(letters, start).toEqual([]);
      }
    },
    60_000,
  );
});

describe('looksPrinted', () => {
  /** `n` letters `h` px high (heights varying by `jitter`), `gap` px apart, strokes `stroke` px. */
  const letters = (n: number, h: number, gap: number, jitter = 0, stroke = 2) =>
    Array.from({ length: n }, (_, i) => {
      const height = h * (1 + jitter * Math.sin(i * 1.7));
      const w = 0.6 * h;
      return { x0: i * (w + gap), x1: i * (w + gap) + w, y0: 10 + h - height, y1: 10 + h, area: stroke * 2 * (w + height), perimeter: 4 * (w + height) };
    });

  it('takes a long line of small, even, close-set letters for print', () => {
    expect(looksPrinted(letters(80, 10, 1), 10)).toBe(true);
  });

  it('does not take handwriting for print: short lines, uneven letters, wide spacing or varying strokes', () => {
    expect(looksPrinted(letters(30, 10, 1), 10)).toBe(false); // a line of block capitals
    expect(looksPrinted(letters(80, 10, 1, 0.4), 10)).toBe(false);
    expect(looksPrinted(letters(80, 10, 8), 10)).toBe(false);
    const uneven = letters(80, 10, 1).map((c, i) => ({ ...c, area: c.area * (1 + 0.5 * Math.sin(i)) }));
    expect(looksPrinted(uneven, 10)).toBe(false);
  });
});
