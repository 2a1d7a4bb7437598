/** The Scan view's state: the images dropped, their recognised pages, and corrections. */
import { IMAGE_TYPE_NAMES, isOpenableImage, LIMITS, type ExportFormat, type GlyphDTO, type HwrApi, type PageDTO } from '../../../app/contract.ts';
import { relabelPage } from '../../../app/shared/page-text.ts';
import type { AppState } from './app.svelte.ts';
import { downloadText } from './download.ts';

export interface ScanEntry {
  key: string;
  name: string;
  /** Object URL of the image as dropped (the browser applies EXIF orientation, as the back end does). */
  url: string;
  status: 'waiting' | 'reading' | 'done' | 'failed';
  stage: string;
  progress: number;
  page: PageDTO | null;
  error?: string;
}

export class ScanState {
  entries = $state.raw<ScanEntry[]>([]);
  currentKey = $state<string | null>(null);
  hovered = $state.raw<GlyphDTO | null>(null);
  selected = $state.raw<GlyphDTO | null>(null);
  current = $derived(this.entries.find((e) => e.key === this.currentKey) ?? null);
  private queue: Promise<void> = Promise.resolve();
  private counter = 0;

  constructor(private readonly app: AppState) {
    app.api.onEvent((event) => {
      if (event.type === 'progress') this.patch(event.jobId, { stage: event.stage, progress: Math.max(0.15, event.fraction) });
      if (event.type === 'files-opened') void this.takeOpened();
    });
    // Images the app was opened with (an image's "Open with hwr", the command line).
    void this.takeOpened();
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

  private get api(): HwrApi {
    return this.app.api;
  }

  /** Queues images for recognition, one at a time (they are big); shows the first new one. */
  addFiles(files: Iterable<File>): void {
    const added: ScanEntry[] = [];
    for (const file of files) {
      if (!isOpenableImage(file.name, file.type)) {
        this.app.report(new Error(`${file.name} is not an image hwr reads: drop ${IMAGE_TYPE_NAMES} files`));
        continue;
      }
      if (file.size > LIMITS.imageBytes) {
        this.app.report(new Error(`${file.name} is ${(file.size / 1048576).toFixed(0)} MB; the limit is ${LIMITS.imageBytes / 1048576} MB`));
        continue;
      }
      const key = `scan-${++this.counter}`;
      const entry: ScanEntry = { key, name: file.name, url: URL.createObjectURL(file), status: 'waiting', stage: 'waiting', progress: 0, page: null };
      added.push(entry);
      this.queue = this.queue.then(() => this.read(entry.key, file));
    }
    if (added.length === 0) return;
    this.entries = [...this.entries, ...added];
    this.currentKey = added[0]!.key;
  }

  private async read(key: string, file: File): Promise<void> {
    this.patch(key, { status: 'reading', stage: 'uploading', progress: 0.02 });
    try {
      const image = new Uint8Array(await file.arrayBuffer());
      const page = await this.api.recognizePage({ name: file.name, image, jobId: key });
      this.patch(key, { status: 'done', stage: 'done', progress: 1, page });
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.patch(key, { status: 'failed', stage: 'failed', error: message });
      this.app.report(err);
    }
  }

  private patch(key: string, change: Partial<ScanEntry>): void {
    this.entries = this.entries.map((e) => (e.key === key ? { ...e, ...change } : e));
  }

  show(key: string): void {
    this.currentKey = key;
    this.hovered = null;
    this.selected = null;
  }

  remove(key: string): void {
    const entry = this.entries.find((e) => e.key === key);
    if (entry) URL.revokeObjectURL(entry.url);
    this.entries = this.entries.filter((e) => e.key !== key);
    if (this.currentKey === key) this.currentKey = this.entries.at(-1)?.key ?? null;
  }

  /** Corrects a glyph: saved as a labelled sample, and the page's text follows. */
  async correct(glyph: GlyphDTO, label: string): Promise<boolean> {
    const entry = this.current;
    if (!entry?.page) return false;
    try {
      await this.api.saveSample({ label, glyph: glyph.pixels, source: 'scan', pageId: entry.page.id, glyphId: glyph.id, predicted: glyph.label });
    } catch (err) {
      this.app.report(err);
      return false;
    }
    this.patch(entry.key, { page: relabelPage(entry.page, glyph.id, label) });
    this.selected = null;
    return true;
  }

  async exportAs(format: ExportFormat): Promise<void> {
    const page = this.current?.page;
    if (!page) return;
    try {
      const file = await this.api.exportPage({ pageId: page.id, format });
      downloadText(file.filename, file.mimeType, file.content);
    } catch (err) {
      this.app.report(err);
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
