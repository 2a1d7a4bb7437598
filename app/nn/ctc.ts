/**
 * Connectionist temporal classification (Graves, Fernández, Gomez, Schmidhuber 2006): the
 * negative log-likelihood of a label sequence given per-frame class scores, summed over every
 * alignment (blanks between and around the labels, repeats collapsed), and its gradient with
 * respect to the scores before the softmax. Forward and backward run in log space, so long
 * lines do not underflow. TF.js has no CTC, so the line recogniser's loss is this.
 */

export interface CtcOptions {
  /** Class index of the blank; default 0. */
  blank?: number;
  /**
   * A label sequence that no alignment fits (more labels, counting a blank between repeats,
   * than frames) has an infinite loss. With zeroInfinity its loss and gradient are 0 instead,
   * as PyTorch's `zero_infinity`, so one bad line does not end a run.
   */
  zeroInfinity?: boolean;
}

export interface CtcSample {
  /** frames × classes scores (logits), row-major. */
  logits: Float32Array;
  frames: number;
  classes: number;
  labels: ArrayLike<number>;
}

/** Loss of one sequence, and d loss / d logits (frames × classes) written into `grad` when given. */
export function ctcLoss(sample: CtcSample, grad?: Float32Array, options: CtcOptions = {}): number {
  const { logits, frames: T, classes: C, labels } = sample;
  const blank = options.blank ?? 0;
  if (T < 1) throw new RangeError('ctcLoss: a sequence needs at least one frame');
  if (logits.length < T * C) throw new RangeError(`ctcLoss: ${logits.length} scores for ${T} frames × ${C} classes`);
  if (grad && grad.length < T * C) throw new RangeError(`ctcLoss: the gradient has room for ${grad.length} values, needs ${T * C}`);
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i]!;
    if (!Number.isInteger(l) || l < 0 || l >= C || l === blank)
      throw new RangeError(`ctcLoss: label ${i} is ${l}, expected a class in 0..${C - 1} other than the blank ${blank}`);
  }

  // The extended sequence: blank, l1, blank, l2, ..., blank.
  const S = 2 * labels.length + 1;
  const ext = new Int32Array(S).fill(blank);
  for (let i = 0; i < labels.length; i++) ext[2 * i + 1] = labels[i]!;
  // A state may skip the blank before it when its label differs from the one two states back.
  const canSkip = new Uint8Array(S);
  for (let s = 2; s < S; s++) canSkip[s] = ext[s] !== blank && ext[s] !== ext[s - 2] ? 1 : 0;
  const run = { logits, T, C, S, ext, canSkip };
  return ctcScaled(run, grad) ?? ctcLogSpace(run, grad, options);
}

interface CtcRun {
  logits: Float32Array;
  T: number;
  C: number;
  S: number;
  ext: Int32Array;
  canSkip: Uint8Array;
}

/**
 * Forward and backward in probabilities, each frame's variables rescaled to sum 1 (Rabiner's
 * scaling; Graves's thesis, 7.3.1): the log-likelihood is the sum of the scales' logs, and no
 * logarithm or exponential is taken per state, which makes it several times faster than log
 * space. Null when a frame's variables underflow to nothing (an alignment the labels barely
 * fit, or none): log space then decides, as it does the infinite losses.
 */
