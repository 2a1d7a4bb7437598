// WebAssembly SIMD kernels of the engine (AssemblyScript → simd.wasm / simd-relaxed.wasm).
//
// Raw kernels on byte addresses in one shared memory: no allocation, no runtime. The caller
// (kernels/wasm.ts, and the kernel threads of kernels/thread.mjs) owns every buffer.
// Matrices are row-major; `ld*` is the row stride in floats, so a kernel can work on a block
// of columns of a wider matrix (that is how work is split between threads).
//
// Every GEMM runs through one 4×8 register tile (4 rows of C, two f32x4 columns) that adds
// products in order p = 0..k-1, so an element of C gets the same bits wherever it falls in a
// tile and however the work is split between threads. Edge tiles read a few floats past the
// last row or column (the allocator pads every buffer by 64 bytes) and store only what is
// inside C.
//
// Built twice from this source: with relaxed SIMD (f32x4.relaxed_madd, a fused multiply-add
// on x86-64 with FMA) and without (multiply then add), for engines without relaxed SIMD.

@inline function madd(acc: v128, a: v128, b: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, acc);
  return f32x4.add(acc, f32x4.mul(a, b));
}

/** Start of the memory the caller may use (everything below is this module's). */
export function heapBase(): usize {
  return (__heap_base + 63) & ~63;
}

export function relaxed(): i32 {
  return ASC_FEATURE_RELAXED_SIMD ? 1 : 0;
}

// ---------------------------------------------------------------------------------------------
// The register tile: acc[0..rows, 0..cols] = bias + Σ_p A[r, p] · B[p, 0..8], then emitted to C.
// Row r of A starts at a0..a3 and advances by `ka` bytes per p; B advances by `kb` bytes.
// Full tiles (4 rows, 8 columns) are emitted as vectors; edge tiles go through `tmp` (32 floats).
//
// Emitting either stores the tile (STORE) or treats it as the gradient g of the weights at C
// and applies the SGD step there (SGD, or MOMENTUM with the velocity `vd` bytes after C): the
// same arithmetic as sgd_step, so a fused update gives the same bits as product-then-step.

const STORE = 0, SGD = 1, MOMENTUM = 2;

@inline function emit(mode: i32, c: usize, acc: v128, vd: isize, lr: f32, momentum: f32, decay: f32): void {
  if (mode == STORE) {
    v128.store(c, acc);
    return;
  }
  const w = v128.load(c);
  const step = f32x4.add(acc, f32x4.mul(f32x4.splat(decay), w));
  if (mode == SGD) {
    v128.store(c, f32x4.sub(w, f32x4.mul(f32x4.splat(lr), step)));
    return;
  }
  const vel = f32x4.sub(f32x4.mul(f32x4.splat(momentum), v128.load(c + vd)), f32x4.mul(f32x4.splat(lr), step));
  v128.store(c + vd, vel);
  v128.store(c, f32x4.add(w, vel));
}

@inline function emitScalar(mode: i32, c: usize, g: f32, vd: isize, lr: f32, momentum: f32, decay: f32): void {
  if (mode == STORE) {
    store<f32>(c, g);
    return;
  }
  const w = load<f32>(c);
  if (mode == SGD) {
    store<f32>(c, w - lr * (g + decay * w));
    return;
  }
  const vel = momentum * load<f32>(c + vd) - lr * (g + decay * w);
  store<f32>(c + vd, vel);
  store<f32>(c, w + vel);
}

