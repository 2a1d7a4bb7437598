/**
 * The Draw view's state: strokes, the glyph they make, and live predictions. Classification is
 * coalesced: while one request is out, later strokes only mark the glyph dirty, and the newest
 * drawing goes out when the answer comes back, so the predictions never lag behind a queue.
 */
import { GLYPH_VALUES, type HwrApi, type Prediction } from '../../../app/contract.ts';
import type { AppState } from './app.svelte.ts';
import { rasterBytes, rasterizeStrokes, type Stroke, type StrokePoint } from './strokes.ts';

export class DrawState {
  strokes = $state.raw<Stroke[]>([]);
  glyph = $state.raw<Float32Array>(new Float32Array(GLYPH_VALUES));
  predictions = $state.raw<Prediction[]>([]);
  /** Framing plus the round trip to the model, of the last update. */
  latencyMs = $state<number | null>(null);
  model = $state<string | null>(null);
  saved = $state<string | null>(null);
  private drawing = false;
  private inFlight = false;
  private dirty = false;

  constructor(private readonly app: AppState) {}

  private get api(): HwrApi {
    return this.app.api;
  }

  get empty(): boolean {
    return this.strokes.length === 0;
  }

  begin(point: StrokePoint): void {
    this.drawing = true;
    this.saved = null;
    this.strokes = [...this.strokes, [point]];
    this.update();
  }

  extend(points: StrokePoint[]): void {
    if (!this.drawing || points.length === 0) return;
    const last = this.strokes.at(-1) ?? [];
    this.strokes = [...this.strokes.slice(0, -1), [...last, ...points]];
    this.update();
  }

  end(): void {
    this.drawing = false;
    this.update();
  }

  undo(): void {
    this.strokes = this.strokes.slice(0, -1);
    this.update();
  }

  clear(): void {
    this.strokes = [];
    this.saved = null;
    this.update();
  }

  /** Frames the drawing and asks the model, at most one request at a time. */
  update(): void {
    if (this.inFlight) {
      this.dirty = true;
      return;
    }
    void this.classify();
  }

  private async classify(): Promise<void> {
    const started = performance.now();
    const raster = rasterizeStrokes(this.strokes);
    if (!raster) {
      this.glyph = new Float32Array(GLYPH_VALUES);
      this.predictions = [];
      this.latencyMs = null;
      return;
    }
    this.inFlight = true;
    try {
      const { model, glyph, predictions } = await this.api.classifyDrawing({ ink: rasterBytes(raster), width: raster.width, height: raster.height, topK: 5 });
      // A clear while the request was out wins.
      if (this.strokes.length === 0) return;
      this.glyph = glyph;
      this.predictions = predictions;
      this.model = model;
      this.latencyMs = performance.now() - started;
    } catch (err) {
      this.app.report(err);
    } finally {
      this.inFlight = false;
      if (this.dirty) {
        this.dirty = false;
        void this.classify();
      }
    }
  }

  async save(label: string): Promise<void> {
    if (this.empty) return;
    try {
      const result = await this.api.saveSample({
        label,
        glyph: this.glyph,
        source: 'draw',
        ...(this.predictions[0] ? { predicted: this.predictions[0].label } : {}),
      });
      this.saved = `Saved as '${label}' (${result.count} sample${result.count === 1 ? '' : 's'} of that class)`;
    } catch (err) {
      this.app.report(err);
    }
  }
}
