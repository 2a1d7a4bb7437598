/**
 * Mixed case for the glyph pipeline. A classifier of 62 classes (A–Z, a–z, 0–9) is read in two
 * steps: its probabilities are folded onto case-free keys (x onto X; l and i onto I, the stroke),
 * so the word decoding (words.ts: letters against digits, the lexicon) works as it does for
 * capitals; then each letter's case is chosen back.
 *
 * Where a letter's two cases differ in shape (a/A, e/E, r/R…), the classifier says which it is.
 * Where they do not (c, k, o, p, s, u, v, w, x, y, z, and the stroke I/l/i), nothing in the glyph
 * decides it: its size and place against the line do. The row's letters of known case give the
 * line's capital height (capitals, digits, ascenders b d f h k l t) and its x-height (a e m n r);
 * such a glyph is lower case when its height is nearer the x-height, or its top lies well below
 * the capitals' (p and y reach down, not up). Past its first letter, a word keeps one case: the
 * one most of its letters show (so `HELLO` stays capitals and `hello` lower case).
 */
import { boxHeight, type Box } from '../image/gray.ts';

/** Lower-case letters whose shape is their capital's, smaller. */
const SAME_SHAPE = new Set([...'ckopsuvwxyz']);
/** Lower-case letters that reach the capital height, and those that stay within the x-height. */
const ASCENDERS = new Set([...'bdfhklt']);
const X_HEIGHT = new Set([...'aemnr']);
/** Lower-case letters that hang below the baseline: their top, not their height, shows the case. */
const DESCENDERS = new Set([...'pyg']);

export interface CaseFolding {
  /** The case-free classes (capitals, digits, anything else), what the word decoding reads. */
  keys: readonly string[];
  /** For each class of the classifier, the index of its key. */
  keyOf: Int32Array;
}

const strokeKey = (c: string) => (c === 'l' || c === 'i' ? 'I' : c.toUpperCase());

/** How a classifier's classes fold onto case-free keys, or null when it has no lower-case letters. */
export function caseFolding(classes: readonly string[]): CaseFolding | null {
  const lower = (c: string) => /^[a-z]$/.test(c);
  if (!classes.some(lower)) return null;
  const keys: string[] = [];
  for (const c of classes) {
    const key = lower(c) && classes.includes(strokeKey(c)) ? strokeKey(c) : c;
    if (!keys.includes(key)) keys.push(key);
  }
  return { keys, keyOf: Int32Array.from(classes, (c) => keys.indexOf(lower(c) && classes.includes(strokeKey(c)) ? strokeKey(c) : c)) };
}

/** `n` rows of class probabilities summed onto the folding's keys. */
export function foldProbabilities(probs: Float32Array, n: number, f: CaseFolding): Float32Array {
  const k = f.keyOf.length;
  const m = f.keys.length;
  const out = new Float32Array(n * m);
  for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) out[i * m + f.keyOf[j]!]! += probs[i * k + j]!;
  return out;
}

/** A glyph of a decoded word: its case-free label, the classifier's probabilities over all its classes, and its box. */
export interface CasedGlyphInput {
  label: string;
  probs: ArrayLike<number>;
  box: Box;
}

interface Letter {
  upper: string;
  lower: string;
  /** The classifier's share for lower case, of the two. */
  lowerShare: number;
  /** Nothing in the shape tells the cases apart. */
  sameShape: boolean;
  box: Box;
}

const median = (xs: number[]): number | null => {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
};

/**
 * The labels of a row's words with their case chosen (digits and other classes as they are).
 * `words[w][g]`: the case-free label the decoding chose, the glyph's probabilities over
 * `classes` and its box.
 */
