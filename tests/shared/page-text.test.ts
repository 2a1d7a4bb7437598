import { describe, expect, it } from 'vitest';
import type { GlyphDTO, PageDTO } from '../../app/contract.ts';
import { relabelPage, relabelRows } from '../../app/shared/page-text.ts';

const box = { x: 0, y: 0, width: 1, height: 1 };
const glyph = (id: string, label: string): GlyphDTO => ({ id, box, label, confidence: 0.5, topK: [], pixels: new Float32Array(1024) });
const word = (text: string, prefix: string) => ({ box, text, glyphs: [...text].map((l, i) => glyph(`${prefix}${i}`, l)) });
const page: PageDTO = {
  id: 'p',
  name: 'x.jpg',
  width: 10,
  height: 10,
  model: 'm',
  seconds: 1,
  text: 'DEEP LEARNIN6\n4Z',
  rows: [
    { box, text: 'DEEP LEARNIN6', reader: 'glyphs', confidence: 0.5, words: [word('DEEP', 'a'), word('LEARNIN6', 'b')] },
    { box, text: '4Z', reader: 'glyphs', confidence: 0.5, words: [word('4Z', 'c')] },
  ],
};

describe('relabelPage', () => {
  it('changes one glyph and redoes word, row and page text, leaving the input untouched', () => {
    const fixed = relabelPage(page, 'b7', 'G');
    expect(fixed.text).toBe('DEEP LEARNING\n4Z');
    expect(fixed.rows[0]!.text).toBe('DEEP LEARNING');
    expect(fixed.rows[0]!.words[1]!.text).toBe('LEARNING');
    expect(fixed.rows[0]!.words[1]!.glyphs[7]).toMatchObject({ label: 'G', corrected: true });
    expect(fixed.rows[0]!.words[1]!.glyphs[6]!.corrected).toBeUndefined();
    expect(page.text).toBe('DEEP LEARNIN6\n4Z');
    expect(page.rows[0]!.words[1]!.glyphs[7]!.label).toBe('6');
  });
});

describe('relabelRows', () => {
  it('works on any tree of rows, words and labelled glyphs, keeping their other fields', () => {
    const rows = [{ text: 'HI', confidence: 0.9, words: [{ text: 'HI', reading: 'letters', glyphs: [{ label: 'H' }, { label: 'I' }] }] }];
    const fixed = relabelRows(rows, (g) => (g.label === 'I' ? { label: '1' } : g));
    expect(fixed).toEqual([{ text: 'H1', confidence: 0.9, words: [{ text: 'H1', reading: 'letters', glyphs: [{ label: 'H' }, { label: '1' }] }] }]);
    expect(rows[0]!.text).toBe('HI');
  });
});
