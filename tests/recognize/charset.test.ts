import { describe, expect, it } from 'vitest';
import { BASE_CHARS, Charset, normalize } from '../../app/recognize/charset.ts';
import { greedyDecode } from '../../app/recognize/ctc-decode.ts';

describe('Charset', () => {
  it('covers the glyph classes, lower case and the characters of the training texts', () => {
    const cs = Charset.fromTexts(['Élève à l’école', 'Ça coûte 3 €']);
    for (const c of ['A', 'z', '7', ' ', 'É', 'è', 'à', '’', 'é', 'Ç', 'û', '€']) expect(cs.chars).toContain(c);
    expect(cs.chars.slice(0, BASE_CHARS.length)).toEqual(BASE_CHARS);
    expect(cs.size).toBe(cs.chars.length + 1);
  });

  it('text → labels → text is the same text, accents composed, spaces single; unknown characters are reported', () => {
    const cs = Charset.fromTexts(['été']);
    const decomposed = 'e\u0301te\u0301  ok';
    const { labels } = cs.encode(decomposed);
    expect(cs.decode(labels)).toBe('été ok');
    expect(labels.includes(0)).toBe(false);
    expect(cs.encode('a→b').unknown).toEqual(['→']);
    expect(normalize('  a \n b ')).toBe('a b');
    expect(() => new Charset(['a', 'a'])).toThrow(/'a' is listed twice/);
  });
});

describe('greedy CTC decoding', () => {
  it('merges repeats, keeps a doubled letter split by a blank, and gives word confidences', () => {
    const cs = new Charset(['l', 'o', ' ', 'e']);
    // frames: l l _ l o ' ' e  → "llo e"
    const best = [1, 1, 0, 1, 2, 3, 4];
    const sure = [0.9, 0.8, 0.99, 0.6, 0.95, 0.9, 0.7];
    const probs = new Float32Array(best.length * cs.size);
    best.forEach((k, t) => {
      for (let c = 0; c < cs.size; c++) probs[t * cs.size + c] = c === k ? sure[t]! : (1 - sure[t]!) / (cs.size - 1);
    });
    const line = greedyDecode(probs, best.length, cs);
    expect(line.text).toBe('llo e');
    expect(line.chars.map((c) => c.frames)).toEqual([
      [0, 1],
      [3, 3],
      [4, 4],
      [5, 5],
      [6, 6],
    ]);
    expect(line.chars[0]!.confidence).toBeCloseTo(0.9);
    expect(line.words).toEqual([
      { text: 'llo', confidence: expect.closeTo(0.6, 5) },
      { text: 'e', confidence: expect.closeTo(0.7, 5) },
    ]);
  });
});

describe('line CER and WER', () => {
  it('keeps case and accents, counts words, and treats whitespace runs as one space', async () => {
    const { lineCounts } = await import('../../app/recognize/cer.ts');
    expect(lineCounts('Né  le 9 juin', 'Né le 9 juin')).toEqual({ chars: { distance: 0, length: 12 }, words: { distance: 0, length: 4 } });
    expect(lineCounts('ne le 9 Juin', 'Né le 9 juin')).toEqual({ chars: { distance: 3, length: 12 }, words: { distance: 2, length: 4 } });
    expect(lineCounts('e\u0301te\u0301', 'été').chars.distance).toBe(0);
    expect(lineCounts('', 'deux mots')).toEqual({ chars: { distance: 9, length: 9 }, words: { distance: 2, length: 2 } });
  });

  it('a page: lines joined by a space, a printed notice read above the first line costs nothing, text after it does', async () => {
    const { pageCounts } = await import('../../app/recognize/cer.ts');
    const truth = ['Né le 9 juin', 'à Québec.'];
    expect(pageCounts(['Né le 9 juin', 'à Québec.'], truth)).toEqual({ distance: 0, length: 22 });
    expect(pageCounts(['J’ai lu les conditions', 'Né le 9 juin à', ' Québec.'], truth)).toEqual({ distance: 0, length: 22 });
    expect(pageCounts(['Né le 9 juin', 'à Québec.', 'fin'], truth)).toEqual({ distance: 4, length: 22 });
    expect(pageCounts(['à Québec.', 'Né le 9 juin'], truth).distance).toBeGreaterThan(8); // lines out of order
    expect(pageCounts([], truth)).toEqual({ distance: 22, length: 22 });
  });
});
