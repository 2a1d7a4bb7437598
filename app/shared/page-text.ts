/**
 * The text of a recognised page follows its glyphs: a word reads its glyphs' labels, a row its
 * words joined by spaces, the page its rows joined by newlines. Recognition builds the text this
 * way and a correction redoes it the same way, on the back end's page tree and its DTO and in
 * the renderer.
 */
import type { PageDTO } from '../contract.ts';

interface LabelledGlyph {
  label: string;
}

interface TextRow {
  text: string;
  words: readonly { text: string; glyphs: readonly LabelledGlyph[] }[];
}

type GlyphOf<R extends TextRow> = R['words'][number]['glyphs'][number];

export const textOfGlyphs = (glyphs: readonly LabelledGlyph[]): string => glyphs.map((g) => g.label).join('');
export const textOfWords = (words: readonly { text: string }[]): string => words.map((w) => w.text).join(' ');
export const textOfRows = (rows: readonly { text: string }[]): string => rows.map((r) => r.text).join('\n');

/** New rows with each glyph replaced by `replace(glyph)` and every word's and row's text redone; the input is left as it was. */
export function relabelRows<R extends TextRow>(rows: readonly R[], replace: (glyph: GlyphOf<R>) => GlyphOf<R>): R[] {
  return rows.map((row) => {
    const words = row.words.map((word) => {
      if (word.glyphs.length === 0) return word; // read whole by the line recogniser, or typed
      const glyphs = word.glyphs.map((g) => replace(g as GlyphOf<R>));
      return { ...word, glyphs, text: textOfGlyphs(glyphs) };
    });
    return { ...row, words, text: textOfWords(words) };
  });
}

/** The page with the user's label on one glyph (marked corrected, unless it is back to what was read) and its text redone. */
export function relabelPage(page: PageDTO, glyphId: string, label: string, corrected = true): PageDTO {
  const rows = relabelRows(page.rows, (g) => (g.id === glyphId ? { ...g, label, corrected } : g));
  return { ...page, rows, text: textOfRows(rows) };
}
