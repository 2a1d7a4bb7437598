import { describe, expect, it } from 'vitest';
import { Lexicon } from '../../app/recognize/lexicon.ts';
import { wordCommonness } from '../../app/recognize/word-frequency.ts';
import { boundedEdits, capitalsLexicon, correctWord, nearWords, splitJoinedWord } from '../../app/recognize/lexicon-correct.ts';

describe('words of block capitals put right by a word list', () => {
  const lexicon = new Lexicon(['ANNE', 'ANE', 'DURAND', 'MARIE', 'TAYLOR', 'TAILOR', 'THE']);
  // A stand-in for the line model: each letter as read scores 0, each other letter -2, each letter more or less -1.5.
  const fitOf = (read: string) => (word: string) => {
    let f = -1.5 * Math.abs(word.length - read.length);
    for (let i = 0; i < Math.min(word.length, read.length); i++) f -= word[i] === read[i] ? 0 : 2;
    return f;
  };

  it('finds the words one edit away by lookup as a scan of the whole list does, in the same order', () => {
    const big = capitalsLexicon();
    const scan = (word: string) => {
      const out: { word: string; edits: number }[] = [];
      for (let n = Math.max(1, word.length - 1); n <= word.length + 1; n++)
        for (const w of big.ofLength(n)) if (boundedEdits(word, w, 1) <= 1) out.push({ word: w, edits: boundedEdits(word, w, 1) });
      return out.sort((a, b) => a.edits - b.edits);
    };
    const words = ['SAID', 'SAD', 'BUT', 'ON', 'DN', 'A', 'THE', 'MARTIN', 'HOUSE', 'QZXJ', 'ÉTÉ', 'STREET', 'AND'];
    for (const w of words) expect(nearWords(w, big, 1), w).toEqual(scan(w));
    expect(nearWords('SAID', big, 1).map((n) => n.word)).toEqual(expect.arrayContaining(['SAID', 'SAD', 'PAID', 'SAIL']));
  });

  it('counts edits up to a bound', () => {
    expect(boundedEdits('DLRAND', 'DURAND', 2)).toBe(1);
    expect(boundedEdits('THOMALS', 'THOMAS', 2)).toBe(1);
    expect(boundedEdits('ABCDEF', 'UVWXYZ', 2)).toBe(3);
    expect(nearWords('AMNE', lexicon, 1).map((n) => n.word)).toEqual(expect.arrayContaining(['ANNE', 'ANE']));
    // Against the whole table, on strings of a small alphabet (many near ones): the same, capped at max + 1.
    const full = (a: string, b: string) => {
      let row = Array.from({ length: b.length + 1 }, (_, j) => j);
      for (let i = 1; i <= a.length; i++) {
        const next = [i];
        for (let j = 1; j <= b.length; j++) next.push(Math.min(row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1), row[j]! + 1, next[j - 1]! + 1));
        row = next;
      }
      return row[b.length]!;
    };
    let seed = 7;
    const random = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
    const text = () => Array.from({ length: Math.floor(random() * 9) }, () => 'ABC'[Math.floor(random() * 3)]).join('');
    for (let n = 0; n < 2000; n++) {
      const [a, b, max] = [text(), text(), Math.floor(random() * 4)];
      expect(boundedEdits(a, b, max), `${a} ${b} ${max}`).toBe(Math.min(full(a, b), max + 1));
    }
  });

  it('a misread letter becomes the word of the list the model finds nearly as likely', () => {
    expect(correctWord('DLRAND', fitOf('DLRAND'), lexicon, { margin: 4 })).toBe('DURAND');
    // Punctuation around the word stays; a word already in the list stays.
    expect(correctWord('MARIF.', fitOf('MARIF'), lexicon, { margin: 4 })).toBe('MARIE.');
    expect(correctWord('TAILOR', fitOf('TAYLOR'), lexicon, { margin: 4 })).toBe('TAILOR');
  });

  it('prefers a letter changed to one dropped, and leaves what the model finds far less likely', () => {
    expect(correctWord('AMNE', fitOf('AMNE'), lexicon, { margin: 4 })).toBe('ANNE');
    // Two letters changed cost 4 nats: beyond a margin of 3.
    expect(correctWord('TAJLQR', fitOf('TAJLQR'), lexicon, { margin: 3 })).toBe('TAJLQR');
    // One letter is left alone, and codes with digits; one digit among letters is a letter misread ("6AUTHIER").
    expect(correctWord('T', fitOf('T'), lexicon, { margin: 4 })).toBe('T');
    expect(correctWord('D1RAND', fitOf('D1RAND'), lexicon, { margin: 4 })).toBe('DURAND');
    const codes = new Lexicon(['BIG', 'THE', 'GAUTHIER', 'HAZY']);
    for (const code of ['B16', '4TH', 'H3Z2Y7', 'B1G5']) expect(correctWord(code, fitOf(code), codes, { margin: 4 })).toBe(code);
    expect(correctWord('6AUTHIER', fitOf('6AUTHIER'), codes, { margin: 4 })).toBe('GAUTHIER');
    // Only words the caller allows (the glyph reader's few best letters for each glyph).
    expect(correctWord('DLRAND', fitOf('DLRAND'), lexicon, { margin: 4, allowed: (w) => w !== 'DURAND' })).toBe('DLRAND');
    // A mark inside a word is a letter misread, and so is an accent that makes no word ("ARÉ"; "ÉTÉ" is one).
    expect(correctWord('D(RAND', fitOf('D(RAND'), lexicon, { margin: 4 })).toBe('DURAND');
    expect(correctWord('ARÉ,', fitOf('ARÉ'), new Lexicon(['ARE', 'ETE']), { margin: 4 })).toBe('ARE,');
    expect(correctWord('ÉTÉ', fitOf('ÉTÉ'), new Lexicon(['ARE', 'ETE']), { margin: 4 })).toBe('ÉTÉ');
  });

  it('in running text, a word becomes a commoner word the line model finds nearly as likely', () => {
    const words = new Lexicon(['SAD', 'SAID', 'SAND', 'ON', 'ONE', 'ANNE', 'ANE']);
    const common: Record<string, number> = { SAID: 8, SAD: 5, SAND: 4, ON: 10, ONE: 9 };
    const commonness = (w: string) => common[w] ?? 0;
    // The model's total log-likelihood of each text over the word (nats).
    const fits = (table: Record<string, number>) => (w: string) => table[w] ?? -20;
    const text = { margin: 4, commonness, weight: 1, switchMargin: 1 };
    // "SAD" as read, "SAID" 1.5 nats less likely but far commoner.
    expect(correctWord('SAD', fits({ SAD: -1, SAID: -2.5, SAND: -3 }), words, text)).toBe('SAID');
    // Not where the model is sure of its reading, nor without commonness (a name on a form).
    expect(correctWord('SAD', fits({ SAD: -1, SAID: -8 }), words, text)).toBe('SAD');
    expect(correctWord('SAD', fits({ SAD: -1, SAID: -2.5 }), words, { margin: 4 })).toBe('SAD');
    // Never to a shorter word: the model finds a letter dropped cheap.
    expect(correctWord('ONE', fits({ ONE: -1, ON: -1 }), words, text)).toBe('ONE');
    // Two letters that are no word become a word of two letters.
    expect(correctWord('DN', fits({ DN: -0.3, ON: -1.8 }), words, { margin: 4 })).toBe('ON');
  });

  it('knows how common English and French words are', () => {
    expect(wordCommonness('the')).toBeGreaterThan(wordCommonness('SAID'));
    expect(wordCommonness('SAID')).toBeGreaterThan(wordCommonness('SAD'));
    // French, accents or none; a rare name is no commoner than a word of no list.
    expect(wordCommonness('ÉTÉ')).toBeGreaterThan(5);
    expect(wordCommonness('ETE')).toBe(wordCommonness('été'));
    expect(wordCommonness('GAGNON')).toBe(0);
    expect(wordCommonness('XQZT')).toBe(0);
  });

  it('where commonness marks names, a longer name competes with words of the same length on its score', () => {
    const words = new Lexicon(['TREMBLA', 'TREMBLAY']);
    const fits = (table: Record<string, number>) => (word: string) => table[word] ?? -50;
    const name = (w: string) => (w === 'TREMBLAY' ? 1 : 0);
    const fit = fits({ TRMBLAT: -2.4, TREMBLA: -9.2, TREMBLAY: -6.7 });
    // The longer name scores -3.7 with its bonus: under the word as read (-2.4), so it used to come after the word of the same length.
    expect(correctWord('TRMBLAT', fit, words, { margin: 7, commonness: name, weight: 3 })).toBe('TREMBLA');
    expect(correctWord('TRMBLAT', fit, words, { margin: 7, commonness: name, weight: 3, longerCompete: true })).toBe('TREMBLAY');
    // Beyond the margin, it does not.
    expect(
      correctWord('TRMBLAT', fits({ TRMBLAT: -2.4, TREMBLA: -9.2, TREMBLAY: -13 }), words, { margin: 7, commonness: name, weight: 3, longerCompete: true }),
    ).toBe('TREMBLA');
  });

  it('a word that is no word becomes two words of the list where the model finds the space between them at least as likely', () => {
    const names = new Lexicon(['CLAIRE', 'MORIN', 'JOHN', 'PETIT', 'FOR', 'TIN']);
    // The model reads a space at the gap: a space there costs nothing, a letter changed 2 nats.
    const spaced = (at: number) => (text: string) => {
      const read = `${'CLAIREMORIN'.slice(0, at)} ${'CLAIREMORIN'.slice(at)}`;
      return fitOf(read)(text) - (text.includes(' ') ? 0 : 1);
    };
    expect(splitJoinedWord('CLAIREMORIN', spaced(6), names, { margin: 0 })).toEqual(['CLAIRE', 'MORIN']);
    // The model reads no space there, or only a misread letter makes the parts words: it stays one word.
    expect(splitJoinedWord('CLAIREMORIN', (t) => (t.includes(' ') ? -3 : 0), names, { margin: 0 })).toBeNull();
    expect(splitJoinedWord('JDHNPETIT', (t) => (t === 'JDHNPETIT' ? 0 : -2), names, { margin: 0 })).toBeNull();
    // A word of the list, a part under three letters, or a short word are left alone.
    expect(splitJoinedWord('FORTIN', () => 0, new Lexicon(['FOR', 'TIN', 'FORTIN']), { margin: 0 })).toBeNull();
    expect(splitJoinedWord('FORTIN', () => 0, names, { margin: 0 })).toEqual(['FOR', 'TIN']);
    expect(splitJoinedWord('JOHNTIN', () => 0, names, { margin: 0 })).toEqual(['JOHN', 'TIN']);
    expect(splitJoinedWord('FORTI', () => 0, names, { margin: 0 })).toBeNull();
    expect(splitJoinedWord('CLAIREMORIN', () => 0, names, { margin: 0, allowed: () => false })).toBeNull();
    // Only where the gap may part words.
    expect(splitJoinedWord('CLAIREMORIN', spaced(6), names, { margin: 0, gapBefore: (i) => i === 6 })).toEqual(['CLAIRE', 'MORIN']);
    expect(splitJoinedWord('CLAIREMORIN', spaced(6), names, { margin: 0, gapBefore: (i) => i === 5 })).toBeNull();
  });

  it("knows people's names and French words without accents", () => {
    const words = capitalsLexicon();
    for (const w of ['TREMBLAY', 'GAGNON', 'WILLIAMS', 'ETE', 'ECOLE', 'THE']) expect(words.has(w)).toBe(true);
  });
});
