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

/**
 * Edit distance (insertions, deletions, substitutions, each 1), two rows of memory; strings or
 * word lists. With `freePrefix`, any leading part of `a` may be dropped at no cost.
 */
export function levenshtein<T>(a: string | readonly T[], b: string | readonly T[], { freePrefix = false } = {}): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  let cur = new Array<number>(b.length + 1);
  for (let i = 1; i <= a.length; i++) {
    cur[0] = freePrefix ? 0 : i;
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
 * Line text as the line recogniser is judged (the Copiste README): composed accents, whitespace
 * runs as one space, case and punctuation kept.
 */
export function lineText(text: string): string {
  return text.normalize('NFC').replace(/\s+/g, ' ').trim();
}

/** Character and word distances of a recognised line or page against its truth, for CER and WER. */
export function lineCounts(recognised: string, truth: string): { chars: CerCount; words: CerCount } {
  const [r, t] = [lineText(recognised), lineText(truth)];
  const [rw, tw] = [r ? r.split(' ') : [], t ? t.split(' ') : []];
  return { chars: { distance: levenshtein([...r], [...t]), length: [...t].length }, words: { distance: levenshtein(rw, tw), length: tw.length } };
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

/**
 * A whole page read with its own segmentation, as the Copiste README judges it: the page's lines
 * (in reading order) joined by one space against the recognised rows joined likewise, whitespace
 * runs as one space, case and accents kept; recognised text before the first line of the truth
 * costs nothing (a printed notice above the handwriting, which the truth leaves out).
 */
export function pageCounts(recognisedRows: readonly string[], truthLines: readonly string[]): CerCount {
  const r = [...lineText(recognisedRows.join(' '))];
  const t = [...lineText(truthLines.join(' '))];
  return { distance: levenshtein(r, t, { freePrefix: true }), length: t.length };
}
