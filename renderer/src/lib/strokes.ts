/**
 * From pen strokes to the ink the back end frames into the 32×32 glyph a model sees. The strokes
 * are drawn again at a fixed scale (the longer side of the drawing 84 px, pens 13 px wide), so
 * that after app/image/frame.ts (the very framing of the training data and the OCR crops: box
 * 22 px, centred) the strokes are about 3 px wide with soft edges, like EMNIST's, however large
 * or small the user wrote. Pure arithmetic, no canvas: the same strokes give the same ink
 * everywhere, and it is testable.
 */

export interface StrokePoint {
  x: number;
  y: number;
  /** 0–1; a mouse reports 0.5 while a button is down. */
  pressure: number;
}

export type Stroke = readonly StrokePoint[];

/** Longer side of the drawing, in raster pixels, before framing. */
const DRAWING_SIDE = 84;
/** Pen width in raster pixels at normal pressure: 84 + 13 → 22 px box with ~3 px strokes. */
const PEN_WIDTH = 13;
/** A drawing smaller than this (CSS px) is a dot or a dash: it is not blown up to full size. */
const MIN_EXTENT = 24;

/** Pen width factor from pressure: 0.7× at none to 1.3× at full, 1× for a mouse. */
export const pressureWidth = (pressure: number): number => 0.7 + 0.6 * Math.min(1, Math.max(0, pressure || 0.5));

export interface Raster {
  width: number;
  height: number;
  /** Ink 0–1, row-major. */
  data: Float32Array;
}

/** The strokes as antialiased ink at the normalised scale; null when there is nothing drawn. */
export function rasterizeStrokes(strokes: readonly Stroke[]): Raster | null {
  const points = strokes.flat();
  if (points.length === 0) return null;
  let minX = Infinity,
    minY = Infinity,
    maxX = -Infinity,
    maxY = -Infinity;
  for (const p of points) {
    minX = Math.min(minX, p.x);
    maxX = Math.max(maxX, p.x);
    minY = Math.min(minY, p.y);
    maxY = Math.max(maxY, p.y);
  }
  const scale = DRAWING_SIDE / Math.max(maxX - minX, maxY - minY, MIN_EXTENT);
  const pad = Math.ceil(PEN_WIDTH * 0.7) + 2;
  const width = Math.ceil((maxX - minX) * scale) + 2 * pad + 1;
  const height = Math.ceil((maxY - minY) * scale) + 2 * pad + 1;
  const data = new Float32Array(width * height);
  const place = (p: StrokePoint) => ({ x: (p.x - minX) * scale + pad, y: (p.y - minY) * scale + pad, r: (PEN_WIDTH * pressureWidth(p.pressure)) / 2 });
  for (const stroke of strokes) {
    if (stroke.length === 0) continue;
    const placed = stroke.map(place);
    if (placed.length === 1) segment(data, width, height, placed[0]!, placed[0]!);
    for (let i = 1; i < placed.length; i++) segment(data, width, height, placed[i - 1]!, placed[i]!);
  }
  return { width, height, data };
}

/** Ink of a round-capped segment whose radius runs from a.r to b.r; coverage by distance, 1 px soft edge. */
function segment(data: Float32Array, width: number, height: number, a: { x: number; y: number; r: number }, b: { x: number; y: number; r: number }): void {
  const reach = Math.max(a.r, b.r) + 1;
  const x0 = Math.max(0, Math.floor(Math.min(a.x, b.x) - reach));
  const x1 = Math.min(width - 1, Math.ceil(Math.max(a.x, b.x) + reach));
  const y0 = Math.max(0, Math.floor(Math.min(a.y, b.y) - reach));
  const y1 = Math.min(height - 1, Math.ceil(Math.max(a.y, b.y) + reach));
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  const length2 = dx * dx + dy * dy;
  for (let y = y0; y <= y1; y++) {
    const py = y + 0.5;
    for (let x = x0; x <= x1; x++) {
      const px = x + 0.5;
      const t = length2 > 0 ? Math.min(1, Math.max(0, ((px - a.x) * dx + (py - a.y) * dy) / length2)) : 0;
      const ex = px - (a.x + t * dx);
      const ey = py - (a.y + t * dy);
      const r = a.r + (b.r - a.r) * t;
      const ink = Math.min(1, Math.max(0, r + 0.5 - Math.sqrt(ex * ex + ey * ey)));
      const i = y * width + x;
      if (ink > data[i]!) data[i] = ink;
    }
  }
}

