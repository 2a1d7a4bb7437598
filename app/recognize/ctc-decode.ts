/**
 * From a line model's per-frame probabilities to text. Greedy: the likeliest class of each
 * frame, repeats merged, blanks dropped. Each character's confidence is its best frame's
 * probability; a word's is its least sure character's.
 */
import type { Charset } from './charset.ts';

export interface DecodedChar {
  char: string;
  confidence: number;
  /** First and last frame (inclusive) of the run that wrote it, for placing it on the line. */
  frames: [number, number];
}

export interface DecodedLine {
  text: string;
  chars: DecodedChar[];
  words: { text: string; confidence: number }[];
}

/** `probs`: frames × charset.size probabilities (softmax rows), label 0 the blank. */
export function greedyDecode(probs: Float32Array, frames: number, charset: Charset): DecodedLine {
  const C = charset.size;
  if (probs.length < frames * C) throw new RangeError(`greedyDecode: ${probs.length} values for ${frames} frames × ${C} classes`);
  const chars: DecodedChar[] = [];
  let previous = 0;
  for (let t = 0; t < frames; t++) {
    let best = 0;
    for (let k = 1; k < C; k++) if (probs[t * C + k]! > probs[t * C + best]!) best = k;
    const p = probs[t * C + best]!;
    if (best !== 0 && best === previous) {
      const last = chars[chars.length - 1]!;
      last.frames[1] = t;
      last.confidence = Math.max(last.confidence, p);
    } else if (best !== 0) {
      chars.push({ char: charset.decode([best]), confidence: p, frames: [t, t] });
    }
    previous = best;
  }
  return lineOf(chars);
}

/** Text and words of decoded characters; spaces split words and are not part of them. */
export function lineOf(chars: DecodedChar[]): DecodedLine {
  const words: { text: string; confidence: number }[] = [];
  let word = '';
  let confidence = 1;
  for (const c of [...chars, { char: ' ', confidence: 1, frames: [0, 0] as [number, number] }]) {
    if (c.char === ' ') {
      if (word) words.push({ text: word, confidence });
      [word, confidence] = ['', 1];
    } else {
      word += c.char;
      confidence = Math.min(confidence, c.confidence);
    }
  }
  return {
    text: chars
      .map((c) => c.char)
      .join('')
      .replace(/ +/g, ' ')
      .trim(),
    chars,
    words,
  };
}
