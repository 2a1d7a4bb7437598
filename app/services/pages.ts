/**
 * Pages read by the recogniser, kept (a few, most recent, in memory; all of them in the history
 * on disk when there is one) so the UI can correct glyphs and export the page without sending
 * it back, after a reload or a restart too. The document tree of app/recognize stays the one
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
  type PageSummary,
  type RowDTO,
} from '../contract.ts';
import type { Box } from '../image/gray.ts';
import { searchablePdf } from '../recognize/pdf.ts';
import { editedRow, pageHocr, pageJson, pageText, type GlyphNode, type Page } from '../recognize/document.ts';
import { pageDocument, pageXml } from '../recognize/page-lines.ts';
import { relabelPage, relabelRows, textOfRows } from '../shared/page-text.ts';
import type { ReadPage } from './recognizer-client.ts';
import { newPageId, summary, withGlyphIds, type PageHistory, type StoredPage } from './page-history.ts';

/** Pages kept in memory for corrections and export (the history on disk keeps them all). */
const KEPT_PAGES = 16;

type KeptPage = StoredPage;

/** The image the boxes are on (the file as given, or as read): the searchable PDF's page. */
const pageImage = (kept: KeptPage) => kept.view ?? kept.source;

export type ProgressReporter = (stage: string, fraction: number) => void;

export class PageStore {
  private readonly pages = new Map<string, KeptPage>();

  /**
   * `read` does the work (in the page-reading process); this keeps the result and makes the DTO.
   * With a history, every page read and every change to it is saved there.
   */
  constructor(
    private readonly read: ReadPage,
    private readonly history?: PageHistory,
  ) {}

  async recognize(
    name: string,
    image: Uint8Array,
    model: { id: string; path: string },
    progress: ProgressReporter,
    lines: { reader?: PageReader; lineModelPath?: string; sheet?: { x: number; y: number }[] } = {},
  ): Promise<PageDTO> {
    // Kept for the searchable PDF and the history: a copy, as the bytes may be handed over to the page-reading process.
    const given = new Uint8Array(image); // a copy (a Buffer's slice would share its memory)
    const { page, crops, view } = await this.read({ name, image, modelPath: model.path, ...lines }, progress);
    const now = new Date().toISOString();
    const kept: KeptPage = {
      ...toDTO(newPageId(), name, page, model.id, crops, view),
      source: given,
      ...(view ? { view } : {}),
      savedAt: now,
      modifiedAt: now,
    };
    this.keep(kept);
    this.save(kept, true);
    return kept.dto;
  }

  /** The history's pages, most recently changed first (none without a history). */
  list(): PageSummary[] {
    return this.history?.list() ?? [];
  }

  /** A page of the history (or of this session), as it was left, with the image as given. */
  open(pageId: string): { page: PageDTO; image: Uint8Array } {
    const kept = this.get(pageId);
    return { page: kept.dto, image: kept.source };
  }

  rename(pageId: string, name: string): PageSummary {
    const kept = this.get(pageId);
    if (!name.trim()) throw new ContractError('invalid-request', 'a page needs a name with something besides spaces');
    kept.dto = { ...kept.dto, name: name.trim() };
    this.changed(kept);
    return this.summary(kept);
  }

  /** Forgets the page, in memory and in the history; returns how many pages the history still holds. */
  delete(pageId: string): number {
    const inMemory = this.pages.delete(pageId);
    if (this.history) {
      try {
        this.history.delete(pageId);
      } catch (err) {
        if (!inMemory) throw err;
      }
    } else if (!inMemory) throw new ContractError('not-found', `no page '${pageId}'`);
    return this.history?.list().length ?? this.pages.size;
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
    this.changed(kept);
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
    this.changed(kept);
    return kept.dto;
  }

  glyph(pageId: string, glyphId: string): { page: PageDTO; glyph: GlyphDTO } {
    const kept = this.get(pageId);
    for (const row of kept.dto.rows) for (const word of row.words) for (const g of word.glyphs) if (g.id === glyphId) return { page: kept.dto, glyph: g };
    throw new ContractError('not-found', `page ${pageId} has no glyph '${glyphId}'`);
  }

  async export(pageId: string, format: ExportFormat): Promise<ExportedFile> {
    const kept = this.get(pageId);
    const { page, dto } = kept;
    const image = pageImage(kept);
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
    const kept = this.pages.get(pageId) ?? this.history?.load(pageId);
    if (!kept) throw new ContractError('not-found', `page ${pageId} is no longer kept: read the image again`);
    this.keep(kept);
    return kept;
  }

  /** In memory, most recently used last; the oldest go (the history still has them). */
  private keep(kept: KeptPage): void {
    this.pages.delete(kept.dto.id);
    this.pages.set(kept.dto.id, kept);
    while (this.pages.size > KEPT_PAGES) this.pages.delete(this.pages.keys().next().value!);
  }

  /** A change by the user: saved at once (the page's text only; its images are there already). */
  private changed(kept: KeptPage): void {
    kept.modifiedAt = new Date().toISOString();
    this.save(kept, false);
  }

  /** Into the history; a page that cannot be saved there (a full disk) is still read and kept in memory. */
  private save(kept: KeptPage, images: boolean): void {
    try {
      this.history?.save(kept, images);
    } catch (err) {
      console.warn(`hwr: page ${kept.dto.id} (${kept.dto.name}) could not be saved in the history: ${(err as Error).message}`);
    }
  }

  private summary(kept: KeptPage): PageSummary {
    return summary({ ...kept, page: withGlyphIds(kept.page, kept.nodes), readAs: Object.fromEntries(kept.readAs) });
  }
}

function toBoxDTO(b: Box): BoxDTO {
  return { x: b.x0, y: b.y0, width: b.x1 - b.x0, height: b.y1 - b.y0 };
}

/** The DTO of a page: ids for its glyphs and, with each, the crop the classifier saw (`crops`, reading order). */
function toDTO(
  id: string,
  name: string,
  page: Page,
  model: string,
  crops: Float32Array,
  view?: Uint8Array,
): Pick<KeptPage, 'page' | 'dto' | 'nodes' | 'readAs'> {
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