/** The raster as bytes (0 = paper, 255 = ink), the contract's DrawingRequest.ink. */
export function rasterBytes(raster: Raster): Uint8Array {
  const out = new Uint8Array(raster.data.length);
  for (let i = 0; i < out.length; i++) out[i] = Math.round(raster.data[i]! * 255);
  return out;
}

/** Pen width (CSS px) of the writing pad: a line of writing is read as a page (the Scan view's pipeline). */
export const LINE_PEN = 4;

/**
 * Lines of writing as ink at the pad's own scale (1 raster px per CSS px), `margin` px of paper
 * around the writing, the pen `pen` px wide; null when nothing is drawn.
 */
export function rasterizeInk(strokes: readonly Stroke[], pen = LINE_PEN, margin = 24): Raster | null {
  const points = strokes.flat();
  if (points.length === 0) return null;
  const minX = Math.min(...points.map((p) => p.x)) - margin;
  const minY = Math.min(...points.map((p) => p.y)) - margin;
  const width = Math.ceil(Math.max(...points.map((p) => p.x)) - minX + margin);
  const height = Math.ceil(Math.max(...points.map((p) => p.y)) - minY + margin);
  const data = new Float32Array(width * height);
  for (const stroke of strokes) {
    const placed = stroke.map((p) => ({ x: p.x - minX, y: p.y - minY, r: (pen * pressureWidth(p.pressure)) / 2 }));
    if (placed.length === 1) segment(data, width, height, placed[0]!, placed[0]!);
    for (let i = 1; i < placed.length; i++) segment(data, width, height, placed[i - 1]!, placed[i]!);
  }
  return { width, height, data };
}

interface Bounds {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

function bounds(stroke: Stroke): Bounds {
  return {
    x0: Math.min(...stroke.map((p) => p.x)),
    y0: Math.min(...stroke.map((p) => p.y)),
    x1: Math.max(...stroke.map((p) => p.x)),
    y1: Math.max(...stroke.map((p) => p.y)),
  };
}

/**
 * Whether a stroke is a scratch-out: a zigzag back and forth along the line (at least four turns
 * of direction, each after `step` px). Letters turn at most twice that way (o, e, s); w and m go
 * one way.
 */
export function isScratch(stroke: Stroke, step = 8): boolean {
  if (stroke.length < 5) return false;
  let turns = 0;
  let direction = 0;
  let anchor = stroke[0]!.x;
  for (const p of stroke) {
    const dx = p.x - anchor;
    if (Math.abs(dx) < step) continue;
    const d = Math.sign(dx);
    if (direction !== 0 && d !== direction) turns++;
    direction = d;
    anchor = p.x;
  }
  return turns >= 4;
}

/**
 * What a new stroke leaves of the writing: a scratch-out deletes the strokes it runs over and
 * itself; any other stroke, or a scratch over nothing, is ink.
 */
export function addStroke(strokes: readonly Stroke[], stroke: Stroke): { strokes: Stroke[]; erased: number } {
  if (!isScratch(stroke)) return { strokes: [...strokes, stroke], erased: 0 };
  const b = bounds(stroke);
  // Run over: most of the stroke lies within the scratch's width, and the scratch crosses its height.
  const runOver = (s: Stroke) => {
    const sb = bounds(s);
    return s.filter((p) => p.x >= b.x0 && p.x <= b.x1).length >= s.length / 2 && sb.y0 <= b.y1 + 4 && sb.y1 >= b.y0 - 4;
  };
  const kept = strokes.filter((s) => !runOver(s));
  if (kept.length === strokes.length) return { strokes: [...strokes, stroke], erased: 0 };
  return { strokes: kept, erased: strokes.length - kept.length };
}

/**
 * Whether a drawing looks like several characters side by side (a sample must be one): its
 * strokes fall into groups along the line with gaps wider than 0.4 of the drawing's height
 * between them. Marks above or below each other (i, j, =, ;) are one group.
 */
export function looksLikeSeveral(strokes: readonly Stroke[]): boolean {
  const spans = strokes.filter((s) => s.length > 0).map(bounds);
  if (spans.length < 2) return false;
  const height = Math.max(...spans.map((b) => b.y1)) - Math.min(...spans.map((b) => b.y0));
  const gap = 0.4 * Math.max(height, 1);
  const sorted = [...spans].sort((a, b) => a.x0 - b.x0);
  let right = sorted[0]!.x1;
  for (const b of sorted.slice(1)) {
    if (b.x0 - right > gap) return true;
    right = Math.max(right, b.x1);
  }
  return false;
}
