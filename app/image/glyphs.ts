/**
 * From connected components to character candidates: drop what is not writing (specks, dots,
 * ruled and grid lines, page edges), join the pieces of a broken character, and split
 * characters that touch. All sizes are multiples of the measured writing scale.
 */
import type { Labelling } from './components.ts';
import { boxHeight, boxWidth, overlap1d, type Box } from './gray.ts';
import { median, type WritingScale } from './scale.ts';

/** A character candidate: the ink of some components within its box. */
export interface GlyphBlob extends Box {
  /** Component labels whose pixels (inside the box) belong to this glyph. */
  parts: number[];
  /** Ink pixels. */
  area: number;
  /**
   * For a blob wide enough to be touching characters: ways to cut it into pieces (the first is
   * the cut at the least ink), and its width in typical character widths. Whether and where to
   * cut is decided later, by the classifier's confidence when there is one (see chooseSplit).
   */
  split?: { options: GlyphBlob[][]; widths: number; lattice?: SplitLattice };
  /**
   * For a blob close beside the next one in its word, with one of them narrow: the two as one
   * character (a stem and the bars of an E the pen did not join), with whatever small pieces lie
   * between them; `likely` is the guess from geometry alone. Decided by chooseJoin.
   */
  join?: { blob: GlyphBlob; likely: boolean };
}

/**
 * Every way to cut a blob of touching characters at candidate columns (where the ink is least,
 * and on a grid for characters that overlap): `pieces[i][j]` is the ink between cuts i and j,
 * where that is as wide as a character may be. The classifier's scores then choose the path of
 * pieces through it (segmentation by recognition; chooseSplit).
 */
export interface SplitLattice {
  /** Cut columns relative to the blob, first 0 and last its width. */
  cuts: number[];
  pieces: (GlyphBlob | null)[][];
  /** The blob's height: the measure of a character's width here. */
  height: number;
}

export interface FoundGlyphs {
  glyphs: GlyphBlob[];
  /** Lone small pieces that were dropped (dots, specks, stray bars): material for joins. */
  small: GlyphBlob[];
}

export interface GlyphOptions {
  /** Components whose longer side is under this × char height are specks or dots (when on their own). */
  speck?: number;
  /** A component at least this × char height long and under `lineThickness` × char height thick is a line. */
  lineLength?: number;
  lineThickness?: number;
  /** A glyph taller than this × char height is not a character (page edge, drawing). */
  tallest?: number;
  /** Glyphs wider than this × typical char width (and wider than tall) get a proposed split. */
  splitWidth?: number;
}

const DEFAULTS: Required<GlyphOptions> = { speck: 0.3, lineLength: 2.5, lineThickness: 0.3, tallest: 2.5, splitWidth: 1.4 };

/**
 * Without a classifier's opinion, a blob is cut when it is this many typical widths wide: wider
 * than any single capital (W and M reach about 1.8).
 */
export const SPLIT_WITHOUT_CLASSIFIER = 2.2;

