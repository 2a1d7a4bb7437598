/**
 * The geometry of capture: a sheet found on a desk and flattened, a sloping page turned straight,
 * and a huge dark blob (a desk read as ink) that must not stall the glyph crops.
 */
import { describe, expect, it } from 'vitest';
import { createRng } from '../../app/base/random.ts';
import { cropGlyph } from '../../app/image/crop.ts';
import { connectedComponents, type Component } from '../../app/image/components.ts';
import { applyHomography, findSheet, homography, warpQuad } from '../../app/image/perspective.ts';
import { rotateImage, skewAngle } from '../../app/image/skew.ts';
import { pageText } from '../../app/recognize/document.ts';
import { recognizePage } from '../../app/recognize/recognizer.ts';
import { onDesk, shadow } from '../helpers/capture.ts';
import { renderPage } from '../ocr/synthetic.ts';
import { templateClassifier } from '../ocr/templates.ts';

const page = renderPage({ rows: ['FLAT ON THE DESK', 'READ THE SHEET', 'NOT THE WOOD'], charHeight: 40, seed: 7 });

describe('a sheet on a desk', () => {
  it('a homography takes four points where they are asked to go', () => {
    const src = [
      { x: 10, y: 20 },
      { x: 300, y: 35 },
      { x: 280, y: 260 },
      { x: 5, y: 240 },
    ];
    const dst = [
      { x: 0, y: 0 },
      { x: 200, y: 0 },
      { x: 200, y: 100 },
      { x: 0, y: 100 },
    ];
    const h = homography(src, dst);
    src.forEach((p, i) => {
      const q = applyHomography(h, p);
      expect(q.x).toBeCloseTo(dst[i]!.x, 6);
      expect(q.y).toBeCloseTo(dst[i]!.y, 6);
    });
    expect(() => homography(src, [dst[0]!, dst[0]!, dst[0]!, dst[0]!])).toThrow(/degenerate/);
  });

  it('finds the sheet on a desk photographed at an angle, its corners within 1% of the truth', () => {
    const photo = onDesk(page.image, createRng(3));
    const sheet = findSheet(photo);
    expect(sheet).not.toBeNull();
    const diagonal = Math.hypot(photo.width, photo.height);
    sheet!.corners.forEach((p, i) => expect(Math.hypot(p.x - photo.corners[i]!.x, p.y - photo.corners[i]!.y)).toBeLessThan(0.01 * diagonal));
    const flat = warpQuad(photo, sheet!.corners);
    // No desk left in the flattened sheet: its border is paper.
    const border = [0, flat.width - 1].flatMap((x) => Array.from({ length: flat.height }, (_, y) => flat.data[y * flat.width + x]!));
    expect(Math.min(...border)).toBeGreaterThan(0.6);
  });

  it('reads the sheet as if it had been scanned, and gives its corners', async () => {
    const upright = await recognizePage(page.image, templateClassifier());
    expect(pageText(upright)).toBe('FLAT ON THE DESK\nREAD THE SHEET\nNOT THE WOOD');
    expect(upright.sheet).toBeUndefined();
    const photo = onDesk(page.image, createRng(5));
    const read = await recognizePage(photo, templateClassifier());
    expect(pageText(read)).toBe(pageText(upright));
    expect(read.sheet).toHaveLength(4);
    // Asked not to, it reads the photo as it comes: the desk is read as writing.
    expect(pageText(await recognizePage(photo, templateClassifier(), { sheet: false }))).not.toBe(pageText(upright));
  });

  it('finds no sheet in a page that fills the photo, or in a shadow across one', () => {
    expect(findSheet(page.image)).toBeNull();
    expect(findSheet(shadow(page.image, createRng(2)))).toBeNull();
  });
});

describe('a page at a slant', () => {
  it('measures how far its lines slope, either way', () => {
    const feet = (slope: number): Component[] =>
      Array.from({ length: 40 }, (_, i) => {
        const [row, col] = [Math.floor(i / 10), i % 10];
        const x = col * 30;
        const y = 100 + row * 80 + x * Math.tan((slope * Math.PI) / 180);
        return { label: i + 1, x0: x, x1: x + 20, y0: y - 30, y1: y, area: 200, perimeter: 100 };
      });
    expect(skewAngle(feet(0), 30)).toBe(0);
    expect(skewAngle(feet(12), 30)).toBeCloseTo(12, 0);
    expect(skewAngle(feet(-8), 30)).toBeCloseTo(-8, 0);
    expect(skewAngle(feet(12).slice(0, 5), 30)).toBe(0); // too few characters to tell
  });

  it('turns a sloping page straight and reads it, saying how far it sloped', async () => {
    const sloped = rotateImage(page.image, 11, 'edge');
    const read = await recognizePage(sloped, templateClassifier());
    expect(pageText(read)).toBe('FLAT ON THE DESK\nREAD THE SHEET\nNOT THE WOOD');
    expect(read.skew).toBeCloseTo(11, 0);
    expect(pageText(await recognizePage(sloped, templateClassifier(), { straighten: false }))).not.toBe(pageText(read));
  });
});

it('a blob the size of a desk is cropped as a glyph without stalling', () => {
  const side = 1500;
  const ink = { width: side, height: side, data: new Float32Array(side * side).fill(1) };
  const lab = connectedComponents(new Uint8Array(side * side).fill(1), side, side);
  const c = lab.components[0]!;
  const glyph = cropGlyph(ink, lab, { x0: c.x0, y0: c.y0, x1: c.x1, y1: c.y1, parts: [c.label], area: c.area }, 5);
  expect(glyph.length).toBe(1024);
  expect(Math.max(...glyph)).toBeGreaterThan(0.5);
}, 20_000);
