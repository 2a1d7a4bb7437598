/**
 * Pages read by the recogniser, kept (a few, most recent) so the UI can correct glyphs and
 * export the page without sending it back. The document tree of app/recognize stays the one
 * source of the text/JSON/hOCR renderings; the DTO adds what the UI needs to show (ids, and the
 * 32×32 glyph the classifier saw).
 */
import { basename, extname } from 'node:path';
import { ContractError, GLYPH_VALUES, type BoxDTO, type ExportFormat, type GlyphDTO, type PageDTO, type RowDTO } from '../contract.ts';
import { frameGlyph } from '../data/frame.ts';
import { decodeImage, ImageDecodeError, type DecodedImage } from '../image/decode.ts';
import type { Box } from '../image/gray.ts';
import { pageHocr, pageJson, pageText, type GlyphNode, type Page } from '../recognize/document.ts';
import { recognizePage, type GlyphClassifier } from '../recognize/recognizer.ts';

/** Pages kept for corrections and export. */
const KEPT_PAGES = 16;
/** Predictions kept per glyph for the hover card. */
const PAGE_TOP_K = 5;

interface KeptPage {
  page: Page;
  dto: PageDTO;
  nodes: Map<string, GlyphNode>;
}

export type ProgressReporter = (stage: string, fraction: number) => void;

export class PageStore {
  private readonly pages = new Map<string, KeptPage>();
  private counter = 0;

  async recognize(name: string, image: Uint8Array, classifier: { id: string; classifier: GlyphClassifier }, progress: ProgressReporter): Promise<PageDTO> {
    progress('decoding', 0.05);
    let decoded: DecodedImage;
    try {
      decoded = await decodeImage(Buffer.from(image.buffer, image.byteOffset, image.byteLength), { name });
    } catch (err) {
      if (err instanceof ImageDecodeError) throw new ContractError('unprocessable', err.message);
      throw err;
    }
    progress('finding characters', 0.25);
    await tick();
    // The recogniser batches every crop into one classify call; keep the crops and scores it used.
    let seen: { inputs: Float32Array; outputs: Float32Array; n: number } | null = null;
    const capturing: GlyphClassifier = {
      classes: classifier.classifier.classes,
      classify: async (glyphs, n) => {
        progress('classifying', 0.6);
        const outputs = await classifier.classifier.classify(glyphs, n);
        seen = { inputs: glyphs, outputs, n };
        return outputs;
      },
    };
    const page = await recognizePage(decoded, capturing, { source: name, decode: { topK: PAGE_TOP_K } });
    progress('done', 1);
    const id = `page-${++this.counter}-${Math.random().toString(36).slice(2, 8)}`;
    const kept = toDTO(id, name, page, classifier.id, seen, classifier.classifier.classes, decoded);
    this.pages.set(id, kept);
    while (this.pages.size > KEPT_PAGES) this.pages.delete(this.pages.keys().next().value!);
    return kept.dto;
  }

  /** The user's label for a glyph: updates the page (its text and exports) and returns the glyph. */
  correct(pageId: string, glyphId: string, label: string): { page: PageDTO; glyph: GlyphDTO } {
    const kept = this.get(pageId);
    const node = kept.nodes.get(glyphId);
    if (!node) throw new ContractError('not-found', `page ${pageId} has no glyph '${glyphId}'`);
    node.label = label;
    for (const row of kept.page.rows) {
      for (const word of row.words) word.text = word.glyphs.map((g) => g.label).join('');
      row.text = row.words.map((w) => w.text).join(' ');
    }
    let glyph: GlyphDTO | undefined;
    for (const row of kept.dto.rows) {
      for (const word of row.words) {
        for (const g of word.glyphs) {
          if (g.id === glyphId) Object.assign(g, { label, corrected: true }), (glyph = g);
        }
        word.text = word.glyphs.map((g) => g.label).join('');
      }
      row.text = row.words.map((w) => w.text).join(' ');
    }
    kept.dto.text = pageText(kept.page);
    return { page: kept.dto, glyph: glyph! };
  }

  glyph(pageId: string, glyphId: string): { page: PageDTO; glyph: GlyphDTO } {
    const kept = this.get(pageId);
    for (const row of kept.dto.rows) for (const word of row.words) for (const g of word.glyphs) if (g.id === glyphId) return { page: kept.dto, glyph: g };
    throw new ContractError('not-found', `page ${pageId} has no glyph '${glyphId}'`);
  }

