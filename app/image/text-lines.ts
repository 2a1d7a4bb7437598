/**
 * Text lines on a whole page, for the line recogniser: joined-up words are single components
 * much wider than a character, so lines are found by chaining components, not by the glyph
 * rows of rows.ts.
 *
 * On the page's components after ruled lines are removed (segment.ts), with H the writing's
 * character height:
 * 1. Bodies (components at least 0.35 H tall) each have a course: the mean row of their ink,
 *    which ascenders and descenders barely move.
 * 2. Each body is chained to the nearest body on its right whose core is within H of its own
 *    and which starts within 3 H of its end; chains are lines.
 * 3. Lines whose courses continue each other (within H where they meet or overlap, a gap of at
 *    most 8 H) are joined: words far apart, faint writing broken into overlapping pieces. A
 *    line of one or two bodies inside a longer one's span, within 1.5 H of its course, joins it:
 *    a capital standing taller than its line, a letter broken off.
 * 4. Marks (dots, accents, commas, specks of broken strokes) join the line whose course passes
 *    nearest, within 1.2 H; lines with little ink and no body wider than a character go.
 * Each line gets its box, an outline (upper and lower edge of its ink in slices of H), and a
 * baseline (the foot of its bodies' cores, fitted as a straight line).
 */
import type { Component, Labelling } from './components.ts';
import { boxesUnion, pointsBox, scaleBox, type Box, type GrayImage, type Point } from './gray.ts';
import { median } from './scale.ts';
import { decodeImage } from './decode.ts';
import { OCR_DECODE, segmentPage } from './segment.ts';

export interface FoundLine {
  box: Box;
  /** Clockwise outline: the top edge left to right, then the bottom edge right to left; with room around the ink (OUTLINE_PAD). */
  polygon: Point[];
  /** The same outline hugging the ink. */
  inkOutline: Point[];
  /** Left to right along the foot of the letters. */
  baseline: Point[];
  /** Components of the line (labels of the labelling). */
  labels: number[];
  /** It looks like a line of print, not of handwriting (looksPrinted). */
  printed?: boolean;
}

export interface TextLineOptions {
  /** A body is at least this many character heights tall. */
  bodyHeight?: number;
  /** Greatest gap (in character heights) between neighbouring bodies of one chain. */
  chainGap?: number;
  /** Greatest gap (in character heights) between two pieces of one line. */
  joinGap?: number;
}

/** Two bodies, or two pieces, are on one line when their courses are at most this many character heights apart. */
const DY = 1;
/**
 * What a character height up or down costs a link between neighbouring bodies, against a
 * character height of gap. At 2, the end of a line took the first word of the line below
 * ("... de la" on to "napoléoniennes", before its own "révolution" a word's gap away); at 3, on
 * all 300 Copiste pages, line recall 0.966 → 0.968 and precision 0.938 → 0.941 (at 4, 0.969 and
 * 0.941), and `hwr ocr` on the 37 validation pages 15.03% → 14.72% CER.
 */
const LINK_DY_WEIGHT = 3;
/** Pieces of lines that overlap by this many character heights and more are compared piece by piece (findTextLines, step 3). */
const LONG_OVERLAP = 3;
/**
 * A line of at most this many bodies, at most 3 H wide, within a longer line's span and within
 * PIECE_DY H of its course, is a piece of it (step 3b). All 300 Copiste pages: recall 0.968 →
 * 0.968, precision 0.941 → 0.956 (5,841 lines found → 5,752; at 1.2 H: 0.968 and 0.952); `hwr
 * ocr` on the 37 validation pages 14.72% → 14.40% CER (14.49% at 1.2 H).
 */
const PIECE_BODIES = 2;
const PIECE_DY = 1.5;

interface Body {
  c: Component;
  /** Mean row of the ink. */
  cy: number;
}