export function findGlyphs(lab: Labelling, scale: WritingScale, options: GlyphOptions = {}): FoundGlyphs {
  const o = { ...DEFAULTS, ...options };
  const H = scale.charHeight;
  const comps = lab.components;

  // 1. What is clearly not writing.
  const kept = comps.filter((c) => {
    const w = boxWidth(c);
    const h = boxHeight(c);
    if (Math.max(w, h) >= o.lineLength * H && Math.min(w, h) < o.lineThickness * H) return false;
    if (h > o.tallest * H) return false;
    const touchesEdge = c.x0 === 0 || c.y0 === 0 || c.x1 === lab.width || c.y1 === lab.height;
    if (touchesEdge && Math.max(w, h) > 0.5 * H && c.area < 0.1 * w * h) return false; // paper edge, shadow outline
    return true;
  });

  // 2. Big pieces are character candidates; specks join a candidate whose box they touch.
  const isSpeck = (b: Box) => Math.max(boxWidth(b), boxHeight(b)) < o.speck * H;
  let blobs: GlyphBlob[] = kept.filter((c) => !isSpeck(c)).map((c) => ({ x0: c.x0, y0: c.y0, x1: c.x1, y1: c.y1, parts: [c.label], area: c.area }));
  const specks = kept.filter(isSpeck);
  const reach = Math.max(1, 0.5 * scale.stroke);
  const loose: GlyphBlob[] = [];
  for (const s of specks) {
    const host = blobs.find((b) => s.x0 >= b.x0 - reach && s.x1 <= b.x1 + reach && s.y0 >= b.y0 - reach && s.y1 <= b.y1 + reach);
    if (host) {
      host.parts.push(s.label);
      host.area += s.area;
    } else loose.push({ x0: s.x0, y0: s.y0, x1: s.x1, y1: s.y1, parts: [s.label], area: s.area });
  }

  // 3. Pieces of one broken character stack: they share columns and lie one above the other.
  blobs = mergeStacked(blobs, scale);

  // 4. Lone small pieces after merging are dots, commas and noise.
  const small = [...loose, ...blobs.filter(isSpeck)];
  blobs = blobs.filter((b) => !isSpeck(b));

  // 5. Touching characters: a typical width ignores narrow ones (I, 1), which would make every
  // wide letter look like two.
  // Capped at the height: on a page where every word's letters touch, the median blob is a word.
  const typical = Math.min(H, Math.max(0.5 * H, median(blobs.map(boxWidth).filter((w) => w >= 0.4 * H))));
  for (const b of blobs) {
    const widths = boxWidth(b) / typical;
    if (widths >= o.splitWidth && boxWidth(b) >= 1.1 * boxHeight(b)) {
      const options = splitOptions(lab, b, Math.max(2, Math.round(widths)));
      // A lattice only for what could be a few letters: no path cuts a desk-sized blob into at most MAX_PIECES.
      const lattice = boxWidth(b) <= MAX_PIECES * 1.5 * Math.max(boxHeight(b), H) ? splitLattice(lab, b, H) : undefined;
      if (options.length > 0) b.split = { options, widths, ...(lattice ? { lattice } : {}) };
    }
  }
  return { glyphs: blobs, small };
}

const mergeBlobs = (blobs: readonly GlyphBlob[]): GlyphBlob => ({
  x0: Math.min(...blobs.map((b) => b.x0)),
  y0: Math.min(...blobs.map((b) => b.y0)),
  x1: Math.max(...blobs.map((b) => b.x1)),
  y1: Math.max(...blobs.map((b) => b.y1)),
  parts: blobs.flatMap((b) => b.parts),
  area: blobs.reduce((n, b) => n + b.area, 0),
});

/**
 * Proposes joins of neighbours in a word (left to right) that may be one broken character: close
 * together, one of them narrow, and together no wider than a wide character. Small pieces lying
 * between them are taken along.
 */
export function proposeJoins(word: readonly GlyphBlob[], small: readonly GlyphBlob[], scale: WritingScale): void {
  const H = scale.charHeight;
  for (let i = 0; i + 1 < word.length; i++) {
    const a = word[i]!;
    const b = word[i + 1]!;
    const gap = b.x0 - a.x1;
    const narrow = Math.min(boxWidth(a), boxWidth(b));
    if (gap > 0.25 * H || narrow > 0.35 * H) continue;
    const between = small.filter((s) => s.x0 >= a.x0 && s.x1 <= b.x1 && s.y0 >= Math.min(a.y0, b.y0) && s.y1 <= Math.max(a.y1, b.y1));
    const blob = mergeBlobs([a, b, ...between]);
    if (boxWidth(blob) > 1.1 * H || boxHeight(blob) > 1.5 * H) continue;
    // Geometry alone joins only pieces about a stroke apart, one of them a thin stem or bar.
    const likely = gap <= 1.5 * scale.stroke && narrow <= 0.2 * H;
    a.join = { blob, likely };
  }
}

/** Mean log-probability of the classifier's best class for a blob (higher is a clearer character). */
export type BlobScore = (blob: GlyphBlob) => number;
/** Whether the classifier reads a blob as a letter that may be wider than tall (W, M). */
export type WideReading = (blob: GlyphBlob) => boolean;

/**
 * Whether a blob's join with the next is one character: by the classifier when there is one
 * (the joined reading must be clearer than the two separate ones), else by geometry.
 */
export function chooseJoin(a: GlyphBlob, b: GlyphBlob, score?: BlobScore): boolean {
  if (!a.join) return false;
  if (!score) return a.join.likely;
  const separate = (score(a) + score(b)) / 2;
  return score(a.join.blob) - separate > (a.join.likely ? -0.2 : 0.3);
}

