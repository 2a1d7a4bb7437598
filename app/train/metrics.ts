/** Classification and reconstruction metrics over plain arrays. */

export interface ConfusedPair {
  truth: string;
  predicted: string;
  count: number;
  /** count / number of images of the true class */
  rate: number;
}

export interface ClassificationReport {
  accuracy: number;
  /** Mean of per-class accuracies (what a balanced test set measures). */
  balancedAccuracy: number;
  perClass: { label: string; count: number; accuracy: number }[];
  /** confusion[truth][predicted] counts */
  confusion: number[][];
  confused: ConfusedPair[];
}

/** Index of the largest value in each row of a count × k matrix. */
export function argmaxRows(scores: Float32Array, count: number, k: number): Int32Array {
  const out = new Int32Array(count);
  for (let n = 0; n < count; n++) {
    let best = 0;
    let bestV = -Infinity;
    for (let j = 0; j < k; j++) {
      const v = scores[n * k + j]!;
      if (v > bestV) {
        bestV = v;
        best = j;
      }
    }
    out[n] = best;
  }
  return out;
}

export function classificationReport(predicted: ArrayLike<number>, truth: ArrayLike<number>, classes: readonly string[], topPairs = 10): ClassificationReport {
  const k = classes.length;
  const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  let correct = 0;
  for (let i = 0; i < truth.length; i++) {
    confusion[truth[i]!]![predicted[i]!]!++;
    if (truth[i] === predicted[i]) correct++;
  }
  const perClass = classes.map((label, c) => {
    const count = confusion[c]!.reduce((a, b) => a + b, 0);
    return { label, count, accuracy: count ? confusion[c]![c]! / count : NaN };
  });
  const present = perClass.filter((p) => p.count > 0);
  const confused: ConfusedPair[] = [];
  for (let t = 0; t < k; t++) {
    for (let p = 0; p < k; p++) {
      if (t === p || confusion[t]![p] === 0) continue;
      confused.push({ truth: classes[t]!, predicted: classes[p]!, count: confusion[t]![p]!, rate: confusion[t]![p]! / perClass[t]!.count });
    }
  }
  confused.sort((a, b) => b.count - a.count || b.rate - a.rate);
  return {
    accuracy: truth.length ? correct / truth.length : NaN,
    balancedAccuracy: present.reduce((a, p) => a + p.accuracy, 0) / Math.max(1, present.length),
    perClass,
    confusion,
    confused: confused.slice(0, topPairs),
  };
}

/** Per-image PSNR in dB with peak 1 (images in [0,1]); identical images are capped at 100 dB. */
export function psnrPerImage(original: Float32Array, reconstructed: Float32Array, count: number, size: number): Float64Array {
  const out = new Float64Array(count);
  for (let n = 0; n < count; n++) {
    let se = 0;
    for (let i = n * size; i < (n + 1) * size; i++) {
      const d = original[i]! - reconstructed[i]!;
      se += d * d;
    }
    const mse = se / size;
    out[n] = mse > 0 ? Math.min(100, -10 * Math.log10(mse)) : 100;
  }
  return out;
}

/** The mean of each class's mean (classes with no value left out): what a test set holding as many of each class measures. */
export function classBalancedMean(values: ArrayLike<number>, labels: ArrayLike<number>, classCount: number): number {
  const sums = new Float64Array(classCount);
  const counts = new Float64Array(classCount);
  for (let i = 0; i < values.length; i++) {
    sums[labels[i]!]! += values[i]!;
    counts[labels[i]!]!++;
  }
  let total = 0;
  let present = 0;
  for (let c = 0; c < classCount; c++) {
    if (counts[c]! > 0) {
      total += sums[c]! / counts[c]!;
      present++;
    }
  }
  return present ? total / present : NaN;
}

export function mean(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i]!;
  return values.length ? s / values.length : NaN;
}

/** Human-readable report lines: per-class accuracy table and the most confused pairs. */
export function formatReport(report: ClassificationReport): string[] {
  const lines = ['per-class accuracy:'];
  const cells = report.perClass.map((p) => `${p.label} ${Number.isNaN(p.accuracy) ? '  -  ' : (p.accuracy * 100).toFixed(1).padStart(5)}%`);
  for (let i = 0; i < cells.length; i += 6) lines.push('  ' + cells.slice(i, i + 6).join('   '));
  lines.push('most confused (true → predicted):');
  for (const c of report.confused) lines.push(`  ${c.truth} → ${c.predicted}: ${c.count} (${(c.rate * 100).toFixed(1)}% of ${c.truth})`);
  lines.push(`balanced accuracy ${report.balancedAccuracy.toFixed(4)}`);
  return lines;
}
