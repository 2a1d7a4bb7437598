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

/** Whether a reading is block capitals: three letters or more, three in five of them capitals. */
export function writtenInCapitals(text: string): boolean {
  const letters = [...text].filter((c) => c.toLowerCase() !== c.toUpperCase());
  return letters.length >= 3 && letters.filter((c) => c === c.toUpperCase()).length >= 0.6 * letters.length;
}

/**
 * Per-frame probabilities (frames × classes, class k+1 = chars[k]) with each small letter's
 * probability given to its capital, where the model has that capital: a line of block capitals
 * read case-free, so a capital the model took for its small letter (the l of "UlLLITMS", a small
 * s for an S) comes out as the capital it is.
 */
export function foldToCapitals(probs: Float32Array, frames: number, chars: readonly string[]): Float32Array {
  const pairs: [number, number][] = [];
  chars.forEach((c, i) => {
    const upper = c.toUpperCase();
    const j = upper !== c ? chars.indexOf(upper) : -1;
    if (j >= 0) pairs.push([i + 1, j + 1]);
  });
  const classes = chars.length + 1;
  const out = Float32Array.from(probs);
  for (let f = 0; f < frames; f++) {
    const row = f * classes;
    for (const [lower, capital] of pairs) {
      out[row + capital] = out[row + capital]! + out[row + lower]!;
      out[row + lower] = 0;
    }
  }
  return out;
}

/**
 * Per-frame probabilities where each word of `read` is all letters or all digits, as block
 * capitals are written (LEROY, 1987), never LER04: in the frames of a word read mostly as letters
 * (half and more), the digits are taken out (the rest made to sum to one again), so those frames
 * are read as the likeliest letter; in a word of mostly digits, the letters are. Other characters stay.
 */
export function oneClassPerWord(probs: Float32Array, frames: number, chars: readonly string[], read: DecodedLine): Float32Array {
  const classes = chars.length + 1;
  const digits = chars.flatMap((c, i) => (/^[0-9]$/.test(c) ? [i + 1] : []));
  const letters = chars.flatMap((c, i) => (c.toLowerCase() !== c.toUpperCase() ? [i + 1] : []));
  const out = Float32Array.from(probs);
  let word: DecodedChar[] = [];
  const settle = () => {
    const nLetters = word.filter((c) => c.char.toLowerCase() !== c.char.toUpperCase()).length;
    const nDigits = word.filter((c) => /^[0-9]$/.test(c.char)).length;
    if (nLetters > 0 && nDigits > 0) {
      const drop = nLetters >= nDigits ? digits : letters;
      for (let f = word[0]!.frames[0]; f <= word[word.length - 1]!.frames[1] && f < frames; f++) {
        const row = f * classes;
        let kept = 1;
        for (const k of drop) {
          kept -= out[row + k]!;
          out[row + k] = 0;
        }
        if (kept > 1e-6) for (let k = 0; k < classes; k++) out[row + k] = out[row + k]! / kept;
      }
    }
    word = [];
  };
  for (const c of read.chars) {
    if (c.char === ' ') settle();
    else word.push(c);
  }
  settle();
  return out;
}
