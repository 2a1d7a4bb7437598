/**
 * Synthetic handwriting pages with known character boxes, for segmentation and recognition tests
 * that need no photos and no model: characters drawn as strokes (a simple block-capital stroke
 * font, or real EMNIST glyphs when given), on paper with uneven light, grain, blur, slanted rows.
 */
import { createRng } from '../../app/base/random.ts';
import type { Box, GrayImage } from '../../app/image/gray.ts';

type Point = [number, number];
/** A character as polylines in a unit box: x 0..~0.9 (its width), y 0 (top) .. 1 (baseline). */
export type StrokeGlyph = Point[][];

const ellipse = (cx: number, cy: number, rx: number, ry: number, from = 0, to = 2 * Math.PI, n = 16): Point[] =>
  Array.from({ length: n + 1 }, (_, i) => {
    const a = from + ((to - from) * i) / n;
    return [cx + rx * Math.cos(a), cy + ry * Math.sin(a)] as Point;
  });

/** Block capitals and digits, roughly as people print them. */
export const STROKE_FONT: Record<string, StrokeGlyph> = {
  A: [
    [
      [0, 1],
      [0.35, 0],
      [0.7, 1],
    ],
    [
      [0.13, 0.62],
      [0.57, 0.62],
    ],
  ],
  B: [
    [
      [0, 0],
      [0, 1],
    ],
    [
      [0, 0],
      [0.45, 0],
      [0.6, 0.1],
      [0.6, 0.4],
      [0.45, 0.5],
      [0, 0.5],
    ],
    [
      [0.45, 0.5],
      [0.65, 0.6],
      [0.65, 0.9],
      [0.5, 1],
      [0, 1],
    ],
  ],
  C: [
    [
      [0.65, 0.15],
      [0.5, 0],
      [0.2, 0],
      [0, 0.25],
      [0, 0.75],
      [0.2, 1],
      [0.5, 1],
      [0.65, 0.85],
    ],
  ],
  D: [
    [
      [0, 0],
      [0, 1],
      [0.4, 1],
      [0.65, 0.75],
      [0.65, 0.25],
      [0.4, 0],
      [0, 0],
    ],
  ],
  E: [
    [
      [0.6, 0],
      [0, 0],
      [0, 1],
      [0.6, 1],
    ],
    [
      [0, 0.5],
      [0.5, 0.5],
    ],
  ],
  F: [
    [
      [0.6, 0],
      [0, 0],
      [0, 1],
    ],
    [
      [0, 0.5],
      [0.5, 0.5],
    ],
  ],
  G: [
    [
      [0.65, 0.15],
      [0.5, 0],
      [0.2, 0],
      [0, 0.25],
      [0, 0.75],
      [0.2, 1],
      [0.5, 1],
      [0.65, 0.8],
      [0.65, 0.55],
      [0.4, 0.55],
    ],
  ],
  H: [
    [
      [0, 0],
      [0, 1],
    ],
    [
      [0.6, 0],
      [0.6, 1],
    ],
    [
      [0, 0.5],
      [0.6, 0.5],
    ],
  ],
  I: [
    [
      [0.3, 0],
      [0.3, 1],
    ],
    [
      [0, 0],
      [0.6, 0],
    ],
    [
      [0, 1],
      [0.6, 1],
    ],
  ],
  J: [
    [
      [0.6, 0],
      [0.6, 0.8],
      [0.45, 1],
      [0.15, 1],
      [0, 0.8],
    ],
  ],
  K: [
    [
      [0, 0],
      [0, 1],
    ],
    [
      [0.6, 0],
      [0, 0.55],
    ],
    [
      [0.2, 0.4],
      [0.6, 1],
    ],
  ],
  L: [
    [
      [0, 0],
      [0, 1],
      [0.55, 1],
    ],
  ],
  M: [
    [
      [0, 1],
      [0, 0],
      [0.4, 0.6],
      [0.8, 0],
      [0.8, 1],
    ],
  ],
  N: [
    [
      [0, 1],
      [0, 0],
      [0.65, 1],
      [0.65, 0],
    ],
  ],
  O: [ellipse(0.35, 0.5, 0.35, 0.5)],
  P: [
    [
      [0, 1],
      [0, 0],
      [0.45, 0],
      [0.6, 0.12],
      [0.6, 0.4],
      [0.45, 0.52],
      [0, 0.52],
    ],
  ],
  Q: [
    ellipse(0.35, 0.5, 0.35, 0.5),
    [
      [0.4, 0.7],
      [0.75, 1.02],
    ],
  ],
  R: [
    [
      [0, 1],
      [0, 0],
      [0.45, 0],
      [0.6, 0.12],
      [0.6, 0.4],
      [0.45, 0.52],
      [0, 0.52],
    ],
    [
      [0.25, 0.52],
      [0.6, 1],
    ],
  ],
  S: [
    [
      [0.6, 0.1],
      [0.45, 0],
      [0.15, 0],
      [0, 0.15],
      [0, 0.35],
      [0.15, 0.48],
      [0.45, 0.52],
      [0.6, 0.65],
      [0.6, 0.85],
      [0.45, 1],
      [0.15, 1],
      [0, 0.9],
    ],
  ],
  T: [
    [
      [0, 0],
      [0.7, 0],
    ],
    [
      [0.35, 0],
      [0.35, 1],
    ],
  ],
  U: [
    [
      [0, 0],
      [0, 0.8],
      [0.15, 1],
      [0.5, 1],
      [0.65, 0.8],
      [0.65, 0],
    ],
  ],
  V: [
    [
      [0, 0],
      [0.35, 1],
      [0.7, 0],
    ],
  ],
  W: [
    [
      [0, 0],
      [0.2, 1],
      [0.45, 0.3],
      [0.7, 1],
      [0.9, 0],
    ],
  ],
  X: [
    [
      [0, 0],
      [0.65, 1],
    ],
    [
      [0.65, 0],
      [0, 1],
    ],
  ],
  Y: [
    [
      [0, 0],
      [0.35, 0.5],
      [0.7, 0],
    ],
    [
      [0.35, 0.5],
      [0.35, 1],
    ],
  ],
  Z: [
    [
      [0, 0],
      [0.65, 0],
      [0, 1],
      [0.65, 1],
    ],
  ],
  '0': [ellipse(0.28, 0.5, 0.28, 0.5)],
  '1': [
    [
      [0.05, 0.2],
      [0.3, 0],
      [0.3, 1],
    ],
  ],
  '2': [
    [
      [0, 0.2],
      [0.15, 0],
      [0.45, 0],
      [0.6, 0.15],
      [0.6, 0.35],
      [0, 1],
      [0.65, 1],
    ],
  ],
  '3': [
    [
      [0, 0.1],
      [0.15, 0],
      [0.45, 0],
      [0.6, 0.15],
      [0.6, 0.35],
      [0.4, 0.5],
      [0.2, 0.5],
    ],
    [
      [0.4, 0.5],
      [0.62, 0.65],
      [0.62, 0.85],
      [0.45, 1],
      [0.15, 1],
      [0, 0.9],
    ],
  ],
  '4': [
    [
      [0.45, 1],
      [0.45, 0],
      [0, 0.7],
      [0.65, 0.7],
    ],
  ],
  '5': [
    [
      [0.6, 0],
      [0.05, 0],
      [0, 0.45],
      [0.4, 0.4],
      [0.6, 0.55],
      [0.6, 0.85],
      [0.45, 1],
      [0.1, 1],
      [0, 0.9],
    ],
  ],
  '6': [
    [
      [0.55, 0],
      [0.2, 0.3],
      [0, 0.65],
      [0.05, 0.9],
      [0.3, 1],
      [0.55, 0.9],
      [0.6, 0.65],
      [0.35, 0.5],
      [0.05, 0.6],
    ],
  ],
  '7': [
    [
      [0, 0],
      [0.65, 0],
      [0.2, 1],
    ],
  ],
  '8': [ellipse(0.3, 0.24, 0.24, 0.24), ellipse(0.3, 0.73, 0.3, 0.27)],
  '9': [
    [
      [0.6, 0.3],
      [0.35, 0.5],
      [0.05, 0.35],
      [0.05, 0.12],
      [0.3, 0],
      [0.55, 0.1],
      [0.6, 0.3],
      [0.5, 1],
    ],
  ],
  /** A dot on the baseline, as after list numbers. */
  '.': [
    [
      [0.05, 0.97],
      [0.06, 0.97],
    ],
  ],
};

