/**
 * Printed field labels beside handwriting on a form (`NOM :`, `Name`, `Nom de famille :`): found
 * at the start of a row and left out, as lines of print are (text-lines.ts looksPrinted), so that
 * neither reader reads them into the name.
 *
 * A row's first word is such a label where its letters are print: at least three separate letters
 * standing on one level baseline to within a pixel or two (a hand is never that even), their
 * capitals and ascenders of one height, and smaller than the handwriting after them, which must
 * follow (two letters at least, or one piece as wide: a name whose letters the line under it
 * joins). A handwritten word, however neat, wanders off a straight line by
 * more than that; a word in joined-up writing is one or two pieces, not letters.
 */
import type { Labelling } from './components.ts';
import { boxesUnion, type Box, type GrayImage } from './gray.ts';
import type { RowLayout } from './rows.ts';

type Piece = Box & { parts: number[] };

/** How far (share of the label's capital height, and at least in pixels) a printed letter may stand off the label's baseline or its letters' heights. */
const EVEN_SHARE = 0.05;
const EVEN_PIXELS = 1.2;
/** How far (in pixels, and share of the capital height) a printed letter's height may fall short of the tallest, or the x-height letters' of the lowest. */
const SPREAD_PIXELS = 2;
const SPREAD_SHARE = 0.06;
/** Print's x-height is at most this share of its capital height. */
const X_HEIGHT = 0.82;
/** The label's letters are at most this share of the handwriting's height. */
const SMALLER = 0.85;

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

/** How far the farthest of these values lies from their median. */
const worstOffMedian = (xs: readonly number[]): number => Math.max(...xs.map((x) => Math.abs(x - median(xs))));

/** The label's letters on its baseline, and their capital height; null where they are not print. */
function printedLetters(letters: readonly Box[]): { onBase: Box[]; cap: number; tolerance: number } | null {
  if (letters.length < 3) return null;
  const tallest = Math.max(...letters.map((b) => b.y1 - b.y0));
  // Letters proper: not dots, commas or the bar of a colon.
  const body = letters.filter((b) => b.y1 - b.y0 > 0.4 * tallest);
  if (body.length < 3) return null;
  const baseline = median(body.map((b) => b.y1));
  // Descenders (p, g, y) leave the baseline: the rest must sit on it.
  const onBase = body.filter((b) => b.y1 <= baseline + 0.15 * median(body.map((c) => c.y1 - c.y0)));
  if (onBase.length < 3 || onBase.length < 0.7 * body.length) return null;
  const cap = Math.max(...onBase.map((b) => b.y1 - b.y0));
  const tolerance = Math.max(EVEN_PIXELS, EVEN_SHARE * cap);
  // Separate letters, each at most one and a half capitals wide (print's serifs may join two; joined-up writing's pieces are
  // wider), but for one piece in four of up to three small letters (small print run together: "ami" in "famille") ...
  const wide = body.filter((b) => b.x1 - b.x0 > 1.6 * cap);
  if (wide.some((b) => b.x1 - b.x0 > 2.5 * cap || b.y1 - b.y0 > 0.8 * cap) || wide.length > 0.25 * body.length || body.length - wide.length < 3) return null;
  // ... standing on one level line ...
  if (worstOffMedian(onBase.map((b) => b.y1)) > tolerance) return null;
  // ... and of two heights, capitals and ascenders of one height (to within a pixel or two, as type's round letters stand a
  // little taller) and an x-height clearly lower, one letter between at most (a t) in a label of five letters or more.
  const heights = onBase.map((b) => b.y1 - b.y0);
  const spread = Math.max(SPREAD_PIXELS, SPREAD_SHARE * cap);
  const low = Math.min(...heights);
  // (A pixel of slack: small type's x-height rounds up, 14 px under capitals of 17.)
  const lowTop = low - 1 <= X_HEIGHT * cap ? low + spread : -Infinity;
  const between = heights.filter((h) => h < cap - spread && h > lowTop).length;
  return between <= (onBase.length >= 5 ? 1 : 0) ? { onBase, cap, tolerance } : null;
}

/** Whether these letter boxes are print, smaller than the handwriting whose median letter height is `handHeight`. */
export function looksLikeLabel(letters: readonly Box[], handHeight: number): boolean {
  const print = printedLetters(letters);
  return !!print && print.cap <= SMALLER * handHeight;
}

/**
 * A colon right after the label, before `until`: two dots of a size, one straight above the other,
 * the lower on the label's baseline, the upper below its cap line.
 */
