/**
 * Printed lines removed before characters are labelled: the walls of a form's boxes and combs go
 * with the lines they join, a letter's stem between two ruled lines stays.
 */
import { describe, expect, it } from 'vitest';
import { removeLines } from '../../app/image/lines.ts';

const W = 200;
const H = 60;

function sheet(): Uint8Array {
  return new Uint8Array(W * H);
}
const hline = (m: Uint8Array, y: number) => {
  for (let x = 5; x < W - 5; x++) m[y * W + x] = 1;
};
const vline = (m: Uint8Array, x: number, y0: number, y1: number) => {
  for (let y = y0; y <= y1; y++) m[y * W + x] = 1;
};
const inked = (m: Uint8Array, x: number, y0: number, y1: number) => {
  let n = 0;
  for (let y = y0; y <= y1; y++) n += m[y * W + x]!;
  return n;
};
const options = { minLength: 100, maxThickness: 6, charHeight: 30 };

describe('removeLines', () => {
  it('takes the walls of a comb with its lines, and says which pixels they were', () => {
    const m = sheet();
    hline(m, 10);
    hline(m, 50);
    const walls = [20, 50, 80, 110, 140];
    for (const x of walls) vline(m, x, 10, 50);
    // A letter inside a cell: a ring that touches neither line.
    for (let y = 20; y < 40; y++) for (let x = 60; x < 72; x++) if (y < 22 || y > 37 || x < 62 || x > 69) m[y * W + x] = 1;
    const out = new Uint8Array(W * H);
    removeLines(m, W, H, options, m, out);
    for (const x of walls) {
      expect(inked(m, x, 12, 48)).toBe(0);
      expect(inked(out, x, 12, 48)).toBe(37);
    }
    expect(inked(m, 60, 20, 39)).toBe(20);
    // Nothing but the walls is said to be one.
    out.forEach((v, i) => v && expect(walls).toContain(i % W));
  });

  it('keeps a lone upright stroke that touches the ruled lines above and below it', () => {
    const m = sheet();
    hline(m, 10);
    hline(m, 50);
    vline(m, 70, 10, 50);
    const out = new Uint8Array(W * H);
    removeLines(m, W, H, options, m, out);
    expect(inked(m, 70, 12, 48)).toBe(37);
    expect(out.every((v) => v === 0)).toBe(true);
  });
});
