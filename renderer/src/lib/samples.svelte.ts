/** The Samples view's state: a page of the user's sample store, the one being edited, and retraining on them. */
import { GLYPH_VALUES, LIMITS, type HwrApi, type SampleInfo, type SamplePage } from '../../../app/contract.ts';
import { glyphAt } from './autoencoder.svelte.ts';
import type { AppState } from './app.svelte.ts';
import type { TrainState } from './train.svelte.ts';

/** What retraining needs at the least. */
export const MIN_SAMPLES = LIMITS.retrainSamples;
export const PAGE_SIZE = 60;

export class SamplesState {
  page = $state.raw<SamplePage | null>(null);
  /** Only this class; '' = all. */
  label = $state('');
  offset = $state(0);
  selected = $state<string | null>(null);
  epochs = $state(5);
  /** Retrain on a worker of the training queue (offered when the server names one). */
  onQueue = $state(false);
  loading = $state(false);
  total = $derived(Object.values(this.page?.counts ?? {}).reduce((a, b) => a + b, 0));

  constructor(
    private readonly app: AppState,
    readonly train: TrainState,
  ) {
    // A sample saved elsewhere (Draw, Scan) changes the store.
    app.api.onEvent((event) => {
      if (event.type === 'log' && /^saved a sample/.test(event.message) && this.page) void this.load();
    });
  }

  private get api(): HwrApi {
    return this.app.api;
  }

  get selectedSample(): SampleInfo | null {
    return this.page?.samples.find((s) => s.id === this.selected) ?? null;
  }

  /** The glyph of a sample on this page. */
  glyphOf(id: string): Float32Array {
    const page = this.page;
    const k = page?.samples.findIndex((s) => s.id === id) ?? -1;
    return page && k >= 0 ? glyphAt(page.glyphs, k) : new Float32Array(GLYPH_VALUES);
  }

  async load(): Promise<void> {
    this.loading = true;
    try {
      const page = await this.api.listSamples({ ...(this.label ? { label: this.label } : {}), offset: this.offset, limit: PAGE_SIZE });
      if (page.samples.length === 0 && this.offset > 0) {
        this.offset = Math.max(0, this.offset - PAGE_SIZE);
        return this.load();
      }
      this.page = page;
      if (this.selected && !page.samples.some((s) => s.id === this.selected)) this.selected = null;
    } catch (err) {
      this.app.report(err);
    } finally {
      this.loading = false;
    }
  }

  async filter(label: string): Promise<void> {
    this.label = label;
    this.offset = 0;
    this.selected = null;
    await this.load();
  }

  async turn(direction: 1 | -1): Promise<void> {
    this.offset = Math.max(0, this.offset + direction * PAGE_SIZE);
    await this.load();
  }

  async relabel(id: string, label: string): Promise<boolean> {
    try {
      await this.api.relabelSample({ id, label });
      await this.load();
      return true;
    } catch (err) {
      this.app.report(err);
      return false;
    }
  }

  async remove(id: string): Promise<void> {
    try {
      await this.api.deleteSample({ id });
      if (this.selected === id) this.selected = null;
      await this.load();
    } catch (err) {
      this.app.report(err);
    }
  }

  async retrain(): Promise<void> {
    await this.train.personalize(this.epochs, this.onQueue && Boolean(this.app.info?.trainQueue));
  }
}
