/**
 * The recognised page as a typed tree, Page → Row → Word → Glyph, every node with its box (in
 * the pixels of the image file, upright), label and confidence; glyphs keep the classifier's
 * top-k. Plain text, JSON and hOCR are renderings of the same tree.
 */
import type { Box, GrayImage, Point } from '../image/gray.ts';
import { UNSURE_BELOW } from '../contract.ts';
import { textOfGlyphs, textOfRows, textOfWords } from '../shared/page-text.ts';
import type { Candidate, Reading } from './words.ts';

export interface GlyphNode {
  box: Box;
  label: string;
  confidence: number;
  topK: Candidate[];
}

export interface WordNode {
  box: Box;
  text: string;
  confidence: number;
  /** How the text was read: letters, digits, a letter/digit mix, or a lexicon word. */
  reading: Reading;
  glyphs: GlyphNode[];
}

export interface RowNode {
  box: Box;
  text: string;
  confidence: number;
  words: WordNode[];
  /** Which reader's text this is: the glyph classifier's, or the line recogniser's (recognizer.ts readLines). */
  reader?: 'glyphs' | 'lines';
  /** A line found on the page: its outline and baseline (in the image's pixels), where the line recogniser read it. */
  outline?: { polygon: Point[]; baseline: Point[] };
  /** The user typed its text. */
  edited?: boolean;
}

export interface Page {
  /** The image file, when there is one. */
  source?: string;
  /** Size of the upright image in pixels; boxes are in these pixels. */
  width: number;
  height: number;
  rows: RowNode[];
  /** Seconds spent, for reports. */
  seconds?: number;
  /** The writing ran sideways or upside down: the page was turned this far clockwise (90, 180, 270) to read it; boxes are on the turned page. */
  turned?: number;
  /**
   * A photo of a sheet on a desk: the sheet's corners in the photo (top-left, top-right,
   * bottom-right, bottom-left, original pixels). The page is the sheet flattened: width, height
   * and boxes are the flattened sheet's (before any turn).
   */
  sheet?: Point[];
  /**
   * The lines sloped this many degrees clockwise (right end lower): the page was turned straight
   * about its centre onto a canvas that holds it all; width, height and boxes are that canvas's
   * (after the sheet was flattened, before any quarter or half turn).
   */
  skew?: number;
  /**
   * The image as read (brightness, 0 black .. 1 white), where it is not the image as given: the
   * sheet flattened, the page turned straight or turned round. Width × height in its own pixels;
   * boxes scale to it by view.width / width. Not part of any export.
   */
  view?: GrayImage;
}

/** The text of a row node from its words. */
export function rowNode(box: Box, words: WordNode[]): RowNode {
  const confidence = words.length ? words.reduce((s, w) => s + w.confidence, 0) / words.length : 1;
  return { box, text: textOfWords(words), confidence, words };
}

/** Plain text: one line per row, words separated by single spaces. Empty page → empty string. */
export function pageText(page: Page): string {
  return textOfRows(page.rows);
}

const round = (v: number, digits = 4): number => Number(v.toFixed(digits));
const intBox = (b: Box) => ({ x0: Math.round(b.x0), y0: Math.round(b.y0), x1: Math.round(b.x1), y1: Math.round(b.y1) });

/**
 * The row with the text the user typed (runs of white space are one space). Where it has as
 * many words as the row, each word keeps its box, and its glyphs where the word still reads
 * them; otherwise the words are laid over the row's box by their share of its characters. The
 * typed words are sure (confidence 1, reading 'typed'), and the row is marked edited.
 */