  export(pageId: string, format: ExportFormat): { filename: string; mimeType: string; content: string } {
    const { page, dto } = this.get(pageId);
    const stem = basename(dto.name, extname(dto.name)) || 'page';
    switch (format) {
      case 'text':
        return { filename: `${stem}.txt`, mimeType: 'text/plain', content: `${pageText(page)}\n` };
      case 'json':
        return { filename: `${stem}.json`, mimeType: 'application/json', content: pageJson(page) };
      case 'hocr':
        return { filename: `${stem}.hocr`, mimeType: 'application/xhtml+xml', content: pageHocr(page) };
    }
  }

  private get(pageId: string): KeptPage {
    const kept = this.pages.get(pageId);
    if (!kept) throw new ContractError('not-found', `page ${pageId} is no longer kept: recognise the image again`);
    return kept;
  }
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

function toBoxDTO(b: Box): BoxDTO {
  return { x: b.x0, y: b.y0, width: b.x1 - b.x0, height: b.y1 - b.y0 };
}

function toDTO(
  id: string,
  name: string,
  page: Page,
  model: string,
  seen: { inputs: Float32Array; outputs: Float32Array; n: number } | null,
  classes: readonly string[],
  image: DecodedImage,
): KeptPage {
  const classIndex = new Map(classes.map((c, i) => [c, i]));
  const k = classes.length;
  let next = 0;
  /**
   * The crop a glyph node came from: the recogniser classifies blobs in reading order (split
   * pieces right after their blob) and keeps each chosen one's probabilities in its top-k, so the
   * first crop from here on with exactly those probabilities is the one.
   */
  const cropOf = (node: GlyphNode): Float32Array => {
    if (seen) {
      for (let j = next; j < seen.n; j++) {
        const row = seen.outputs.subarray(j * k, (j + 1) * k);
        if (node.topK.every((c) => row[classIndex.get(c.label) ?? -1] === c.p)) {
          next = j + 1;
          return seen.inputs.slice(j * GLYPH_VALUES, (j + 1) * GLYPH_VALUES);
        }
      }
    }
    return cropFromImage(image, node.box, page.width);
  };
  const nodes = new Map<string, GlyphNode>();
  let g = 0;
  const rows: RowDTO[] = page.rows.map((row) => ({
    box: toBoxDTO(row.box),
    text: row.text,
    words: row.words.map((word) => ({
      box: toBoxDTO(word.box),
      text: word.text,
      glyphs: word.glyphs.map((node): GlyphDTO => {
        const glyphId = `g${g++}`;
        nodes.set(glyphId, node);
        return {
          id: glyphId,
          box: toBoxDTO(node.box),
          label: node.label,
          confidence: node.confidence,
          topK: node.topK.map((c) => ({ label: c.label, probability: c.p })),
          pixels: cropOf(node),
        };
      }),
    })),
  }));
  const dto: PageDTO = { id, name, width: page.width, height: page.height, rows, text: pageText(page), model, seconds: page.seconds ?? 0 };
  return { page, dto, nodes };
}

/** A plain crop of the decoded image, framed like a glyph: used only when the recogniser's own crop cannot be found. */
function cropFromImage(image: DecodedImage, box: Box, pageWidth: number): Float32Array {
  const s = image.width / pageWidth;
  const x0 = Math.max(0, Math.floor(box.x0 * s));
  const y0 = Math.max(0, Math.floor(box.y0 * s));
  const x1 = Math.min(image.width, Math.ceil(box.x1 * s));
  const y1 = Math.min(image.height, Math.ceil(box.y1 * s));
  const w = x1 - x0;
  const h = y1 - y0;
  if (w < 1 || h < 1) return new Float32Array(GLYPH_VALUES);
  const ink = new Float32Array(w * h);
  let paper = 0;
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) paper = Math.max(paper, image.data[(y0 + y) * image.width + x0 + x]!);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) ink[y * w + x] = Math.max(0, paper - image.data[(y0 + y) * image.width + x0 + x]!);
  const glyph = frameGlyph(ink, w, h);
  let max = 0;
  for (const v of glyph) max = Math.max(max, v);
  if (max > 0) for (let i = 0; i < glyph.length; i++) glyph[i] = Math.min(1, glyph[i]! / max);
  return glyph;
}
