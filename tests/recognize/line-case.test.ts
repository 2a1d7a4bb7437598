/**
 * A small w read as W at the start of a word goes back to lower case when its ink is only as
 * tall as the line's x-height; a tall one stays a capital, and nothing else is touched.
 */
import { describe, expect, it } from 'vitest';
import { lineOf, type DecodedChar } from '../../app/recognize/ctc-decode.ts';
import { foldToCapitals, oneClassPerWord, settleLineCase, writtenInCapitals } from '../../app/recognize/line-case.ts';
import { greedyDecode } from '../../app/recognize/ctc-decode.ts';
import { Charset } from '../../app/recognize/charset.ts';

/** A 48-row line image with one block of ink per character, 16 px wide: `tall` ones from row 6, the others from row 22, all to row 40. */
function line(text: string, tall: string): { image: { width: number; height: number; data: Float32Array }; chars: DecodedChar[] } {
  const width = text.length * 16;
  const data = new Float32Array(48 * width);
  const chars: DecodedChar[] = [...text].map((char, i) => {
    if (char !== ' ') for (let y = tall.includes(char) ? 6 : 22; y < 40; y++) for (let x = i * 16 + 3; x < i * 16 + 13; x++) data[y * width + x] = 1;
    return { char, confidence: 0.9, frames: [i * 4 + 1, i * 4 + 2] };
  });
  return { image: { width, height: 48, data }, chars };
}

describe('settleLineCase', () => {
  it('writes a word-initial W, C, S… in lower case where it is x-height tall', () => {
    const { image, chars } = line('hello World', 'hld');
    expect(settleLineCase(image, lineOf(chars), 4).text).toBe('hello world');
  });

  it('keeps capitals that reach the capital height, and other letters as read', () => {
    const tall = line('hello World', 'hldW');
    expect(settleLineCase(tall.image, lineOf(tall.chars), 4).text).toBe('hello World');
    const other = line('hello Ward', 'hld');
    // A is not a small a made larger: left as the recogniser read it.
    const read = lineOf(line('hello Aard', 'hld').chars);
    expect(settleLineCase(line('hello Aard', 'hld').image, read, 4)).toBe(read);
    expect(settleLineCase(other.image, lineOf(other.chars), 4).text).toBe('hello ward');
  });
});

describe('lines of block capitals', () => {
  it('are told by their reading: three letters in five and more capitals', () => {
    expect(writtenInCapitals('JEAN DUPONT')).toBe(true);
    expect(writtenInCapitals('UlLLITms')).toBe(true);
    expect(writtenInCapitals('Jean Dupont')).toBe(false);
    expect(writtenInCapitals('AB')).toBe(false);
  });

  it('are read case-free: a small letter the model preferred becomes its capital, the rest stays', () => {
    const charset = new Charset([...'ILil1']);
    // Frames: I (0.6), then l (0.5) over L (0.4), then 1 (0.7) over i (0.3), blank between.
    const p = (char: string | null, v: number, rest: Record<string, number> = {}) => {
      const row = new Float32Array(charset.size);
      row[char === null ? 0 : charset.chars.indexOf(char) + 1] = v;
      for (const [c, w] of Object.entries(rest)) row[charset.chars.indexOf(c) + 1] = w;
      row[0] = row[0]! + 1 - row.reduce((s, x) => s + x, 0);
      return [...row] as number[];
    };
    const probs = Float32Array.from([...p('I', 0.6), ...p(null, 1), ...p('l', 0.5, { L: 0.4 }), ...p(null, 1), ...p('1', 0.7, { i: 0.3 })]);
    expect(greedyDecode(probs, 5, charset).text).toBe('Il1');
    const folded = foldToCapitals(probs, 5, charset.chars);
    expect(greedyDecode(folded, 5, charset).text).toBe('IL1');
    // Each frame's probabilities still sum to one.
    for (let f = 0; f < 5; f++) expect(folded.subarray(f * charset.size, (f + 1) * charset.size).reduce((s, x) => s + x, 0)).toBeCloseTo(1, 5);
  });

  it('are read a word of letters or a word of digits: LER04 is LEROY, 19B7 is 1987', () => {
    const charset = new Charset([...'LEROY0489B7 1']);
    // One frame a character, a blank frame after each; a second-best class of the other kind.
    const frames: number[][] = [];
    const put = (char: string, second?: string) => {
      const row = new Float32Array(charset.size);
      row[charset.chars.indexOf(char) + 1] = 0.6;
      if (second) row[charset.chars.indexOf(second) + 1] = 0.35;
      row[0] = 1 - row.reduce((s, x) => s + x, 0);
      frames.push([...row] as number[], [1, ...new Array<number>(charset.size - 1).fill(0)]);
    };
    put('L');
    put('E');
    put('R');
    put('0', 'O');
    put('4', 'Y');
    put(' ');
    put('1');
    put('9');
    put('B', '8');
    put('7');
    const probs = Float32Array.from(frames.flat());
    const read = greedyDecode(probs, frames.length, charset);
    expect(read.text).toBe('LER04 19B7');
    expect(greedyDecode(oneClassPerWord(probs, frames.length, charset.chars, read), frames.length, charset).text).toBe('LEROY 1987');
  });
});