/** Mean row of each component's ink (indexed by label; labels may have gaps where components were left out). */
function inkRows(l: Labelling): Float64Array {
  const sum = new Float64Array(l.components.reduce((m, c) => Math.max(m, c.label), 0) + 2);
  for (let y = 0, i = 0; y < l.height; y++) for (let x = 0; x < l.width; x++, i++) if (l.labels[i]) sum[l.labels[i]!]! += y;
  const out = new Float64Array(sum.length);
  for (const c of l.components) out[c.label] = sum[c.label]! / Math.max(1, c.area);
  return out;
}

export function findTextLines(labelling: Labelling, charHeight: number, options: TextLineOptions = {}): FoundLine[] {
  const H = charHeight;
  const rows = inkRows(labelling);
  const isBody = (c: Component) => c.y1 - c.y0 >= (options.bodyHeight ?? 0.35) * H && c.area >= 0.05 * H * H;
  const bodies: Body[] = labelling.components.filter(isBody).map((c) => ({ c, cy: rows[c.label]! }));
  bodies.sort((a, b) => a.c.x0 - b.c.x0);

  // 2. Chains: each body links to its best right-hand neighbour, and each body takes one link in.
  const chainGap = (options.chainGap ?? 3) * H;
  const next = new Int32Array(bodies.length).fill(-1);
  const taken = new Uint8Array(bodies.length);
  const links: { a: number; b: number; cost: number }[] = [];
  bodies.forEach((a, i) => {
    for (let j = i + 1; j < bodies.length; j++) {
      const b = bodies[j]!;
      if (b.c.x0 > a.c.x1 + chainGap) break;
      if (b.c.x1 <= a.c.x1) continue; // inside a's span: a mark of a, or of another line
      const dy = Math.abs(b.cy - a.cy);
      if (dy > DY * H) continue;
      const gap = Math.max(0, b.c.x0 - a.c.x1);
      links.push({ a: i, b: j, cost: gap / H + LINK_DY_WEIGHT * (dy / H) });
    }
  });
  links.sort((x, y) => x.cost - y.cost);
  for (const { a, b } of links) {
    if (next[a] !== -1 || taken[b]) continue;
    next[a] = b;
    taken[b] = 1;
  }
  let lines: Body[][] = [];
  bodies.forEach((_, i) => {
    if (taken[i]) return;
    const chain: Body[] = [];
    for (let k = i; k !== -1; k = next[k]!) chain.push(bodies[k]!);
    lines.push(chain);
  });

  // 3. Join pieces whose courses continue each other.
  const joinGap = (options.joinGap ?? 8) * H;
  lines.sort((a, b) => a[0]!.c.x0 - b[0]!.c.x0);
  let joined = true;
  while (joined) {
    joined = false;
    for (let i = 0; i < lines.length && !joined; i++) {
      const a = lines[i]!;
      const aEnd = a[a.length - 1]!;
      let best = -1;
      let bestCost = Infinity;
      const aRight = Math.max(...a.map((x) => x.c.x1));
      for (let j = 0; j < lines.length; j++) {
        const b = lines[j]!;
        if (j === i) continue;
        const bStart = b[0]!;
        const gap = bStart.c.x0 - aRight;
        if (gap > joinGap || bStart.c.x0 < a[0]!.c.x0) continue;
        // Where they meet, or the middle of where they overlap (faint writing breaks into
        // overlapping pieces). Where they overlap long, b's pieces over a must also lie on a's
        // course: a line set close under a long one lies a line's pitch away, though the two
        // courses compared at one point came out closer than that (two lines were read as one).
        const at = gap >= 0 ? null : (bStart.c.x0 + Math.min(aRight, Math.max(...b.map((x) => x.c.x1)))) / 2;
        const dy = at === null ? Math.abs(courseAt(b, bStart.c.x0) - courseAt(a, aEnd.c.x1)) : Math.abs(courseAt(b, at) - courseAt(a, at));
        if (dy > DY * H) continue;
        if (at !== null && -gap >= LONG_OVERLAP * H && (overlapDistance(a, b, aRight) ?? 0) > DY * H) continue;
        const cost = gap / H + 4 * (dy / H);
        if (cost < bestCost) {
          bestCost = cost;
          best = j;
        }
      }
      if (best >= 0) {
        lines[i] = [...a, ...lines[best]!].sort((x, y) => x.c.x0 - y.c.x0);
        lines.splice(best, 1);
        joined = true;
      }
    }
  }

  // 3b. A piece of one or two bodies within a longer line's span and near its course is part of
  // it: a capital standing taller than the letters after it, a letter broken off.
  const span = (l: readonly Body[]) => ({ x0: l[0]!.c.x0, x1: Math.max(...l.map((b) => b.c.x1)) });
  for (let i = 0; i < lines.length; i++) {
    const piece = lines[i]!;
    const { x0, x1 } = span(piece);
    if (piece.length > PIECE_BODIES || x1 - x0 > 3 * H) continue;
    const cx = (x0 + x1) / 2;
    const area = piece.reduce((t, b) => t + b.c.area, 0);
    const cy = piece.reduce((t, b) => t + b.cy * b.c.area, 0) / area;
    let best = -1;
    let bestDy = PIECE_DY * H;
    lines.forEach((l, k) => {
      if (k === i || l.length <= PIECE_BODIES) return;
      const s = span(l);
      if (cx < s.x0 - H || cx > s.x1 + H) return;
      const dy = Math.abs(cy - courseAt(l, cx));
      if (dy < bestDy) {
        bestDy = dy;
        best = k;
      }
    });
    if (best >= 0) {
      lines[best] = [...lines[best]!, ...piece].sort((x, y) => x.c.x0 - y.c.x0);
      lines.splice(i--, 1);
    }
  }

  // 4. Lines need ink: a chain of specks is no line.
  lines = lines.filter((l) => l.some((b) => b.c.x1 - b.c.x0 >= 1.2 * H) || l.length >= 3);
  const members: Component[][] = lines.map((l) => l.map((b) => b.c));
  const inBody = new Set(bodies.map((b) => b.c.label));
  for (const c of labelling.components) {
    if (inBody.has(c.label) || c.area < 2) continue;
    const cy = rows[c.label]!;
    const cx = (c.x0 + c.x1) / 2;
    let best = -1;
    let bestDy = 1.2 * H;
    lines.forEach((l, k) => {
      if (cx < l[0]!.c.x0 - H || cx > Math.max(...l.map((b) => b.c.x1)) + H) return;
      const dy = Math.abs(cy - courseAt(l, cx));
      if (dy < bestDy) {
        bestDy = dy;
        best = k;
      }
    });
    if (best >= 0) members[best]!.push(c);
  }

  const found = lines.map((l, k) => {
    const line = describeLine(labelling, members[k]!, l, H);
    return looksPrinted(members[k]!, H) ? { ...line, printed: true } : line;
  });
  // Reading order: top to bottom by where each line's course crosses the page's middle.
  // A lone line (the writing pad, a crop of one line) keeps the outline that hugs its ink: with room, the pad's
  // "hello world" read as "hollo world".
  if (found.filter((l) => !l.printed).length === 1) return found.map((l) => (l.printed ? l : { ...l, polygon: l.inkOutline }));
  return found.sort((a, b) => midY(a) - midY(b));
}