/** Characters in pieces, as a skipping pen leaves them: a lifted stem, a broken stem, a bar short of a stem. */
export const BROKEN_FONT: Record<string, StrokeGlyph> = {
  T: [
    [
      [0, 0],
      [0.7, 0],
    ],
    [
      [0.35, 0.2],
      [0.35, 1],
    ],
  ],
  E: [
    [
      [0.6, 0],
      [0, 0],
      [0, 0.38],
    ],
    [
      [0.5, 0.55],
      [0, 0.55],
      [0, 1],
      [0.6, 1],
    ],
  ],
  H: [
    [
      [0, 0],
      [0, 1],
    ],
    [
      [0, 0.5],
      [0.45, 0.5],
    ],
    [
      [0.62, 0],
      [0.62, 1],
    ],
  ],
};

export function glyphWidth(g: StrokeGlyph): number {
  let w = 0;
  for (const line of g) for (const [x] of line) w = Math.max(w, x);
  return Math.max(0.05, w);
}

export interface PageSpec {
  /** Rows of text; ' ' separates words. */
  rows: string[];
  width?: number;
  height?: number;
  /** Character height in pixels. */
  charHeight?: number;
  /** Stroke width as a share of the character height. */
  stroke?: number;
  /** Gap between letters and between words, in character heights. */
  letterGap?: number;
  wordGap?: number;
  /** Distance between row tops, in character heights. */
  rowPitch?: number;
  /** Row slope (dy/dx) and character shear (italic). */
  slope?: number;
  shear?: number;
  /** Light falls from this brightness (left) to that (right), paper grain σ, ink darkness (0..1). */
  light?: [number, number];
  grain?: number;
  ink?: number;
  /** Box blur radius in pixels. */
  blur?: number;
  left?: number;
  top?: number;
  seed?: number;
  /** Per-character glyph overrides (e.g. BROKEN_FONT), and per-position letter gaps (row, index before the gap). */
  font?: Record<string, StrokeGlyph>;
  gapOverride?: (row: number, index: number) => number | undefined;
  /** Random size and baseline jitter, as shares of the character height. */
  jitter?: number;
  /** Lines printed under each row's baseline: darkness 0..1 and thickness in px. */
  ruled?: { darkness: number; thickness: number };
  /** Characters as raster images instead of strokes (e.g. EMNIST samples): see emnistRaster. */
  raster?: (char: string, random: () => number) => RasterGlyph;
}

