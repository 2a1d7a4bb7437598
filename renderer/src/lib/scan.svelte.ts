/** The Scan view's state: the images dropped, their recognised pages, and corrections. */
import { zipSync } from 'fflate';
import {
  IMAGE_TYPE_NAMES,
  isOpenableImage,
  isPdfFile,
  LIMITS,
  type ExportedFile,
  type ExportFormat,
  type GlyphDTO,
  type HwrApi,
  type PageDTO,
  type PageSummary,
} from '../../../app/contract.ts';
import { relabelPage } from '../../../app/shared/page-text.ts';
import type { AppState } from './app.svelte.ts';
import { downloadBytes, downloadText } from './download.ts';
import { forPeople } from './people-words.ts';

/** One change to a read page, as undo and redo replay it. */
export type PageEdit =
  | { kind: 'row'; row: number; before: string; after: string }
  /** `keep`: the correction is also a training sample (`sampleId` while it is saved). */
  | { kind: 'glyph'; glyph: GlyphDTO; before: string; after: string; keep: boolean; sampleId?: string };

export { UNSURE_BELOW } from '../../../app/contract.ts';

const KEEP_SAMPLES_KEY = 'hwr.keepCorrectionsAsSamples';
/** The pages open in tabs (ids in the history), to open them again after a reload or a restart. */
const OPEN_PAGES_KEY = 'hwr.openPages';
/** What "Export all" writes for every open page. */
export const EXPORT_ALL_FORMATS: readonly ExportFormat[] = ['text', 'json', 'alto', 'pdf'];

export interface ScanEntry {
  key: string;
  name: string;
  /** Object URL of the image as dropped (the browser applies EXIF orientation, as the back end does). */
  url: string;
  /** The image as dropped, to read it again (with other sheet corners). */
  file: File;
  status: 'waiting' | 'reading' | 'done' | 'failed';
  stage: string;
  progress: number;
  page: PageDTO | null;
  error?: string;
  /** Edits made, last last; and edits undone, to redo. */
  done: PageEdit[];
  undone: PageEdit[];
}

export class ScanState {
  entries = $state.raw<ScanEntry[]>([]);
  currentKey = $state<string | null>(null);
  hovered = $state.raw<GlyphDTO | null>(null);
  selected = $state.raw<GlyphDTO | null>(null);
  current = $derived(this.entries.find((e) => e.key === this.currentKey) ?? null);
  /** The row whose text is being edited (highlighted on the image). */
  focusedRow = $state<number | null>(null);
  /** Corrections are saved as training samples only when the user turns this on. */
  keepSamples = $state(typeof localStorage !== 'undefined' && localStorage.getItem(KEEP_SAMPLES_KEY) === 'true');
  /** The pages read before, most recently changed first (the history on disk). */
  history = $state.raw<PageSummary[]>([]);
  private queue: Promise<void> = Promise.resolve();
  private counter = 0;

  constructor(private readonly app: AppState) {
    app.api.onEvent((event) => {
      if (event.type === 'progress') this.patch(event.jobId, { stage: event.stage, progress: Math.max(0.15, event.fraction) });
      if (event.type === 'files-opened') void this.takeOpened();
    });
    // The tabs open before a reload or a restart, then images the app was opened with (an image's "Open with hwr", the command line).
    void this.restoreTabs().then(() => this.takeOpened());
  }

  /** Opens again the pages that were open in tabs (those still in the history), and lists the history. */
  private async restoreTabs(): Promise<void> {
    let ids: string[] = [];
    try {
      ids = JSON.parse(localStorage.getItem(OPEN_PAGES_KEY) ?? '[]') as string[];
    } catch {
      // A damaged setting: start with no tabs.
    }
    await this.refreshHistory();
    const kept = this.history.filter((p) => !p.damaged).map((p) => p.id);
    for (const id of Array.isArray(ids) ? ids : []) if (typeof id === 'string' && kept.includes(id)) await this.openSaved(id, false);
  }

  async refreshHistory(): Promise<void> {
    try {
      this.history = (await this.api.listPages({})).pages;
    } catch (err) {
      this.app.report(err);
    }
  }

