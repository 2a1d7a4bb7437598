import { ACTIVATIONS } from '../activations.ts';
import type { FloatArray, Kernels } from './types.ts';

/**
 * The kernels in plain TypeScript: the fallback when WebAssembly is unavailable, the float64
 * path of gradient checks, and the reference the WebAssembly kernels are tested against.
 * Matrix products take four rows of the output at a time, so each value read from B serves
 * four accumulators.
 */
export const tsKernels: Kernels = {
  gemmNN(m, n, k, a, b, c, bias) {
    let i = 0;
    for (; i + 4 <= m; i += 4) {
      const c0 = i * n,
        c1 = c0 + n,
        c2 = c1 + n,
        c3 = c2 + n;
      for (let j = 0; j < n; j++) {
        const init = bias ? bias[j]! : 0;
        c[c0 + j] = init;
        c[c1 + j] = init;
        c[c2 + j] = init;
        c[c3 + j] = init;
      }
      const r0 = i * k,
        r1 = r0 + k,
        r2 = r1 + k,
        r3 = r2 + k;
      for (let p = 0; p < k; p++) addRows4(c, c0, n, a[r0 + p]!, a[r1 + p]!, a[r2 + p]!, a[r3 + p]!, b, p * n);
    }
    for (; i < m; i++) {
      const ci = i * n;
      for (let j = 0; j < n; j++) c[ci + j] = bias ? bias[j]! : 0;
      for (let p = 0; p < k; p++) {
        const av = a[i * k + p]!;
        const bp = p * n;
        for (let j = 0; j < n; j++) c[ci + j]! += av * b[bp + j]!;
      }
    }
  },

  gemmTN(m, n, k, a, b, c) {
    c.fill(0, 0, m * n);
    for (let p = 0; p < k; p++) {
      const ap = p * m,
        bp = p * n;
      let i = 0;
      for (; i + 4 <= m; i += 4) addRows4(c, i * n, n, a[ap + i]!, a[ap + i + 1]!, a[ap + i + 2]!, a[ap + i + 3]!, b, bp);
      for (; i < m; i++) {
        const av = a[ap + i]!;
        const ci = i * n;
        for (let j = 0; j < n; j++) c[ci + j]! += av * b[bp + j]!;
      }
    }
  },

  gemmNT(m, n, k, a, b, c) {
    let i = 0;
    for (; i + 4 <= m; i += 4) {
      const r0 = i * k,
        r1 = r0 + k,
        r2 = r1 + k,
        r3 = r2 + k;
      for (let j = 0; j < n; j++) {
        const bj = j * k;
        let s0 = 0,
          s1 = 0,
          s2 = 0,
          s3 = 0;
        for (let p = 0; p < k; p++) {
          const bv = b[bj + p]!;
          s0 += a[r0 + p]! * bv;
          s1 += a[r1 + p]! * bv;
          s2 += a[r2 + p]! * bv;
          s3 += a[r3 + p]! * bv;
        }
        c[i * n + j] = s0;
        c[(i + 1) * n + j] = s1;
        c[(i + 2) * n + j] = s2;
        c[(i + 3) * n + j] = s3;
      }
    }
    for (; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += a[i * k + p]! * b[j * k + p]!;
        c[i * n + j] = s;
      }
    }
  },

  columnSums(m, n, a, out) {
    out.fill(0, 0, n);
    for (let i = 0; i < m; i++) {
      const ai = i * n;
      for (let j = 0; j < n; j++) out[j]! += a[ai + j]!;
    }
  },

  activate(fn, x, y, len) {
    const { f } = ACTIVATIONS[fn];
    for (let i = 0; i < len; i++) y[i] = f(x[i]!);
  },

  activateBackward(fn, x, y, dy, dx, len) {
    const { df } = ACTIVATIONS[fn];
    for (let i = 0; i < len; i++) dx[i] = dy[i]! * df(x[i]!, y[i]!);
  },

  softmaxRows(m, n, x, y) {
    for (let i = 0; i < m; i++) {
      const sum = expShifted(x, y, i * n, n, rowMax(x, i * n, n));
      for (let j = 0; j < n; j++) y[i * n + j]! /= sum;
    }
  },

  softmaxCrossEntropy(m, n, logits, labels, grad, scale) {
    let total = 0;
    for (let i = 0; i < m; i++) {
      const row = i * n;
      const label = labels[i]!;
      if (!(label >= 0 && label < n)) throw new RangeError(`softmaxCrossEntropy: label ${label} in row ${i} is outside 0..${n - 1}`);
      const shift = rowMax(logits, row, n);
      const sum = expShifted(logits, grad, row, n, shift);
      total += Math.log(sum) - (logits[row + label]! - shift);
      for (let j = 0; j < n; j++) grad[row + j]! *= scale / sum;
      grad[row + label]! -= scale;
    }
    return total;
  },

  squaredError(len, y, t, grad, scale) {
    let total = 0;
    for (let i = 0; i < len; i++) {
      const d = y[i]! - t[i]!;
      total += d * d;
      grad[i] = 2 * d * scale;
    }
    return total;
  },

  sgdStep(w, g, v, len, lr, momentum, decay) {
    if (v === null) {
      for (let i = 0; i < len; i++) w[i]! -= lr * (g[i]! + decay * w[i]!);
      return;
    }
    for (let i = 0; i < len; i++) {
      const vel = momentum * v[i]! - lr * (g[i]! + decay * w[i]!);
      v[i] = vel;
      w[i]! += vel;
    }
  },

  sgdStepProduct(m, n, k, a, b, w, v, lr, momentum, decay) {
    const g = w instanceof Float64Array ? new Float64Array(m * n) : new Float32Array(m * n);
    this.gemmTN(m, n, k, a, b, g);
    this.sgdStep(w, g, v, m * n, lr, momentum, decay);
  },

  gatherRows(src, width, index, count, dst) {
    for (let r = 0; r < count; r++) {
      const from = index[r]! * width;
      dst.set(src.subarray(from, from + width), r * width);
    }
  },
};

/** Four rows of C (from c0, n apart) += a_r × row of B at bp: one read of B feeds four rows. */
function addRows4(c: FloatArray, c0: number, n: number, a0: number, a1: number, a2: number, a3: number, b: FloatArray, bp: number): void {
  const c1 = c0 + n,
    c2 = c1 + n,
    c3 = c2 + n;
  for (let j = 0; j < n; j++) {
    const bv = b[bp + j]!;
    c[c0 + j]! += a0 * bv;
    c[c1 + j]! += a1 * bv;
    c[c2 + j]! += a2 * bv;
    c[c3 + j]! += a3 * bv;
  }
}

function rowMax(x: FloatArray, start: number, n: number): number {
  let max = -Infinity;
  for (let j = 0; j < n; j++) max = Math.max(max, x[start + j]!);
  return max;
}

/** out[j] = e^{x[j] − shift} over one row; returns the row's sum. */
function expShifted(x: FloatArray, out: FloatArray, start: number, n: number, shift: number): number {
  let sum = 0;
  for (let j = 0; j < n; j++) {
    const e = Math.exp(x[start + j]! - shift);
    out[start + j] = e;
    sum += e;
  }
  return sum;
}
