/**
 * A form's dotted line under a name is wiped before the line reader reads the row (it read its
 * first dot, or the few dots left after the name, as a full stop); three dots of an ellipsis stay.
 */
import { describe, expect, it } from 'vitest';
import { connectedComponents } from '../../app/image/components.ts';
import { dropDottedLines } from '../../app/image/form-labels.ts';

const W = 300;
const H = 40;

function page(dots: number, step: number): { mask: Uint8Array; ink: Float32Array } {
  const mask = new Uint8Array(W * H);
  // A letter, then the dots on its baseline.
  for (let y = 5; y < 30; y++) for (let x = 5; x < 25; x++) if (x < 9 || y > 26) mask[y * W + x] = 1;
  for (let k = 0; k < dots; k++) for (let y = 30; y < 32; y++) for (let x = 30 + k * step; x < 32 + k * step; x++) mask[y * W + x] = 1;
  return { mask, ink: Float32Array.from(mask) };
}

describe('dropDottedLines', () => {
  it('wipes a row of evenly spaced dots from the labelling and the ink, and keeps the letter', () => {
    const { mask, ink } = page(20, 8);
    const labelling = connectedComponents(mask, W, H);
    const small = labelling.components.filter((c) => c.x1 - c.x0 <= 3).map((c) => ({ ...c, parts: [c.label] }));
    expect(small).toHaveLength(20);
    expect(dropDottedLines(small, labelling, { width: W, height: H, data: ink }, 25)).toBe(20);
    expect(labelling.components).toHaveLength(1);
    expect(ink.reduce((s, v) => s + v, 0)).toBe(mask.reduce((s, v) => s + v, 0) - 20 * 4);
  });

  it('keeps three dots, and dots too far apart to be a line', () => {
    for (const [dots, step] of [
      [3, 8],
      [12, 40],
    ] as const) {
      const { mask, ink } = page(dots, step);
      const labelling = connectedComponents(mask, W, H);
      const small = labelling.components.filter((c) => c.x1 - c.x0 <= 3).map((c) => ({ ...c, parts: [c.label] }));
      expect(dropDottedLines(small, labelling, { width: W, height: H, data: ink }, 25)).toBe(0);
      expect(labelling.components).toHaveLength(dots + 1);
    }
  });

  it('wipes the dots on both sides of letters standing on the line, whose pieces took the dots under them', () => {
    const { mask, ink } = page(20, 8);
    // A letter from x = 98 to 142 whose foot lies on the dots (they join it): 9 dots before it, 5 after.
    for (let y = 8; y < 32; y++) for (let x = 98; x < 143; x++) if (x < 102 || y > 27) mask[y * W + x] = 1;
    ink.set(mask);
    const read = () => {
      const labelling = connectedComponents(mask, W, H);
      const small = labelling.components.filter((c) => c.x1 - c.x0 <= 3).map((c) => ({ ...c, parts: [c.label] }));
      const letters = labelling.components.filter((c) => c.x1 - c.x0 > 3);
      return { labelling, small, letters };
    };
    const alone = read();
    expect(alone.small).toHaveLength(14);
    expect(alone.letters).toHaveLength(2);
    // Without the letters, the five dots after the foot are too few for a line, and stay (a full stop to the reader).
    expect(dropDottedLines(alone.small, alone.labelling, { width: W, height: H, data: Float32Array.from(ink) }, 25)).toBe(9);
    const withLetters = read();
    expect(dropDottedLines(withLetters.small, withLetters.labelling, { width: W, height: H, data: ink }, 25, withLetters.letters)).toBe(14);
    expect(withLetters.labelling.components).toHaveLength(2);
  });
});