@inline function tile4x8(
  a0: usize, a1: usize, a2: usize, a3: usize, ka: usize,
  b: usize, kb: usize, k: i32, bias: usize,
  c: usize, sc: usize, rows: i32, cols: i32, tmp: usize,
  mode: i32, vd: isize, lr: f32, momentum: f32, decay: f32,
): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  if (bias != 0) {
    c00 = v128.load(bias);
    c01 = v128.load(bias, 16);
  }
  let c10 = c00, c11 = c01, c20 = c00, c21 = c01, c30 = c00, c31 = c01;
  for (let p = 0; p < k; p++) {
    const b0 = v128.load(b), b1 = v128.load(b, 16);
    let x = v128.load32_splat(a0);
    c00 = madd(c00, x, b0); c01 = madd(c01, x, b1);
    x = v128.load32_splat(a1);
    c10 = madd(c10, x, b0); c11 = madd(c11, x, b1);
    x = v128.load32_splat(a2);
    c20 = madd(c20, x, b0); c21 = madd(c21, x, b1);
    x = v128.load32_splat(a3);
    c30 = madd(c30, x, b0); c31 = madd(c31, x, b1);
    a0 += ka; a1 += ka; a2 += ka; a3 += ka; b += kb;
  }
  if (rows == 4 && cols == 8) {
    emit(mode, c, c00, vd, lr, momentum, decay); emit(mode, c + 16, c01, vd, lr, momentum, decay); c += sc;
    emit(mode, c, c10, vd, lr, momentum, decay); emit(mode, c + 16, c11, vd, lr, momentum, decay); c += sc;
    emit(mode, c, c20, vd, lr, momentum, decay); emit(mode, c + 16, c21, vd, lr, momentum, decay); c += sc;
    emit(mode, c, c30, vd, lr, momentum, decay); emit(mode, c + 16, c31, vd, lr, momentum, decay);
    return;
  }
  v128.store(tmp, c00); v128.store(tmp, c01, 16);
  v128.store(tmp, c10, 32); v128.store(tmp, c11, 48);
  v128.store(tmp, c20, 64); v128.store(tmp, c21, 80);
  v128.store(tmp, c30, 96); v128.store(tmp, c31, 112);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < cols; j++) emitScalar(mode, c + (<usize>j << 2), load<f32>(tmp + (<usize>(r * 8 + j) << 2)), vd, lr, momentum, decay);
    c += sc;
  }
}

@inline function min(a: i32, b: i32): i32 {
  return a < b ? a : b;
}

/** Row i + r of A (row stride sa bytes); rows past the block's end repeat its last row (valid memory, results discarded). */
@inline function rowOf(a: usize, i: i32, r: i32, rows: i32, sa: usize): usize {
  return a + <usize>(i + min(r, rows - 1)) * sa;
}

/**
 * C (m×n, ldc) = A (m×k, lda) · B (k×n, ldb) [+ bias (n)]. bias = 0 means none.
 * `tmp` is 128 bytes of scratch owned by the calling thread.
 */
export function gemm_nn(
  m: i32, n: i32, k: i32, a: usize, lda: i32, b: usize, ldb: i32, c: usize, ldc: i32, bias: usize, tmp: usize,
): void {
  const sa = <usize>lda << 2, sb = <usize>ldb << 2, sc = <usize>ldc << 2;
  for (let i = 0; i < m; i += 4) {
    const rows = min(4, m - i);
    for (let j = 0; j < n; j += 8) {
      const jb = <usize>j << 2;
      tile4x8(rowOf(a, i, 0, rows, sa), rowOf(a, i, 1, rows, sa), rowOf(a, i, 2, rows, sa), rowOf(a, i, 3, rows, sa), 4, b + jb, sb, k, bias != 0 ? bias + jb : 0, c + <usize>i * sc + jb, sc, rows, min(8, n - j), tmp, STORE, 0, 0, 0, 0);
    }
  }
}

/**
 * C (m×n, ldc) = Aᵀ · B with A stored k×m (lda) and B k×n (ldb): the weight gradient Xᵀ·δ.
 * Columns of A are packed 16 at a time into `pack` (k × 16 floats) so that the tile reads
 * contiguous memory instead of k rows 4 KiB apart (which collide in the L1 cache).
 */
export function gemm_tn(
  m: i32, n: i32, k: i32, a: usize, lda: i32, b: usize, ldb: i32, c: usize, ldc: i32, pack: usize, tmp: usize,
): void {
  productTN(STORE, m, n, k, a, lda, b, ldb, c, ldc, pack, tmp, 0, 0, 0, 0);
}

