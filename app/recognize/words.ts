/**
 * Reading words from per-glyph class probabilities, with context:
 * - a word is read all letters or all digits unless the classifier is very sure of a mix
 *   (4TH, A4);
 * - a letter reading is replaced by a lexicon word when the scores support every letter of it
 *   (settling O/0, I/1, S/5, Z/2, B/8, G/6 and near misses), never by a word they do not;
 * - a lone glyph whose class is unclear takes the class most of its row has.
 * Pure functions on probability vectors: no model, no image.
 */
import type { Lexicon } from './lexicon.ts';

export interface Candidate {
  label: string;
  p: number;
}

export interface DecodedGlyph {
  label: string;
  /** The classifier's probability of the chosen label. */
  confidence: number;
  /** The classifier's best labels, best first. */
  topK: Candidate[];
}

/** How a word was read: glyph by glyph as letters, digits or a mix, as a lexicon word, whole by the line recogniser, or typed by the user. */
export type Reading = 'letters' | 'digits' | 'mixed' | 'lexicon' | 'line' | 'typed';

export interface DecodedWord {
  text: string;
  glyphs: DecodedGlyph[];
  reading: Reading;
  /** Geometric mean of the chosen labels' probabilities. */
  confidence: number;
}

export interface WordDecodeOptions {
  lexicon?: Lexicon | null;
  /** Candidates kept per glyph in the output. */
  topK?: number;
  /** A glyph leaves its word's class (letter/digit) only if the other class is this many times likelier. */
  mixRatio?: number;
  /**
   * A lexicon word is taken if its probability is at least this share of the best letter
   * reading's (per word) ...
   */
  lexiconShare?: number;
  /** ... and each of its letters has at least this probability. */
  lexiconMinP?: number;
  /** Letters tried per glyph when looking for lexicon words. */
  lexiconBeamLetters?: number;
  /** A lone glyph follows its row's class unless its own class is this many times likelier. */
  rowRatio?: number;
}

const DEFAULTS = {
  topK: 3,
  mixRatio: 20,
  lexiconShare: 0.05,
  lexiconMinP: 0.01,
  lexiconBeamLetters: 6,
  rowRatio: 4,
} as const;

const FLOOR = 1e-6;
const isDigit = (label: string): boolean => /^[0-9]$/.test(label);
const isLetter = (label: string): boolean => /^[A-Z]$/i.test(label);

/** Which classes are letters and which digits; anything else is neither. */
interface ClassSets {
  letters: number[];
  digits: number[];
}

function classSets(classes: readonly string[]): ClassSets {
  const letters: number[] = [];
  const digits: number[] = [];
  classes.forEach((c, i) => {
    if (isLetter(c)) letters.push(i);
    else if (isDigit(c)) digits.push(i);
  });
  return { letters, digits };
}

function checkProbs(probs: readonly ArrayLike<number>[], classes: readonly string[]): void {
  for (const p of probs) {
    if (p.length !== classes.length) throw new RangeError(`decode: a glyph has ${p.length} scores for ${classes.length} classes`);
  }
}

function bestOf(p: ArrayLike<number>, among: readonly number[]): number {
  let best = among[0] ?? -1;
  for (const c of among) if (p[c]! > p[best]!) best = c;
  return best;
}

const logp = (p: number): number => Math.log(Math.max(p, FLOOR));

export function topCandidates(p: ArrayLike<number>, classes: readonly string[], k: number): Candidate[] {
  const order = Array.from({ length: classes.length }, (_, i) => i).sort((a, b) => p[b]! - p[a]!);
  return order.slice(0, k).map((i) => ({ label: classes[i]!, p: p[i]! }));
}

/** Per-word class preference: log P(best all-digit reading) − log P(best all-letter reading). */
export function digitPreference(probs: readonly ArrayLike<number>[], classes: readonly string[]): number {
  const { letters, digits } = classSets(classes);
  if (letters.length === 0 || digits.length === 0) return 0;
  let s = 0;
  for (const p of probs) s += logp(p[bestOf(p, digits)]!) - logp(p[bestOf(p, letters)]!);
  return s;
}