const median0 = (xs: readonly number[]): number => (xs.length ? [...xs].sort((a, b) => a - b)[xs.length >> 1]! : 0);
const spread = (xs: readonly number[]): number => {
  const m = median0(xs);
  return m > 0 ? median0(xs.map((x) => Math.abs(x - m))) / m : Infinity;
};

/**
 * Whether a line's pieces look like print rather than handwriting: a long run (40 or more) of
 * separate letters, set close (their count × their height over the line's width above 0.9), of
 * one height (median deviation at most 12%) and, where the strokes are known, of one stroke width
 * (under 7%). A printed notice above a handwritten page, a typed paragraph. On the Copiste pages
 * (2026-12-04, 25 pages): 30 of the 31 lines of the printed notice, none of 540 handwritten lines;
 * handwriting in block capitals, whose letters also stand apart, has shorter lines and less even
 * ones (the four photos: at most 29 letters a line).
 */
export function looksPrinted(pieces: readonly (Box & { area?: number; perimeter?: number })[], charHeight: number): boolean {
  const letters = pieces.filter((c) => c.y1 - c.y0 > 0.3 * charHeight);
  if (letters.length < 40) return false;
  const heights = letters.map((c) => c.y1 - c.y0);
  const width = Math.max(...letters.map((c) => c.x1)) - Math.min(...letters.map((c) => c.x0));
  if ((letters.length * median0(heights)) / Math.max(1, width) <= 0.9 || spread(heights) > 0.12) return false;
  const strokes = letters.flatMap((c) => (c.area !== undefined && c.perimeter !== undefined ? [(2 * c.area) / Math.max(1, c.perimeter)] : []));
  return strokes.length < letters.length || spread(strokes) < 0.07;
}