/**
 * One SGD step on weights W (m×n, ldw) whose gradient is Aᵀ · B, without storing the gradient:
 * as gemm_tn then sgd_step, with velocity v (same layout as W; 0 for plain SGD).
 */
export function gemm_tn_sgd(
  m: i32, n: i32, k: i32, a: usize, lda: i32, b: usize, ldb: i32, w: usize, ldw: i32, pack: usize, tmp: usize,
  v: usize, lr: f32, momentum: f32, decay: f32,
): void {
  if (v == 0) productTN(SGD, m, n, k, a, lda, b, ldb, w, ldw, pack, tmp, 0, lr, momentum, decay);
  else productTN(MOMENTUM, m, n, k, a, lda, b, ldb, w, ldw, pack, tmp, <isize>v - <isize>w, lr, momentum, decay);
}

@inline function productTN(
  mode: i32, m: i32, n: i32, k: i32, a: usize, lda: i32, b: usize, ldb: i32, c: usize, ldc: i32, pack: usize, tmp: usize,
  vd: isize, lr: f32, momentum: f32, decay: f32,
): void {
  const sa = <usize>lda << 2, sb = <usize>ldb << 2, sc = <usize>ldc << 2;
  for (let i0 = 0; i0 < m; i0 += 16) {
    let src = a + (<usize>i0 << 2), dst = pack;
    for (let p = 0; p < k; p++) {
      v128.store(dst, v128.load(src)); v128.store(dst, v128.load(src, 16), 16);
      v128.store(dst, v128.load(src, 32), 32); v128.store(dst, v128.load(src, 48), 48);
      src += sa; dst += 64;
    }
    const width = min(16, m - i0);
    for (let ii = 0; ii < width; ii += 4) {
      const a0 = pack + (<usize>ii << 2);
      const c0 = c + <usize>(i0 + ii) * sc;
      for (let j = 0; j < n; j += 8) {
        const jb = <usize>j << 2;
        tile4x8(a0, a0 + 4, a0 + 8, a0 + 12, 64, b + jb, sb, k, 0, c0 + jb, sc, min(4, width - ii), min(8, n - j), tmp, mode, vd, lr, momentum, decay);
      }
    }
  }
}

/**
 * C (m×n, ldc) = A (m×k, lda) · Bᵀ with B stored n×k (ldb): the input gradient δ·Wᵀ.
 * Rows of B are packed 8 at a time, transposed, into `pack` (k × 8 floats).
 */
export function gemm_nt(
  m: i32, n: i32, k: i32, a: usize, lda: i32, b: usize, ldb: i32, c: usize, ldc: i32, pack: usize, tmp: usize,
): void {
  const sa = <usize>lda << 2, sb = <usize>ldb << 2, sc = <usize>ldc << 2;
  for (let j = 0; j < n; j += 8) {
    const cols = min(8, n - j);
    for (let jj = 0; jj < 8; jj++) {
      // Columns past the end repeat the last one: results discarded.
      let src = b + <usize>(j + min(jj, cols - 1)) * sb;
      let dst = pack + (<usize>jj << 2);
      for (let p = 0; p < k; p++) {
        store<f32>(dst, load<f32>(src));
        src += 4; dst += 32;
      }
    }
    for (let i = 0; i < m; i += 4) {
      const rows = min(4, m - i);
      tile4x8(rowOf(a, i, 0, rows, sa), rowOf(a, i, 1, rows, sa), rowOf(a, i, 2, rows, sa), rowOf(a, i, 3, rows, sa), 4, pack, 32, k, 0, c + <usize>i * sc + (<usize>j << 2), sc, rows, cols, tmp, STORE, 0, 0, 0, 0);
    }
  }
}