/**
 * Decodes one word. `prefer` forces the word's class for lone or unclear glyphs (row context):
 * it is only used when the word's own preference is weaker than `rowRatio`.
 */
export function decodeWord(
  probs: readonly ArrayLike<number>[],
  classes: readonly string[],
  options: WordDecodeOptions = {},
  prefer?: 'letters' | 'digits',
): DecodedWord {
  checkProbs(probs, classes);
  const o = { ...DEFAULTS, ...options };
  const { letters, digits } = classSets(classes);
  const all = classes.map((_, i) => i);
  const n = probs.length;
  if (n === 0) return { text: '', glyphs: [], reading: 'letters', confidence: 1 };

  // 1. The word's class: letters or digits, by the better consistent reading.
  const pref = digitPreference(probs, classes);
  let base: 'letters' | 'digits' = pref > 0 ? 'digits' : 'letters';
  if (prefer && Math.abs(pref) < Math.log(o.rowRatio)) base = prefer;
  if (letters.length === 0) base = 'digits';
  if (digits.length === 0) base = 'letters';
  const own = base === 'letters' ? letters : digits;
  const other = base === 'letters' ? digits : letters;

  // 2. Glyphs leave the word's class only when the classifier is very sure.
  let reading: Reading = base;
  const chosen = probs.map((p) => {
    const a = own.length ? bestOf(p, own) : bestOf(p, all);
    const b = other.length ? bestOf(p, other) : a;
    if (p[b]! >= o.mixRatio * Math.max(p[a]!, FLOOR)) {
      reading = 'mixed';
      return b;
    }
    // Classes outside letters and digits (if a model has them) compete on their own.
    const c = bestOf(p, all);
    return !isLetter(classes[c]!) && !isDigit(classes[c]!) && p[c]! > p[a]! ? c : a;
  });
  let labels = chosen.map((c) => classes[c]!);

  // 3. Lexicon: letter readings (and digit readings that could be letters) become words the
  // scores support. Lone glyphs are left to the classifier and the row: A, I and O are words.
  if (o.lexicon && letters.length > 0 && n >= 2) {
    const word = bestLexiconWord(probs, classes, letters, o.lexicon, o.lexiconBeamLetters, o.lexiconMinP);
    if (word) {
      const current = labels.reduce((s, l, i) => s + logp(probs[i]![classes.indexOf(l)]!), 0);
      // A digit reading gives way only to a clearly better-or-equal word: numbers must survive.
      const share = base === 'digits' ? 1 : o.lexiconShare;
      if (word.text !== labels.join('') && word.score >= current + Math.log(share)) {
        labels = word.text.split('');
        reading = 'lexicon';
      } else if (word.text === labels.join('')) {
        reading = 'lexicon';
      }
    }
  }

  const glyphs = labels.map((label, i) => ({
    label,
    confidence: probs[i]![classes.indexOf(label)]!,
    topK: topCandidates(probs[i]!, classes, o.topK),
  }));
  const confidence = Math.exp(glyphs.reduce((s, g) => s + logp(g.confidence), 0) / n);
  return { text: labels.join(''), glyphs, reading, confidence };
}

interface Scored {
  text: string;
  score: number;
}

/**
 * The most probable lexicon word of the word's length whose every letter has probability at
 * least `minP`, by beam search over each glyph's best letters, pruned to lexicon prefixes.
 */
