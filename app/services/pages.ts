/**
 * Pages read by the recogniser, kept (a few, most recent) so the UI can correct glyphs and
 * export the page without sending it back. The document tree of app/recognize stays the one
 * source of the text/JSON/hOCR renderings; the DTO adds what the UI needs to show (ids, and the
 * 32×32 glyph the classifier saw).
 */
import { basename, extname } from 'node:path';
import {
  ContractError,
  GLYPH_VALUES,
  type BoxDTO,
  type ExportedFile,
  type ExportFormat,
  type GlyphDTO,
  type PageDTO,
  type PageReader,
  type RowDTO,
} from '../contract.ts';
import type { Box } from '../image/gray.ts';
import { searchablePdf } from '../recognize/pdf.ts';
import { editedRow, pageHocr, pageJson, pageText, type GlyphNode, type Page } from '../recognize/document.ts';
import { pageDocument, pageXml } from '../recognize/page-lines.ts';
import { relabelPage, relabelRows, textOfRows } from '../shared/page-text.ts';
import type { ReadPage } from './recognizer-client.ts';

/** Pages kept for corrections and export. */
const KEPT_PAGES = 16;

interface KeptPage {
  page: Page;
  dto: PageDTO;
  nodes: Map<string, GlyphNode>;
  /** Each glyph's label as it was read. */
  readAs: Map<string, string>;
  /** The image the boxes are on (the file as given, or as read): the searchable PDF's page. */
  image: Uint8Array;
}

export type ProgressReporter = (stage: string, fraction: number) => void;

export class PageStore {
  private readonly pages = new Map<string, KeptPage>();
  private counter = 0;

  /** `read` does the work (in the page-reading process); this keeps the result and makes the DTO. */
  constructor(private readonly read: ReadPage) {}

  async recognize(
    name: string,
    image: Uint8Array,
    model: { id: string; path: string },
    progress: ProgressReporter,
    lines: { reader?: PageReader; lineModelPath?: string; sheet?: { x: number; y: number }[] } = {},
  ): Promise<PageDTO> {
    // Kept for the searchable PDF: a copy, as the bytes may be handed over to the page-reading process.
    const given = new Uint8Array(image); // a copy (a Buffer's slice would share its memory)
    const { page, crops, view } = await this.read({ name, image, modelPath: model.path, ...lines }, progress);
    const id = `page-${++this.counter}-${Math.random().toString(36).slice(2, 8)}`;
    const kept = { ...toDTO(id, name, page, model.id, crops, view), image: view ?? given };
    this.pages.set(id, kept);
    while (this.pages.size > KEPT_PAGES) this.pages.delete(this.pages.keys().next().value!);
    return kept.dto;
  }

  /** The user's label for a glyph: updates the page (its text and exports) and returns the glyph. */
  correct(pageId: string, glyphId: string, label: string): { page: PageDTO; glyph: GlyphDTO } {
    const kept = this.get(pageId);
    const node = kept.nodes.get(glyphId);
    if (!node) throw new ContractError('not-found', `page ${pageId} has no glyph '${glyphId}'`);
    const relabelled: GlyphNode = { ...node, label };
    kept.nodes.set(glyphId, relabelled);
    kept.page = { ...kept.page, rows: relabelRows(kept.page.rows, (g) => (g === node ? relabelled : g)) };
    kept.dto = relabelPage(kept.dto, glyphId, label, label !== kept.readAs.get(glyphId));
    return this.glyph(pageId, glyphId);
  }

  /** The user's text for row `r`: the page's text and exports follow (document.ts editedRow). */
  editRow(pageId: string, r: number, text: string): PageDTO {
    const kept = this.get(pageId);
    const row = kept.page.rows[r];
    if (!row) throw new ContractError('not-found', `page ${pageId} has ${kept.page.rows.length} rows, no row ${r}`);
    const edited = editedRow(row, text);
    kept.page = { ...kept.page, rows: kept.page.rows.map((x, i) => (i === r ? edited : x)) };
    // The DTO's words: those that kept their glyphs keep their glyph DTOs (ids, crops).
    const dtoRow = kept.dto.rows[r]!;
    const byNode = new Map<GlyphNode, GlyphDTO>();
    for (const word of dtoRow.words) for (const g of word.glyphs) byNode.set(kept.nodes.get(g.id)!, g);
    const words = edited.words.map((w) => ({ box: toBoxDTO(w.box), text: w.text, glyphs: w.glyphs.flatMap((g) => byNode.get(g) ?? []) }));
    const rows = kept.dto.rows.map((x, i) => (i === r ? { ...dtoRow, text: edited.text, words, confidence: 1, edited: true } : x));
    kept.dto = { ...kept.dto, rows, text: textOfRows(rows) };
    return kept.dto;
  }

