/**
 * Case from shape where the shapes differ and from size and place where they do not: what a
 * person reading a mixed-case row expects of the glyph pipeline's 62 classes.
 */
import { describe, expect, it } from 'vitest';
import { caseFolding, chooseCase, foldProbabilities, type CasedGlyphInput } from '../../app/recognize/letter-case.ts';
import { CLASSES_36, CLASSES_62 } from '../../app/contract.ts';

/** A glyph the classifier reads as `upper` or `lower` (its share `lowerShare`), `top`..`bottom` high, at `x`. */
function glyph(key: string, lowerShare: number, top: number, bottom: number, x: number, lower = key.toLowerCase()): CasedGlyphInput {
  const probs = new Float32Array(CLASSES_62.length);
  probs[CLASSES_62.indexOf(key)] = 1 - lowerShare;
  if (lower !== key) probs[CLASSES_62.indexOf(lower)] = lowerShare;
  return { label: key, probs, box: { x0: x, x1: x + 20, y0: top, y1: bottom } };
}

/** Lays out `text` with a capital height of 40 px, an x-height of 22 and descenders to 55. */
function written(text: string, confidence = 0.95): CasedGlyphInput[][] {
  let x = 0;
  return text.split(' ').map((word) =>
    [...word].map((c) => {
      x += 25;
      const key = c === 'l' || c === 'i' ? 'I' : c.toUpperCase();
      const isLower = c !== c.toUpperCase();
      const sameShape = 'ckopsuvwxyzil'.includes(c.toLowerCase());
      const share = sameShape ? 0.5 : isLower ? confidence : 1 - confidence;
      if (/[0-9]/.test(c)) return glyph(c, 0, 0, 40, x, c);
      const tall = !isLower || 'bdfhklt'.includes(c);
      const [top, bottom] = !isLower ? [0, 40] : 'pyg'.includes(c) ? [18, 55] : tall ? [0, 40] : [18, 40];
      void tall;
      return glyph(key, share, top, bottom, x, c === 'i' || c === 'l' ? c : key.toLowerCase());
    }),
  );
}

const read = (text: string) =>
  chooseCase(written(text), CLASSES_62)
    .map((w) => w.join(''))
    .join(' ');

describe('letter case in glyph rows', () => {
  it('folds the 62 classes onto the 36 case-free ones, the stroke l and i onto I', () => {
    const f = caseFolding(CLASSES_62)!;
    expect([...f.keys].sort()).toEqual([...CLASSES_36].sort());
    expect(f.keys[f.keyOf[CLASSES_62.indexOf('l')]!]).toBe('I');
    expect(f.keys[f.keyOf[CLASSES_62.indexOf('c')]!]).toBe('C');
    expect(caseFolding(CLASSES_36)).toBeNull();
    const p = new Float32Array(62);
    p[CLASSES_62.indexOf('o')] = 0.5;
    p[CLASSES_62.indexOf('O')] = 0.3;
    p[CLASSES_62.indexOf('0')] = 0.2;
    const folded = foldProbabilities(p, 1, f);
    expect(folded[f.keys.indexOf('O')]).toBeCloseTo(0.8);
    expect(folded[f.keys.indexOf('0')]).toBeCloseTo(0.2);
  });

  it('keeps block capitals capitals, even where a letter looks like its small form', () => {
    expect(read('HELLO WORLD')).toBe('HELLO WORLD');
    expect(read('SO COOL 42')).toBe('SO COOL 42');
  });

  it('reads lower case where the shape says so and, for c o s w…, where the size does', () => {
    expect(read('hello world')).toBe('hello world');
    expect(read('so we saw')).toBe('so we saw');
    expect(read('Hello Sam')).toBe('Hello Sam');
  });

  it('reads a stroke as I alone at capital height, as l or i inside a lower-case word', () => {
    expect(read('I am ill')).toBe('I am ill');
  });

  it('tells p and y from P and Y by where they start, not by their height', () => {
    expect(read('happy days')).toBe('happy days');
    expect(read('PAY UP')).toBe('PAY UP');
  });

  it('leaves the case to the classifier where the row gives nothing to compare', () => {
    expect(chooseCase([[glyph('A', 0.9, 0, 20, 0)]], CLASSES_62)).toEqual([['a']]);
    expect(chooseCase([[glyph('O', 0.5, 0, 20, 0)]], CLASSES_62)).toEqual([['O']]);
  });
});

describe('block capitals rows', () => {
  it('stay capitals where a letter of the same shape is written smaller (TODO, not Todo)', () => {
    const words = written('MAKE A TODO LIST');
    // The O's of TODO a little smaller than the rest, as hurried capitals are.
    for (const g of words[2]!) if (g.label === 'O') g.box = { ...g.box, y0: 14 };
    expect(
      chooseCase(words, CLASSES_62)
        .map((w) => w.join(''))
        .join(' '),
    ).toBe('MAKE A TODO LIST');
  });
});