function colonAfter(label: readonly Box[], pieces: readonly Box[], until: number): boolean {
  const print = printedLetters(label);
  if (!print) return false;
  const { cap, onBase } = print;
  const baseline = median(onBase.map((b) => b.y1));
  const after = Math.max(...onBase.map((b) => b.x1)) - 0.1 * cap;
  const side = (d: Box) => Math.max(d.x1 - d.x0, d.y1 - d.y0);
  const dots = pieces.filter((d) => d.x0 >= after && d.x1 <= until && side(d) <= 0.4 * cap && side(d) <= 2.5 * Math.max(1, Math.min(d.x1 - d.x0, d.y1 - d.y0)));
  const centre = (d: Box) => (d.x0 + d.x1) / 2;
  return dots.some(
    (lower) =>
      Math.abs(lower.y1 - baseline) <= 0.15 * cap &&
      dots.some(
        (upper) =>
          upper !== lower &&
          Math.abs(centre(upper) - centre(lower)) <= 0.5 * Math.max(upper.x1 - upper.x0, lower.x1 - lower.x0) &&
          Math.max(side(upper), side(lower)) <= 2 * Math.min(side(upper), side(lower)) &&
          upper.y1 <= lower.y0 - 0.1 * cap &&
          upper.y0 >= baseline - 0.9 * cap,
      ),
  );
}

/**
 * Leaves out each row's printed label (see above): the word goes from the row, and its ink, with
 * the colon or dot beside it, from the labelling and the ink map, so the line reader does not see
 * it either. Returns the boxes of the labels left out.
 */
export function dropPrintedLabels(rows: RowLayout<Piece>[], small: readonly Piece[], labelling: Labelling, ink: GrayImage): Box[] {
  const dropped: Box[] = [];
  for (const row of rows) {
    const glyphs = row.words.flatMap((w) => w.glyphs);
    const k = labelLength(row, rows.length > 1 ? small : null);
    if (k === 0) continue;
    const label = glyphs.slice(0, k);
    const hand = glyphs.slice(k);
    // The label's letters, and the colon's dots between it and the handwriting.
    const box = boxesUnion(label);
    const near = small.filter((s) => s.x0 >= box.x0 && s.x1 <= hand[0]!.x0 && s.y0 >= box.y0 - 2 && s.y1 <= box.y1 + 2);
    const gone = new Set([...label, ...near].flatMap((g) => g.parts));
    eraseComponents(gone, labelling, ink);
    const kept = new Set(hand);
    row.words = row.words.map((w) => ({ ...w, glyphs: w.glyphs.filter((g) => kept.has(g)) })).filter((w) => w.glyphs.length > 0);
    for (const w of row.words) w.box = boxesUnion(w.glyphs);
    row.box = boxesUnion(hand);
    dropped.push(boxesUnion([...label, ...near]));
  }
  return dropped;
}

/**
 * Whether `next` stands clearly further from the label than print's letters stand from each
 * other (three times their median gap, and 0.4 of the label's capital height `cap` at least): where the handwriting starts,
 * though its first letter is no taller than the label's capitals ("Name mARY", an m-shaped M).
 */
function gapAfter(label: readonly Box[], next: Box, cap: number): boolean {
  const gaps = label.slice(1).map((b, i) => b.x0 - label[i]!.x1);
  return next.x0 - label[label.length - 1]!.x1 >= Math.max(3 * median(gaps), 0.4 * cap);
}

/**
 * How many of a row's first glyphs are a printed label (0: none): the most that look like print
 * (looksLikeLabel) with handwriting after them, ending where a word ends; else, for a label set as
 * close to the name as its letters are to each other ("Name" beside the first cell of a comb),
 * ending where a letter clearly taller than its capitals starts the handwriting. With `small` (on
 * a page of several rows), the label must end in a colon too.
 */
function labelLength(row: RowLayout<Piece>, small: readonly Piece[] | null): number {
  const glyphs = row.words.flatMap((w) => w.glyphs);
  const wordEnds = new Set(row.words.map((w) => glyphs.indexOf(w.glyphs[w.glyphs.length - 1]!) + 1));
  const fits = (k: number, inWord: boolean) => {
    const label = glyphs.slice(0, k);
    const hand = glyphs.slice(k);
    if (!looksLikeLabel(label, median(hand.map((g) => g.y1 - g.y0)))) return false;
    if (inWord) {
      const cap = printedLetters(label)!.cap;
      if (glyphs[k]!.y1 - glyphs[k]!.y0 < cap / SMALLER && !gapAfter(label, glyphs[k]!, cap)) return false;
    }
    return !small || colonAfter(label, [...small, ...label], hand[0]!.x0);
  };
  // The handwriting is two letters at least, or one piece half as wide again as it is high (a name joined up by the line it is written on).
  const lastPiece = glyphs[glyphs.length - 1]!;
  const last = lastPiece.x1 - lastPiece.x0 >= 1.5 * (lastPiece.y1 - lastPiece.y0) ? glyphs.length - 1 : glyphs.length - 2;
  for (const inWord of [false, true]) for (let k = last; k >= 3; k--) if (wordEnds.has(k) !== inWord && fits(k, inWord)) return k;
  return 0;
}

