/**
 * The Draw view's state: strokes, what they make, and live readings. Two modes: one character
 * (the glyph it makes and the classifier's top guesses, for samples), or words and lines (read
 * as a page, by the line recogniser where it reads better, each time the pen lifts; a
 * scratch-out erases what it runs over). Requests are coalesced: while one is out, later
 * strokes only mark the drawing dirty, and the newest goes out when the answer comes back, so
 * the readings never lag behind a queue.
 */
import { GLYPH_VALUES, type HwrApi, type Prediction, type RowDTO } from '../../../app/contract.ts';
import type { AppState } from './app.svelte.ts';
import { addStroke, rasterBytes, rasterizeInk, rasterizeStrokes, type Raster, type Stroke, type StrokePoint } from './strokes.ts';

export type DrawMode = 'char' | 'lines';
const MODE_KEY = 'hwr.drawMode';
/** Pause after the pen lifts before the lines are read (ms). */
const READ_AFTER = 250;

export class DrawState {
  strokes = $state.raw<Stroke[]>([]);
  glyph = $state.raw<Float32Array>(new Float32Array(GLYPH_VALUES));
  predictions = $state.raw<Prediction[]>([]);
  /** Framing plus the round trip to the model, of the last update. */
  latencyMs = $state<number | null>(null);
  model = $state<string | null>(null);
  saved = $state<string | null>(null);
  mode = $state<DrawMode>(typeof localStorage !== 'undefined' && localStorage.getItem(MODE_KEY) === 'lines' ? 'lines' : 'char');
  /** Lines mode: the rows read, and the reading's state. */
  rows = $state.raw<Pick<RowDTO, 'text' | 'confidence' | 'reader'>[]>([]);
  reading = $state(false);
  erased = $state(0);
  private drawing = false;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private inFlight = false;
  private dirty = false;

  constructor(readonly app: AppState) {}

  private get api(): HwrApi {
    return this.app.api;
  }

  get empty(): boolean {
    return this.strokes.length === 0;
  }

  setMode(mode: DrawMode): void {
    if (mode === this.mode) return;
    this.mode = mode;
    localStorage.setItem(MODE_KEY, mode);
    this.clear();
  }

  begin(point: StrokePoint): void {
    this.drawing = true;
    this.saved = null;
    this.strokes = [...this.strokes, [point]];
    if (this.timer) clearTimeout(this.timer);
    if (this.mode === 'char') this.update();
  }

  extend(points: StrokePoint[]): void {
    if (!this.drawing || points.length === 0) return;
    const last = this.strokes.at(-1) ?? [];
    this.strokes = [...this.strokes.slice(0, -1), [...last, ...points]];
    if (this.mode === 'char') this.update();
  }

  end(): void {
    this.drawing = false;
    if (this.mode === 'lines') {
      const last = this.strokes.at(-1);
      if (last) {
        const { strokes, erased } = addStroke(this.strokes.slice(0, -1), last);
        this.strokes = strokes;
        this.erased = erased;
      }
      // Read once the pen has rested a moment (another stroke soon after waits for it).
      if (this.timer) clearTimeout(this.timer);
      this.timer = setTimeout(() => this.update(), READ_AFTER);
      return;
    }
    this.update();
  }

  undo(): void {
    this.strokes = this.strokes.slice(0, -1);
    this.update();
  }

  clear(): void {
    this.strokes = [];
    this.saved = null;
    this.erased = 0;
    this.update();
  }

  /** Frames the drawing and asks the model, at most one request at a time. */
  update(): void {
    if (this.inFlight) {
      this.dirty = true;
      return;
    }
    void (this.mode === 'lines' ? this.readLines() : this.classify());
  }

  /** Lines mode: the writing as a page image, read as the Scan view reads a page. */
  private async readLines(): Promise<void> {
    const raster = rasterizeInk(this.strokes);
    if (!raster) {
      this.rows = [];
      return;
    }
    this.inFlight = true;
    this.reading = true;
    const started = performance.now();
    try {
      const page = await this.api.recognizePage({ name: 'pad.png', image: await pngOf(raster) });
      if (this.strokes.length === 0 || this.mode !== 'lines') return;
      this.rows = page.rows.map((r) => ({ text: r.text, confidence: r.confidence, reader: r.reader }));
      this.model = page.model;
      this.latencyMs = performance.now() - started;
    } catch (err) {
      this.app.report(err);
    } finally {
      this.inFlight = false;
      this.reading = false;
      if (this.dirty) {
        this.dirty = false;
        this.update();
      }
    }
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
        this.update();
      }
    }
  }

  /** Saves the character as a sample; the pad is cleared for the next. Resolves true when saved. */
  async save(label: string): Promise<boolean> {
    if (this.empty) return false;
    try {
      const result = await this.api.saveSample({
        label,
        glyph: this.glyph,
        source: 'draw',
        ...(this.predictions[0] ? { predicted: this.predictions[0].label } : {}),
      });
      this.clear();
      this.saved = `Saved as '${label}' (${result.count} sample${result.count === 1 ? '' : 's'} of that class)`;
      return true;
    } catch (err) {
      this.app.report(err);
      return false;
    }
  }
}

/** The ink as a PNG page: dark ink on white paper. */
async function pngOf(raster: Raster): Promise<Uint8Array> {
  const canvas = document.createElement('canvas');
  canvas.width = raster.width;
  canvas.height = raster.height;
  const ctx = canvas.getContext('2d')!;
  const image = ctx.createImageData(raster.width, raster.height);
  const ink = rasterBytes(raster);
  for (let i = 0; i < ink.length; i++) {
    const v = 255 - ink[i]!;
    image.data.set([v, v, v, 255], i * 4);
  }
  ctx.putImageData(image, 0, 0);
  const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, 'image/png'));
  if (!blob) throw new Error('the drawing could not be turned into an image');
  return new Uint8Array(await blob.arrayBuffer());
}
