/**
 * The one place where character boxes become rows and words. Rows are chained left to right:
 * each box joins the row whose course (a line through its last few characters, so slanted and
 * wavy rows are followed) it overlaps most vertically. Words are split at gaps that are wide
 * for their own row.
 */
import { boxHeight, boxesUnion, overlap1d, type Box } from './gray.ts';
import { median } from './scale.ts';

export interface RowLayout<G extends Box = Box> {
  box: Box;
  words: WordLayout<G>[];
}

export interface WordLayout<G extends Box = Box> {
  box: Box;
  glyphs: G[];
  /** A dot follows on the baseline, as after list numbers ("1.") and abbreviations. */
  dotAfter?: boolean;
}

export interface RowOptions {
  /** Share of the smaller height that must overlap the row's course for a box to join it. */
  minOverlap?: number;
  /** Characters of the row's end used to fit its course. */
  fitLast?: number;
}

interface Chain<G extends Box> {
  glyphs: G[];
}

const cx = (b: Box) => (b.x0 + b.x1) / 2;
const cy = (b: Box) => (b.y0 + b.y1) / 2;

/** The row's vertical band [top, bottom] extrapolated to column x. */
function courseAt<G extends Box>(row: Chain<G>, x: number, fitLast: number, charHeight: number): [number, number] {
  const tail = row.glyphs.slice(-fitLast);
  const h = median(tail.map(boxHeight));
  const mx = tail.reduce((s, b) => s + cx(b), 0) / tail.length;
  const my = tail.reduce((s, b) => s + cy(b), 0) / tail.length;
  let slope = 0;
  if (tail.length >= 2) {
    let sxy = 0;
    let sxx = 0;
    for (const b of tail) {
      sxy += (cx(b) - mx) * (cy(b) - my);
      sxx += (cx(b) - mx) ** 2;
    }
    // Handwritten rows drift, they do not climb steeply: a slope from characters close together
    // (whose centres jitter) is shrunk towards level, and clamped.
    slope = Math.max(-0.25, Math.min(0.25, sxy / (sxx + (2 * charHeight) ** 2)));
  }
  // Anchored at the row's recent centre line, not at one possibly odd character.
  const y = my + slope * (x - mx);
  return [y - h / 2, y + h / 2];
}

/** Groups character boxes into rows (top to bottom), each left to right. */
export function groupRows<G extends Box>(glyphs: readonly G[], charHeight: number, options: RowOptions = {}): G[][] {
  const minOverlap = options.minOverlap ?? 0.4;
  const fitLast = options.fitLast ?? 6;
  const sorted = [...glyphs].sort((a, b) => cx(a) - cx(b));
  const rows: Chain<G>[] = [];
  for (const g of sorted) {
    let best: Chain<G> | null = null;
    let bestScore = -Infinity;
    for (const row of rows) {
      const [top, bottom] = courseAt(row, cx(g), fitLast, charHeight);
      const ov = overlap1d(g.y0, g.y1, top, bottom) / Math.max(1, Math.min(boxHeight(g), bottom - top));
      if (ov < minOverlap) continue;
      const last = row.glyphs[row.glyphs.length - 1]!;
      const gap = Math.max(0, g.x0 - last.x1) / charHeight;
      // Prefer strong overlap; among similar overlaps, the nearer row.
      const score = ov - 0.05 * gap;
      if (score > bestScore) {
        bestScore = score;
        best = row;
      }
    }
    if (best) best.glyphs.push(g);
    else rows.push({ glyphs: [g] });
  }
  // A "row" of nothing but small marks (a dash, a smudge, a stray bar) is not a row of writing.
  const ordered = rows.map((r) => r.glyphs).filter((r) => r.some((g) => boxHeight(g) >= 0.4 * charHeight));
  ordered.sort((a, b) => median(a.map(cy)) - median(b.map(cy)));
  return ordered;
}

export interface WordOptions {
  /** A gap at least this × char height always separates words. */
  alwaysGap?: number;
  /** A gap under this × char height never does. */
  neverGap?: number;
}

/**
 * Splits a row (left to right) into words. Gaps cluster into letter gaps and word gaps; the
 * threshold is the best two-class split of the row's own gaps when the classes are clearly
 * apart, else a fixed share of the character height.
 */