export function bestLexiconWord(
  probs: readonly ArrayLike<number>[],
  classes: readonly string[],
  letterClasses: readonly number[],
  lexicon: Lexicon,
  perGlyph: number,
  minP: number,
  beamWidth = 64,
): Scored | null {
  let beam: Scored[] = [{ text: '', score: 0 }];
  for (const p of probs) {
    const options = [...letterClasses]
      .sort((a, b) => p[b]! - p[a]!)
      .slice(0, perGlyph)
      .filter((c) => p[c]! >= minP);
    const next: Scored[] = [];
    for (const b of beam) {
      for (const c of options) {
        const text = b.text + classes[c]!.toUpperCase();
        if (lexicon.hasPrefix(text)) next.push({ text, score: b.score + logp(p[c]!) });
      }
    }
    if (next.length === 0) return null;
    next.sort((a, b) => b.score - a.score);
    beam = next.slice(0, beamWidth);
  }
  return beam.find((b) => lexicon.has(b.text)) ?? null;
}

/** What the layout says about a word, for decodeRow. */
export interface WordContext {
  /** A dot follows the word: at the start of a row, a list number ("1.", "12."). */
  dotAfter?: boolean;
}

/**
 * Decodes a row of words. Words whose class is unclear (a lone 0 or O, 1 or I) take the class
 * that the row's clear words mostly have; a short first word followed by a dot is a list
 * number and is read as digits unless the classifier is very sure of letters (a lettered list).
 */
export function decodeRow(
  words: readonly (readonly ArrayLike<number>[])[],
  classes: readonly string[],
  options: WordDecodeOptions = {},
  context: readonly WordContext[] = [],
): DecodedWord[] {
  const o = { ...DEFAULTS, ...options };
  const prefs = words.map((w) => digitPreference(w, classes));
  const clear = Math.log(o.rowRatio);
  let digitWords = 0;
  let letterWords = 0;
  prefs.forEach((p, i) => {
    if (Math.abs(p) < clear) return;
    const weight = words[i]!.length;
    if (p > 0) digitWords += weight;
    else letterWords += weight;
  });
  const prefer = digitWords > 2 * letterWords ? 'digits' : letterWords > 2 * digitWords ? 'letters' : undefined;
  return words.map((w, i) => {
    const listNumber = i === 0 && words.length > 1 && w.length <= 3 && context[0]?.dotAfter === true;
    if (listNumber && prefs[0]! > -Math.log(o.mixRatio)) return decodeWord(w, classes, { ...options, rowRatio: o.mixRatio }, 'digits');
    return decodeWord(w, classes, options, prefer);
  });
}

/**
 * Numbered lists count up: among the list numbers of a page (in reading order), one that breaks
 * the count where its neighbours agree on what it should be is read as that number, if the
 * classifier gave each of its digits some support (in the glyph's top-k, at least `minP`).
 * Returns the words, changed ones replaced.
 */
export function settleListNumbers(numbers: readonly DecodedWord[], minP = 0.05): DecodedWord[] {
  const value = (w: DecodedWord) => (/^\d{1,3}$/.test(w.text) ? Number(w.text) : null);
  const out = [...numbers];
  for (let i = 0; i < out.length; i++) {
    const here = value(out[i]!);
    const before = i > 0 ? value(out[i - 1]!) : null;
    const after = i + 1 < out.length ? value(out[i + 1]!) : null;
    const fromBefore = before === null ? null : before + 1;
    const fromAfter = after === null ? null : after - 1;
    // Both neighbours agree, or the only neighbour there is says so.
    const expected = fromBefore !== null && fromAfter !== null ? (fromBefore === fromAfter ? fromBefore : null) : (fromBefore ?? fromAfter);
    if (expected === null || expected < 0 || expected === here) continue;
    const digits = String(expected);
    const word = out[i]!;
    if (digits.length !== word.glyphs.length) continue;
    const supported = word.glyphs.every((g, k) => g.topK.some((c) => c.label === digits[k] && c.p >= minP));
    if (!supported) continue;
    const glyphs = word.glyphs.map((g, k) => ({ ...g, label: digits[k]!, confidence: g.topK.find((c) => c.label === digits[k])!.p }));
    const confidence = Math.exp(glyphs.reduce((s, g) => s + logp(g.confidence), 0) / glyphs.length);
    out[i] = { ...word, text: digits, glyphs, reading: 'digits', confidence };
  }
  return out;
}