/** A word's final glyphs: proposed joins and splits resolved (by the classifier's scores when given; `cuts` overrides the splits of some blobs). */
export function resolveWord(word: readonly GlyphBlob[], score?: BlobScore, wide?: WideReading, cuts?: ReadonlyMap<GlyphBlob, GlyphBlob[]>): GlyphBlob[] {
  const out: GlyphBlob[] = [];
  for (let i = 0; i < word.length; i++) {
    const g = word[i]!;
    if (i + 1 < word.length && chooseJoin(g, word[i + 1]!, score)) {
      out.push(g.join!.blob);
      i++;
      continue;
    }
    out.push(...(cuts?.get(g) ?? chooseSplit(g, score, wide) ?? [g]));
  }
  return out;
}

/** Every blob a word's resolution may need scored: its glyphs, their pieces and their joins. */
export function candidateBlobs(word: readonly GlyphBlob[]): GlyphBlob[] {
  return word.flatMap((g) => [
    g,
    ...(g.split?.options.flat() ?? []),
    ...(g.split?.lattice?.pieces.flat().filter((p): p is GlyphBlob => p !== null) ?? []),
    ...(g.join ? [g.join.blob] : []),
  ]);
}

/**
 * The pieces to use instead of a blob, or null to keep it whole. With the classifier's scores,
 * the clearest reading (the whole, or the best cut's mean) wins, tilted towards the whole for
 * blobs not much wider than a wide letter; without them, width decides and the least-ink cut is
 * taken.
 */
export function chooseSplit(blob: GlyphBlob, score?: BlobScore, wide: WideReading = () => false): GlyphBlob[] | null {
  if (!blob.split) return null;
  const { widths, options, lattice } = blob.split;
  if (!score) return widths >= SPLIT_WITHOUT_CLASSIFIER ? options[0]! : null;
  if (lattice) {
    const path = bestOf(blobPaths(blob, score, wide)).pieces;
    return path.length > 1 ? path : null;
  }
  const mean = (pieces: GlyphBlob[]) => pieces.reduce((s, p) => s + score(p), 0) / pieces.length;
  let best = options[0]!;
  for (const o of options) if (mean(o) > mean(best)) best = o;
  return mean(best) - score(blob) > 0.5 * (SPLIT_WITHOUT_CLASSIFIER - widths) ? best : null;
}

/**
 * A piece's width against a character's, in log-probability: wider than a capital (W and M may
 * be wider, when read as such) or thinner than a stroke costs.
 */
function widthCost(width: number, height: number, wideLetter: boolean): number {
  const r = width / height;
  const wide = Math.max(0, r - (wideLetter ? 1.6 : 1.15)) / 0.15;
  const thin = Math.max(0, 0.12 - r) / 0.04;
  return wide * wide + thin * thin;
}

/** The path through a lattice whose pieces read best: the most value (none for no paths). */
const bestOf = (paths: readonly LatticePath[]): LatticePath => paths.reduce((a, b) => (b.value > a.value ? b : a), { pieces: [], value: -Infinity });

/**
 * A blob's paths through its lattice; a cut costs more the less wider the blob is than a wide
 * letter (tilted towards the whole, as chooseSplit is without a lattice).
 */
function blobPaths(blob: GlyphBlob, score: BlobScore, wide: WideReading): LatticePath[] {
  const { lattice, widths } = blob.split!;
  return latticePaths(lattice!, score, wide, Math.max(0, 0.5 * (SPLIT_WITHOUT_CLASSIFIER - widths)));
}

/** Pieces side by side through a lattice, and their value: the sum of their scores less their width costs and a cost a cut. */
interface LatticePath {
  pieces: GlyphBlob[];
  value: number;
}

/** At most this many pieces a path: a blob wider than this many letters is not cut finer. */
const MAX_PIECES = 10;

/** The best path through the lattice for each number of pieces. */
function latticePaths(lattice: SplitLattice, score: BlobScore, wide: WideReading, cutCost: number): LatticePath[] {
  const n = lattice.cuts.length;
  // best[j][m]: the best value reaching cut j with m pieces; from[j][m] the cut before.
  const best = Array.from({ length: n }, () => new Float64Array(MAX_PIECES + 1).fill(-Infinity));
  const from = Array.from({ length: n }, () => new Int32Array(MAX_PIECES + 1).fill(-1));
  best[0]![0] = 0;
  for (let j = 1; j < n; j++) {
    for (let i = 0; i < j; i++) {
      const piece = lattice.pieces[i]![j];
      if (!piece) continue;
      const gain = score(piece) - widthCost(boxWidth(piece), lattice.height, wide(piece)) - (i > 0 ? cutCost : 0);
      for (let m = 0; m < MAX_PIECES; m++) {
        if (best[i]![m] === -Infinity) continue;
        const value = best[i]![m]! + gain;
        if (value > best[j]![m + 1]!) {
          best[j]![m + 1] = value;
          from[j]![m + 1] = i;
        }
      }
    }
  }
  const paths: LatticePath[] = [];
  for (let m = 1; m <= MAX_PIECES; m++) {
    if (best[n - 1]![m] === -Infinity) continue;
    const pieces: GlyphBlob[] = [];
    for (let j = n - 1, k = m; j > 0; k--) {
      const i = from[j]![k]!;
      pieces.unshift(lattice.pieces[i]![j]!);
      j = i;
    }
    paths.push({ pieces, value: best[n - 1]![m]! });
  }
  return paths;
}

