/**
 * The pages a user has read, on disk in HWR_HOME/pages: each in a folder of its own, so that its
 * text and corrections survive a reload and a restart, and can be reopened, renamed and deleted.
 *
 * A page's folder holds the image as given (`source`), the image as read where it differs (the
 * sheet flattened, the page turned: `view.jpg`), `page.json`: the document tree, the DTO the UI
 * shows, and each glyph's label as first read, and `summary.json`: what the list shows of it. The images are written first and `page.json` last,
 * each atomically, so a folder without `page.json` is an interrupted save (cleared at start-up,
 * which only the holder of HWR_HOME's lock runs). A deleted page's folder is renamed aside first,
 * so a crash mid-delete never leaves half a page in the list.
 */
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { makeDirectory, writeFileAtomic } from '../base/atomic.ts';
import { ContractError, GLYPH_VALUES, type PageDTO, type PageSummary } from '../contract.ts';
import type { GlyphNode, Page } from '../recognize/document.ts';

/** What a page folder holds, as PageStore keeps it in memory. */
export interface StoredPage {
  page: Page;
  dto: PageDTO;
  nodes: Map<string, GlyphNode>;
  /** Each glyph's label as it was read. */
  readAs: Map<string, string>;
  /** The image as given (re-reading with other sheet corners starts from it). */
  source: Uint8Array;
  /** The image as read (JPEG), where it is not the image as given. */
  view?: Uint8Array;
  savedAt: string;
  modifiedAt: string;
}

const RECORD = 'page.json';
/** What the list shows, written beside the record: listing reads these, not every page's glyphs. */
const SUMMARY = 'summary.json';
const SOURCE = 'source';
const VIEW = 'view.jpg';
const FORMAT = 'hwr-page';
const VERSION = 1;
/** Page ids as PageStore makes them; anything else is never a folder name here. */
const PAGE_ID = /^page-[0-9a-z]+-[0-9a-z]+$/;
/** Characters of text a summary shows. */
const PREVIEW = 80;

interface GlyphRecord extends GlyphNode {
  id?: string;
}

interface PageRecord {
  format: typeof FORMAT;
  version: number;
  savedAt: string;
  modifiedAt: string;
  page: Page;
  /** The DTO without its view (view.jpg) and with each glyph's pixels as base64 bytes (0..255). */
  dto: Omit<PageDTO, 'view' | 'rows'> & { rows: unknown[] };
  readAs: Record<string, string>;
}

export function isPageId(id: string): boolean {
  return PAGE_ID.test(id);
}

/** A new page id: unique across restarts (time and chance), and a safe folder name. */
export function newPageId(now = Date.now()): string {
  return `page-${now.toString(36)}-${Math.random().toString(36).slice(2, 8) || '0'}`;
}

export class PageHistory {
  constructor(readonly dir: string) {
    makeDirectory(dir);
    // Saves and deletes cut short by a crash: no page.json, or renamed aside.
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (name.startsWith('.') || (isPageId(name) && !existsSync(join(path, RECORD)))) rmSync(path, { recursive: true, force: true });
    }
  }

  /** Writes the page: images first, the record last (its presence is what makes the page exist). */
  save(p: StoredPage, images = true): void {
    const folder = this.folder(p.dto.id);
    if (images) {
      writeFileAtomic(join(folder, SOURCE), p.source);
      if (p.view) writeFileAtomic(join(folder, VIEW), p.view);
    }
    const record = toRecord(p);
    writeFileAtomic(join(folder, RECORD), JSON.stringify(record), { durable: true });
    writeFileAtomic(join(folder, SUMMARY), JSON.stringify(summary(record)));
  }

  /** The page with this id, or null when there is none; a ContractError when its files are damaged. */
  load(id: string): StoredPage | null {
    if (!isPageId(id)) return null;
    const folder = join(this.dir, id);
    if (!existsSync(join(folder, RECORD))) return null;
    try {
      const record = JSON.parse(readFileSync(join(folder, RECORD), 'utf8')) as PageRecord;
      if (record.format !== FORMAT || record.version !== VERSION) throw new Error(`not a page record of version ${VERSION}`);
      const view = existsSync(join(folder, VIEW)) ? new Uint8Array(readFileSync(join(folder, VIEW))) : undefined;
      return fromRecord(record, new Uint8Array(readFileSync(join(folder, SOURCE))), view);
    } catch (err) {
      throw new ContractError('unprocessable', `the saved page '${id}' is damaged (${(err as Error).message}): delete it from the history`);
    }
  }

  /** Every saved page, most recently changed first; a damaged one is listed as such, so it can be deleted. */
  list(): PageSummary[] {
    const out: PageSummary[] = [];
    for (const id of readdirSync(this.dir)) {
      if (!isPageId(id) || !existsSync(join(this.dir, id, RECORD))) continue;
      try {
        out.push(this.summaryOf(id));
      } catch {
        const at = statSync(join(this.dir, id, RECORD)).mtime.toISOString();
        out.push({ id, name: id, savedAt: at, modifiedAt: at, rows: 0, characters: 0, edits: 0, preview: '', damaged: true });
      }
    }
    return out.sort((a, b) => b.modifiedAt.localeCompare(a.modifiedAt));
  }

  delete(id: string): void {
    if (!isPageId(id) || !existsSync(join(this.dir, id))) throw new ContractError('not-found', `no saved page '${id}'`);
    const aside = join(this.dir, `.${id}.deleted`);
    renameSync(join(this.dir, id), aside);
    rmSync(aside, { recursive: true, force: true });
  }

  /** The page's summary file, or (missing or unreadable) one made from its record. */
  private summaryOf(id: string): PageSummary {
    try {
      const saved = JSON.parse(readFileSync(join(this.dir, id, SUMMARY), 'utf8')) as PageSummary;
      if (saved.id === id && typeof saved.name === 'string' && typeof saved.modifiedAt === 'string') return saved;
    } catch {
      // Made again from the record below.
    }
    return summary(JSON.parse(readFileSync(join(this.dir, id, RECORD), 'utf8')) as PageRecord);
  }

  private folder(id: string): string {
    if (!isPageId(id)) throw new Error(`'${id}' is not a page id`);
    return join(this.dir, id);
  }
}

