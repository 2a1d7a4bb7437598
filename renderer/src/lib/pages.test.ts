import { describe, expect, it } from 'vitest';
import type { GlyphDTO, PageDTO } from '../../../app/contract.ts';
import { relabel } from './pages.ts';

const box = { x: 0, y: 0, width: 1, height: 1 };
const glyph = (id: string, label: string): GlyphDTO => ({ id, box, label, confidence: 0.5, topK: [], pixels: new Float32Array(1024) });
const page: PageDTO = {
  id: 'p',
  name: 'x.jpg',
  width: 10,
  height: 10,
  model: 'm',
  seconds: 1,
  text: 'DEEP LEARNIN6',
  rows: [{ box, text: 'DEEP LEARNIN6', words: [{ box, text: 'DEEP', glyphs: ['D', 'E', 'E', 'P'].map((l, i) => glyph(`a${i}`, l)) }, { box, text: 'LEARNIN6', glyphs: [...'LEARNIN6'].map((l, i) => glyph(`b${i}`, l)) }] }],
};

describe('relabel', () => {
  it('changes one glyph and redoes word, row and page text, leaving the input untouched', () => {
    const fixed = relabel(page, 'b7', 'G');
    expect(fixed.text).toBe('DEEP LEARNING');
    expect(fixed.rows[0]!.words[1]!.glyphs[7]).toMatchObject({ label: 'G', corrected: true });
    expect(page.text).toBe('DEEP LEARNIN6');
  });
});