/** A character image, ink 0..1, whose ink box is about `box` px tall (EMNIST: 22) when the character is tall. */
export interface RasterGlyph {
  width: number;
  height: number;
  data: Float32Array;
}

/**
 * Random samples of each class from a glyph set (32×32, ink = 1, as app/data loads EMNIST), for
 * pages of real handwriting.
 */
export function emnistRaster(pixels: Float32Array, labels: Int32Array, classes: readonly string[]): (char: string, random: () => number) => RasterGlyph {
  const byClass = new Map<string, number[]>();
  labels.forEach((l, i) => {
    const c = classes[l]!;
    if (!byClass.has(c)) byClass.set(c, []);
    byClass.get(c)!.push(i);
  });
  return (char, random) => {
    const list = byClass.get(char);
    if (!list) throw new Error(`emnistRaster: no samples of '${char}'`);
    const i = list[Math.floor(random() * list.length)]!;
    return { width: 32, height: 32, data: pixels.subarray(i * 1024, (i + 1) * 1024) };
  };
}

/**
 * Draws a raster glyph with its ink box's top-left at (x0, y0), scaled so 22 px of the glyph
 * become `size` px (tall characters come out `size` tall), bilinear; returns the ink box.
 */
export function drawRaster(ink: Float32Array, w: number, h: number, g: RasterGlyph, x0: number, y0: number, size: number, shear = 0): Box | null {
  let gx0 = g.width,
    gy0 = g.height,
    gx1 = -1,
    gy1 = -1;
  for (let y = 0; y < g.height; y++) {
    for (let x = 0; x < g.width; x++) {
      if (g.data[y * g.width + x]! > 0.5) {
        gx0 = Math.min(gx0, x);
        gy0 = Math.min(gy0, y);
        gx1 = Math.max(gx1, x);
        gy1 = Math.max(gy1, y);
      }
    }
  }
  if (gx1 < 0) return null;
  const s = size / 22;
  // Offsets so the glyph's ink box starts at (x0, y0); a character shorter than tall ones sits on the baseline.
  const baseline = y0 + size;
  const oy = baseline - (gy1 + 1) * s;
  const ox = x0 - gx0 * s;
  const sample = (u: number, v: number) => {
    const x = Math.floor(u);
    const y = Math.floor(v);
    const fx = u - x;
    const fy = v - y;
    const at = (xx: number, yy: number) => (xx >= 0 && yy >= 0 && xx < g.width && yy < g.height ? g.data[yy * g.width + xx]! : 0);
    return (at(x, y) * (1 - fx) + at(x + 1, y) * fx) * (1 - fy) + (at(x, y + 1) * (1 - fx) + at(x + 1, y + 1) * fx) * fy;
  };
  const canvas: Canvas = { ink, width: w, box: newBox() };
  const ya = Math.max(0, Math.floor(oy + gy0 * s - 2));
  const yb = Math.min(h - 1, Math.ceil(baseline + 2));
  const xa = Math.max(0, Math.floor(ox + gx0 * s - 2 - Math.abs(shear) * size));
  const xb = Math.min(w - 1, Math.ceil(ox + (gx1 + 1) * s + 2 + Math.abs(shear) * size));
  for (let y = ya; y <= yb; y++) {
    const lean = shear * (baseline - (y + 0.5));
    for (let x = xa; x <= xb; x++) {
      const v = sample((x + 0.5 - lean - ox) / s - 0.5, (y + 0.5 - oy) / s - 0.5);
      if (v > 0) put(canvas, x, y, v);
    }
  }
  return boxOf(canvas);
}