  glyph(pageId: string, glyphId: string): { page: PageDTO; glyph: GlyphDTO } {
    const kept = this.get(pageId);
    for (const row of kept.dto.rows) for (const word of row.words) for (const g of word.glyphs) if (g.id === glyphId) return { page: kept.dto, glyph: g };
    throw new ContractError('not-found', `page ${pageId} has no glyph '${glyphId}'`);
  }

  async export(pageId: string, format: ExportFormat): Promise<ExportedFile> {
    const { page, dto, image } = this.get(pageId);
    const stem = basename(dto.name, extname(dto.name)) || 'page';
    switch (format) {
      case 'pdf': {
        const pdf = await searchablePdf([{ page, image: Buffer.from(image.buffer, image.byteOffset, image.byteLength) }], dto.name);
        return { filename: `${stem}.pdf`, mimeType: 'application/pdf', content: Buffer.from(pdf).toString('base64'), encoding: 'base64' };
      }
      case 'text':
        return { filename: `${stem}.txt`, mimeType: 'text/plain', content: `${pageText(page)}\n` };
      case 'json':
        return { filename: `${stem}.json`, mimeType: 'application/json', content: pageJson(page) };
      case 'hocr':
        return { filename: `${stem}.hocr`, mimeType: 'application/xhtml+xml', content: pageHocr(page) };
      case 'alto':
      case 'page':
        return {
          filename: `${stem}.${format === 'alto' ? 'alto' : 'page'}.xml`,
          mimeType: 'application/xml',
          content: pageXml(pageDocument(page, dto.name), format),
        };
    }
  }

  private get(pageId: string): KeptPage {
    const kept = this.pages.get(pageId);
    if (!kept) throw new ContractError('not-found', `page ${pageId} is no longer kept: recognise the image again`);
    return kept;
  }
}

function toBoxDTO(b: Box): BoxDTO {
  return { x: b.x0, y: b.y0, width: b.x1 - b.x0, height: b.y1 - b.y0 };
}

/** The DTO of a page: ids for its glyphs and, with each, the crop the classifier saw (`crops`, reading order). */
function toDTO(id: string, name: string, page: Page, model: string, crops: Float32Array, view?: Uint8Array): Omit<KeptPage, 'image'> {
  const nodes = new Map<string, GlyphNode>();
  let g = 0;
  const rows: RowDTO[] = page.rows.map((row) => ({
    box: toBoxDTO(row.box),
    text: row.text,
    reader: row.reader ?? 'glyphs',
    confidence: row.confidence,
    words: row.words.map((word) => ({
      box: toBoxDTO(word.box),
      text: word.text,
      glyphs: word.glyphs.map((node): GlyphDTO => {
        const index = g++;
        const glyphId = `g${index}`;
        nodes.set(glyphId, node);
        return {
          id: glyphId,
          box: toBoxDTO(node.box),
          label: node.label,
          confidence: node.confidence,
          topK: node.topK.map((c) => ({ label: c.label, probability: c.p })),
          pixels: crops.slice(index * GLYPH_VALUES, (index + 1) * GLYPH_VALUES),
        };
      }),
    })),
  }));
  const dto: PageDTO = {
    id,
    name,
    width: page.width,
    height: page.height,
    rows,
    text: pageText(page),
    model,
    seconds: page.seconds ?? 0,
    ...(page.turned ? { turned: page.turned } : {}),
    ...(page.sheet ? { sheet: page.sheet.map((p) => ({ x: p.x, y: p.y })) } : {}),
    ...(page.skew ? { skew: page.skew } : {}),
    ...(view ? { view: `data:image/jpeg;base64,${Buffer.from(view).toString('base64')}` } : {}),
  };
  return { page, dto, nodes, readAs: new Map([...nodes].map(([id, node]) => [id, node.label])) };
}
