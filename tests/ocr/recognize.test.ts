import { Window } from 'happy-dom';
import { describe, expect, it } from 'vitest';
import { decodeImage, encodeImage } from '../../app/image/decode.ts';
import { pageHocr, pageJson, pageText, type Page } from '../../app/recognize/document.ts';
import { recognizePage } from '../../app/recognize/recognizer.ts';
import { iou, renderPage } from './synthetic.ts';
import { templateClassifier } from './templates.ts';

const ROWS = ['1. MAKE A LIST', 'THE QUICK BROWN FOX 1984', 'JUMPS OVER 27 LAZY DOGS'];

function parseXml(text: string) {
  const window = new Window();
  const doc = new window.DOMParser().parseFromString(text, 'application/xml');
  const error = doc.getElementsByTagName('parsererror')[0];
  if (error) throw new Error(`not well-formed XML: ${error.textContent}`);
  return doc;
}

describe('recognizePage', () => {
  it('reads a synthetic page row by row, classifying all crops in one batch', async () => {
    const page = renderPage({ rows: ROWS, charHeight: 50, slope: 0.04, shear: 0.1, light: [0.95, 0.5], blur: 1, jitter: 0.08, seed: 3 });
    const classifier = templateClassifier();
    const result = await recognizePage(page.image, classifier);
    expect(pageText(result)).toBe(ROWS.map((r) => r.replace('.', '')).join('\n'));
    expect(classifier.calls).toEqual([49]);
    // Boxes are the characters' boxes; confidences are probabilities.
    const glyphs = result.rows.flatMap((r) => r.words.flatMap((w) => w.glyphs));
    page.rows.flat().forEach((g, i) => expect(iou(g.box, glyphs[i]!.box)).toBeGreaterThan(0.7));
    for (const g of glyphs) expect(g.confidence).toBeGreaterThan(0.3);
  });

  it('reports boxes in the pixels of the original file when the decoder shrank it', async () => {
    const page = renderPage({ rows: ['HELLO', 'WORLD 42'], charHeight: 80, seed: 21 });
    const file = await encodeImage(page.image, 'png');
    const img = await decodeImage(file, { maxSide: Math.round(page.image.width / 2) });
    expect(img.width).toBeLessThan(page.image.width);
    const result = await recognizePage(img, templateClassifier());
    expect(result.width).toBe(page.image.width);
    expect(pageText(result)).toBe('HELLO\nWORLD 42');
    const glyphs = result.rows.flatMap((r) => r.words.flatMap((w) => w.glyphs));
    page.rows.flat().forEach((g, i) => expect(iou(g.box, glyphs[i]!.box)).toBeGreaterThan(0.7));
  });

  it('lets the classifier decide whether two touching characters are one', async () => {
    // H and N touch: 1.8 character widths, which geometry alone would leave whole.
    const page = renderPage({ rows: ['AHNE'], charHeight: 50, letterGap: 0.35, gapOverride: (_, i) => (i === 1 ? -0.05 : undefined), seed: 11 });
    const result = await recognizePage(page.image, templateClassifier());
    expect(pageText(result)).toBe('AHNE');
  });

  it('returns an empty page for a blank image without calling the classifier', async () => {
    const blank = renderPage({ rows: [], width: 600, height: 400 });
    const classifier = templateClassifier();
    const result = await recognizePage(blank.image, classifier);
    expect(result.rows).toEqual([]);
    expect(pageText(result)).toBe('');
    expect(classifier.calls).toEqual([]);
    parseXml(pageHocr(result));
  });

  it('rejects a classifier that returns the wrong number of scores', async () => {
    const page = renderPage({ rows: ['AB'], charHeight: 40 });
    const bad = { classes: ['A', 'B'], classify: async () => new Float32Array(3) };
    await expect(recognizePage(page.image, bad)).rejects.toThrow(/3 scores for 2 glyphs × 2 classes/);
  });
});