export interface PageGlyph {
  char: string;
  /** Ink box in page pixels. */
  box: Box;
}

export interface SyntheticPage {
  image: GrayImage;
  /** Characters per row (dots and spaces excluded), left to right. */
  rows: PageGlyph[][];
  /** Word lengths per row. */
  words: number[][];
}

/** Deterministic uniform [0, 1) numbers from a seed (the project's generator). */
export function rng(seed: number): () => number {
  const r = createRng(seed);
  return () => r.next();
}

/** Ink (max-composited) and the box of the ink above half, as characters are drawn. */
interface Canvas {
  ink: Float32Array;
  width: number;
  box: { x0: number; y0: number; x1: number; y1: number };
}

const newBox = () => ({ x0: Infinity, y0: Infinity, x1: -Infinity, y1: -Infinity });

function put(c: Canvas, x: number, y: number, v: number): void {
  const i = y * c.width + x;
  if (v > c.ink[i]!) c.ink[i] = v;
  if (v > 0.5) {
    c.box.x0 = Math.min(c.box.x0, x);
    c.box.y0 = Math.min(c.box.y0, y);
    c.box.x1 = Math.max(c.box.x1, x + 1);
    c.box.y1 = Math.max(c.box.y1, y + 1);
  }
}

const boxOf = (c: Canvas): Box | null => (c.box.x0 === Infinity ? null : { ...c.box });

function segDist(px: number, py: number, ax: number, ay: number, bx: number, by: number): number {
  const dx = bx - ax;
  const dy = by - ay;
  const len = dx * dx + dy * dy;
  const t = len > 0 ? Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / len)) : 0;
  return Math.hypot(px - ax - t * dx, py - ay - t * dy);
}

