import { describe, expect, it } from 'vitest';
import { bestLexiconWord, decodeRow, decodeWord, settleListNumbers, type WordDecodeOptions } from '../../app/recognize/words.ts';
import { Lexicon, englishLexicon } from '../../app/recognize/lexicon.ts';
import { CLASSES_36 } from '../../app/contract.ts';

/** A probability vector over A–Z, 0–9: the named labels get their share, the rest split what is left. */
function glyph(spec: Record<string, number>): Float32Array {
  const p = new Float32Array(CLASSES_36.length);
  const named = Object.values(spec).reduce((a, b) => a + b, 0);
  const rest = (1 - named) / (CLASSES_36.length - Object.keys(spec).length);
  CLASSES_36.forEach((c, i) => (p[i] = spec[c] ?? rest));
  return p;
}

/** A word from a compact table: each entry is 'X' (sure), or {label: p, ...}. */
const word = (...glyphs: (string | Record<string, number>)[]) => glyphs.map((g) => glyph(typeof g === 'string' ? { [g]: 0.95 } : g));

const small = new Lexicon(['to', 'do', 'list', 'sand', 'hello', 'cat', 'so', 'be', 'go', 'zoo', 'bit', 'sit']);
const withLexicon: WordDecodeOptions = { lexicon: small };

describe('decodeWord', () => {
  it('reads confident glyphs as they are, and says how', () => {
    const w = decodeWord(word('C', 'A', 'T'), CLASSES_36);
    expect(w.text).toBe('CAT');
    expect(w.reading).toBe('letters');
    expect(w.confidence).toBeCloseTo(0.95, 5);
    expect(w.glyphs[0]!.topK[0]).toEqual({ label: 'C', p: expect.closeTo(0.95, 5) });
    expect(w.glyphs[0]!.topK).toHaveLength(3);
  });

  it('keeps a word all letters or all digits: O/0, I/1, S/5, Z/2, B/8, G/6', () => {
    expect(decodeWord(word('T', { '0': 0.55, O: 0.4 }), CLASSES_36).text).toBe('TO');
    expect(decodeWord(word({ '5': 0.5, S: 0.45 }, 'A', 'N', 'D'), CLASSES_36).text).toBe('SAND');
    expect(decodeWord(word('1', { O: 0.6, '0': 0.35 }, { Z: 0.5, '2': 0.4 }), CLASSES_36).text).toBe('102');
    expect(decodeWord(word({ B: 0.5, '8': 0.45 }, '4', { G: 0.55, '6': 0.4 }), CLASSES_36).text).toBe('846');
    expect(decodeWord(word({ I: 0.6, '1': 0.38 }, '9', '8', '4'), CLASSES_36).text).toBe('1984');
  });

  it('mixes letters and digits only when the classifier is very sure', () => {
    const w = decodeWord(word('4', 'T', 'H'), CLASSES_36);
    expect(w.text).toBe('4TH');
    expect(w.reading).toBe('mixed');
  });

  it('settles ambiguous letters with the lexicon when the scores support the word', () => {
    // H-E-L-L-O with the second L read as I and the O as D: each still second choice.
    const w = decodeWord(word('H', 'E', 'L', { I: 0.5, L: 0.4 }, { D: 0.5, O: 0.45 }), CLASSES_36, withLexicon);
    expect(w.text).toBe('HELLO');
    expect(w.reading).toBe('lexicon');
    expect(decodeWord(word('L', { I: 0.5, L: 0.3 }, 'S', 'T'), CLASSES_36, withLexicon).text).toBe('LIST');
  });

  it('does not invent words the scores do not support, and keeps unknown words and numbers', () => {
    // 'CAZ' is not a word, but Z is sure and T has almost no support.
    expect(decodeWord(word('C', 'A', { Z: 0.97, T: 0.005 }), CLASSES_36, withLexicon).text).toBe('CAZ');
    expect(decodeWord(word('X', 'Q', 'Z', 'V'), CLASSES_36, withLexicon).text).toBe('XQZV');
    // A number close to a word (S0 → SO) stays a number unless the word is at least as likely.
    expect(decodeWord(word({ '5': 0.6, S: 0.35 }, { '0': 0.6, O: 0.35 }), CLASSES_36, withLexicon).text).toBe('50');
    expect(decodeWord(word({ S: 0.5, '5': 0.45 }, { '0': 0.5, O: 0.45 }), CLASSES_36, withLexicon).text).toBe('SO');
  });

  it('leaves a lone glyph to the classifier (and the row), not the lexicon', () => {
    expect(decodeWord(word({ Z: 0.6, A: 0.3 }), CLASSES_36, withLexicon).text).toBe('Z');
  });

  it('handles an empty word and rejects scores of the wrong length', () => {
    expect(decodeWord([], CLASSES_36).text).toBe('');
    expect(() => decodeWord([new Float32Array(10)], CLASSES_36)).toThrow(/10 scores for 36 classes/);
  });
});