/** out[j] = Σ_i A[i, j] for A m×n (lda): the bias gradient. */
export function col_sums(m: i32, n: i32, a: usize, lda: i32, out: usize): void {
  const sa = <usize>lda << 2;
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    let acc = f32x4.splat(0);
    let p = a + (<usize>j << 2);
    for (let i = 0; i < m; i++) {
      acc = f32x4.add(acc, v128.load(p));
      p += sa;
    }
    v128.store(out + (<usize>j << 2), acc);
  }
  for (; j < n; j++) {
    let acc: f32 = 0;
    let p = a + (<usize>j << 2);
    for (let i = 0; i < m; i++) {
      acc += load<f32>(p);
      p += sa;
    }
    store<f32>(out + (<usize>j << 2), acc);
  }
}

// ---------------------------------------------------------------------------------------------
// exp and the activations, four lanes at a time. Codes match each `code` in app/nn/activations.ts.

const IDENTITY = 0, SIGMOID = 1, TANH = 2, RELU = 3;

/** e^x with range reduction to [-ln2/2, ln2/2] and a degree-6 polynomial (Cephes expf); ~1 ulp. */
@inline function vexp(x: v128): v128 {
  x = f32x4.min(f32x4.max(x, f32x4.splat(-87.3)), f32x4.splat(88.3));
  const n = f32x4.nearest(f32x4.mul(x, f32x4.splat(1.44269504089)));
  let r = f32x4.sub(x, f32x4.mul(n, f32x4.splat(0.693359375)));
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(-2.12194440e-4)));
  let p = f32x4.splat(1.9875691500e-4);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.3981999507e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(8.3334519073e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(4.1665795894e-2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.6666665459e-1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(5.0000001201e-1));
  p = f32x4.add(f32x4.add(f32x4.mul(f32x4.mul(p, r), r), r), f32x4.splat(1));
  const scale = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(n), i32x4.splat(127)), 23);
  return f32x4.mul(p, scale);
}

@inline function vsigmoid(x: v128): v128 {
  const one = f32x4.splat(1);
  return f32x4.div(one, f32x4.add(one, vexp(f32x4.neg(x))));
}

/** tanh: an odd polynomial near 0 (Cephes tanhf), 1 − 2/(e^{2|x|} + 1) elsewhere. */
@inline function vtanh(x: v128): v128 {
  const ax = f32x4.abs(x);
  const s = f32x4.mul(x, x);
  let p = f32x4.splat(-5.70498872745e-3);
  p = f32x4.add(f32x4.mul(p, s), f32x4.splat(2.06390887954e-2));
  p = f32x4.add(f32x4.mul(p, s), f32x4.splat(-5.37397155531e-2));
  p = f32x4.add(f32x4.mul(p, s), f32x4.splat(1.33314422036e-1));
  p = f32x4.add(f32x4.mul(p, s), f32x4.splat(-3.33332819422e-1));
  const small = f32x4.add(f32x4.mul(f32x4.mul(p, s), x), x);
  const one = f32x4.splat(1);
  const big = f32x4.sub(one, f32x4.div(f32x4.splat(2), f32x4.add(vexp(f32x4.add(ax, ax)), one)));
  const signed = v128.or(big, v128.and(x, f32x4.splat(-0.0)));
  return v128.bitselect(small, signed, f32x4.lt(ax, f32x4.splat(0.625)));
}

@inline function vactivate(fn: i32, x: v128): v128 {
  if (fn == SIGMOID) return vsigmoid(x);
  if (fn == TANH) return vtanh(x);
  if (fn == RELU) return f32x4.max(x, f32x4.splat(0));
  return x;
}

/** d activation / dx, from the input x and the output y. */
@inline function vderivative(fn: i32, x: v128, y: v128): v128 {
  const one = f32x4.splat(1);
  if (fn == SIGMOID) return f32x4.mul(y, f32x4.sub(one, y));
  if (fn == TANH) return f32x4.sub(one, f32x4.mul(y, y));
  if (fn == RELU) return v128.and(f32x4.gt(x, f32x4.splat(0)), one);
  return one;
}