  /** A page from the history in a tab (the tab it is in already, if it is open). */
  async openSaved(pageId: string, show = true): Promise<void> {
    const open = this.entries.find((e) => e.page?.id === pageId);
    if (open) {
      if (show) this.show(open.key);
      return;
    }
    try {
      const { page, image } = await this.api.openPage({ pageId });
      const file = new File([image as Uint8Array<ArrayBuffer>], page.name);
      const entry: ScanEntry = {
        key: `scan-${++this.counter}`,
        name: page.name,
        url: URL.createObjectURL(file),
        file,
        status: 'done',
        stage: 'done',
        progress: 1,
        page,
        done: [],
        undone: [],
      };
      this.entries = [...this.entries, entry];
      if (show || this.currentKey === null) this.currentKey = entry.key;
      this.rememberTabs();
    } catch (err) {
      this.app.report(err);
    }
  }

  async renameSaved(pageId: string, name: string): Promise<boolean> {
    try {
      const renamed = await this.api.renamePage({ pageId, name });
      this.entries = this.entries.map((e) => (e.page?.id === pageId ? { ...e, name: renamed.name, page: { ...e.page, name: renamed.name } } : e));
      this.history = this.history.map((p) => (p.id === pageId ? renamed : p));
      return true;
    } catch (err) {
      this.app.report(err);
      return false;
    }
  }

  /** Deletes a page from the history, and closes its tab. */
  async deleteSaved(pageId: string): Promise<void> {
    try {
      await this.api.deletePage({ pageId });
      for (const e of this.entries) if (e.page?.id === pageId) this.remove(e.key);
      this.history = this.history.filter((p) => p.id !== pageId);
    } catch (err) {
      this.app.report(err);
    }
  }

  private rememberTabs(): void {
    try {
      localStorage.setItem(OPEN_PAGES_KEY, JSON.stringify(this.entries.flatMap((e) => (e.page ? [e.page.id] : []))));
    } catch {
      // Storage full or off: the tabs are not reopened after a restart, the pages stay in the history.
    }
  }

  /** Reads the images the desktop app was asked to open, in the Scan view. */
  async takeOpened(): Promise<void> {
    try {
      const { files } = await this.api.takeOpenedFiles({});
      if (files.length === 0) return;
      this.app.view = 'scan';
      this.addFiles(files.map((f) => new File([f.image as Uint8Array<ArrayBuffer>], f.name)));
    } catch (err) {
      this.app.report(err);
    }
  }

  /** Shows an error in the app's banner. */
  report(err: unknown): void {
    this.app.report(err);
  }

  get api(): HwrApi {
    return this.app.api;
  }

  /** Queues images for recognition, one at a time (they are big); shows the first new one. */
  addFiles(files: Iterable<File>): void {
    const added: ScanEntry[] = [];
    for (const file of files) {
      if (isPdfFile(file.name, file.type) && file.size <= LIMITS.imageBytes) {
        // A scanned PDF: taken apart into its pages, each read in a tab of its own.
        void this.splitPdf(file);
        continue;
      }
      if (!isOpenableImage(file.name, file.type)) {
        this.app.report(new Error(`${file.name} is not an image hwr reads: drop ${IMAGE_TYPE_NAMES} files, or a scanned PDF`));
        continue;
      }
      if (file.size > LIMITS.imageBytes) {
        this.app.report(new Error(`${file.name} is ${(file.size / 1048576).toFixed(0)} MB; the limit is ${LIMITS.imageBytes / 1048576} MB`));
        continue;
      }
      const key = `scan-${++this.counter}`;
      const entry: ScanEntry = {
        key,
        name: file.name,
        url: URL.createObjectURL(file),
        file,
        status: 'waiting',
        stage: 'waiting',
        progress: 0,
        page: null,
        done: [],
        undone: [],
      };
      added.push(entry);
      this.queue = this.queue.then(() => this.read(entry.key, file));
    }
    if (added.length === 0) return;
    this.entries = [...this.entries, ...added];
    this.currentKey = added[0]!.key;
  }

  private async splitPdf(file: File): Promise<void> {
    try {
      const { pages } = await this.api.splitPdf({ name: file.name, image: new Uint8Array(await file.arrayBuffer()) });
      this.addFiles(pages.map((p) => new File([p.image as Uint8Array<ArrayBuffer>], p.name, { type: p.name.endsWith('.png') ? 'image/png' : 'image/jpeg' })));
    } catch (err) {
      this.app.report(err);
    }
  }

