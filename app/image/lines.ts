/**
 * Ruled lines, grid lines and frame edges: long, thin, nearly straight runs of ink. They are
 * removed from the binary mask before characters are labelled, so that writing on lined paper
 * does not become one component per line. A line is found as a connected piece of the pixels
 * that are thin across it (a stroke crossing it is thick there, and is kept), at least
 * `minLength` long and straight enough; only the pixels in a narrow band along its fitted course
 * are removed, so characters resting on it keep what lies above.
 */
import { connectedComponents } from './components.ts';

export interface LineOptions {
  /** A line is at least this long (px). */
  minLength: number;
  /** Line ink is at most this thick (px) across the line. */
  maxThickness: number;
  /** The writing's character height (px), where known: the walls of boxes and combs are looked for only then, at least this tall. */
  charHeight?: number;
}

/**
 * Removes lines from `mask` (in place); returns the number of pixels removed. Lines are traced
 * in `faint` when given (a lower threshold of the same image): a faint printed line is whole
 * there, while the mask holds only its pieces that touch characters. The pixels of the walls of
 * boxes and combs (markWalls) are also set in `walls` when given.
 */
export function removeLines(mask: Uint8Array, width: number, height: number, options: LineOptions, faint: Uint8Array = mask, walls?: Uint8Array): number {
  const remove = new Uint8Array(mask.length);
  markLines(faint, width, height, options, true, remove);
  if (options.charHeight) markWalls(faint, width, height, options.maxThickness, options.charHeight, remove, walls);
  markLines(faint, width, height, options, false, remove);
  let n = 0;
  for (let i = 0; i < mask.length; i++) {
    if (remove[i] && mask[i]) {
      mask[i] = 0;
      n++;
    }
  }
  return n;
}

/**
 * Calls `run(fixed, from, to)` for every run of 1s in `mask` along rows (fixed = y, x in
 * [from, to)) or along columns (fixed = x, y in [from, to)), scanning in memory order.
 */
function forEachRun(mask: Uint8Array, w: number, h: number, alongRows: boolean, run: (fixed: number, from: number, to: number) => void): void {
  if (alongRows) {
    for (let y = 0; y < h; y++) {
      const row = y * w;
      let start = -1;
      for (let x = 0; x <= w; x++) {
        const on = x < w && mask[row + x] === 1;
        if (on && start < 0) start = x;
        else if (!on && start >= 0) {
          run(y, start, x);
          start = -1;
        }
      }
    }
    return;
  }
  const start = new Int32Array(w).fill(-1);
  for (let y = 0; y <= h; y++) {
    const row = y * w;
    for (let x = 0; x < w; x++) {
      const on = y < h && mask[row + x] === 1;
      if (on && start[x]! < 0) start[x] = y;
      else if (!on && start[x]! >= 0) {
        run(x, start[x]!, y);
        start[x] = -1;
      }
    }
  }
}

/** Marks in `remove` the pixels of horizontal (or vertical) lines in `ink`. */
function markLines(ink: Uint8Array, w: number, h: number, o: LineOptions, horizontal: boolean, remove: Uint8Array): void {
  // Pixel index from (position along the line direction, position across it).
  const stepAlong = horizontal ? 1 : w;
  const stepAcross = horizontal ? w : 1;
  const across = horizontal ? h : w;
  const lines = horizontal ? w : h;
  // Pixels thin across the line direction (runs across no longer than maxThickness), and the
  // length of the run across that each inked pixel is in.
  const thin = new Uint8Array(ink.length);
  const runAcross = new Uint16Array(ink.length);
  let any = false;
  forEachRun(ink, w, h, !horizontal, (k, from, to) => {
    const length = Math.min(65535, to - from);
    const isThin = to - from <= o.maxThickness;
    for (let a = from; a < to; a++) {
      const i = k * stepAlong + a * stepAcross;
      runAcross[i] = length;
      if (isThin) thin[i] = 1;
    }
    any ||= isThin;
  });
  if (!any) return;
  // Thickened by a pixel across, so a tilted line (a staircase) runs on in one row; only long
  // runs along the line direction seed lines, not specks of grain or short strokes.
  const thick = thin.slice();
  for (let i = 0; i < thin.length; i++) {
    if (thin[i] !== 1) continue;
    const a = horizontal ? (i / w) | 0 : i % w;
    if (a > 0) thick[i - stepAcross] = 1;
    if (a + 1 < across) thick[i + stepAcross] = 1;
  }
  const minRun = Math.max(4, 2 * o.maxThickness);
  // Where a character's stroke crosses a line or rests on it, the line is not thin: gaps between
  // seeds (up to a quarter of a line's length) are bridged, so the line is traced as one piece
  // (only thin pixels are ever removed).
  const gap = Math.max(2, Math.round(o.minLength / 4));
  const bridged = new Uint8Array(ink.length);
  const lastEnd = new Int32Array(across).fill(-1);
  forEachRun(thick, w, h, horizontal, (a, from, to) => {
    if (to - from < minRun) return;
    const first = lastEnd[a]! >= 0 && from - lastEnd[a]! <= gap ? lastEnd[a]! : from;
    for (let k = first; k < to; k++) bridged[k * stepAlong + a * stepAcross] = 1;
    lastEnd[a] = to;
  });
  const { labels, components } = connectedComponents(bridged, w, h);
  for (const c of components) {
    const length = horizontal ? c.x1 - c.x0 : c.y1 - c.y0;
    const spread = horizontal ? c.y1 - c.y0 : c.x1 - c.x0;
    // Long, and straight: its spread across is what a slight tilt explains.
    if (length < o.minLength || spread > o.maxThickness + 0.15 * length) continue;
    removeAlongCourse(ink, across, lines, labels, thin, runAcross, c.label, c, w, horizontal, o.maxThickness, remove);
  }
}

