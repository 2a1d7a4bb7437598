/**
 * A page that comes turned (pixels turned, no EXIF tag): which way its writing runs, turning it
 * back, and reading it as if it had come upright — saying that it was turned.
 */
import { describe, expect, it } from 'vitest';
import { turnImage, writingRunsVertically } from '../../app/image/orientation.ts';
import type { Component } from '../../app/image/components.ts';
import { recognizePage } from '../../app/recognize/recognizer.ts';
import { pageText } from '../../app/recognize/document.ts';
import { renderPage } from '../ocr/synthetic.ts';
import { templateClassifier } from '../ocr/templates.ts';

const grid = (rows: number, cols: number, transpose = false): Component[] =>
  Array.from({ length: rows * cols }, (_, i) => {
    const [r, c] = [Math.floor(i / cols), i % cols];
    const [x, y] = transpose ? [r * 60, c * 25] : [c * 25, r * 60];
    const [w, h] = transpose ? [30, 20] : [20, 30];
    return { label: i + 1, x0: x, y0: y, x1: x + w, y1: y + h, area: 200, perimeter: 100 };
  });

describe('page orientation', () => {
  it('turns an image by quarter turns, clockwise, and back', () => {
    const img = { width: 3, height: 2, data: Float32Array.from([1, 2, 3, 4, 5, 6]), originalWidth: 300, originalHeight: 200 };
    const quarter = turnImage(img, 1);
    expect([quarter.width, quarter.height, quarter.originalWidth, quarter.originalHeight]).toEqual([2, 3, 200, 300]);
    expect(Array.from(quarter.data)).toEqual([4, 1, 5, 2, 6, 3]);
    expect(Array.from(turnImage(img, 2).data)).toEqual([6, 5, 4, 3, 2, 1]);
    expect(Array.from(turnImage(quarter, 3).data)).toEqual(Array.from(img.data));
  });

  it('tells writing that runs down the page from writing that runs across it, and says nothing of a word', () => {
    expect(writingRunsVertically(grid(4, 10), 30)).toBe(false);
    expect(writingRunsVertically(grid(4, 10, true), 30)).toBe(true);
    expect(writingRunsVertically(grid(1, 6, true), 30)).toBe(false); // a name in a box: too little to tell
  });

  it('reads a page that came on its side or upside down as if it had come upright, and says how it was turned', async () => {
    const page = renderPage({ rows: ['HELLO WORLD', 'TURN THE PAGE', 'READ IT AGAIN'], charHeight: 50, seed: 4 });
    const upright = await recognizePage(page.image, templateClassifier());
    expect(pageText(upright)).toBe('HELLO WORLD\nTURN THE PAGE\nREAD IT AGAIN');
    expect(upright.turned).toBeUndefined();
    for (const quarters of [1, 2, 3]) {
      const read = await recognizePage(turnImage(page.image, quarters), templateClassifier());
      expect(pageText(read), `turned ${quarters * 90}°`).toBe(pageText(upright));
      expect(read.turned).toBe(((4 - quarters) % 4) * 90);
      expect([read.width, read.height]).toEqual([upright.width, upright.height]);
    }
    // Asked not to, it reads the page as it comes.
    expect(pageText(await recognizePage(turnImage(page.image, 1), templateClassifier(), { orient: false }))).not.toBe(pageText(upright));
  });
});
