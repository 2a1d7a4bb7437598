/**
 * A small w read as W at the start of a word goes back to lower case when its ink is only as
 * tall as the line's x-height; a tall one stays a capital, and nothing else is touched.
 */
import { describe, expect, it } from 'vitest';
import { lineOf, type DecodedChar } from '../../app/recognize/ctc-decode.ts';
import { settleLineCase } from '../../app/recognize/line-case.ts';

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
