/**
 * The word list the line decoder favours (beam search's word bonus, ctc-beam.ts): every French
 * word of an-array-of-french-words (~337k, with their accents and inflected forms) and every
 * English word of an-array-of-english-words (~275k), lower case, the everyday words and
 * apostrophe-less contractions of lexicon.ts, and the few French words written with an
 * apostrophe inside (the French list has none). Elisions ("l'eau") are the decoder's business.
 */
import { createRequire } from 'node:module';
import { COMMON_EXTRA_WORDS } from './lexicon.ts';

const APOSTROPHE_WORDS = ["aujourd'hui", "quelqu'un", "quelqu'une", "presqu'île", "presqu'îles", "prud'homme", "prud'hommes", "entr'acte", "entr'actes"];

let words: ReadonlySet<string> | null = null;

/** French and English words, lower case (loaded once per process, ~300 ms). */
export function lineWordList(): ReadonlySet<string> {
  if (!words) {
    const require = createRequire(import.meta.url);
    const french = require('an-array-of-french-words') as string[];
    const english = require('an-array-of-english-words') as string[];
    words = new Set([...french, ...english, ...COMMON_EXTRA_WORDS, ...APOSTROPHE_WORDS].map((w) => w.toLowerCase()));
  }
  return words;
}