/** Draws a stroke glyph into an ink buffer (max-composited); returns its ink box. */
export function drawGlyph(
  ink: Float32Array,
  w: number,
  h: number,
  g: StrokeGlyph,
  x0: number,
  y0: number,
  size: number,
  strokePx: number,
  shear = 0,
): Box | null {
  const lines = g.map((line) => line.map(([x, y]) => [x0 + (x + shear * (1 - y)) * size, y0 + y * size] as Point));
  const r = strokePx / 2;
  const canvas: Canvas = { ink, width: w, box: newBox() };
  for (const line of lines) {
    for (let s = 0; s < line.length - 1 || (line.length === 1 && s === 0); s++) {
      const [ax, ay] = line[s]!;
      const [bx, by] = line[Math.min(s + 1, line.length - 1)]!;
      const xa = Math.max(0, Math.floor(Math.min(ax, bx) - r - 1));
      const xb = Math.min(w - 1, Math.ceil(Math.max(ax, bx) + r + 1));
      const ya = Math.max(0, Math.floor(Math.min(ay, by) - r - 1));
      const yb = Math.min(h - 1, Math.ceil(Math.max(ay, by) + r + 1));
      for (let y = ya; y <= yb; y++) {
        for (let x = xa; x <= xb; x++) {
          put(canvas, x, y, Math.max(0, Math.min(1, r + 0.5 - segDist(x + 0.5, y + 0.5, ax, ay, bx, by))));
        }
      }
    }
  }
  return boxOf(canvas);
}

/** Renders a page; boxes are exact ink boxes (before blur). */
export function renderPage(spec: PageSpec): SyntheticPage {
  const H = spec.charHeight ?? 60;
  const stroke = (spec.stroke ?? 0.09) * H;
  const letterGap = (spec.letterGap ?? 0.3) * H;
  const wordGap = (spec.wordGap ?? 1.2) * H;
  const pitch = (spec.rowPitch ?? 2) * H;
  const left = spec.left ?? H;
  const top = spec.top ?? H;
  const font = { ...STROKE_FONT, ...spec.font };
  const random = rng(spec.seed ?? 1);
  const jitter = spec.jitter ?? 0.05;
  // Size the page to fit the text unless given.
  const rowWidth = (row: string) =>
    [...row].reduce((s, c) => s + (c === ' ' ? wordGap : (spec.raster ? 1.05 : glyphWidth(font[c] ?? font.O!)) * H + letterGap), 0);
  const width = spec.width ?? Math.ceil(left * 2 + Math.max(...spec.rows.map(rowWidth), H));
  const height = spec.height ?? Math.ceil(top * 2 + pitch * spec.rows.length + Math.abs(spec.slope ?? 0) * width);
  const ink = new Float32Array(width * height);
  const rows: PageGlyph[][] = [];
  const words: number[][] = [];
  spec.rows.forEach((text, r) => {
    let x = left;
    const glyphs: PageGlyph[] = [];
    const lengths: number[] = [];
    let inWord = 0;
    let index = 0;
    for (const char of text) {
      if (char === ' ') {
        if (inWord) lengths.push(inWord);
        inWord = 0;
        x += wordGap - letterGap;
        continue;
      }
      const size = H * (1 + (random() - 0.5) * 2 * jitter);
      const y = top + r * pitch + (spec.slope ?? 0) * (x - left) + (random() - 0.5) * 2 * jitter * H + (H - size);
      const raster = char !== '.' ? spec.raster?.(char, random) : undefined;
      let box: Box | null;
      let advance: number;
      if (raster) {
        box = drawRaster(ink, width, height, raster, x, y, size, spec.shear ?? 0);
        advance = box ? box.x1 - x : 0;
      } else {
        const g = font[char];
        if (!g) throw new Error(`renderPage: no glyph for '${char}'`);
        box = drawGlyph(ink, width, height, g, x, y, size, stroke, spec.shear ?? 0);
        advance = glyphWidth(g) * size + stroke;
      }
      if (char !== '.' && box) {
        glyphs.push({ char, box });
        inWord++;
      }
      x += advance + (spec.gapOverride?.(r, index) ?? spec.letterGap ?? 0.3) * H;
      index++;
    }
    if (inWord) lengths.push(inWord);
    rows.push(glyphs);
    words.push(lengths);
  });
  const [l0, l1] = spec.light ?? [0.92, 0.92];
  const grain = spec.grain ?? 0.02;
  const darkness = spec.ink ?? 0.75;
  // Ruled paper: a printed line under every row's baseline (and beyond the text), across the page.
  const ruled = new Float32Array(width * height);
  if (spec.ruled) {
    const { darkness: lineInk, thickness } = spec.ruled;
    for (let k = 0; top + k * pitch < height; k++) {
      const base = top + k * pitch + H + 0.04 * H;
      for (let x = 0; x < width; x++) {
        const yc = base + (spec.slope ?? 0) * (x - left);
        for (let y = Math.max(0, Math.floor(yc - thickness)); y <= Math.min(height - 1, Math.ceil(yc + thickness)); y++) {
          ruled[y * width + x] = lineInk * Math.max(0, Math.min(1, thickness / 2 + 0.5 - Math.abs(y + 0.5 - yc)));
        }
      }
    }
  }
  let data: Float32Array = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const paper = (l0 + ((l1 - l0) * x) / width + (random() - 0.5) * 2 * grain) * (1 - ruled[y * width + x]!);
      data[y * width + x] = Math.max(0, Math.min(1, paper * (1 - darkness * ink[y * width + x]!)));
    }
  }
  if (spec.blur) data = boxBlur(data, width, height, spec.blur);
  return { image: { width, height, data }, rows, words };
}

