/**
 * Temperature scaling (Guo et al. 2017, "On Calibration of Modern Neural Networks"): one scalar
 * T > 0 such that softmax(logits / T) has the least negative log-likelihood on held-out data.
 * It changes confidences, never the arg-max. The exporter bakes it into the last layer.
 */

/** Mean NLL of softmax(logits / T) for the given labels, each sample weighted (default 1). */
export function temperedNll(logits: Float32Array, labels: ArrayLike<number>, classes: number, temperature: number, weights?: ArrayLike<number>): number {
  const n = labels.length;
  let total = 0;
  let weightSum = 0;
  for (let i = 0; i < n; i++) {
    const row = i * classes;
    let max = -Infinity;
    for (let k = 0; k < classes; k++) max = Math.max(max, logits[row + k]! / temperature);
    let sum = 0;
    for (let k = 0; k < classes; k++) sum += Math.exp(logits[row + k]! / temperature - max);
    const w = weights ? weights[i]! : 1;
    total += w * (Math.log(sum) + max - logits[row + labels[i]!]! / temperature);
    weightSum += w;
  }
  return total / weightSum;
}

export interface Calibration {
  temperature: number;
  nllBefore: number;
  nllAfter: number;
}

/**
 * The temperature minimising the (weighted) NLL, by golden-section search on log T over
 * [0.05, 20] (the NLL is unimodal in T).
 */
export function fitTemperature(logits: Float32Array, labels: ArrayLike<number>, classes: number, weights?: ArrayLike<number>): Calibration {
  if (labels.length === 0) throw new Error('fitTemperature: no validation samples');
  const f = (logT: number) => temperedNll(logits, labels, classes, Math.exp(logT), weights);
  let a = Math.log(0.05);
  let b = Math.log(20);
  const g = (Math.sqrt(5) - 1) / 2;
  let c = b - g * (b - a);
  let d = a + g * (b - a);
  let fc = f(c);
  let fd = f(d);
  for (let i = 0; i < 60 && b - a > 1e-5; i++) {
    if (fc < fd) {
      b = d;
      d = c;
      fd = fc;
      c = b - g * (b - a);
      fc = f(c);
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + g * (b - a);
      fd = f(d);
    }
  }
  const temperature = Math.exp((a + b) / 2);
  return { temperature, nllBefore: f(0), nllAfter: f(Math.log(temperature)) };
}

/**
 * Expected calibration error over `bins` equal-width confidence bins, each sample weighted
 * (default 1; with 1/class count it is what a balanced test set would show).
 */
export function expectedCalibrationError(
  logits: Float32Array,
  labels: ArrayLike<number>,
  classes: number,
  temperature = 1,
  weights?: ArrayLike<number>,
  bins = 15,
): number {
  const n = labels.length;
  const count = new Float64Array(bins);
  const conf = new Float64Array(bins);
  const hits = new Float64Array(bins);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const w = weights ? weights[i]! : 1;
    total += w;
    const row = i * classes;
    let max = -Infinity;
    let arg = 0;
    for (let k = 0; k < classes; k++) {
      const z = logits[row + k]! / temperature;
      if (z > max) {
        max = z;
        arg = k;
      }
    }
    let sum = 0;
    for (let k = 0; k < classes; k++) sum += Math.exp(logits[row + k]! / temperature - max);
    const p = 1 / sum;
    const bin = Math.min(bins - 1, Math.floor(p * bins));
    count[bin]! += w;
    conf[bin]! += w * p;
    if (arg === labels[i]) hits[bin]! += w;
  }
  let ece = 0;
  for (let b = 0; b < bins; b++) if (count[b]) ece += Math.abs(hits[b]! - conf[b]!) / total;
  return ece;
}