function ctcScaled(r: CtcRun, grad?: Float32Array): number | null {
  const { logits, T, C, S, ext, canSkip } = r;
  const y = softmaxRows(logits, T, C);
  const alpha = new Float64Array(T * S);
  let logLikelihood = 0;
  alpha[0] = y[ext[0]!]!;
  if (S > 1) alpha[1] = y[ext[1]!]!;
  for (let t = 0; t < T; t++) {
    const at = t * S;
    if (t > 0) {
      const prev = at - S;
      const yt = t * C;
      for (let s = 0; s < S; s++) {
        let a = alpha[prev + s]!;
        if (s >= 1) a += alpha[prev + s - 1]!;
        if (canSkip[s]) a += alpha[prev + s - 2]!;
        alpha[at + s] = a * y[yt + ext[s]!]!;
      }
    }
    const sum = rescale(alpha, at, S);
    if (sum === null) return null;
    logLikelihood += Math.log(sum);
  }
  const last = (T - 1) * S;
  const end = S > 1 ? alpha[last + S - 1]! + alpha[last + S - 2]! : alpha[last]!;
  if (!(end > 1e-280)) return null;
  logLikelihood += Math.log(end);
  if (!grad) return -logLikelihood;

  // β, rescaled the same way; at frame t, α̂(s)·β̂(s)/y(s) is proportional to the posterior of
  // being in state s then, and normalising those per frame gives each class's share.
  const beta = new Float64Array(T * S);
  beta[last + S - 1] = y[(T - 1) * C + ext[S - 1]!]!;
  if (S > 1) beta[last + S - 2] = y[(T - 1) * C + ext[S - 2]!]!;
  const share = new Float64Array(C);
  for (let t = T - 1; t >= 0; t--) {
    const at = t * S;
    const yt = t * C;
    if (t < T - 1) {
      const next = at + S;
      for (let s = 0; s < S; s++) {
        let b = beta[next + s]!;
        if (s + 1 < S) b += beta[next + s + 1]!;
        if (s + 2 < S && canSkip[s + 2]) b += beta[next + s + 2]!;
        beta[at + s] = b * y[yt + ext[s]!]!;
      }
    }
    if (rescale(beta, at, S) === null) return null;
    share.fill(0);
    let total = 0;
    for (let s = 0; s < S; s++) {
      const k = ext[s]!;
      const yk = y[yt + k]!;
      const p = yk > 0 ? (alpha[at + s]! * beta[at + s]!) / yk : 0; // both hold y once: with y = 0 the share is 0
      share[k] = share[k]! + p;
      total += p;
    }
    if (!(total > 1e-280)) return null;
    const norm = 1 / total;
    for (let k = 0; k < C; k++) grad[yt + k] = y[yt + k]! - share[k]! * norm;
  }
  return -logLikelihood;
}

/** Scales v[at, at + n) to sum 1; returns the sum, or null where it underflowed (or is not finite). */
function rescale(v: Float64Array, at: number, n: number): number | null {
  let sum = 0;
  for (let s = 0; s < n; s++) sum += v[at + s]!;
  if (!(sum > 1e-280) || !Number.isFinite(sum)) return null;
  const inv = 1 / sum;
  for (let s = 0; s < n; s++) v[at + s]! *= inv;
  return sum;
}

/** The same in log space: slower, but it never underflows. */
function ctcLogSpace(r: CtcRun, grad: Float32Array | undefined, options: CtcOptions): number {
  const { logits, T, C, S, ext, canSkip } = r;
  const blank = ext[0]!;
  const logp = logSoftmaxRows(logits, T, C);

  const alpha = new Float64Array(T * S).fill(-Infinity);
  alpha[0] = logp[blank]!;
  if (S > 1) alpha[1] = logp[ext[1]!]!;
  for (let t = 1; t < T; t++) {
    const prev = (t - 1) * S;
    for (let s = 0; s < S; s++) {
      let a = alpha[prev + s]!;
      if (s >= 1) a = logAdd(a, alpha[prev + s - 1]!);
      if (canSkip[s]) a = logAdd(a, alpha[prev + s - 2]!);
      alpha[t * S + s] = a + logp[t * C + ext[s]!]!;
    }
  }
  const last = (T - 1) * S;
  const logLikelihood = S > 1 ? logAdd(alpha[last + S - 1]!, alpha[last + S - 2]!) : alpha[last]!;

  if (logLikelihood === -Infinity) {
    if (grad) grad.fill(0, 0, T * C);
    return options.zeroInfinity ? 0 : Infinity;
  }
  if (!grad) return -logLikelihood;

  const beta = new Float64Array(T * S).fill(-Infinity);
  beta[last + S - 1] = logp[(T - 1) * C + ext[S - 1]!]!;
  if (S > 1) beta[last + S - 2] = logp[(T - 1) * C + ext[S - 2]!]!;
  for (let t = T - 2; t >= 0; t--) {
    const next = (t + 1) * S;
    for (let s = 0; s < S; s++) {
      let b = beta[next + s]!;
      if (s + 1 < S) b = logAdd(b, beta[next + s + 1]!);
      if (s + 2 < S && canSkip[s + 2]) b = logAdd(b, beta[next + s + 2]!);
      beta[t * S + s] = b + logp[t * C + ext[s]!]!;
    }
  }

  // d(-log p)/d logit[t,k] = softmax[t,k] - (sum over states s labelled k of alpha·beta) / (p · y[t,k]).
  const occupancy = new Float64Array(C);
  for (let t = 0; t < T; t++) {
    occupancy.fill(-Infinity);
    for (let s = 0; s < S; s++) {
      const k = ext[s]!;
      occupancy[k] = logAdd(occupancy[k]!, alpha[t * S + s]! + beta[t * S + s]!);
    }
    for (let k = 0; k < C; k++) {
      const lp = logp[t * C + k]!;
      const through = occupancy[k] === -Infinity ? 0 : Math.exp(occupancy[k]! - lp - logLikelihood);
      grad[t * C + k] = Math.exp(lp) - through;
    }
  }
  return -logLikelihood;
}

