/** Pure operations on recognised pages, shared by the Scan view's state. */
import type { PageDTO } from '../../../app/contract.ts';

/** The page with one glyph relabelled and its word, row and page text redone (as the back end does). */
export function relabel(page: PageDTO, glyphId: string, label: string): PageDTO {
  const rows = page.rows.map((row) => {
    const words = row.words.map((word) => {
      const glyphs = word.glyphs.map((g) => (g.id === glyphId ? { ...g, label, corrected: true } : g));
      return { ...word, glyphs, text: glyphs.map((g) => g.label).join('') };
    });
    return { ...row, words, text: words.map((w) => w.text).join(' ') };
  });
  return { ...page, rows, text: rows.map((r) => r.text).join('\n') };
}
