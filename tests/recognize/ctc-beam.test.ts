import { describe, expect, it } from 'vitest';
import { CharLm } from '../../app/recognize/char-lm.ts';
import { Charset } from '../../app/recognize/charset.ts';
import { beamDecode } from '../../app/recognize/ctc-beam.ts';
import { greedyDecode } from '../../app/recognize/ctc-decode.ts';
import { lineWordList } from '../../app/recognize/word-list.ts';

/** Softmax rows from per-frame {char: probability} maps; the rest of each row is blank. */
function frames(cs: Charset, rows: Record<string, number>[]): Float32Array {
  const out = new Float32Array(rows.length * cs.size);
  rows.forEach((r, t) => {
    let used = 0;
    for (const [c, p] of Object.entries(r)) {
      out[t * cs.size + cs.chars.indexOf(c) + 1] = p;
      used += p;
    }
    out[t * cs.size] = 1 - used;
  });
  return out;
}

describe('CharLm', () => {
  const lm = new CharLm(4).train(['the cat', 'the hat', 'then the end']);

  it('is a distribution: next-character probabilities sum to 1 with room for unseen characters', () => {
    const seen = [...new Set('the cat hat then end')];
    const sum = seen.reduce((s, c) => s + Math.exp(lm.logProb('th', c)), 0) + Math.exp(lm.logProb('th', '§'));
    expect(sum).toBeGreaterThan(0.9);
    expect(sum).toBeLessThanOrEqual(1.0001);
  });

  it('prefers what it has seen after the same context', () => {
    expect(lm.logProb('th', 'e')).toBeGreaterThan(lm.logProb('th', 'c'));
    expect(lm.logProb('', 't')).toBeGreaterThan(lm.logProb('', 'a'));
  });
});

describe('CTC beam search', () => {
  const cs = new Charset([...'acehtx ']);

  it('finds the likelier text whose probability greedy decoding splits over several paths', () => {
    // Per frame 'a' is less likely than blank, but the paths that write "a" add up to more than the all-blank path.
    const probs = frames(cs, [{ a: 0.4 }, { a: 0.4 }]);
    expect(greedyDecode(probs, 2, cs).text).toBe('');
    expect(beamDecode(probs, 2, cs).text).toBe('a'); // p('a') = 1 - 0.6² = 0.64
  });

  it('agrees with greedy decoding where the frames are clear', () => {
    const probs = frames(cs, [{ t: 0.9 }, { h: 0.9 }, {}, { e: 0.9 }, { ' ': 0.8 }, { c: 0.9 }, { a: 0.95 }, { t: 0.9 }]);
    expect(beamDecode(probs, 8, cs).text).toBe(greedyDecode(probs, 8, cs).text);
    expect(beamDecode(probs, 8, cs).text).toBe('the cat');
  });

  it('a language model settles a letter the frames leave open, and the word list settles a word', () => {
    const probs = frames(cs, [{ t: 0.9 }, { h: 0.9 }, { c: 0.48, e: 0.45 }]);
    expect(beamDecode(probs, 3, cs).text).toBe('thc');
    const lm = new CharLm(4).train(['the cat', 'the hat', 'then the end', 'the axe']);
    expect(beamDecode(probs, 3, cs, { lm, lmWeight: 0.5 }).text).toBe('the');
    expect(beamDecode(probs, 3, cs, { lexicon: new Set(['the']), wordBonus: 1 }).text).toBe('the');
  });

  it('counts a French elided word as known when what follows the apostrophe is', () => {
    const fr = new Charset([..."lacet' "]);
    // The frames lean to "l'ec"; with a word list that knows "ac", the decoder takes "l'ac".
    const probs = frames(fr, [{ l: 0.9 }, { "'": 0.9 }, { e: 0.5, a: 0.45 }, { c: 0.9 }]);
    expect(beamDecode(probs, 4, fr).text).toBe("l'ec");
    expect(beamDecode(probs, 4, fr, { lexicon: new Set(['ac']), wordBonus: 1 }).text).toBe("l'ac");
  });

  it('reports each character with its frames and confidence', () => {
    const probs = frames(cs, [{ c: 0.9 }, { c: 0.7 }, {}, { a: 0.8 }]);
    const line = beamDecode(probs, 4, cs);
    expect(line.chars.map((c) => [c.char, c.frames])).toEqual([
      ['c', [0, 1]],
      ['a', [3, 3]],
    ]);
    expect(line.chars[0]!.confidence).toBeCloseTo(0.9);
    expect(line.words[0]!.text).toBe('ca');
  });
});

describe('CharLm in a file', () => {
  it('reads back with the same probabilities; rare long contexts back off to shorter ones', () => {
    const lm = new CharLm(4).train(['la maison', 'la main', 'le matin', 'mais']);
    const back = CharLm.deserialize(lm.serialize(1));
    for (const [before, next] of [
      ['la ma', 'i'],
      ['', 'l'],
      ['xyz', 'a'],
      ['le m', 'a'],
    ] as const)
      expect(back.logProb(before, next)).toBeCloseTo(lm.logProb(before, next), 10);
    const pruned = CharLm.deserialize(lm.serialize(3));
    expect(pruned.size).toBeLessThan(lm.size);
    expect(Number.isFinite(pruned.logProb('le m', 'a'))).toBe(true);
  });
});

describe("the line decoder's word list", () => {
  it('holds French and English words with their accents and inflections, in lower case', () => {
    const words = lineWordList();
    for (const w of ['maison', 'écrivît', "aujourd'hui", 'été', 'house', 'wrote', 'dont']) expect(words.has(w)).toBe(true);
    expect(words.has('Maison')).toBe(false);
    expect(words.size).toBeGreaterThan(500_000);
  });
});