describe('document renderings', () => {
  const page: Page = {
    source: 'notes & <drafts>.jpg',
    width: 400,
    height: 200,
    rows: [
      {
        box: { x0: 10, y0: 10, x1: 150, y1: 50 },
        text: 'TO DO',
        confidence: 0.9,
        words: [
          {
            box: { x0: 10, y0: 10, x1: 60, y1: 50 },
            text: 'TO',
            confidence: 0.9,
            reading: 'lexicon',
            glyphs: [
              { box: { x0: 10, y0: 10, x1: 30, y1: 50 }, label: 'T', confidence: 0.95, topK: [{ label: 'T', p: 0.95 }] },
              {
                box: { x0: 35, y0: 10, x1: 60, y1: 50 },
                label: 'O',
                confidence: 0.6,
                topK: [
                  { label: '0', p: 0.61 },
                  { label: 'O', p: 0.6 },
                ],
              },
            ],
          },
          {
            box: { x0: 100, y0: 12, x1: 150.4, y1: 49.6 },
            text: 'DO',
            confidence: 0.9,
            reading: 'letters',
            glyphs: [
              { box: { x0: 100, y0: 12, x1: 120, y1: 49 }, label: 'D', confidence: 0.9, topK: [] },
              { box: { x0: 125, y0: 12, x1: 150.4, y1: 49.6 }, label: 'O', confidence: 0.9, topK: [] },
            ],
          },
        ],
      },
      { box: { x0: 10, y0: 80, x1: 40, y1: 120 }, text: '42', confidence: 0.8, words: [] },
    ],
  };

  it('renders rows as lines of text', () => {
    expect(pageText(page)).toBe('TO DO\n42');
  });

  it('exports JSON with integer boxes, confidences and top-k', () => {
    const doc = JSON.parse(pageJson(page));
    expect(doc.text).toBe('TO DO\n42');
    expect(doc.rows[0].words[1].box).toEqual({ x0: 100, y0: 12, x1: 150, y1: 50 });
    expect(doc.rows[0].words[0].glyphs[1]).toEqual({
      label: 'O',
      box: { x0: 35, y0: 10, x1: 60, y1: 50 },
      confidence: 0.6,
      topK: [
        { label: '0', p: 0.61 },
        { label: 'O', p: 0.6 },
      ],
    });
    expect(doc.rows[0].words[0].reading).toBe('lexicon');
  });

  it('exports hOCR that parses as XML, with lines, words, characters and their boxes', () => {
    const doc = parseXml(pageHocr(page));
    expect(doc.documentElement.getAttribute('xmlns')).toBe('http://www.w3.org/1999/xhtml');
    const byClass = (c: string) => [...doc.getElementsByTagName('*')].filter((e) => e.getAttribute('class') === c);
    expect(byClass('ocr_page')[0]!.getAttribute('title')).toContain('bbox 0 0 400 200');
    expect(byClass('ocr_line')).toHaveLength(2);
    const words = byClass('ocrx_word');
    expect(words.map((w) => w.textContent)).toEqual(['TO', 'DO']);
    expect(words[0]!.getAttribute('title')).toBe('bbox 10 10 59 49; x_wconf 90');
    expect(byClass('ocrx_cinfo')).toHaveLength(4);
    expect(doc.getElementsByTagName('title')[0]!.textContent).toBe('notes & <drafts>.jpg');
  });
});

describe('what hwr could not read', () => {
  it('is marked unsure in JSON, in words as well as by its confidence; a line the user typed is not', () => {
    const box = { x0: 0, y0: 0, x1: 10, y1: 10 };
    const row = (text: string, confidence: number, edited = false) => ({
      box,
      text,
      confidence,
      ...(edited ? { edited } : {}),
      words: [{ box, text, confidence, reading: 'line' as const, glyphs: [] }],
    });
    const page: Page = { width: 10, height: 30, rows: [row('xqzt', 0.3), row('hello', 0.9), row('typed', 0.2, true)] };
    const json = JSON.parse(pageJson(page)) as { rows: { unsure?: boolean }[] };
    expect(json.rows.map((r) => r.unsure ?? false)).toEqual([true, false, false]);
  });
});
