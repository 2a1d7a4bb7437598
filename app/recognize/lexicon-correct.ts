/**
 * Words of block capitals put right by a word list: a word that is no word (a name read
 * "DLRAND", "WLLLIAMS") becomes the nearest word of the list (a few letters changed, added or
 * dropped) that the line model finds nearly as likely over the same stretch of the line. The
 * list: English and French words without their accents and people's names (cspell's
 * dict-people-names, ~39,000 names of many origins), for names on forms are mostly names.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { readFileSync } from 'node:fs';
import { Lexicon } from './lexicon.ts';
import { lineWordList } from './word-list.ts';

let capitals: Lexicon | null = null;

/** People's names (cspell's dict-people-names), as the package writes them. */
export function peopleNames(): string[] {
  const require = createRequire(import.meta.url);
  const dir = dirname(require.resolve('@cspell/dict-people-names/cspell-ext.json'));
  return readFileSync(join(dir, 'dict', 'people-names.txt'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
}

/** Letters without their accents (É → E), as block capitals are mostly written. */
const withoutAccents = (word: string) => (/^[\x20-\x7e]*$/.test(word) ? word : word.normalize('NFD').replace(/\p{M}/gu, ''));

/** English and French words and people's names in capitals without accents (loaded once per process). */
export function capitalsLexicon(): Lexicon {
  // The line word list holds the English list's words and its extra ones already (word-list.ts).
  if (!capitals) capitals = new Lexicon([...lineWordList(), ...peopleNames()].map(withoutAccents));
  return capitals;
}

/** How many letters a word of this length may differ by from the list's word it becomes. */
export const maxEdits = (length: number): number => (length < 3 ? 0 : length < 6 ? 1 : 2);

/** Words of the lexicon within `max` edits (letters changed, added, dropped) of `word`, nearest first. */
export function nearWords(word: string, lexicon: Lexicon, max: number): { word: string; edits: number }[] {
  const out: { word: string; edits: number }[] = [];
  for (let n = Math.max(1, word.length - max); n <= word.length + max; n++) {
    for (const w of lexicon.ofLength(n)) {
      const d = boundedEdits(word, w, max);
      if (d <= max) out.push({ word: w, edits: d });
    }
  }
  return out.sort((a, b) => a.edits - b.edits);
}

/** Rows of boundedEdits, kept between calls (nearWords makes a hundred thousand of them a word). */
let rowA = new Int32Array(32);
let rowB = new Int32Array(32);

/**
 * Levenshtein distance of a and b, or max + 1 when it is more than max: only cells within `max`
 * of the diagonal are worked out (any path through the others costs more), and it stops as soon
 * as a row is all over max.
 */
export function boundedEdits(a: string, b: string, max: number): number {
  const over = max + 1;
  if (Math.abs(a.length - b.length) > max) return over;
  if (rowA.length <= b.length + 1) [rowA, rowB] = [new Int32Array(2 * b.length + 2), new Int32Array(2 * b.length + 2)];
  let prev = rowA;
  let cur = rowB;
  for (let j = 0; j <= b.length; j++) prev[j] = Math.min(j, over);
  for (let i = 1; i <= a.length; i++) {
    const lo = Math.max(1, i - max);
    const hi = Math.min(b.length, i + max);
    cur[lo - 1] = lo === 1 ? Math.min(i, over) : over;
    const ca = a.charCodeAt(i - 1);
    let best = cur[lo - 1]!;
    for (let j = lo; j <= hi; j++) {
      let d = prev[j - 1]! + (ca === b.charCodeAt(j - 1) ? 0 : 1);
      const up = (j <= i - 1 + max ? prev[j]! : over) + 1;
      const left = cur[j - 1]! + 1;
      if (up < d) d = up;
      if (left < d) d = left;
      if (d > over) d = over;
      cur[j] = d;
      if (d < best) best = d;
    }
    if (hi < b.length) cur[hi + 1] = over;
    if (best > max) return over;
    [prev, cur] = [cur, prev];
  }
  return prev[b.length]!;
}

/**
 * The word a capitals word becomes: itself where it is a word, has digits, an apostrophe or a
 * hyphen in it, or no word of the list near it fits; else the near word that `fit` (the line model's total
 * log-likelihood of a text over the word's stretch of line) finds likeliest, if it is at most
 * `margin` nats less likely than the word as read. Words of the same length come first (a
 * letter misread is far likelier than one missed or made up, and the model finds a letter
 * dropped cheap: "AMNE" is "ANNE", not "ANE"); a longer or shorter word must fit at least as
 * well as the word as read. Only words `allowed` are tried (see recognizer.ts correctRow).
 * Punctuation around the word stays.
 */
export function correctWord(
  text: string,
  fit: (word: string) => number,
  lexicon: Lexicon,
  margin: number,
  allowed: (word: string) => boolean = () => true,
): string {
  const m = /^([^\p{L}\p{N}]*)(.*?)([^\p{L}\p{N}]*)$/u.exec(text)!;
  const [, before, word, after] = m as unknown as [string, string, string, string];
  const key = withoutAccents(word).toUpperCase();
  // Digits are no misread letters here; an apostrophe or hyphen joins words (O'BRIEN, JEAN-LUC). Other marks inside ("W/TH", "D(RAND") are letters misread.
  if (!/^\p{L}/u.test(key) || /[\p{N}'’-]/u.test(key) || lexicon.has(key)) return text;
  const near = nearWords(key, lexicon, maxEdits(key.length)).filter((n) => allowed(n.word));
  if (near.length === 0) return text;
  const own = fit(word);
  const best = (words: { word: string }[], margin: number) => {
    let out: { word: string; fit: number } | null = null;
    for (const n of words) {
      const f = fit(n.word);
      if (f >= own - margin && (!out || f > out.fit)) out = { word: n.word, fit: f };
    }
    return out;
  };
  const chosen =
    best(
      near.filter((n) => n.word.length === key.length),
      margin,
    ) ??
    best(
      near.filter((n) => n.word.length !== key.length),
      0,
    );
  return chosen ? before + chosen.word + after : text;
}
