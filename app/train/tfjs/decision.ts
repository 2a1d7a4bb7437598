/**
 * Decision offsets for classes that a pair of look-alikes pulls below a floor.
 *
 * In handwriting some pairs are written identically by many people (O and 0, I and 1). A
 * network trained on balanced data still splits such a pair unevenly: on EMNIST it reads 44% of
 * the I's as 1 but only 8% of the 1's as I. A per-class offset added to the calibrated logits
 * moves the decision between the two towards an even split: the weak class gains what its
 * partner gives up, and balanced accuracy stays where it was.
 *
 * The fit is greedy and cautious: only a class below `floor` is moved, one at a time (weakest
 * first), to the offset that most raises the sorted per-class accuracies (leximin: the weakest
 * first, then the next), and only while balanced accuracy drops by no more than `maxDrop`.
 * Classes with fewer than `minSamples` validation samples are never moved. Classes that are not
 * below the floor keep offset 0, so a model without look-alikes is unchanged.
 * The exporter adds the offsets to the output layer's bias, so probabilities carry them too.
 */

export interface OffsetOptions {
  /** per-class accuracy to aim for (0.7 = 70%) */
  floor: number;
  /** the most balanced accuracy may fall (in-sample) for a move to be taken */
  maxDrop: number;
  /** offsets searched: −range … +range */
  range: number;
  step: number;
  /** classes with fewer validation samples are left alone (their accuracy is too noisy to act on) */
  minSamples: number;
}

export const DEFAULT_OFFSETS: OffsetOptions = { floor: 0.7, maxDrop: 0.001, range: 3, step: 0.05, minSamples: 30 };

interface Tally {
  hits: Float64Array;
  counts: Float64Array;
}

/** Correct readings and samples per class of argmax(logits / T + offsets), over `rows` (default: every row). */
function tally(
  logits: Float32Array,
  labels: ArrayLike<number>,
  classes: number,
  temperature: number,
  offsets?: ArrayLike<number>,
  rows?: ArrayLike<number>,
): Tally {
  const hits = new Float64Array(classes);
  const counts = new Float64Array(classes);
  const inv = 1 / temperature;
  const n = rows ? rows.length : labels.length;
  for (let r = 0; r < n; r++) {
    const i = rows ? rows[r]! : r;
    const row = i * classes;
    let best = -Infinity;
    let arg = 0;
    for (let k = 0; k < classes; k++) {
      const z = logits[row + k]! * inv + (offsets ? offsets[k]! : 0);
      if (z > best) {
        best = z;
        arg = k;
      }
    }
    const y = labels[i]!;
    counts[y]!++;
    if (arg === y) hits[y]!++;
  }
  return { hits, counts };
}

const accuracyOf = (t: Tally): Float64Array => t.hits.map((h, k) => (t.counts[k] ? h / t.counts[k]! : NaN));

/** Per-class accuracy of argmax(logits / T + offsets); NaN for a class without samples. */
export function perClassAccuracy(logits: Float32Array, labels: ArrayLike<number>, classes: number, temperature = 1, offsets?: ArrayLike<number>): Float64Array {
  return accuracyOf(tally(logits, labels, classes, temperature, offsets));
}

export function meanPresent(acc: ArrayLike<number>): number {
  let sum = 0;
  let n = 0;
  for (let k = 0; k < acc.length; k++) {
    if (!Number.isNaN(acc[k]!)) {
      sum += acc[k]!;
      n++;
    }
  }
  return n ? sum / n : NaN;
}

/** Leximin comparison of two accuracy vectors: > 0 when `a` is better (its weakest classes are stronger). */
function leximin(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const sa = Array.from(a)
    .filter((v) => !Number.isNaN(v))
    .sort((x, y) => x - y);
  const sb = Array.from(b)
    .filter((v) => !Number.isNaN(v))
    .sort((x, y) => x - y);
  for (let i = 0; i < Math.min(sa.length, sb.length); i++) if (Math.abs(sa[i]! - sb[i]!) > 1e-9) return sa[i]! - sb[i]!;
  return 0;
}

export interface FittedOffsets {
  offsets: Float32Array;
  before: Float64Array;
  after: Float64Array;
}

/** Fits offsets (see the module comment) on logits of a validation set (only `rows` of it, when given). */
export function fitOffsets(
  logits: Float32Array,
  labels: ArrayLike<number>,
  classes: number,
  temperature = 1,
  options: Partial<OffsetOptions> = {},
  rows?: ArrayLike<number>,
): FittedOffsets {
  const o = { ...DEFAULT_OFFSETS, ...options };
  if (!(o.step > 0) || !(o.range >= 0)) throw new RangeError(`fitOffsets: step must be > 0 and range ≥ 0, got ${o.step}, ${o.range}`);
  const offsets = new Float32Array(classes);
  const first = tally(logits, labels, classes, temperature, offsets, rows);
  const counts = first.counts;
  const before = accuracyOf(first);
  const baseline = meanPresent(before);
  let current = before;
  const tried = new Set<number>();
  for (let k = 0; k < classes; k++) if (counts[k]! < o.minSamples) tried.add(k);
  for (let round = 0; round < classes; round++) {
    // The weakest class below the floor that has not been tried since the last move.
    let weakest = -1;
    for (let k = 0; k < classes; k++) {
      if (tried.has(k) || Number.isNaN(current[k]!) || current[k]! >= o.floor) continue;
      if (weakest < 0 || current[k]! < current[weakest]!) weakest = k;
    }
    if (weakest < 0) break;
    tried.add(weakest);
    const start = offsets[weakest]!;
    let bestAcc = current;
    let bestOffset = start;
    for (let d = -o.range; d <= o.range + 1e-9; d += o.step) {
      offsets[weakest] = start + d;
      const acc = accuracyOf(tally(logits, labels, classes, temperature, offsets, rows));
      if (meanPresent(acc) < baseline - o.maxDrop) continue;
      const cmp = leximin(acc, bestAcc);
      // Ties go to the smaller move.
      if (cmp > 0 || (cmp === 0 && Math.abs(d) < Math.abs(bestOffset - start))) {
        bestAcc = acc;
        bestOffset = start + d;
      }
    }
    offsets[weakest] = bestOffset;
    if (bestOffset !== start) {
      current = bestAcc;
      // Others may now be worth another look; the ones too small to act on stay out.
      for (const k of [...tried]) if (k !== weakest && counts[k]! >= o.minSamples) tried.delete(k);
    }
  }
  return { offsets, before, after: current };
}

/**
 * What the offsets do on data they were not fitted on: the validation set is split in two
 * halves (alternate samples of each class), offsets fitted on each half are applied to the
 * other, and the per-class accuracies of both halves are pooled.
 */
export function crossFittedAccuracy(
  logits: Float32Array,
  labels: ArrayLike<number>,
  classes: number,
  temperature = 1,
  options: Partial<OffsetOptions> = {},
): Float64Array {
  const seen = new Int32Array(classes);
  const halves: number[][] = [[], []];
  for (let i = 0; i < labels.length; i++) halves[seen[labels[i]!]!++ % 2]!.push(i);
  const pooled: Tally = { hits: new Float64Array(classes), counts: new Float64Array(classes) };
  for (let h = 0; h < 2; h++) {
    const { offsets } = fitOffsets(logits, labels, classes, temperature, options, halves[h]);
    const t = tally(logits, labels, classes, temperature, offsets, halves[1 - h]);
    for (let k = 0; k < classes; k++) {
      pooled.hits[k]! += t.hits[k]!;
      pooled.counts[k]! += t.counts[k]!;
    }
  }
  return accuracyOf(pooled);
}