function boxBlur(src: Float32Array, w: number, h: number, r: number): Float32Array {
  const tmp = new Float32Array(w * h);
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let s = 0;
      let n = 0;
      for (let k = Math.max(0, x - r); k <= Math.min(w - 1, x + r); k++, n++) s += src[y * w + k]!;
      tmp[y * w + x] = s / n;
    }
  }
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let s = 0;
      let n = 0;
      for (let k = Math.max(0, y - r); k <= Math.min(h - 1, y + r); k++, n++) s += tmp[k * w + x]!;
      out[y * w + x] = s / n;
    }
  }
  return out;
}

/** Intersection over union of two boxes. */
export function iou(a: Box, b: Box): number {
  const ix = Math.max(0, Math.min(a.x1, b.x1) - Math.max(a.x0, b.x0));
  const iy = Math.max(0, Math.min(a.y1, b.y1) - Math.max(a.y0, b.y0));
  const inter = ix * iy;
  const area = (c: Box) => (c.x1 - c.x0) * (c.y1 - c.y0);
  return inter / (area(a) + area(b) - inter);
}

/** Words of the pages of block capitals (capitalsPage): common English words, a shopping list. */
export const CAPITALS_WORDS = (
  'THE OF AND TO IN IS YOU THAT IT HE WAS FOR ON ARE AS WITH HIS THEY AT BE THIS HAVE FROM OR ONE BY WORD BUT NOT WHAT ALL WERE WE ' +
  'WHEN YOUR CAN SAID LIST NOTE BUY MILK EGGS BREAD'
).split(' ');

/**
 * A page of block capitals in `raster`'s handwriting: four rows of three CAPITALS_WORDS, letters
 * `letterGap` character heights apart (0: touching, below: overlapping), its size, slope, slant
 * and word gaps drawn from the seed `seed` (the page's grain from `pageSeed`).
 */
export function capitalsPage(raster: NonNullable<PageSpec['raster']>, letterGap: number, seed: number, pageSeed: number): { image: GrayImage; rows: string[] } {
  const random = rng(seed);
  const u = (a: number, b: number) => a + (b - a) * random();
  const rows = Array.from({ length: 4 }, () => Array.from({ length: 3 }, () => CAPITALS_WORDS[Math.floor(random() * CAPITALS_WORDS.length)]!).join(' '));
  const page = renderPage({
    rows,
    raster,
    charHeight: Math.round(u(40, 80)),
    slope: u(-0.02, 0.02),
    shear: u(-0.05, 0.1),
    letterGap,
    wordGap: u(0.9, 1.4),
    rowPitch: 2,
    jitter: 0.04,
    ink: 0.8,
    seed: pageSeed,
  });
  return { image: page.image, rows };
}