/**
 * The text lines of a page image (brightness, 0 black .. 1 white), in the pixels of the image
 * file when `originalWidth` gives its size (the image may have been decoded smaller).
 */
export function pageTextLines(img: GrayImage & { originalWidth?: number }, options: TextLineOptions = {}): FoundLine[] {
  const seg = segmentPage(img);
  if (!seg.scale) return [];
  const f = seg.factor * ((img.originalWidth ?? img.width) / img.width);
  const scale = (p: Point): Point => ({ x: p.x * f, y: p.y * f });
  return findTextLines(seg.labelling, seg.scale.charHeight, options).map((l) => ({
    ...l,
    box: scaleBox(l.box, f),
    polygon: l.polygon.map(scale),
    inkOutline: l.inkOutline.map(scale),
    baseline: l.baseline.map(scale),
  }));
}

const midY = (l: FoundLine) => (l.box.y0 + l.box.y1) / 2;

/**
 * The median distance from `a`'s course of `b`'s pieces that lie within a's span (b starts inside
 * it), or null where fewer than three do (a piece or two say little: a tall letter, a descender).
 */
function overlapDistance(a: readonly Body[], b: readonly Body[], aRight: number): number | null {
  const over = b.filter((x) => (x.c.x0 + x.c.x1) / 2 <= aRight);
  return over.length < 3 ? null : median0(over.map((x) => Math.abs(x.cy - courseAt(a, (x.c.x0 + x.c.x1) / 2))));
}

/** The line's course (mean ink row of its bodies) at column x, from its nearest bodies. */
function courseAt(line: readonly Body[], x: number): number {
  const near = [...line].sort((a, b) => Math.abs((a.c.x0 + a.c.x1) / 2 - x) - Math.abs((b.c.x0 + b.c.x1) / 2 - x)).slice(0, 3);
  const w = near.map((b) => b.c.area);
  const total = w.reduce((s, v) => s + v, 0);
  return near.reduce((s, b, i) => s + b.cy * w[i]!, 0) / total;
}

/**
 * How far a found line's outline reaches above and below its ink, in character heights. The line
 * model learned from the Copiste pages' ALTO outlines (eScriptorium's), which leave room around the
 * ink; cut along outlines that hug the ink, the same lines showed their writing 16% larger and read
 * at 28.6% CER greedily against 19.4% along the ALTO outlines (13 validation pages). With this
 * room: 20.3% (tried above/below 0.27/0.06 → 22.2%, 0.4/0.3 → 20.4%, 0.5/0.5 → 21.4%, 0.65/0.25 → 21.3%).
 * The room stops half way to another line's ink: where lines are set close, the neighbours'
 * strokes taken in made one page's lines worse, not better (`hwr ocr` on it: 24.8% CER with
 * outlines that hug the ink, 38.0% with this room regardless, 29.2% with it stopped half way).
 * On the validation writers' 37 pages, `hwr ocr` went from 23.05% to 20.45% CER.
 */