/** y = f(x) element-wise over len floats (x and y may be the same buffer). */
export function act_forward(fn: i32, x: usize, y: usize, len: i32): void {
  const end = <usize>len << 2;
  let o: usize = 0;
  for (; o + 16 <= end; o += 16) v128.store(y + o, vactivate(fn, v128.load(x + o)));
  // The tail goes through the same vector code, one lane used, so every element gets the same bits.
  for (; o < end; o += 4) store<f32>(y + o, f32x4.extract_lane(vactivate(fn, v128.load32_splat(x + o)), 0));
}

/** dx = dy · f'(x, y) element-wise (dx may alias dy). */
export function act_backward(fn: i32, x: usize, y: usize, dy: usize, dx: usize, len: i32): void {
  const end = <usize>len << 2;
  let o: usize = 0;
  for (; o + 16 <= end; o += 16) {
    v128.store(dx + o, f32x4.mul(v128.load(dy + o), vderivative(fn, v128.load(x + o), v128.load(y + o))));
  }
  for (; o < end; o += 4) {
    const d = vderivative(fn, v128.load32_splat(x + o), v128.load32_splat(y + o));
    store<f32>(dx + o, load<f32>(dy + o) * f32x4.extract_lane(d, 0));
  }
}

// ---------------------------------------------------------------------------------------------
// Softmax and the losses.

@inline function rowMax(x: usize, n: i32): f32 {
  const end = <usize>n << 2;
  let o: usize = 0;
  let vm = f32x4.splat(-Infinity);
  for (; o + 16 <= end; o += 16) vm = f32x4.pmax(vm, v128.load(x + o));
  // Lane extraction needs constant lanes; -Infinity lanes (no full vector) never win.
  let m = f32x4.extract_lane(vm, 0);
  const m1 = f32x4.extract_lane(vm, 1), m2 = f32x4.extract_lane(vm, 2), m3 = f32x4.extract_lane(vm, 3);
  if (m1 > m) m = m1;
  if (m2 > m) m = m2;
  if (m3 > m) m = m3;
  for (; o < end; o += 4) {
    const v = load<f32>(x + o);
    if (v > m) m = v;
  }
  return m;
}

/** y[0..n) *= k. */
@inline function scaleRow(y: usize, n: i32, k: f32): void {
  const end = <usize>n << 2;
  const vk = f32x4.splat(k);
  let o: usize = 0;
  for (; o + 16 <= end; o += 16) v128.store(y + o, f32x4.mul(v128.load(y + o), vk));
  for (; o < end; o += 4) store<f32>(y + o, load<f32>(y + o) * k);
}

/** y[r] = exp(x[r] − max) for one row; returns Σ y[r]. Tail lanes use the same vector exp. */
@inline function expShifted(x: usize, y: usize, n: i32, shift: f32): f32 {
  const end = <usize>n << 2;
  const s = f32x4.splat(shift);
  let o: usize = 0;
  let acc = f32x4.splat(0);
  for (; o + 16 <= end; o += 16) {
    const e = vexp(f32x4.sub(v128.load(x + o), s));
    v128.store(y + o, e);
    acc = f32x4.add(acc, e);
  }
  let sum: f32 = f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) + f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3);
  for (; o < end; o += 4) {
    const e = f32x4.extract_lane(vexp(f32x4.splat(load<f32>(x + o) - shift)), 0);
    store<f32>(y + o, e);
    sum += e;
  }
  return sum;
}

/** Row-wise softmax of x (m×n) into y, shifted by the row maximum so nothing overflows. */
export function softmax_rows(m: i32, n: i32, x: usize, y: usize): void {
  const row = <usize>n << 2;
  for (let i = 0; i < m; i++) {
    const sum = expShifted(x, y, n, rowMax(x, n));
    scaleRow(y, n, 1 / sum);
    x += row; y += row;
  }
}

/**
 * Softmax + cross-entropy from logits (m×n) and integer labels (m). Writes
 * grad = (softmax − onehot) · scale and returns Σ_rows −log softmax[label]
 * (computed as log Σ e^{z−max} − (z_label − max), finite for any logits).
 */