export function editedRow(row: RowNode, text: string): RowNode {
  const tokens = text.replace(/\s+/g, ' ').trim().split(' ').filter(Boolean);
  const typed = (w: Omit<WordNode, 'reading' | 'confidence'>): WordNode =>
    w.text === textOfGlyphs(w.glyphs) && w.glyphs.length ? { ...w, reading: 'typed', confidence: 1 } : { ...w, glyphs: [], reading: 'typed', confidence: 1 };
  let words: WordNode[];
  if (tokens.length === row.words.length) {
    words = row.words.map((w, i) => (w.text === tokens[i] ? w : typed({ box: w.box, text: tokens[i]!, glyphs: w.glyphs })));
  } else {
    const chars = tokens.join(' ').length;
    const { x0, x1, y0, y1 } = row.box;
    let at = 0;
    words = tokens.map((t) => {
      const box = { x0: x0 + ((x1 - x0) * at) / chars, x1: x0 + ((x1 - x0) * (at + t.length)) / chars, y0, y1 };
      at += t.length + 1;
      return typed({ box, text: t, glyphs: [] });
    });
  }
  return { ...row, words, text: textOfWords(words), confidence: 1, edited: true };
}

/** JSON export: the whole tree with integer boxes and rounded confidences. */
export function pageJson(page: Page): string {
  const doc = {
    source: page.source,
    width: page.width,
    height: page.height,
    ...(page.turned ? { turned: page.turned } : {}),
    ...(page.sheet ? { sheet: page.sheet } : {}),
    ...(page.skew ? { skew: page.skew } : {}),
    text: pageText(page),
    rows: page.rows.map((r) => ({
      text: r.text,
      box: intBox(r.box),
      confidence: round(r.confidence),
      reader: r.reader ?? 'glyphs',
      ...(r.edited ? { edited: true } : {}),
      // Said in words, not only as a number: this line was not read well.
      ...(!r.edited && r.confidence < UNSURE_BELOW ? { unsure: true } : {}),
      words: r.words.map((w) => ({
        text: w.text,
        box: intBox(w.box),
        confidence: round(w.confidence),
        reading: w.reading,
        glyphs: w.glyphs.map((g) => ({
          label: g.label,
          box: intBox(g.box),
          confidence: round(g.confidence),
          topK: g.topK.map((c) => ({ label: c.label, p: round(c.p) })),
        })),
      })),
    })),
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

const bbox = (b: Box): string => {
  const i = intBox(b);
  return `bbox ${i.x0} ${i.y0} ${Math.max(i.x0, i.x1 - 1)} ${Math.max(i.y0, i.y1 - 1)}`;
};

/**
 * hOCR 1.2 (XHTML): ocr_page → ocr_line → ocrx_word → ocrx_cinfo, with bbox, x_wconf (0–100)
 * and per glyph x_confs.
 */
export function pageHocr(page: Page): string {
  const src = page.source ?? '';
  const lines: string[] = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">',
    '<html xmlns="http://www.w3.org/1999/xhtml" xml:lang="en" lang="en">',
    '<head>',
    `<title>${escapeXml(src || 'hwr ocr')}</title>`,
    '<meta http-equiv="Content-Type" content="text/html; charset=utf-8" />',
    '<meta name="ocr-system" content="hwr" />',
    '<meta name="ocr-capabilities" content="ocr_page ocr_line ocrx_word ocrx_cinfo" />',
    '</head>',
    '<body>',
    `<div class="ocr_page" id="page_1" title="${escapeXml(`${src ? `image "${src.replace(/"/g, '')}"; ` : ''}bbox 0 0 ${page.width} ${page.height}`)}">`,
  ];
  page.rows.forEach((row, r) => {
    lines.push(`<span class="ocr_line" id="line_${r + 1}" title="${bbox(row.box)}">`);
    row.words.forEach((word, w) => {
      const glyphs = word.glyphs
        .map((g, k) => {
          const title = `${bbox(g.box)}; x_confs ${(g.confidence * 100).toFixed(1)}`;
          return `<span class="ocrx_cinfo" id="char_${r + 1}_${w + 1}_${k + 1}" title="${title}">${escapeXml(g.label)}</span>`;
        })
        .join('');
      const title = `${bbox(word.box)}; x_wconf ${Math.round(word.confidence * 100)}`;
      lines.push(`<span class="ocrx_word" id="word_${r + 1}_${w + 1}" title="${title}">${glyphs}</span>`);
    });
    lines.push('</span>');
  });
  lines.push('</div>', '</body>', '</html>', '');
  return lines.join('\n');
}