/**
 * A form's dotted line (the dots a name is written on): eight and more small dots of a size in a
 * level row, evenly spaced, no further apart than half a character height, except where letters
 * standing on the line took the dots under them into their own pieces (`letters`: the row's
 * glyphs). Wiped from the labelling and the ink map, as ruled lines are, so that the line reader
 * does not read its first dot, or the dots left after the name, as a full stop. Returns how many
 * dots went.
 */
export function dropDottedLines(small: readonly Piece[], labelling: Labelling, ink: GrayImage, charHeight: number, letters: readonly Box[] = []): number {
  const dots = small.filter((d) => Math.max(d.x1 - d.x0, d.y1 - d.y0) <= 0.2 * charHeight).sort((a, b) => a.x0 - b.x0);
  const byX = [...letters].sort((a, b) => a.x0 - b.x0);
  const widest = Math.max(0, ...letters.map((g) => g.x1 - g.x0));
  /** The first letter by x that may end right of `x`. */
  const firstEnding = (x: number) => {
    let lo = 0;
    let hi = byX.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (byX[mid]!.x0 < x - widest) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const reach = 0.5 * charHeight;
  const gone = new Set<number>();
  const used = new Set<Piece>();
  for (let i = 0; i < dots.length; i++) {
    const first = dots[i]!;
    if (used.has(first)) continue;
    const cy = (first.y0 + first.y1) / 2;
    const run = [first];
    /** Steps from dot to dot over letters, left out of the spacing's check. */
    const bridged = new Set<number>();
    /**
     * How far right of `from` the next dot may stand: `reach` past the end of the letters reaching
     * down to the dots' level that cover the stretch from `from` on, but for gaps of at most `reach`.
     */
    const limitAfter = (from: number) => {
      let at = from;
      for (let k = firstEnding(from); k < byX.length; k++) {
        const g = byX[k]!;
        if (g.x0 > at + reach) break;
        if (g.x1 > from && g.y0 < cy && g.y1 >= cy - 0.15 * charHeight) at = Math.max(at, g.x1);
      }
      return at + reach;
    };
    let limit = first.x1 + reach;
    let limitChecked = false;
    for (let j = i + 1; j < dots.length; j++) {
      const d = dots[j]!;
      const last = run[run.length - 1]!;
      if (d.x0 > limit) {
        // Past the dots within reach: on over letters, or no further (dots come by x).
        if (limitChecked) break;
        limit = limitAfter(last.x1);
        limitChecked = true;
        if (d.x0 > limit) break;
      }
      if (d.x0 <= last.x0 || Math.abs((d.y0 + d.y1) / 2 - cy) > 1.5) continue;
      if (d.x0 - last.x1 > reach) bridged.add(run.length - 1);
      run.push(d);
      limit = d.x1 + reach;
      limitChecked = false;
    }
    // Failing over its letters, the run up to the first of them may still be a line by itself.
    const before = bridged.size ? run.slice(0, Math.min(...bridged) + 1) : run;
    const line = evenRun(run, bridged) ? run : evenRun(before, new Set()) ? before : null;
    if (!line) continue;
    for (const d of line) {
      used.add(d);
      for (const p of d.parts) gone.add(p);
    }
  }
  if (gone.size === 0) return 0;
  eraseComponents(gone, labelling, ink);
  return used.size;
}

/**
 * Whether dots are evenly spaced: seven steps from dot to dot at least, as in eight dots of a line,
 * not counting the steps over letters (`bridged`: i dots and full stops on one level, a few letters
 * apart, are no line).
 */
function evenRun(dots: readonly Box[], bridged: ReadonlySet<number>): boolean {
  const even = dots
    .slice(1)
    .map((d, i) => d.x0 - dots[i]!.x0)
    .filter((_, i) => !bridged.has(i));
  if (even.length < 7) return false;
  const mean = even.reduce((s, v) => s + v, 0) / even.length;
  return even.every((v) => Math.abs(v - mean) <= Math.max(1.5, 0.25 * mean));
}

/** Takes the components whose labels are in `gone` out of the labelling, and their pixels out of the ink map. */
function eraseComponents(gone: ReadonlySet<number>, labelling: Labelling, ink: GrayImage): void {
  for (const c of labelling.components) {
    if (!gone.has(c.label)) continue;
    for (let y = c.y0; y < c.y1; y++) {
      for (let x = c.x0; x < c.x1; x++) {
        const i = y * labelling.width + x;
        if (labelling.labels[i] !== c.label) continue;
        labelling.labels[i] = 0;
        if (ink.width === labelling.width && ink.height === labelling.height) ink.data[i] = 0;
      }
    }
  }
  labelling.components = labelling.components.filter((c) => !gone.has(c.label));
}
