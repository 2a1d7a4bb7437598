/**
 * Case in a line reading where the shape cannot tell it. The line recogniser reads `World` for a
 * small w that starts a word: c, o, s, u, v, w, x, z (k, p, y) are their capitals made smaller,
 * and a network that sees a few columns at a time often cannot tell which. Each character's ink
 * on the line image (its columns: from midway to the character before to midway to the one after)
 * gives its height, to compare with the line's own capital height and x-height, as the glyph
 * pipeline does (letter-case.ts).
 */
import type { GrayImage } from '../image/gray.ts';
import { lineOf, type DecodedChar, type DecodedLine } from './ctc-decode.ts';

const INK = 0.35;

/** The ink rows of columns [x0, x1) of `line` (ink 0..1): [top, bottom), or null when there is none. */
function inkRows(line: GrayImage, x0: number, x1: number): [number, number] | null {
  let top = -1;
  let bottom = -1;
  for (let y = 0; y < line.height; y++) {
    for (let x = Math.max(0, x0); x < Math.min(line.width, x1); x++) {
      if (line.data[y * line.width + x]! > INK) {
        if (top < 0) top = y;
        bottom = y + 1;
        break;
      }
    }
  }
  return top < 0 ? null : [top, bottom];
}

/** Capitals that are their small letters made larger. */
const SAME_SHAPE = new Set([...'COSUVWXZ']);
/** Letters whose height is the line's x-height, and those that reach the capital height. */
const X_HEIGHT = new Set([...'aemnrcosuvwxz']);
const TALL = new Set([...'bdfhklt']);

const median = (xs: number[]): number | null => (xs.length ? [...xs].sort((a, b) => a - b)[xs.length >> 1]! : null);

/**
 * The reading with a word's first letter in lower case where the recogniser wrote a capital of
 * the same shape (C O S U V W X Z) followed by lower case, and the letter's ink is clearly only
 * as tall as the line's x-height (nearer it than the capital height, under 3/4 of that). Nothing
 * else changes: on real lines (cursive, touching letters) the columns of a character are too
 * loose a box to second-guess the recogniser more than this. `frameWidth`: image columns per frame.
 */
export function settleLineCase(line: GrayImage, read: DecodedLine, frameWidth: number): DecodedLine {
  const chars = read.chars;
  const centre = (c: DecodedChar) => ((c.frames[0] + c.frames[1] + 1) / 2) * frameWidth;
  const height = (i: number): number | null => {
    const c = chars[i]!;
    const left = i > 0 ? (centre(chars[i - 1]!) + centre(c)) / 2 : c.frames[0] * frameWidth - frameWidth;
    const right = i + 1 < chars.length ? (centre(c) + centre(chars[i + 1]!)) / 2 : (c.frames[1] + 2) * frameWidth;
    const rows = inkRows(line, Math.floor(left), Math.ceil(right));
    return rows ? rows[1] - rows[0] : null;
  };
  const heights = chars.map((_, i) => height(i));
  const of = (set: Set<string>) => median(chars.flatMap((c, i) => (set.has(c.char) && heights[i] !== null ? [heights[i]!] : [])));
  const xHeight = of(X_HEIGHT);
  const capHeight = median(chars.flatMap((c, i) => ((TALL.has(c.char) || /^[A-Z0-9]$/.test(c.char)) && heights[i] !== null ? [heights[i]!] : [])));
  if (xHeight === null || capHeight === null || capHeight < 1.25 * xHeight) return read;
  const out = chars.map((c) => ({ ...c }));
  chars.forEach((c, i) => {
    const h = heights[i] ?? null;
    const startsWord = i === 0 || chars[i - 1]!.char === ' ' || chars[i - 1]!.char === "'";
    const restLower = /^[a-zà-ÿ]/.test(chars[i + 1]?.char ?? '');
    if (!SAME_SHAPE.has(c.char) || !startsWord || !restLower || h === null) return;
    if (h < 0.65 * capHeight && Math.abs(Math.log(h / xHeight)) < Math.abs(Math.log(h / capHeight))) out[i]!.char = c.char.toLowerCase();
  });
  return out.some((c, i) => c.char !== chars[i]!.char) ? lineOf(out) : read;
}