/** What the history list shows of a page. */
export function summary(record: {
  page: Page;
  dto: Pick<PageDTO, 'id' | 'name' | 'text'>;
  savedAt: string;
  modifiedAt: string;
  readAs: Record<string, string>;
}): PageSummary {
  const text = record.dto.text;
  let edits = record.page.rows.filter((r) => r.edited).length;
  for (const row of record.page.rows)
    for (const w of row.words) for (const g of w.glyphs as GlyphRecord[]) if (g.id && record.readAs[g.id] !== g.label) edits++;
  return {
    id: record.dto.id,
    name: record.dto.name,
    savedAt: record.savedAt,
    modifiedAt: record.modifiedAt,
    rows: record.page.rows.length,
    characters: text.replace(/\s/g, '').length,
    edits,
    preview: text.replace(/\s+/g, ' ').trim().slice(0, PREVIEW),
  };
}

/** The page with each glyph carrying its id (the DTO's), so that corrections find it again after a load. */
export function withGlyphIds(page: Page, nodes: ReadonlyMap<string, GlyphNode>): Page {
  const ids = new Map<GlyphNode, string>([...nodes].map(([id, node]) => [node, id]));
  return {
    ...page,
    view: undefined,
    rows: page.rows.map((row) => ({
      ...row,
      words: row.words.map((w) => ({ ...w, glyphs: w.glyphs.map((g): GlyphRecord => ({ ...g, id: ids.get(g) })) })),
    })),
  };
}

function toRecord(p: StoredPage): PageRecord {
  const page = withGlyphIds(p.page, p.nodes);
  const { view: _view, ...dto } = p.dto;
  return {
    format: FORMAT,
    version: VERSION,
    savedAt: p.savedAt,
    modifiedAt: p.modifiedAt,
    page,
    dto: {
      ...dto,
      rows: dto.rows.map((row) => ({
        ...row,
        words: row.words.map((w) => ({
          ...w,
          glyphs: w.glyphs.map((g) => ({ ...g, pixels: Buffer.from(Uint8Array.from(g.pixels, (v) => Math.round(v * 255))).toString('base64') })),
        })),
      })),
    },
    readAs: Object.fromEntries(p.readAs),
  };
}

function fromRecord(record: PageRecord, source: Uint8Array, view: Uint8Array | undefined): StoredPage {
  const nodes = new Map<string, GlyphNode>();
  const page: Page = {
    ...record.page,
    rows: record.page.rows.map((row) => ({
      ...row,
      words: row.words.map((w) => ({
        ...w,
        glyphs: (w.glyphs as GlyphRecord[]).map(({ id, ...node }) => {
          if (id) nodes.set(id, node);
          return node;
        }),
      })),
    })),
  };
  const rows = (record.dto.rows as PageDTO['rows']).map((row) => ({
    ...row,
    words: row.words.map((w) => ({
      ...w,
      glyphs: w.glyphs.map((g) => {
        const bytes = Buffer.from(g.pixels as unknown as string, 'base64');
        if (bytes.length !== GLYPH_VALUES) throw new Error(`glyph ${g.id} has ${bytes.length} pixels, not ${GLYPH_VALUES}`);
        return { ...g, pixels: Float32Array.from(bytes, (v) => v / 255) };
      }),
    })),
  }));
  const dto: PageDTO = { ...record.dto, rows, ...(view ? { view: `data:image/jpeg;base64,${Buffer.from(view).toString('base64')}` } : {}) };
  return { page, dto, nodes, readAs: new Map(Object.entries(record.readAs)), source, view, savedAt: record.savedAt, modifiedAt: record.modifiedAt };
}
