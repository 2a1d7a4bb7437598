/** The Autoencoder view's state: glyphs picked from a drawing, a scan or the dataset, and their reconstructions. */
import { GLYPH_VALUES, type HwrApi } from '../../../app/contract.ts';
import type { AppState } from './app.svelte.ts';

export interface Pick {
  key: string;
  source: 'draw' | 'scan' | 'dataset';
  label: string;
  pixels: Float32Array;
}

export interface Reconstructed {
  model: string;
  reconstructions: Float32Array;
  psnr: number[];
}

const MAX_PICKS = 12;

export class AutoencoderState {
  dataset = $state.raw<{ classes: string[]; labels: number[]; glyphs: Float32Array } | null>(null);
  datasetRecon = $state.raw<Reconstructed | null>(null);
  picks = $state.raw<Pick[]>([]);
  pickRecon = $state.raw<Reconstructed | null>(null);
  loading = $state(false);
  private counter = 0;

  constructor(private readonly app: AppState) {}

  private get api(): HwrApi {
    return this.app.api;
  }

  /** A grid of dataset glyphs per class, and what the autoencoder makes of them. */
  async loadDataset(perClass = 4, seed = 1): Promise<void> {
    this.loading = true;
    try {
      const set = await this.api.datasetSamples({ perClass, seed });
      this.dataset = set;
      this.datasetRecon = await this.reconstruct(set.glyphs);
    } catch (err) {
      this.app.report(err);
    } finally {
      this.loading = false;
    }
  }

  add(source: Pick['source'], label: string, pixels: Float32Array): void {
    if (pixels.length !== GLYPH_VALUES) return;
    const pick = { key: `pick-${++this.counter}`, source, label, pixels };
    this.picks = [pick, ...this.picks].slice(0, MAX_PICKS);
    void this.reconstructPicks();
  }

  remove(key: string): void {
    this.picks = this.picks.filter((p) => p.key !== key);
    void this.reconstructPicks();
  }

  private async reconstructPicks(): Promise<void> {
    if (this.picks.length === 0) {
      this.pickRecon = null;
      return;
    }
    const glyphs = new Float32Array(this.picks.length * GLYPH_VALUES);
    this.picks.forEach((p, i) => glyphs.set(p.pixels, i * GLYPH_VALUES));
    try {
      this.pickRecon = await this.reconstruct(glyphs);
    } catch (err) {
      this.app.report(err);
    }
  }

  private reconstruct(glyphs: Float32Array): Promise<Reconstructed> {
    return this.api.reconstructGlyphs({ glyphs });
  }
}

/** Glyph i of a flat glyph array. */
export const glyphAt = (glyphs: Float32Array, i: number): Float32Array => glyphs.subarray(i * GLYPH_VALUES, (i + 1) * GLYPH_VALUES);
