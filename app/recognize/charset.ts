/**
 * The characters a line model reads: label 0 is the CTC blank, label k the k-th character of
 * the table. One table serves training (text → labels) and reading (labels → text); the model
 * file carries it, so a model always decodes with the table it was trained with.
 */
import { CLASSES_36 } from '../contract.ts';

/** What every line model can write: the glyph classes, lower case, a space and common punctuation. */
export const BASE_CHARS: readonly string[] = Object.freeze([...CLASSES_36, ...'abcdefghijklmnopqrstuvwxyz', ...' .,;:!?\'"()-/&%+=*#@']);

/** Class 0 of a line model's output, as its file names it: the CTC blank. */
export const BLANK_CLASS = '<blank>';

export class Charset {
  readonly chars: readonly string[];
  private readonly index: Map<string, number>;

  constructor(chars: readonly string[]) {
    const unique = new Set<string>();
    for (const c of chars) {
      if ([...c].length !== 1) throw new RangeError(`Charset: '${c}' is not one character`);
      if (unique.has(c)) throw new RangeError(`Charset: '${c}' is listed twice`);
      unique.add(c);
    }
    this.chars = Object.freeze([...chars]);
    this.index = new Map(this.chars.map((c, i) => [c, i + 1]));
  }

  /** The base characters and every character of the given texts, base first, the rest by code point. */
  static fromTexts(texts: Iterable<string>, base: readonly string[] = BASE_CHARS): Charset {
    const seen = new Set(base);
    const extra = new Set<string>();
    for (const t of texts) for (const c of normalize(t)) if (!seen.has(c)) extra.add(c);
    return new Charset([...base, ...[...extra].sort()]);
  }

  /** Classes of the model's output: the characters and the blank. */
  get size(): number {
    return this.chars.length + 1;
  }

  /** Labels of a text; characters outside the table are left out and reported. */
  encode(text: string): { labels: Int32Array; unknown: string[] } {
    const labels: number[] = [];
    const unknown: string[] = [];
    for (const c of normalize(text)) {
      const k = this.index.get(c);
      if (k === undefined) unknown.push(c);
      else labels.push(k);
    }
    return { labels: Int32Array.from(labels), unknown };
  }

  decode(labels: ArrayLike<number>): string {
    let out = '';
    for (let i = 0; i < labels.length; i++) {
      const k = labels[i]!;
      if (k > 0 && k <= this.chars.length) out += this.chars[k - 1];
    }
    return out;
  }
}

/** One form for text that looks the same: composed accents (NFC) and single spaces. */
export function normalize(text: string): string {
  return text.normalize('NFC').replace(/\s+/g, ' ').trim();
}