/**
 * Fits the course of one line component and marks its pixels within the band around it. The
 * course is a straight line through the middle of the component's pixels at each position
 * along it, refitted without the positions far off it (where a character's stroke joins).
 */
function removeAlongCourse(
  ink: Uint8Array,
  acrossSize: number,
  alongSize: number,
  labels: Int32Array,
  thin: Uint8Array,
  runAcross: Uint16Array,
  label: number,
  box: { x0: number; y0: number; x1: number; y1: number },
  w: number,
  horizontal: boolean,
  maxThickness: number,
  remove: Uint8Array,
): void {
  const a0 = horizontal ? box.x0 : box.y0;
  const a1 = horizontal ? box.x1 : box.y1;
  const b0 = horizontal ? box.y0 : box.x0;
  const b1 = horizontal ? box.y1 : box.x1;
  const index = (a: number, b: number) => (horizontal ? b * w + a : a * w + b);
  const positions: number[] = [];
  const middles: number[] = [];
  const thickness: number[] = [];
  for (let a = a0; a < a1; a++) {
    let lo = -1;
    let hi = -1;
    let count = 0;
    for (let b = b0; b < b1; b++) {
      // The line's own thin pixels (the component also holds the bridging around them).
      const i = index(a, b);
      if (labels[i] !== label || thin[i] !== 1) continue;
      if (lo < 0) lo = b;
      hi = b;
      count++;
    }
    // Only positions where the component is just the line (thin and unbroken) fix the course.
    if (count > 0 && hi - lo + 1 <= maxThickness && count === hi - lo + 1) {
      positions.push(a);
      middles.push((lo + hi) / 2);
      thickness.push(count);
    }
  }
  if (positions.length < 2) return;
  let [slope, offset] = fitLine(positions, middles, () => true);
  [slope, offset] = fitLine(positions, middles, (i) => Math.abs(middles[i]! - (offset + slope * positions[i]!)) <= maxThickness / 2);
  // The band is as wide as the line itself (with a pixel of slack each side). Within it, only
  // ink no thicker across than the line is the line's: where a stroke rests on the line (the
  // bottom of a U or an L), the ink is thicker and stays whole.
  thickness.sort((x, y) => x - y);
  const lineThickness = thickness[thickness.length >> 1]!;
  const half = lineThickness / 2 + 1;
  const onlyLine = (i: number) => thin[i] === 1 && runAcross[i]! <= lineThickness + 2;
  const band = (a: number, visit: (i: number) => void) => {
    const course = offset + slope * a;
    for (let b = Math.max(b0, Math.floor(course - half)); b <= Math.min(b1 - 1, Math.ceil(course + half)); b++) {
      const i = index(a, b);
      if (labels[i] === label && onlyLine(i)) visit(i);
    }
  };
  const inkedAt = (a: number) => {
    const course = offset + slope * a;
    for (let b = Math.max(0, Math.floor(course - half)); b <= Math.min(acrossSize - 1, Math.ceil(course + half)); b++) if (ink[index(a, b)] === 1) return true;
    return false;
  };
  // A printed line is inked all along its course (its own thin ink, or a stroke crossing it);
  // a chain of characters' bars at one height, joined by the bridging, has paper between.
  let covered = 0;
  for (let a = a0; a < a1; a++) if (inkedAt(a)) covered++;
  if (covered < LINE_COVERAGE * (a1 - a0)) return;
  for (let a = a0; a < a1; a++) band(a, (i) => (remove[i] = 1));
  // Beyond the traced piece the line goes on (to a border, behind a character near the edge):
  // follow its course while it stays inked, removing its thin pixels there too.
  const extend = (from: number, step: number) => {
    for (let a = from, blank = 0; a >= 0 && a < alongSize && blank <= maxThickness; a += step) {
      if (!inkedAt(a)) {
        blank++;
        continue;
      }
      blank = 0;
      const course = offset + slope * a;
      for (let b = Math.max(0, Math.floor(course - half)); b <= Math.min(acrossSize - 1, Math.ceil(course + half)); b++) {
        const i = index(a, b);
        if (onlyLine(i)) remove[i] = 1;
      }
    }
  };
  extend(a0 - 1, -1);
  extend(a1, 1);
}

