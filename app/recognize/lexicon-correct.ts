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

let names: Set<string> | null = null;

/** Whether a word in capitals without accents is a person's name (peopleNames). */
export function isPersonName(word: string): boolean {
  names ??= new Set(peopleNames().map((n) => withoutAccents(n).toUpperCase()));
  return names.has(word);
}

/** Letters without their accents (É → E), as block capitals are mostly written. */
export const withoutAccents = (word: string) => (/^[\x20-\x7e]*$/.test(word) ? word : word.normalize('NFD').replace(/\p{M}/gu, ''));

/** English and French words and people's names in capitals without accents (loaded once per process). */
export function capitalsLexicon(): Lexicon {
  // The line word list holds the English list's words and its extra ones already (word-list.ts).
  if (!capitals) capitals = new Lexicon([...lineWordList(), ...peopleNames()].map(withoutAccents));
  return capitals;
}

/** How many letters a word that is no word, of this length, may differ by from the list's word it becomes. */
export const maxEdits = (length: number): number => (length < 2 ? 0 : length < 6 ? 1 : 2);

/** Words of the lexicon within `max` edits (letters changed, added, dropped) of `word`, nearest first. */
export function nearWords(word: string, lexicon: Lexicon, max: number): { word: string; edits: number }[] {
  if (max === 1) return oneEditAway(word, lexicon);
  const out: { word: string; edits: number }[] = [];
  for (let n = Math.max(1, word.length - max); n <= word.length + max; n++) {
    for (const w of lexicon.ofLength(n)) {
      const d = boundedEdits(word, w, max);
      if (d <= max) out.push({ word: w, edits: d });
    }
  }
  return out.sort((a, b) => a.edits - b.edits);
}

const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'; // what a Lexicon holds

/**
 * nearWords within one edit, by looking up every string one edit away (a few hundred) rather
 * than measuring the distance to every word of similar length (tens of thousands: 8.6 ms a word
 * against 0.3 ms, on the capitals list of 601,608 words). Same words, same order: by edits, then length, then alphabet.
 */