export function splitWords<G extends Box>(row: readonly G[], charHeight: number, options: WordOptions = {}): G[][] {
  if (row.length === 0) return [];
  const alwaysGap = (options.alwaysGap ?? 1.2) * charHeight;
  const neverGap = (options.neverGap ?? 0.25) * charHeight;
  const gaps: number[] = [];
  for (let i = 1; i < row.length; i++) gaps.push(row[i]!.x0 - row[i - 1]!.x1);
  const threshold = wordGapThreshold(gaps, neverGap, alwaysGap);
  const words: G[][] = [[row[0]!]];
  for (let i = 1; i < row.length; i++) {
    if (gaps[i - 1]! >= threshold) words.push([]);
    words[words.length - 1]!.push(row[i]!);
  }
  return words;
}

export function wordGapThreshold(gaps: readonly number[], neverGap: number, alwaysGap: number): number {
  const fallback = (neverGap + alwaysGap) / 2;
  if (gaps.length < 2) return fallback;
  const s = [...gaps].sort((a, b) => a - b);
  // Best 2-means split of the sorted gaps.
  let bestCost = Infinity;
  let bestK = -1;
  for (let k = 1; k < s.length; k++) {
    const lo = s.slice(0, k);
    const hi = s.slice(k);
    const cost = variance(lo) * lo.length + variance(hi) * hi.length;
    if (cost < bestCost) {
      bestCost = cost;
      bestK = k;
    }
  }
  const lo = s.slice(0, bestK);
  const hi = s.slice(bestK);
  const loTop = lo[lo.length - 1]!;
  const hiBottom = hi[0]!;
  const loMean = mean(lo);
  const hiMean = mean(hi);
  // Two classes only when the wide gaps are clearly wider than the narrow ones.
  const separated = hiMean - loMean > 0.25 * alwaysGap && hiBottom > 1.4 * Math.max(loTop, neverGap / 2);
  // One class: all word gaps when even the narrowest is as wide as a word gap (letters that touch leave only those), else none.
  if (!separated) return s[s.length - 1]! >= alwaysGap ? alwaysGap : s[0]! >= fallback ? fallback : Math.max(fallback, s[s.length - 1]! + 1);
  const t = (loTop + hiBottom) / 2;
  return Math.min(alwaysGap, Math.max(neverGap, t));
}

const mean = (v: readonly number[]) => v.reduce((a, b) => a + b, 0) / v.length;
const variance = (v: readonly number[]) => {
  const m = mean(v);
  return v.reduce((a, b) => a + (b - m) ** 2, 0) / v.length;
};

/** Rows of words with their boxes. */
export function layoutRows<G extends Box>(glyphs: readonly G[], charHeight: number, rowOptions?: RowOptions, wordOptions?: WordOptions): RowLayout<G>[] {
  return groupRows(glyphs, charHeight, rowOptions).map((row) => {
    const words = splitWords(row, charHeight, wordOptions).map((g) => ({ box: boxesUnion(g), glyphs: g }));
    return { box: boxesUnion(words.map((w) => w.box)), words };
  });
}

/**
 * Marks words followed by a dot: a small round blob just right of the word's last character,
 * in the lower part of its height, before the next character.
 */
export function markDots<G extends Box>(rows: RowLayout<G>[], small: readonly Box[], charHeight: number): void {
  const dots = small.filter((d) => {
    const w = d.x1 - d.x0;
    const h = d.y1 - d.y0;
    return Math.max(w, h) <= 0.3 * charHeight && Math.min(w, h) >= 0.06 * charHeight && Math.max(w, h) <= 2.5 * Math.min(w, h);
  });
  for (const row of rows) {
    const glyphs = row.words.flatMap((w) => w.glyphs);
    row.words.forEach((word) => {
      const last = word.glyphs[word.glyphs.length - 1]!;
      const next = glyphs[glyphs.indexOf(last) + 1];
      const h = last.y1 - last.y0;
      word.dotAfter = dots.some((d) => {
        const cx = (d.x0 + d.x1) / 2;
        const cy = (d.y0 + d.y1) / 2;
        return cx > last.x1 - 0.1 * h && cx < last.x1 + 0.8 * charHeight && (!next || d.x1 <= next.x0) && cy > last.y0 + 0.6 * h && cy < last.y1 + 0.2 * h;
      });
    });
  }
}
