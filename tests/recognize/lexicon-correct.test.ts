import { describe, expect, it } from 'vitest';
import { Lexicon } from '../../app/recognize/lexicon.ts';
import { boundedEdits, capitalsLexicon, correctWord, nearWords } from '../../app/recognize/lexicon-correct.ts';

describe('words of block capitals put right by a word list', () => {
  const lexicon = new Lexicon(['ANNE', 'ANE', 'DURAND', 'MARIE', 'TAYLOR', 'TAILOR', 'THE']);
  // A stand-in for the line model: each letter as read scores 0, each other letter -2, each letter more or less -1.5.
  const fitOf = (read: string) => (word: string) => {
    let f = -1.5 * Math.abs(word.length - read.length);
    for (let i = 0; i < Math.min(word.length, read.length); i++) f -= word[i] === read[i] ? 0 : 2;
    return f;
  };

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
    expect(correctWord('DLRAND', fitOf('DLRAND'), lexicon, 4)).toBe('DURAND');
    // Punctuation around the word stays; a word already in the list stays.
    expect(correctWord('MARIF.', fitOf('MARIF'), lexicon, 4)).toBe('MARIE.');
    expect(correctWord('TAILOR', fitOf('TAYLOR'), lexicon, 4)).toBe('TAILOR');
  });

  it('prefers a letter changed to one dropped, and leaves what the model finds far less likely', () => {
    expect(correctWord('AMNE', fitOf('AMNE'), lexicon, 4)).toBe('ANNE');
    // Two letters changed cost 4 nats: beyond a margin of 3.
    expect(correctWord('TAJLQR', fitOf('TAJLQR'), lexicon, 3)).toBe('TAJLQR');
    // Short words and words with digits are left alone.
    expect(correctWord('TH', fitOf('TH'), lexicon, 4)).toBe('TH');
    expect(correctWord('D1RAND', fitOf('D1RAND'), lexicon, 4)).toBe('D1RAND');
    // Only words the caller allows (the glyph reader's few best letters for each glyph).
    expect(correctWord('DLRAND', fitOf('DLRAND'), lexicon, 4, (w) => w !== 'DURAND')).toBe('DLRAND');
    // A mark inside a word is a letter misread.
    expect(correctWord('D(RAND', fitOf('D(RAND'), lexicon, 4)).toBe('DURAND');
  });

  it("knows people's names and French words without accents", () => {
    const words = capitalsLexicon();
    for (const w of ['TREMBLAY', 'GAGNON', 'WILLIAMS', 'ETE', 'ECOLE', 'THE']) expect(words.has(w)).toBe(true);
  });
});