export const OUTLINE_PAD = { above: 0.5, below: 0.3 };

function describeLine(labelling: Labelling, comps: Component[], bodies: readonly Body[], H: number): FoundLine {
  const { x0, y0, x1, y1 } = boxesUnion(comps);
  const box: Box = { x0, y0, x1, y1 };
  // The outline: per slice of H columns, the highest and lowest ink of the line's components.
  const own = new Set(comps.map((c) => c.label));
  const step = Math.max(4, Math.round(H));
  const top: Point[] = [];
  const bottom: Point[] = [];
  const inkTop: Point[] = [];
  const inkBottom: Point[] = [];
  for (let x0 = box.x0; x0 < box.x1; x0 += step) {
    const x1 = Math.min(box.x1, x0 + step);
    let lo = Infinity;
    let hi = -Infinity;
    for (let y = box.y0; y < box.y1; y++) {
      const row = y * labelling.width;
      for (let x = x0; x < x1; x++) {
        if (own.has(labelling.labels[row + x]!)) {
          lo = Math.min(lo, y);
          hi = Math.max(hi, y + 1);
          break;
        }
      }
    }
    if (lo === Infinity) continue; // a gap between words: the outline bridges it
    // Room beyond the ink (OUTLINE_PAD), at most half way to the nearest ink of another line.
    const up = lo - roomTo(labelling, own, x0, x1, lo - 1, -1, OUTLINE_PAD.above * H);
    const down = hi + roomTo(labelling, own, x0, x1, hi, 1, OUTLINE_PAD.below * H);
    top.push({ x: x0, y: up }, { x: x1, y: up });
    bottom.push({ x: x0, y: down }, { x: x1, y: down });
    inkTop.push({ x: x0, y: lo }, { x: x1, y: lo });
    inkBottom.push({ x: x0, y: hi }, { x: x1, y: hi });
  }
  // Baseline: the foot of each body's core (mean ink row + H/2 reaches about the baseline), a least-squares line.
  const feet = bodies.map((b) => ({ x: (b.c.x0 + b.c.x1) / 2, y: Math.min(b.c.y1, b.cy + 0.45 * H), w: b.c.x1 - b.c.x0 }));
  const baseline = fitLine(feet, box.x0, box.x1, median(feet.map((f) => f.y)));
  return {
    box,
    polygon: [...top, ...bottom.reverse()],
    inkOutline: [...inkTop, ...inkBottom.reverse()],
    baseline,
    labels: comps.map((c) => c.label),
  };
}

/**
 * How far an outline may reach from row `from` in direction `dir` (−1 up, 1 down) over columns
 * x0..x1: `pad`, or half the distance to the nearest ink not in `own` there, or to the page's edge.
 */
function roomTo(labelling: Labelling, own: ReadonlySet<number>, x0: number, x1: number, from: number, dir: -1 | 1, pad: number): number {
  const reach = Math.ceil(2 * pad);
  for (let d = 0; d < reach; d++) {
    const y = from + dir * d;
    if (y < 0 || y >= labelling.height) return Math.min(pad, d);
    const row = y * labelling.width;
    for (let x = x0; x < x1; x++) {
      const label = labelling.labels[row + x]!;
      if (label && !own.has(label)) return Math.min(pad, d / 2);
    }
  }
  return pad;
}