  /** Reads the current page again, its sheet flattened from these corners (none: the whole photo). */
  async readSheet(corners: { x: number; y: number }[]): Promise<void> {
    const entry = this.current;
    if (!entry) return;
    const before = entry.page?.id;
    this.patch(entry.key, { page: null, done: [], undone: [] });
    await this.read(entry.key, entry.file, corners);
    // Read again: the new reading takes the old one's place in the history.
    if (before && this.entries.find((e) => e.key === entry.key)?.page) {
      await this.api.deletePage({ pageId: before }).catch(() => undefined);
      await this.refreshHistory();
    }
  }

  private async read(key: string, file: File, sheet?: { x: number; y: number }[]): Promise<void> {
    this.patch(key, { status: 'reading', stage: 'uploading', progress: 0.02 });
    try {
      const image = new Uint8Array(await file.arrayBuffer());
      const page = await this.api.recognizePage({ name: file.name, image, jobId: key, ...(sheet ? { sheet } : {}) });
      this.patch(key, { status: 'done', stage: 'done', progress: 1, page });
      this.rememberTabs();
      void this.refreshHistory();
    } catch (err) {
      this.patch(key, { status: 'failed', stage: 'failed', error: forPeople(err).message });
      this.app.report(err, file.name);
    }
  }

  private patch(key: string, change: Partial<ScanEntry>): void {
    this.entries = this.entries.map((e) => (e.key === key ? { ...e, ...change } : e));
  }

  show(key: string): void {
    this.currentKey = key;
    this.hovered = null;
    this.selected = null;
    this.focusedRow = null;
  }

  remove(key: string): void {
    const entry = this.entries.find((e) => e.key === key);
    if (entry) URL.revokeObjectURL(entry.url);
    const at = this.entries.findIndex((e) => e.key === key);
    this.entries = this.entries.filter((e) => e.key !== key);
    // The neighbour that took its place (the one before, at the end), as a browser's tabs do.
    if (this.currentKey === key) this.currentKey = (this.entries[at] ?? this.entries.at(-1))?.key ?? null;
    this.rememberTabs();
  }

  setKeepSamples(on: boolean): void {
    this.keepSamples = on;
    localStorage.setItem(KEEP_SAMPLES_KEY, String(on));
  }

  /** Corrects a glyph: the page's text follows; kept as a training sample only if the user said so. */
  async correct(glyph: GlyphDTO, label: string): Promise<boolean> {
    const entry = this.current;
    if (!entry?.page || label === glyph.label) return false;
    try {
      const edit: PageEdit = { kind: 'glyph', glyph, before: glyph.label, after: label, keep: this.keepSamples };
      await this.apply(entry, edit, 'after');
      this.record(entry.key, edit);
    } catch (err) {
      this.app.report(err);
      return false;
    }
    this.selected = null;
    return true;
  }

  /** Gives row `row` the text the user typed; the page's text and exports follow. */
  async editRow(row: number, text: string): Promise<boolean> {
    const entry = this.current;
    const before = entry?.page?.rows[row]?.text;
    if (!entry || before === undefined || text.replace(/\s+/g, ' ').trim() === before) return false;
    try {
      const edit: PageEdit = { kind: 'row', row, before, after: text };
      await this.apply(entry, edit, 'after');
      this.record(entry.key, edit);
      return true;
    } catch (err) {
      this.app.report(err);
      return false;
    }
  }

  get canUndo(): boolean {
    return (this.current?.done.length ?? 0) > 0;
  }

  get canRedo(): boolean {
    return (this.current?.undone.length ?? 0) > 0;
  }

  /** Takes back the last edit of the current page (a sample it saved is deleted too). */
  async undo(): Promise<void> {
    const entry = this.current;
    const edit = entry?.done.at(-1);
    if (!entry || !edit) return;
    try {
      await this.apply(entry, edit, 'before');
      this.patch(entry.key, { done: entry.done.slice(0, -1), undone: [...entry.undone, edit] });
    } catch (err) {
      this.app.report(err);
    }
  }

  async redo(): Promise<void> {
    const entry = this.current;
    const edit = entry?.undone.at(-1);
    if (!entry || !edit) return;
    try {
      await this.apply(entry, edit, 'after');
      this.patch(entry.key, { done: [...entry.done, edit], undone: entry.undone.slice(0, -1) });
    } catch (err) {
      this.app.report(err);
    }
  }