/**
 * The walls of a form's boxes and combs (a cell per letter): upright strokes, thin and straight,
 * that run from one printed line (already marked in `remove`) to another at least a character
 * height below, too short to be lines themselves. A wall stands with at least one other between the same two lines (a box has two, a
 * comb one per letter and one more), so a letter's stem that happens to touch the ruled lines
 * above and below it stays. Marked in `remove` (and `out`).
 */
function markWalls(ink: Uint8Array, w: number, h: number, maxThickness: number, charHeight: number, remove: Uint8Array, out?: Uint8Array): void {
  const onLine = remove.slice();
  // Width of the run along its row that each inked pixel is in.
  const runAlong = new Uint16Array(ink.length);
  forEachRun(ink, w, h, true, (y, from, to) => runAlong.fill(Math.min(65535, to - from), y * w + from, y * w + to));
  const t = Math.ceil(maxThickness);
  // A cell holds a letter: its walls are as tall as one, and more.
  const minLength = Math.max(12, 2 * t, 0.9 * charHeight);
  // How thick the line is where the wall meets it (onLine rows in the columns beside it; a wall
  // two pixels wide holds the line's pixels in both its columns).
  const lineThickness = (x: number, y0: number, y1: number) => {
    let most = 0;
    for (let xx = Math.max(0, x - 2); xx <= Math.min(w - 1, x + 2); xx++) {
      let n = 0;
      for (let y = Math.max(0, y0); y <= Math.min(h - 1, y1); y++) n += onLine[y * w + xx]!;
      most = Math.max(most, n);
    }
    return most;
  };
  const walls: { x: number; y0: number; y1: number; thin: number }[] = [];
  forEachRun(ink, w, h, false, (x, y0, y1) => {
    if (y1 - y0 < minLength) return;
    const top = lineThickness(x, y0 - 1, y0 + t);
    const bottom = lineThickness(x, y1 - 1 - t, y1);
    if (!top || !bottom) return;
    // Between the lines, as thin as they are (a pen's stroke is thicker), but where a letter touches it.
    const thin = Math.max(2, Math.max(top, bottom) + 1);
    let count = 0;
    for (let y = y0 + t; y < y1 - t; y++) if (runAlong[y * w + x]! <= thin) count++;
    if (count >= 0.8 * (y1 - y0 - 2 * t)) walls.push({ x, y0, y1, thin });
  });
  // Walls between the same two lines: a comb's (three and more), or a box's two at the lines' ends.
  const lineEndsAt = (x: number, y: number) => {
    let left = 0;
    let right = 0;
    for (let d = 2; d <= t + 2; d++) {
      for (let yy = Math.max(0, y - t); yy <= Math.min(h - 1, y + t); yy++) {
        if (x - d >= 0 && onLine[yy * w + x - d]) left++;
        if (x + d < w && onLine[yy * w + x + d]) right++;
      }
    }
    return left === 0 || right === 0;
  };
  for (const wall of walls) {
    const xs = walls
      .filter((o) => Math.abs(o.y0 - wall.y0) <= t && Math.abs(o.y1 - wall.y1) <= t)
      .map((o) => o.x)
      .sort((a, b) => a - b);
    const distinct = xs.filter((x, i) => i === 0 || x - xs[i - 1]! > 2).length;
    if (distinct < 3 && !(distinct === 2 && lineEndsAt(wall.x, wall.y0) && lineEndsAt(wall.x, wall.y1 - 1))) continue;
    for (let y = wall.y0; y < wall.y1; y++) {
      const i = y * w + wall.x;
      if (runAlong[i]! > wall.thin) continue;
      remove[i] = 1;
      if (out) out[i] = 1;
    }
  }
}

/** Share of a line's length along which its course is inked. */
const LINE_COVERAGE = 0.9;

/** Least-squares line b = offset + slope · a through the points kept by `keep`. */
function fitLine(a: readonly number[], b: readonly number[], keep: (i: number) => boolean): [number, number] {
  let n = 0;
  let sa = 0;
  let sb = 0;
  let saa = 0;
  let sab = 0;
  for (let i = 0; i < a.length; i++) {
    if (!keep(i)) continue;
    n++;
    sa += a[i]!;
    sb += b[i]!;
    saa += a[i]! * a[i]!;
    sab += a[i]! * b[i]!;
  }
  if (n === 0) return [0, 0];
  const denom = n * saa - sa * sa;
  const slope = denom > 0 ? (n * sab - sa * sb) / denom : 0;
  return [slope, (sb - slope * sa) / n];
}