export function chooseCase(words: readonly (readonly CasedGlyphInput[])[], classes: readonly string[]): string[][] {
  const index = new Map(classes.map((c, i) => [c, i]));
  const p = (g: CasedGlyphInput, c: string) => (index.has(c) ? g.probs[index.get(c)!]! : 0);
  const letters: (Letter | null)[][] = words.map((word) =>
    word.map((g) => {
      if (!/^[A-Z]$/.test(g.label)) return null;
      let lower = g.label.toLowerCase();
      if (g.label === 'I') lower = p(g, 'i') > p(g, 'l') ? 'i' : 'l';
      if (!index.has(lower)) return null;
      const pu = p(g, g.label);
      const pl = p(g, lower);
      return { upper: g.label, lower, lowerShare: pl / Math.max(1e-12, pu + pl), sameShape: SAME_SHAPE.has(lower) || g.label === 'I', box: g.box };
    }),
  );
  const all = letters.flat().filter((l): l is Letter => l !== null);
  const sure = (l: Letter, lower: boolean) => !l.sameShape && (lower ? l.lowerShare > 0.8 : l.lowerShare < 0.2);
  // The row's capital height (and top), and its x-height, from letters whose case their shape shows.
  const tall = all.filter((l) => sure(l, false) || (sure(l, true) && ASCENDERS.has(l.lower)));
  for (const word of words)
    for (const g of word) if (/^[0-9]$/.test(g.label)) tall.push({ upper: g.label, lower: g.label, lowerShare: 0, sameShape: false, box: g.box });
  const capHeight = median(tall.map((l) => boxHeight(l.box)));
  const capTop = median(tall.map((l) => l.box.y0));
  const xHeight = median(all.filter((l) => sure(l, true) && X_HEIGHT.has(l.lower)).map((l) => boxHeight(l.box)));

  /** Whether the glyph's size and place say lower case; null when the row has nothing to compare with. */
  const looksLower = (l: Letter): boolean | null => {
    const h = boxHeight(l.box);
    // A tall stroke is I or l, a tall k either case: only a short one says anything.
    const shortOnly = l.upper === 'I' || ASCENDERS.has(l.lower);
    if (shortOnly) {
      const small = capHeight !== null ? h < 0.75 * capHeight : xHeight !== null ? h < 1.25 * xHeight : null;
      return small === true ? true : null;
    }
    if (DESCENDERS.has(l.lower)) return capHeight !== null && capTop !== null ? l.box.y0 > capTop + 0.3 * capHeight : null;
    if (capHeight !== null && xHeight !== null) return Math.abs(Math.log(h / xHeight)) < Math.abs(Math.log(h / capHeight));
    if (capHeight !== null) return h < 0.75 * capHeight;
    if (xHeight !== null) return h < 1.25 * xHeight;
    return null;
  };
  const vote = (l: Letter): boolean | null => (l.sameShape ? looksLower(l) : l.lowerShare > 0.5);
  // A row whose letters of known case are capitals, all but a few, is block capitals throughout.
  const sureUpper = all.filter((l) => sure(l, false)).length;
  const sureLower = all.filter((l) => sure(l, true)).length;
  if (sureUpper >= 3 && sureUpper >= 4 * sureLower) return words.map((word, w) => word.map((g, i) => letters[w]![i]?.upper ?? g.label));

  return words.map((word, w) => {
    const ls = letters[w]!;
    let lowerVotes = 0;
    let upperVotes = 0;
    ls.forEach((l, i) => {
      if (!l || i === 0) return;
      const v = vote(l);
      if (v === true) lowerVotes++;
      else if (v === false) upperVotes++;
    });
    const first = ls.find((l) => l !== null);
    const firstVote = first ? vote(first) : null;
    // Where the rest says nothing, a word that starts in lower case stays in it.
    const wordLower = lowerVotes + upperVotes > 0 ? lowerVotes > upperVotes : firstVote === true;
    return word.map((g, i) => {
      const l = ls[i];
      if (!l) return g.label;
      const lower = l === first ? (firstVote ?? (lowerVotes + upperVotes > 0 ? wordLower : false)) : wordLower;
      return lower ? l.lower : l.upper;
    });
  });
}