/**
 * Other ways to cut a blob than chooseSplit's, for a reader that knows words: the best path for
 * each larger number of pieces, within `margin` of the best path's value, best first (none for a
 * blob without a lattice).
 */
export function splitAlternatives(blob: GlyphBlob, score: BlobScore, wide: WideReading, margin: number): GlyphBlob[][] {
  if (!blob.split?.lattice) return [];
  const paths = blobPaths(blob, score, wide);
  const best = bestOf(paths);
  // More pieces only: letters that touch are read as too few far more often than as too many.
  return paths
    .filter((p) => p.pieces.length > best.pieces.length && p.value >= best.value - margin)
    .sort((a, b) => b.value - a.value)
    .map((p) => p.pieces);
}

/** The candidate cuts of a blob and the pieces between them (see SplitLattice). */
export function splitLattice(lab: Labelling, b: GlyphBlob, charHeight: number): SplitLattice {
  const w = boxWidth(b);
  // A short wide letter (M, W) is measured against the writing's height, not its own.
  const height = Math.max(boxHeight(b), charHeight);
  const ink = columnInk(lab, b);
  const margin = Math.max(1, Math.round(0.12 * height));
  const candidates: number[] = [];
  // Where the ink is least (characters touching at a point) ...
  for (let x = margin; x <= w - margin; x++) {
    let lowest = true;
    for (let d = -2; d <= 2 && lowest; d++) if (d !== 0 && x + d >= 0 && x + d < w && ink[x + d]! < ink[x]!) lowest = false;
    if (lowest) candidates.push(x);
  }
  // ... and every so often (characters overlapping along a stroke, with no gap in the ink).
  const step = Math.max(1, Math.round(0.15 * height));
  for (let x = margin; x <= w - margin; x += step) candidates.push(x);
  candidates.sort((p, q) => p - q);
  const near = Math.max(1, Math.round(0.04 * height));
  const cuts = [0];
  for (const x of candidates) if (x - cuts.at(-1)! >= near) cuts.push(x);
  if (w - cuts.at(-1)! < near) cuts.pop();
  cuts.push(w);
  const pieces = cuts.map((ci, i) =>
    cuts.map((cj, j) => {
      if (j <= i || (cj - ci) / height > 1.5 || (cj - ci) / height < 0.1) return null;
      if (i === 0 && j === cuts.length - 1) return b;
      return piecesAt(lab, b, [ci, cj])[0] ?? null;
    }),
  );
  return { cuts, pieces, height };
}

/**
 * Merges pieces one above the other, first pair first (by the blobs' order), until no pair merges.
 * After a merge only pairs with the merged blob can have changed: an earlier blob it now merges
 * with is the next pair, else the scan goes on from it (not from the start, which made pages of
 * many pieces quadratic in their merges).
 */