/** Weighted least-squares line through the points, as its two ends at x0 and x1 (flat at `fallback` with one point). */
function fitLine(points: { x: number; y: number; w: number }[], x0: number, x1: number, fallback: number): Point[] {
  let sw = 0;
  let sx = 0;
  let sy = 0;
  let sxx = 0;
  let sxy = 0;
  for (const p of points) {
    sw += p.w;
    sx += p.w * p.x;
    sy += p.w * p.y;
    sxx += p.w * p.x * p.x;
    sxy += p.w * p.x * p.y;
  }
  const det = sw * sxx - sx * sx;
  if (points.length < 2 || Math.abs(det) < 1e-9)
    return [
      { x: x0, y: fallback },
      { x: x1, y: fallback },
    ];
  const slope = Math.max(-0.2, Math.min(0.2, (sw * sxy - sx * sy) / det));
  const mean = sy / sw;
  const at = (x: number) => mean + slope * (x - sx / sw);
  return [
    { x: x0, y: at(x0) },
    { x: x1, y: at(x1) },
  ];
}

type Segmented = { regions: readonly { lines: readonly { polygon: readonly Point[]; text: string }[] }[] };

/** The boxes of a page's transcribed lines (those with text), as its ALTO/PAGE outlines give them: what line finding is measured against. */
export function transcribedLineBoxes(page: Segmented): Box[] {
  return page.regions
    .flatMap((r) => r.lines)
    .filter((l) => l.text.trim() && l.polygon.length > 0)
    .map((l) => pointsBox(l.polygon));
}

/** Line finding on page images against their given segmentation: the lines that are read (not print), paired over all pages (matchLines). */
export async function lineFindingScore(
  pages: readonly { imagePath: string; page: Segmented }[],
): Promise<{ matched: number; truth: number; found: number; printed: number }> {
  const total = { matched: 0, truth: 0, found: 0, printed: 0 };
  for (const p of pages) {
    const lines = pageTextLines(await decodeImage(p.imagePath, OCR_DECODE));
    // Lines of print are found and left out (looksPrinted): what is read is the rest.
    const found = lines.filter((l) => !l.printed).map((l) => l.box);
    const truth = transcribedLineBoxes(p.page);
    total.matched += matchLines(found, truth).matched;
    total.truth += truth.length;
    total.found += found.length;
    total.printed += lines.length - found.length;
  }
  return total;
}

/** Intersection over union of two boxes. */
export function boxIou(a: Box, b: Box): number {
  const w = Math.max(0, Math.min(a.x1, b.x1) - Math.max(a.x0, b.x0));
  const h = Math.max(0, Math.min(a.y1, b.y1) - Math.max(a.y0, b.y0));
  const inter = w * h;
  const union = (a.x1 - a.x0) * (a.y1 - a.y0) + (b.x1 - b.x0) * (b.y1 - b.y0) - inter;
  return union > 0 ? inter / union : 0;
}

/**
 * Found and true lines paired one to one, best overlaps first, a pair counting when its boxes'
 * IoU is at least `minIou`: the found line of each true line paired (true index → found index).
 */
export function matchedLines(found: readonly Box[], truth: readonly Box[], minIou = 0.5): Map<number, number> {
  const pairs: { f: number; t: number; iou: number }[] = [];
  found.forEach((f, i) =>
    truth.forEach((t, j) => {
      const iou = boxIou(f, t);
      if (iou >= minIou) pairs.push({ f: i, t: j, iou });
    }),
  );
  pairs.sort((a, b) => b.iou - a.iou);
  const usedF = new Set<number>();
  const out = new Map<number, number>();
  for (const p of pairs) {
    if (usedF.has(p.f) || out.has(p.t)) continue;
    usedF.add(p.f);
    out.set(p.t, p.f);
  }
  return out;
}

/** Line finding against a given segmentation (matchedLines): how many true lines were found, recall and precision. */
export function matchLines(found: readonly Box[], truth: readonly Box[], minIou = 0.5): { matched: number; recall: number; precision: number } {
  const matched = matchedLines(found, truth, minIou).size;
  return { matched, recall: truth.length ? matched / truth.length : 1, precision: found.length ? matched / found.length : 1 };
}