describe('decodeRow', () => {
  it('gives lone unclear glyphs the class of their row', () => {
    const digits = [word('1'), word('2'), word('3'), word({ O: 0.5, '0': 0.45 })];
    expect(decodeRow(digits, CLASSES_36).map((w) => w.text)).toEqual(['1', '2', '3', '0']);
    const letters = [word('M'), word('N'), word({ '0': 0.5, O: 0.45 }), word('P')];
    expect(decodeRow(letters, CLASSES_36).map((w) => w.text)).toEqual(['M', 'N', 'O', 'P']);
    // A clear glyph keeps its own class whatever the row.
    expect(decodeRow([word('A'), word('B'), word('7')], CLASSES_36).map((w) => w.text)).toEqual(['A', 'B', '7']);
  });
});

describe('list numbers', () => {
  it('reads a short first word followed by a dot as digits, unless it is clearly a letter', () => {
    const row = (first: Record<string, number>) => [word(first), word('M', 'A', 'K', 'E'), word('A')];
    expect(decodeRow(row({ I: 0.55, '1': 0.4 }), CLASSES_36, {}, [{ dotAfter: true }]).map((w) => w.text)).toEqual(['1', 'MAKE', 'A']);
    expect(decodeRow(row({ I: 0.55, '1': 0.4 }), CLASSES_36, {}, [{ dotAfter: false }]).map((w) => w.text)).toEqual(['I', 'MAKE', 'A']);
    // "B." of a lettered list: the classifier is sure.
    expect(decodeRow(row({ B: 0.97, '8': 0.01 }), CLASSES_36, {}, [{ dotAfter: true }])[0]!.text).toBe('B');
  });
});

describe('settleListNumbers', () => {
  const marker = (...glyphs: (string | Record<string, number>)[]) => decodeWord(word(...glyphs), CLASSES_36);
  it('reads a list number that breaks the count as the number its neighbours call for, if the classifier allows it', () => {
    const numbers = [marker({ '2': 0.53, '1': 0.31 }), marker('2'), marker('3'), marker('4')];
    expect(numbers[0]!.text).toBe('2');
    expect(settleListNumbers(numbers).map((w) => w.text)).toEqual(['1', '2', '3', '4']);
    expect(settleListNumbers([marker('1', '1'), marker('1', { '8': 0.6, '2': 0.3 }), marker('1', '3')]).map((w) => w.text)).toEqual(['11', '12', '13']);
  });

  it('leaves numbers alone when the classifier does not support the count, or the neighbours disagree', () => {
    expect(settleListNumbers([marker('7'), marker('2'), marker('3')]).map((w) => w.text)).toEqual(['7', '2', '3']);
    expect(settleListNumbers([marker('1'), marker({ '5': 0.6, '3': 0.3 }), marker('9')]).map((w) => w.text)).toEqual(['1', '5', '9']);
  });
});

describe('lexicon', () => {
  it('holds the English word list upper-cased plus common words, and answers prefixes', () => {
    const en = englishLexicon();
    expect(en.size).toBeGreaterThan(250_000);
    for (const w of ['REFRIGERATOR', 'HAIKUS', 'DONT', 'LEARNING']) expect(en.has(w), w).toBe(true);
    expect(en.has('XQZV')).toBe(false);
    expect(en.hasPrefix('REFRIG')).toBe(true);
    expect(en.hasPrefix('QXZ')).toBe(false);
  });

  it('finds the most probable word through the best letters of each glyph', () => {
    const letters = CLASSES_36.map((_, i) => i).filter((i) => i < 26);
    const found = bestLexiconWord(word({ B: 0.5, S: 0.4 }, 'I', 'T'), CLASSES_36, letters, small, 6, 0.01);
    expect(found?.text).toBe('BIT');
    expect(bestLexiconWord(word('Q', 'Q'), CLASSES_36, letters, small, 6, 0.01)).toBeNull();
  });
});

describe('character error rate', () => {
  it('compares only A–Z and 0–9, upper-cased, and sums over pages', async () => {
    const { cer, cerCount, levenshtein, parseGroundTruth } = await import('../../app/recognize/cer.ts');
    expect(levenshtein('KITTEN', 'SITTING')).toBe(3);
    expect(cerCount('1. make a\nlist!', '1 MAKE A LIST')).toEqual({ distance: 0, length: 10 });
    expect(cerCount('T0 D0', 'TO DO')).toEqual({ distance: 2, length: 4 });
    expect(
      cer([
        { distance: 2, length: 4 },
        { distance: 0, length: 16 },
      ]),
    ).toBeCloseTo(0.1, 10);
    const gt = parseGroundTruth('# comment\n\n[a.jpg]\nTO DO\nLIST\n[b.jpg]\n1 2 3\n');
    expect([...gt]).toEqual([
      ['a.jpg', ['TO DO', 'LIST']],
      ['b.jpg', ['1 2 3']],
    ]);
  });
});