export function softmax_ce(m: i32, n: i32, logits: usize, labels: usize, grad: usize, scale: f32): f64 {
  const row = <usize>n << 2;
  let total: f64 = 0;
  for (let i = 0; i < m; i++) {
    const shift = rowMax(logits, n);
    const sum = expShifted(logits, grad, n, shift);
    const label = load<i32>(labels + (<usize>i << 2));
    total += <f64>(Mathf.log(sum) - (load<f32>(logits + (<usize>label << 2)) - shift));
    scaleRow(grad, n, scale / sum);
    const at = grad + (<usize>label << 2);
    store<f32>(at, load<f32>(at) - scale);
    logits += row; grad += row;
  }
  return total;
}

/** Σ (y − t)² over len floats; writes grad = 2 (y − t) · scale. */
export function squared_error(len: i32, y: usize, t: usize, grad: usize, scale: f32): f64 {
  const end = <usize>len << 2;
  const two = f32x4.splat(2 * scale);
  let acc = f32x4.splat(0);
  let o: usize = 0;
  for (; o + 16 <= end; o += 16) {
    const d = f32x4.sub(v128.load(y + o), v128.load(t + o));
    acc = f32x4.add(acc, f32x4.mul(d, d));
    v128.store(grad + o, f32x4.mul(d, two));
  }
  let total: f64 = <f64>f32x4.extract_lane(acc, 0) + <f64>f32x4.extract_lane(acc, 1) + <f64>f32x4.extract_lane(acc, 2) + <f64>f32x4.extract_lane(acc, 3);
  for (; o < end; o += 4) {
    const d = load<f32>(y + o) - load<f32>(t + o);
    total += <f64>(d * d);
    store<f32>(grad + o, d * 2 * scale);
  }
  return total;
}

// ---------------------------------------------------------------------------------------------
// Optimiser and data movement.

/**
 * One SGD step over len parameters: g' = g + decay·w; with velocity v (v ≠ 0):
 * v = momentum·v − lr·g', w += v; without: w −= lr·g'.
 */
export function sgd_step(w: usize, g: usize, v: usize, len: i32, lr: f32, momentum: f32, decay: f32): void {
  const end = <usize>len << 2;
  const vlr = f32x4.splat(lr), vmom = f32x4.splat(momentum), vdec = f32x4.splat(decay);
  let o: usize = 0;
  if (v == 0) {
    for (; o + 16 <= end; o += 16) {
      const wv = v128.load(w + o);
      const step = f32x4.add(v128.load(g + o), f32x4.mul(vdec, wv));
      v128.store(w + o, f32x4.sub(wv, f32x4.mul(vlr, step)));
    }
    for (; o < end; o += 4) {
      const wv = load<f32>(w + o);
      store<f32>(w + o, wv - lr * (load<f32>(g + o) + decay * wv));
    }
    return;
  }
  for (; o + 16 <= end; o += 16) {
    const wv = v128.load(w + o);
    const step = f32x4.add(v128.load(g + o), f32x4.mul(vdec, wv));
    const vel = f32x4.sub(f32x4.mul(vmom, v128.load(v + o)), f32x4.mul(vlr, step));
    v128.store(v + o, vel);
    v128.store(w + o, f32x4.add(wv, vel));
  }
  for (; o < end; o += 4) {
    const wv = load<f32>(w + o);
    const vel = momentum * load<f32>(v + o) - lr * (load<f32>(g + o) + decay * wv);
    store<f32>(v + o, vel);
    store<f32>(w + o, wv + vel);
  }
}

/** dst row r = src row index[r], rows of `width` floats: a shuffled mini-batch. */
export function gather_rows(src: usize, width: i32, index: usize, count: i32, dst: usize): void {
  const row = <usize>width << 2;
  for (let r = 0; r < count; r++) {
    memory.copy(dst, src + <usize>load<i32>(index + (<usize>r << 2)) * row, row);
    dst += row;
  }
}