function oneEditAway(word: string, lexicon: Lexicon): { word: string; edits: number }[] {
  const found = new Set<string>();
  const look = (w: string) => {
    if (w !== word && lexicon.has(w)) found.add(w);
  };
  for (let i = 0; i <= word.length; i++) {
    const head = word.slice(0, i);
    const tail = word.slice(i);
    if (i < word.length) look(head + word.slice(i + 1));
    for (const c of LETTERS) {
      look(head + c + tail);
      if (i < word.length && c !== word[i]) look(head + c + word.slice(i + 1));
    }
  }
  const near = [...found].sort((a, b) => a.length - b.length || (a < b ? -1 : 1)).map((w) => ({ word: w, edits: 1 }));
  return lexicon.has(word) ? [{ word, edits: 0 }, ...near] : near;
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

export interface CorrectOptions {
  /** How much less likely (nats) a word of the list of the same length may be than a word that is no word, to take its place. */
  margin: number;
  /** Only these words may be chosen (see recognizer.ts correctRow). */
  allowed?: (word: string) => boolean;
  /** How common a word is (≥ 0, word-frequency.ts wordCommonness), added to its fit times `weight`. */
  commonness?: (word: string) => number;
  weight?: number;
  /** How much better (nats, fit and commonness) a commoner word must score to replace a word of the list. */
  switchMargin?: number;
  /**
   * A longer word competes with the words of the same length on its score, on the same terms (at
   * most `margin` less likely, counting its commonness), instead of coming after them and having to
   * score as well as the word as read: where commonness marks what the text is likely to be (names
   * on a form: "TREMBLAY" for "TRMBLAT", not the word "TREMBLA").
   */
  longerCompete?: boolean;
}

/**
 * The word a capitals word becomes, judged by `fit` (the line model's total log-likelihood of a
 * text over the word's stretch of line) plus `weight` times how common a word is. An apostrophe
 * or a hyphen in it leave it as it is, and so do digits, but for one digit among three letters or more.
 * - A word that is no word becomes the near word of the list that scores best, of those the
 *   line model finds at most `margin` nats less likely. Words of the same length come first (a
 *   letter misread is far likelier than one missed or made up, and the model finds a letter
 *   dropped cheap: "AMNE" is "ANNE", not "ANE"); a longer word must score at least as well as
 *   the word as read ("YU" → "YOU"), a shorter one must fit at least as well, however common
 *   ("HIJ" stays, not "HI").
 * - A word of the list becomes a commoner word one letter away that scores `switchMargin`
 *   better ("SAD" → "SAID", "GUT" → "BUT": the line model all but undecided, the commoner word
 *   far likelier in any text); without `commonness`, it stays.
 * Punctuation around the word stays.
 */
export function correctWord(text: string, fit: (word: string) => number, lexicon: Lexicon, options: CorrectOptions): string {
  const { margin, allowed = () => true, commonness = () => 0, weight = 0, switchMargin = 0 } = options;
  const m = /^([^\p{L}\p{N}]*)(.*?)([^\p{L}\p{N}]*)$/u.exec(text)!;
  const [, before, word, after] = m as unknown as [string, string, string, string];
  const key = withoutAccents(word).toUpperCase();
  // An apostrophe or hyphen joins words (O'BRIEN, JEAN-LUC). Digits are no misread letters, but for one among three letters
  // and more ("6AUTHIER", "WILSI7N": codes have more digits, or fewer letters: 4TH, B52). Other marks inside ("W/TH", "D(RAND") are letters misread.
  const digits = key.replace(/\P{N}/gu, '').length;
  if (!/^[\p{L}\p{N}]/u.test(key) || /['’-]/u.test(key) || (digits > 0 && (digits > 1 || key.replace(/\P{L}/gu, '').length < 3))) return text;
  const known = lexicon.has(key);
  // "ARÉ": an accent on a word that is a word only without it is a mark misread ("ÉTÉ" is one with it).
  const bare = known && key !== word.toUpperCase() && !lineWordList().has(word.toLowerCase()) ? before + withoutAccents(word) + after : text;
  if (known && !(weight > 0 && options.commonness)) return bare;
  const own = fit(word);
  const ownScore = own + weight * commonness(key);
  const scored = (
    known
      ? nearWords(key, lexicon, 1).filter((n) => n.word.length >= key.length && commonness(n.word) > commonness(key))
      : nearWords(key, lexicon, maxEdits(key.length))
  )
    .filter((n) => n.word !== key && allowed(n.word))
    .map((n) => {
      const f = fit(n.word);
      return { word: n.word, fit: f, score: f + weight * commonness(n.word), same: n.word.length === key.length };
    });
  const best = (candidates: typeof scored) => candidates.reduce<(typeof scored)[number] | null>((a, b) => (!a || b.score > a.score ? b : a), null);
  const chosen = known
    ? best(scored.filter((c) => c.score >= ownScore + switchMargin))
    : (best(scored.filter((c) => (c.same && c.fit >= own - margin) || (options.longerCompete && c.word.length > key.length && c.score >= ownScore - margin))) ??
      best(scored.filter((c) => !c.same && (c.word.length > key.length ? c.score >= ownScore : c.fit >= own))));
  return chosen ? before + chosen.word + after : known ? bare : text;
}

/**
 * Two words of the list that a word which is no word may be, read as one where the gap between
 * them was missed ("CLAIREMORIN", "JDHNPETIT"): each part three letters at least and a word of
 * the list as it is or one letter misread in it (two in a part of six and more), chosen by `fit`
 * over the whole word's stretch with the space between them, and only where the line model
 * finds them at most `margin` nats less likely than the word as read. Null where no split
 * qualifies. `allowed` judges the two parts written together, `gapBefore(i)` whether the word may
 * part before its letter i (the geometry of the gap there).
 */
export function splitJoinedWord(
  text: string,
  fit: (words: string) => number,
  lexicon: Lexicon,
  options: Pick<CorrectOptions, 'margin' | 'allowed'> & { gapBefore?: (i: number) => boolean },
): [string, string] | null {
  const { margin, allowed = () => true, gapBefore = () => true } = options;
  if (!/^\p{L}{6,}$/u.test(text)) return null;
  const key = withoutAccents(text).toUpperCase();
  if (lexicon.has(key)) return null;
  const near = (part: string) =>
    lexicon.has(part)
      ? [part]
      : nearWords(part, lexicon, maxEdits(part.length))
          .filter((n) => n.word.length === part.length)
          .map((n) => n.word);
  const own = fit(key);
  let best: { words: [string, string]; fit: number } | null = null;
  for (let i = 3; i <= key.length - 3; i++) {
    if (!gapBefore(i)) continue;
    const lefts = near(key.slice(0, i));
    if (lefts.length === 0) continue;
    for (const right of near(key.slice(i))) {
      for (const left of lefts) {
        if (!allowed(left + right)) continue;
        const f = fit(`${left} ${right}`);
        if (f >= own - margin && (!best || f > best.fit)) best = { words: [left, right], fit: f };
      }
    }
  }
  return best?.words ?? null;
}