function mergeStacked(blobs: GlyphBlob[], scale: WritingScale): GlyphBlob[] {
  const H = scale.charHeight;
  const stacked = (a: GlyphBlob, b: GlyphBlob): boolean => {
    const wa = boxWidth(a);
    const wb = boxWidth(b);
    const xo = overlap1d(a.x0, a.x1, b.x0, b.x1);
    const ha = boxHeight(a);
    const hb = boxHeight(b);
    const yo = overlap1d(a.y0, a.y1, b.y0, b.y1);
    const gap = Math.max(a.y0, b.y0) - Math.min(a.y1, b.y1);
    // Pieces nearly touching one above the other need share fewer columns (a slanted bar).
    const touching = gap <= Math.max(2, scale.stroke);
    if (xo < (touching ? 0.3 : 0.5) * Math.min(wa, wb)) return false;
    if (gap > 0.4 * H) return false;
    // Two whole characters side by side can share some columns (slant, overhangs); pieces
    // of one character share most of them or lie one above the other.
    const sideBySide = ha >= 0.6 * H && hb >= 0.6 * H && yo > 0.5 * Math.min(ha, hb);
    if (sideBySide && xo < 0.8 * Math.min(wa, wb)) return false;
    return Math.max(a.y1, b.y1) - Math.min(a.y0, b.y0) <= 1.5 * H;
  };
  // Blob j merged into blob i (i < j).
  const merge = (i: number, j: number) => {
    const a = blobs[i]!;
    const b = blobs[j]!;
    blobs[i] = {
      x0: Math.min(a.x0, b.x0),
      y0: Math.min(a.y0, b.y0),
      x1: Math.max(a.x1, b.x1),
      y1: Math.max(a.y1, b.y1),
      parts: [...a.parts, ...b.parts],
      area: a.area + b.area,
    };
    blobs.splice(j, 1);
  };
  let i = 0;
  while (i < blobs.length) {
    let j = i + 1;
    while (j < blobs.length && !stacked(blobs[i]!, blobs[j]!)) j++;
    if (j === blobs.length) {
      i++;
      continue;
    }
    merge(i, j);
    // The merged blob may now merge with an earlier one: the first such pair comes next.
    for (let k = 0; k < i; k++) {
      if (!stacked(blobs[k]!, blobs[i]!)) continue;
      merge(k, i);
      i = k;
      k = -1;
    }
  }
  return blobs;
}

/** Ink pixels of a blob per column of its box. */
function columnInk(lab: Labelling, b: GlyphBlob): Int32Array {
  const parts = new Set(b.parts);
  const ink = new Int32Array(boxWidth(b));
  for (let y = b.y0; y < b.y1; y++) {
    const row = y * lab.width;
    for (let x = b.x0; x < b.x1; x++) if (parts.has(lab.labels[row + x]!)) ink[x - b.x0]!++;
  }
  return ink;
}

/**
 * Ways to cut a blob into `pieces` side by side: at the column of least ink near each place an
 * even division would put a cut (where characters touch at a point), and at those places
 * themselves (where they overlap along a stroke, and the least ink is inside a character).
 * Pieces are trimmed to their ink.
 */
export function splitOptions(lab: Labelling, b: GlyphBlob, pieces: number): GlyphBlob[][] {
  const w = boxWidth(b);
  const ink = columnInk(lab, b);
  const step = w / pieces;
  const half = Math.max(1, Math.floor(0.3 * step));
  const window = (k: number) => [Math.max(1, Math.round(k * step - half)), Math.min(w - 1, Math.round(k * step + half))] as const;
  const leastInk = (k: number): number => {
    const [lo, hi] = window(k);
    let best = -1;
    let bestScore = Infinity;
    for (let x = lo; x <= hi; x++) {
      // Ties go to the expected column.
      const score = ink[x]! + Math.abs(x - k * step) / (w + 1);
      if (score < bestScore) {
        bestScore = score;
        best = x;
      }
    }
    return best;
  };
  const ks = Array.from({ length: pieces - 1 }, (_, i) => i + 1);
  const cutSets: number[][] = [ks.map((k) => leastInk(k)), ks.map((k) => Math.round(k * step))];
  const seen = new Set<string>();
  const options: GlyphBlob[][] = [];
  for (const cuts of cutSets) {
    const key = cuts.join();
    if (seen.has(key) || cuts.some((c) => c <= 0)) continue;
    seen.add(key);
    const cut = piecesAt(lab, b, [0, ...cuts, w]);
    if (cut.length === pieces) options.push(cut);
  }
  return options;
}

/** The blob's ink between consecutive cut columns (relative to its box), each trimmed. */
function piecesAt(lab: Labelling, b: GlyphBlob, cuts: readonly number[]): GlyphBlob[] {
  const parts = new Set(b.parts);
  const out: GlyphBlob[] = [];
  for (let k = 0; k + 1 < cuts.length; k++) {
    const x0 = b.x0 + cuts[k]!;
    const x1 = b.x0 + cuts[k + 1]!;
    let y0 = b.y1;
    let y1 = b.y0;
    let area = 0;
    let left = x1;
    let right = x0;
    for (let y = b.y0; y < b.y1; y++) {
      const row = y * lab.width;
      for (let x = x0; x < x1; x++) {
        if (!parts.has(lab.labels[row + x]!)) continue;
        area++;
        if (y < y0) y0 = y;
        if (y + 1 > y1) y1 = y + 1;
        if (x < left) left = x;
        if (x + 1 > right) right = x + 1;
      }
    }
    if (area > 0) out.push({ x0: left, y0, x1: right, y1, parts: b.parts, area });
  }
  return out;
}
