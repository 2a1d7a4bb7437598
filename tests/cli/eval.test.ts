/**
 * `hwr eval --charset`: label k of an IDX file is the k-th character of the charset, and the
 * model answers among its classes that are in the charset up to case; `accuracy` counts case,
 * `accuracy_caseless` (the last line) does not.
 */
import { describe, expect, it } from 'vitest';
import { charsetReadings, parseCharset } from '../../app/cli/eval.ts';
import { CLASSES_62 } from '../../app/contract.ts';

describe('hwr eval --charset', () => {
  it('reads ranges and plain characters, and refuses a character named twice', () => {
    expect(parseCharset('a-z').join('')).toBe('abcdefghijklmnopqrstuvwxyz');
    expect(parseCharset('a…e').join('')).toBe('abcde');
    expect(parseCharset('A-Z0-9')).toHaveLength(36);
    expect(parseCharset('+-*').join('')).toBe('+-*');
    expect(() => parseCharset('abca')).toThrow(/names 'a' twice/);
  });

  it('answers within the charset, a character the model lacks standing for its other case, and counts case only in accuracy', () => {
    const k = CLASSES_62.length;
    const probs = new Float32Array(3 * k);
    const set = (n: number, c: string, p: number) => (probs[n * k + CLASSES_62.indexOf(c)] = p);
    // Glyph 0: an o the model finds likelier as the digit 0, then O, then o: a reader told to expect a–z reads o.
    set(0, '0', 0.6);
    set(0, 'O', 0.3);
    set(0, 'o', 0.1);
    // Glyph 1: an e read as e. Glyph 2: a c read as a.
    set(1, 'e', 0.9);
    set(2, 'a', 0.8);
    set(2, 'c', 0.1);
    const charset = parseCharset('a-z');
    const r = charsetReadings(probs, [14, 4, 2], CLASSES_62, charset);
    expect(r.predicted).toEqual(['o', 'e', 'a']);
    expect(r.truth).toEqual(['o', 'e', 'c']);
    expect(r.accuracy).toBeCloseTo(2 / 3);
    expect(r.caseless).toBeCloseTo(2 / 3);
    expect(r.candidates).toHaveLength(26);

    // A model of capitals and digits reads a–z as A–Z: right case aside, wrong with it.
    const capitals = CLASSES_62.filter((c) => !/[a-z]/.test(c));
    const p36 = new Float32Array(capitals.length);
    p36[capitals.indexOf('0')] = 0.6;
    p36[capitals.indexOf('O')] = 0.4;
    const c = charsetReadings(p36, [14], capitals, charset);
    expect(c.predicted).toEqual(['O']);
    expect([c.accuracy, c.caseless]).toEqual([0, 1]);
    expect(() => charsetReadings(probs, [0], ['0', '1'], charset)).toThrow(/reads none of the charset/);
  });
});
