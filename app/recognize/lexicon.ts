/**
 * The word list the decoder checks readings against: an-array-of-english-words (~275k words),
 * upper-cased, plus common words people write without an apostrophe or that dictionaries lack.
 * Kept sorted, so "is there a word starting with ..." is a binary search.
 */
import { createRequire } from 'node:module';

/** Contractions written without the apostrophe, and everyday words the list lacks (it has no proper nouns). */
export const COMMON_EXTRA_WORDS: readonly string[] = [
  'DONT',
  'CANT',
  'WONT',
  'ISNT',
  'ARENT',
  'WASNT',
  'WERENT',
  'DIDNT',
  'DOESNT',
  'HASNT',
  'HAVENT',
  'HADNT',
  'COULDNT',
  'WOULDNT',
  'SHOULDNT',
  'MUSTNT',
  'NEEDNT',
  'SHANT',
  'AINT',
  'IM',
  'IVE',
  'ID',
  'ILL',
  'YOURE',
  'YOUVE',
  'YOULL',
  'YOUD',
  'HES',
  'SHES',
  'ITS',
  'WERE',
  'WEVE',
  'WELL',
  'WED',
  'THEYRE',
  'THEYVE',
  'THEYLL',
  'THEYD',
  'THATS',
  'THERES',
  'WHATS',
  'WHERES',
  'WHOS',
  'LETS',
  'OK',
  'OKAY',
  'TODO',
  'EMAIL',
  'ONLINE',
  'WEBSITE',
  'INTERNET',
  'SMARTPHONE',
  'APP',
  'APPS',
  'TV',
  'PC',
  'USA',
  'UK',
  'EU',
  'AM',
  'PM',
  'MR',
  'MRS',
  'MS',
  'DR',
  'ST',
  'RD',
  'ND',
  'TH',
  'NO',
  'VS',
  'ETC',
  'ASAP',
  'FYI',
  'PS',
  'MONDAY',
  'TUESDAY',
  'WEDNESDAY',
  'THURSDAY',
  'FRIDAY',
  'SATURDAY',
  'SUNDAY',
  'MON',
  'TUE',
  'WED',
  'THU',
  'FRI',
  'SAT',
  'SUN',
  'JANUARY',
  'FEBRUARY',
  'MARCH',
  'APRIL',
  'MAY',
  'JUNE',
  'JULY',
  'AUGUST',
  'SEPTEMBER',
  'OCTOBER',
  'NOVEMBER',
  'DECEMBER',
  'JAN',
  'FEB',
  'MAR',
  'APR',
  'JUN',
  'JUL',
  'AUG',
  'SEP',
  'SEPT',
  'OCT',
  'NOV',
  'DEC',
  'ENGLISH',
  'AMERICA',
  'AMERICAN',
  'EUROPE',
  'CHRISTMAS',
  'EASTER',
  'GOD',
];

export class Lexicon {
  private readonly words: string[];
  private readonly set: Set<string>;
  private byLength?: Map<number, string[]>;

  /** Words in any case; stored upper-cased, letters A–Z only. */
  constructor(words: Iterable<string>) {
    const clean = new Set<string>();
    for (const w of words) {
      const u = w.toUpperCase();
      if (/^[A-Z]+$/.test(u)) clean.add(u);
    }
    this.set = clean;
    this.words = [...clean].sort();
  }

  get size(): number {
    return this.words.length;
  }

  /** The words of `n` letters (grouped on first use). */
  ofLength(n: number): readonly string[] {
    if (!this.byLength) {
      this.byLength = new Map();
      for (const w of this.words) {
        let list = this.byLength.get(w.length);
        if (!list) this.byLength.set(w.length, (list = []));
        list.push(w);
      }
    }
    return this.byLength.get(n) ?? [];
  }

  has(word: string): boolean {
    return this.set.has(word);
  }

  /** Whether some word starts with `prefix` (the empty prefix included). */
  hasPrefix(prefix: string): boolean {
    let lo = 0;
    let hi = this.words.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.words[mid]! < prefix) lo = mid + 1;
      else hi = mid;
    }
    return lo < this.words.length && this.words[lo]!.startsWith(prefix);
  }
}

let english: Lexicon | null = null;

/** The English lexicon (loaded once per process, ~100 ms). */
export function englishLexicon(): Lexicon {
  if (!english) {
    const require = createRequire(import.meta.url);
    const words = require('an-array-of-english-words') as string[];
    english = new Lexicon([...words, ...COMMON_EXTRA_WORDS]);
  }
  return english;
}