export interface CtcBatch {
  /** batch × frames × classes scores; sample n uses its first frameCounts[n] frames. */
  logits: Float32Array;
  batch: number;
  frames: number;
  classes: number;
  frameCounts: ArrayLike<number>;
  labels: readonly ArrayLike<number>[];
}

/** Per-sample losses of a padded batch; `grad` (batch × frames × classes) gets each sample's gradient, zero on padding frames. */
export function ctcLossBatch(batch: CtcBatch, grad?: Float32Array, options: CtcOptions = {}): Float64Array {
  const { batch: B, frames: T, classes: C } = batch;
  if (batch.labels.length !== B || batch.frameCounts.length !== B)
    throw new RangeError(`ctcLossBatch: ${B} samples but ${batch.labels.length} label sequences and ${batch.frameCounts.length} frame counts`);
  const losses = new Float64Array(B);
  if (grad) grad.fill(0, 0, B * T * C);
  for (let n = 0; n < B; n++) {
    const frames = batch.frameCounts[n]!;
    if (!Number.isInteger(frames) || frames < 1 || frames > T) throw new RangeError(`ctcLossBatch: sample ${n} has ${frames} frames, expected 1..${T}`);
    const logits = batch.logits.subarray(n * T * C, (n * T + frames) * C);
    const g = grad?.subarray(n * T * C, (n * T + frames) * C);
    losses[n] = ctcLoss({ logits, frames, classes: C, labels: batch.labels[n]! }, g, options);
  }
  return losses;
}

function logAdd(a: number, b: number): number {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  return a > b ? a + Math.log1p(Math.exp(b - a)) : b + Math.log1p(Math.exp(a - b));
}

function softmaxRows(x: Float32Array, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const row = r * cols;
    let max = -Infinity;
    for (let c = 0; c < cols; c++) max = Math.max(max, x[row + c]!);
    let sum = 0;
    for (let c = 0; c < cols; c++) sum += out[row + c] = Math.exp(x[row + c]! - max);
    const inv = 1 / sum;
    for (let c = 0; c < cols; c++) out[row + c]! *= inv;
  }
  return out;
}

function logSoftmaxRows(x: Float32Array, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    let max = -Infinity;
    for (let c = 0; c < cols; c++) max = Math.max(max, x[r * cols + c]!);
    let sum = 0;
    for (let c = 0; c < cols; c++) sum += Math.exp(x[r * cols + c]! - max);
    const logZ = max + Math.log(sum);
    for (let c = 0; c < cols; c++) out[r * cols + c] = x[r * cols + c]! - logZ;
  }
  return out;
}
