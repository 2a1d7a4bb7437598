/**
 * Character error rate as the shared data's README defines it: keep only A–Z and 0–9 of the
 * upper-cased text (rows joined in reading order; spaces and punctuation dropped) on both
 * sides, take the Levenshtein distance, divide by the truth's length; over several pages, sum
 * the distances and the lengths.
 */

/** Upper-cased, only A–Z and 0–9 kept. */
export function cerText(text: string): string {
  return text.toUpperCase().replace(/[^A-Z0-9]/g, '');
}

/** Edit distance (insertions, deletions, substitutions, each 1), two rows of memory. */
export function levenshtein(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  let cur = new Array<number>(b.length + 1);
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    [prev, cur] = [cur, prev];
  }
  return prev[b.length]!;
}

export interface CerCount {
  distance: number;
  length: number;
}

/** Distance and truth length for one page (rows in reading order, any separators). */
export function cerCount(recognised: string, truth: string): CerCount {
  const t = cerText(truth);
  return { distance: levenshtein(cerText(recognised), t), length: t.length };
}

/** CER over pages: summed distances over summed lengths (0 for no truth at all). */
export function cer(counts: readonly CerCount[]): number {
  const length = counts.reduce((n, c) => n + c.length, 0);
  return length === 0 ? 0 : counts.reduce((n, c) => n + c.distance, 0) / length;
}

/**
 * Parses a ground-truth file: `[file name]` headers, then that page's rows; `#` lines and blank
 * lines are skipped.
 */
export function parseGroundTruth(text: string): Map<string, string[]> {
  const pages = new Map<string, string[]>();
  let current: string[] | null = null;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      current = [];
      pages.set(header[1]!, current);
    } else if (current) current.push(line);
    else throw new Error(`ground truth: row '${line}' before any [file] header`);
  }
  return pages;
}