  private record(key: string, edit: PageEdit): void {
    const entry = this.entries.find((e) => e.key === key);
    if (entry) this.patch(key, { done: [...entry.done, edit], undone: [] });
    void this.refreshHistory();
  }

  /** Puts the `side` text of `edit` on the page; a glyph's correction kept as a sample is saved (after) or deleted (before). */
  private async apply(entry: ScanEntry, edit: PageEdit, side: 'before' | 'after'): Promise<void> {
    const pageId = entry.page!.id;
    const text = edit[side];
    if (edit.kind === 'row') {
      this.patch(entry.key, { page: await this.api.editRow({ pageId, row: edit.row, text }) });
      return;
    }
    const g = edit.glyph;
    if (side === 'before' && edit.sampleId) {
      await this.api.deleteSample({ id: edit.sampleId });
      edit.sampleId = undefined;
    }
    if (side === 'after' && edit.keep) {
      const saved = await this.api.saveSample({ label: text, glyph: g.pixels, source: 'scan', pageId, glyphId: g.id, predicted: g.label });
      edit.sampleId = saved.id;
      const current = this.entries.find((e) => e.key === entry.key)?.page ?? entry.page!;
      this.patch(entry.key, { page: relabelPage(current, g.id, text) });
    } else {
      this.patch(entry.key, { page: await this.api.correctGlyph({ pageId, glyphId: g.id, label: text }) });
    }
  }

  async exportAs(format: ExportFormat): Promise<void> {
    const page = this.current?.page;
    if (!page) return;
    try {
      const file = await this.api.exportPage({ pageId: page.id, format });
      if (file.encoding === 'base64')
        downloadBytes(
          file.filename,
          file.mimeType,
          Uint8Array.from(atob(file.content), (c) => c.charCodeAt(0)),
        );
      else downloadText(file.filename, file.mimeType, file.content);
    } catch (err) {
      this.app.report(err);
    }
  }

  /** Every open page that was read, in every format of EXPORT_ALL_FORMATS, in one zip file. */
  async exportAll(): Promise<number> {
    const pages = this.entries.flatMap((e) => (e.page ? [e.page] : []));
    if (pages.length === 0) return 0;
    try {
      const files: Record<string, Uint8Array> = {};
      for (const page of pages) {
        for (const format of EXPORT_ALL_FORMATS) {
          const file: ExportedFile = await this.api.exportPage({ pageId: page.id, format });
          files[uniqueName(files, file.filename)] =
            file.encoding === 'base64' ? Uint8Array.from(atob(file.content), (c) => c.charCodeAt(0)) : new TextEncoder().encode(file.content);
        }
      }
      const day = new Date(Date.now()).toISOString().slice(0, 10); // eslint-disable-line svelte/prefer-svelte-reactivity -- a file name, not state
      downloadBytes(`hwr-pages-${day}.zip`, 'application/zip', zipSync(files, { level: 6 }));
      return pages.length;
    } catch (err) {
      this.app.report(err);
      return 0;
    }
  }

  async copyText(): Promise<boolean> {
    const page = this.current?.page;
    if (!page) return false;
    try {
      await navigator.clipboard.writeText(page.text);
      return true;
    } catch (err) {
      this.app.report(new Error(`cannot copy to the clipboard: ${err instanceof Error ? err.message : String(err)}`));
      return false;
    }
  }

  /** Every glyph of every read page, for the autoencoder view. */
  allGlyphs(): { page: string; glyph: GlyphDTO }[] {
    return this.entries.flatMap((e) => (e.page ? e.page.rows.flatMap((r) => r.words.flatMap((w) => w.glyphs.map((glyph) => ({ page: e.name, glyph })))) : []));
  }
}

/** `name`, or `name (2)`, `name (3)`… before its extension, whichever `taken` does not hold yet (two pages may share a name). */
export function uniqueName(taken: Record<string, unknown>, name: string): string {
  if (!(name in taken)) return name;
  const dot = name.indexOf('.') > 0 ? name.indexOf('.') : name.length;
  for (let n = 2; ; n++) {
    const candidate = `${name.slice(0, dot)} (${n})${name.slice(dot)}`;
    if (!(candidate in taken)) return candidate;
  }
}
