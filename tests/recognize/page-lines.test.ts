import { describe, expect, it } from 'vitest';
import { readPageXml } from '../../app/data/page-xml.ts';
import type { Page, RowNode } from '../../app/recognize/document.ts';
import { pageDocument, pageXml } from '../../app/recognize/page-lines.ts';

const word = (text: string, x0: number, confidence: number) => ({
  box: { x0, y0: 10, x1: x0 + 40, y1: 40 },
  text,
  confidence,
  reading: 'letters' as const,
  glyphs: [],
});

describe('a read page as ALTO and PAGE XML', () => {
  const glyphRow: RowNode = {
    box: { x0: 10, y0: 10, x1: 100, y1: 40 },
    text: 'TO DO',
    confidence: 0.9,
    words: [word('TO', 10, 0.9), word('DO', 60, 0.9)],
    reader: 'glyphs',
  };
  const lineRow: RowNode = {
    box: { x0: 12, y0: 60, x1: 300, y1: 100 },
    text: 'une ligne',
    confidence: 0.62,
    words: [],
    reader: 'lines',
    outline: {
      polygon: [
        { x: 12, y: 60 },
        { x: 300, y: 64 },
        { x: 300, y: 100 },
        { x: 12, y: 96 },
      ],
      baseline: [
        { x: 12, y: 90 },
        { x: 300, y: 94 },
      ],
    },
  };
  const page: Page = { width: 320, height: 120, rows: [glyphRow, lineRow] };

  it('keeps a line read whole with its outline and baseline, and gives a glyph row its box', () => {
    for (const format of ['alto', 'page'] as const) {
      const back = readPageXml(pageXml(pageDocument(page, 'scan.jpg'), format), `x.${format}`);
      expect(back.format).toBe(format);
      expect(back.page).toMatchObject({ imageFile: 'scan.jpg', width: 320, height: 120 });
      const [a, b] = back.page.regions.flatMap((r) => r.lines);
      expect(a!.text).toBe('TO DO');
      expect(a!.polygon).toEqual([
        { x: 10, y: 10 },
        { x: 100, y: 10 },
        { x: 100, y: 40 },
        { x: 10, y: 40 },
      ]);
      expect(a!.baseline).toEqual([
        { x: 10, y: 40 },
        { x: 100, y: 40 },
      ]);
      expect(b!.text).toBe('une ligne');
      expect(b!.polygon).toEqual(lineRow.outline!.polygon);
      expect(b!.baseline).toEqual(lineRow.outline!.baseline);
    }
    expect(pageXml(pageDocument(page, 'scan.jpg'), 'alto')).toMatch(/CONTENT="une ligne" [^>]*WC="0\.6200"/);
    expect(pageXml(pageDocument(page, 'scan.jpg'), 'page')).toMatch(/<TextEquiv conf="0\.9000"><Unicode>TO DO</);
  });

  it('a page without rows has no region', () => {
    expect(pageDocument({ width: 10, height: 10, rows: [] }, 'blank.png').regions).toEqual([]);
  });
});
