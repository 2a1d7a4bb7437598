// @ts-nocheck — AssemblyScript (compiled by asc, not tsc)
// Gradient kernels for TensorFlow.js's WASM backend (AssemblyScript → grad.wasm).
//
// The module imports the backend's own memory (env.memory), so it works in place on tensors at
// the byte addresses the backend gives (memoryOffset): no copies. It has no data segments and
// no runtime (no allocation), so it never writes outside the buffers it is handed.
// Built by `npm run build:kernels` (scripts/build-kernels.ts holds the flags; its test rebuilds
// both binaries and checks the committed files are the same).
//
// Layouts: NHWC activations, HWIO filters, float32, row-major.
//
// Built twice: with relaxed SIMD (grad-relaxed.wasm: f32x4.relaxed_madd, a fused multiply-add
// on x86-64 with FMA, twice the arithmetic per instruction) and without (grad.wasm: multiply
// then add) for engines without relaxed SIMD.

@inline function madd(acc: v128, a: v128, b: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, acc);
  return f32x4.add(acc, f32x4.mul(a, b));
}

// ---------------------------------------------------------------------------------------------
// Conv2DBackpropFilter, stride 1, any kernel size and padding:
//   dW[ky, kx, i, o] = Σ_{b, y, x} X[b, y + ky − top, x + kx − left, i] · dY[b, y, x, o]
// One image at a time (its X and dY stay in cache), then for each tap a register tile of
// 4 input channels × 8 output channels (8 f32x4 accumulators) sweeps the tap's valid pixels.
// Output channels must be a multiple of 4 (the caller checks); input channels any.

export function conv2dFilterGrad(
  x: usize, dy: usize, dw: usize,
  n: i32, h: i32, w: i32, ci: i32,
  oh: i32, ow: i32, co: i32,
  kh: i32, kw: i32, top: i32, left: i32,
): void {
  memory.fill(dw, 0, <usize>(kh * kw * ci * co) << 2);
  const xRow = <usize>(w * ci) << 2;
  const xPix = <usize>ci << 2;
  const dyRow = <usize>(ow * co) << 2;
  const dyPix = <usize>co << 2;
  for (let b = 0; b < n; b++) {
    const xImg = x + (<usize>(b * h * w * ci) << 2);
    const dyImg = dy + (<usize>(b * oh * ow * co) << 2);
    for (let ky = 0; ky < kh; ky++) {
      // rows y where y + ky − top is inside the image
      const y0 = max(0, top - ky);
      const y1 = min(oh, h + top - ky);
      if (y0 >= y1) continue;
      for (let kx = 0; kx < kw; kx++) {
        const x0 = max(0, left - kx);
        const x1 = min(ow, w + left - kx);
        if (x0 >= x1) continue;
        const xTap = xImg + <usize>(y0 + ky - top) * xRow + <usize>(x0 + kx - left) * xPix;
        const dyTap = dyImg + <usize>y0 * dyRow + <usize>x0 * dyPix;
        const dwTap = dw + (<usize>((ky * kw + kx) * ci * co) << 2);
        const rows = y1 - y0;
        const cols = x1 - x0;
        let i = 0;
        for (; i + 4 <= ci; i += 4) {
          let o = 0;
          for (; o + 8 <= co; o += 8) {
            tile4x8(xTap + (<usize>i << 2), xRow, xPix, dyTap + (<usize>o << 2), dyRow, dyPix, rows, cols, dwTap + (<usize>(i * co + o) << 2), <usize>co << 2);
          }
          if (o < co) tile4x4(xTap + (<usize>i << 2), xRow, xPix, dyTap + (<usize>o << 2), dyRow, dyPix, rows, cols, dwTap + (<usize>(i * co + o) << 2), <usize>co << 2);
        }
        for (; i < ci; i++) {
          let o = 0;
          for (; o + 16 <= co; o += 16) {
            tile1x16(xTap + (<usize>i << 2), xRow, xPix, dyTap + (<usize>o << 2), dyRow, dyPix, rows, cols, dwTap + (<usize>(i * co + o) << 2));
          }
          for (; o < co; o += 4) {
            tile1x4(xTap + (<usize>i << 2), xRow, xPix, dyTap + (<usize>o << 2), dyRow, dyPix, rows, cols, dwTap + (<usize>(i * co + o) << 2));
          }
        }
      }
    }
  }
}

// dW[i..i+4, o..o+8] += Σ over rows × cols pixels of X[p, i..i+4] ⊗ dY[p, o..o+8]
@inline function tile4x8(xp: usize, xRow: usize, xPix: usize, dp: usize, dRow: usize, dPix: usize, rows: i32, cols: i32, out: usize, outRow: usize): void {
  let c00 = v128.load(out), c01 = v128.load(out, 16);
  let c10 = v128.load(out + outRow), c11 = v128.load(out + outRow, 16);
  let c20 = v128.load(out + 2 * outRow), c21 = v128.load(out + 2 * outRow, 16);
  let c30 = v128.load(out + 3 * outRow), c31 = v128.load(out + 3 * outRow, 16);
  for (let r = 0; r < rows; r++) {
    let a = xp + <usize>r * xRow;
    let d = dp + <usize>r * dRow;
    for (let c = 0; c < cols; c++) {
      const d0 = v128.load(d), d1 = v128.load(d, 16);
      let s = v128.load32_splat(a);
      c00 = madd(c00, s, d0); c01 = madd(c01, s, d1);
      s = v128.load32_splat(a, 4);
      c10 = madd(c10, s, d0); c11 = madd(c11, s, d1);
      s = v128.load32_splat(a, 8);
      c20 = madd(c20, s, d0); c21 = madd(c21, s, d1);
      s = v128.load32_splat(a, 12);
      c30 = madd(c30, s, d0); c31 = madd(c31, s, d1);
      a += xPix;
      d += dPix;
    }
  }
  v128.store(out, c00); v128.store(out, c01, 16);
  v128.store(out + outRow, c10); v128.store(out + outRow, c11, 16);
  v128.store(out + 2 * outRow, c20); v128.store(out + 2 * outRow, c21, 16);
  v128.store(out + 3 * outRow, c30); v128.store(out + 3 * outRow, c31, 16);
}

@inline function tile4x4(xp: usize, xRow: usize, xPix: usize, dp: usize, dRow: usize, dPix: usize, rows: i32, cols: i32, out: usize, outRow: usize): void {
  let c0 = v128.load(out), c1 = v128.load(out + outRow), c2 = v128.load(out + 2 * outRow), c3 = v128.load(out + 3 * outRow);
  for (let r = 0; r < rows; r++) {
    let a = xp + <usize>r * xRow;
    let d = dp + <usize>r * dRow;
    for (let c = 0; c < cols; c++) {
      const d0 = v128.load(d);
      c0 = madd(c0, v128.load32_splat(a), d0);
      c1 = madd(c1, v128.load32_splat(a, 4), d0);
      c2 = madd(c2, v128.load32_splat(a, 8), d0);
      c3 = madd(c3, v128.load32_splat(a, 12), d0);
      a += xPix;
      d += dPix;
    }
  }
  v128.store(out, c0); v128.store(out + outRow, c1); v128.store(out + 2 * outRow, c2); v128.store(out + 3 * outRow, c3);
}

@inline function tile1x16(xp: usize, xRow: usize, xPix: usize, dp: usize, dRow: usize, dPix: usize, rows: i32, cols: i32, out: usize): void {
  let c0 = v128.load(out), c1 = v128.load(out, 16), c2 = v128.load(out, 32), c3 = v128.load(out, 48);
  for (let r = 0; r < rows; r++) {
    let a = xp + <usize>r * xRow;
    let d = dp + <usize>r * dRow;
    for (let c = 0; c < cols; c++) {
      const s = v128.load32_splat(a);
      c0 = madd(c0, s, v128.load(d));
      c1 = madd(c1, s, v128.load(d, 16));
      c2 = madd(c2, s, v128.load(d, 32));
      c3 = madd(c3, s, v128.load(d, 48));
      a += xPix;
      d += dPix;
    }
  }
  v128.store(out, c0); v128.store(out, c1, 16); v128.store(out, c2, 32); v128.store(out, c3, 48);
}

@inline function tile1x4(xp: usize, xRow: usize, xPix: usize, dp: usize, dRow: usize, dPix: usize, rows: i32, cols: i32, out: usize): void {
  let c0 = v128.load(out);
  for (let r = 0; r < rows; r++) {
    let a = xp + <usize>r * xRow;
    let d = dp + <usize>r * dRow;
    for (let c = 0; c < cols; c++) {
      c0 = madd(c0, v128.load32_splat(a), v128.load(d));
      a += xPix;
      d += dPix;
    }
  }
  v128.store(out, c0);
}

// ---------------------------------------------------------------------------------------------
// Convolution, stride 1, on an image already padded (so no bounds checks): 
//   Y[b, y, x, o] = Σ_{ky, kx, i} P[b, y + ky, x + kx, i] · W[ky, kx, i, o]
// with P of size hp × wp and Y of size (hp − kh + 1) × (wp − kw + 1). The forward pass ('same'
// or 'valid' after padding) and the input gradient (dY padded by K − 1 − pad, W rotated with
// channels swapped) both run here. Register tile: 4 neighbouring pixels × 8 output channels.
// Output channels must be a multiple of 4 (the caller checks).

export function conv2dPadded(
  p: usize, w: usize, y: usize,
  n: i32, hp: i32, wp: i32, ci: i32, co: i32, kh: i32, kw: i32,
): void {
  const oh = hp - kh + 1;
  const ow = wp - kw + 1;
  const pRow = <usize>(wp * ci) << 2;
  const pPix = <usize>ci << 2;
  const wTap = <usize>(ci * co) << 2;
  const wRow = <usize>co << 2;
  for (let b = 0; b < n; b++) {
    for (let r = 0; r < oh; r++) {
      const pBase = p + (<usize>((b * hp + r) * wp * ci) << 2);
      const yBase = y + (<usize>((b * oh + r) * ow * co) << 2);
      let x = 0;
      for (; x + 4 <= ow; x += 4) {
        const pAt = pBase + <usize>x * pPix;
        const yAt = yBase + (<usize>(x * co) << 2);
        let o = 0;
        for (; o + 8 <= co; o += 8) conv4x8(pAt, pRow, pPix, w + (<usize>o << 2), wTap, wRow, ci, kh, kw, yAt + (<usize>o << 2), <usize>co << 2);
        if (o < co) conv4x4(pAt, pRow, pPix, w + (<usize>o << 2), wTap, wRow, ci, kh, kw, yAt + (<usize>o << 2), <usize>co << 2);
      }
      for (; x < ow; x++) {
        const pAt = pBase + <usize>x * pPix;
        const yAt = yBase + (<usize>(x * co) << 2);
        for (let o = 0; o < co; o += 4) conv1x4(pAt, pRow, pPix, w + (<usize>o << 2), wTap, wRow, ci, kh, kw, yAt + (<usize>o << 2));
      }
    }
  }
}

@inline function conv4x8(pAt: usize, pRow: usize, pPix: usize, wAt: usize, wTap: usize, wRow: usize, ci: i32, kh: i32, kw: i32, out: usize, outPix: usize): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  for (let ky = 0; ky < kh; ky++) {
    for (let kx = 0; kx < kw; kx++) {
      let a = pAt + <usize>ky * pRow + <usize>kx * pPix;
      let wp = wAt + <usize>(ky * kw + kx) * wTap;
      for (let i = 0; i < ci; i++) {
        const w0 = v128.load(wp), w1 = v128.load(wp, 16);
        let s = v128.load32_splat(a);
        c00 = madd(c00, s, w0); c01 = madd(c01, s, w1);
        s = v128.load32_splat(a + pPix);
        c10 = madd(c10, s, w0); c11 = madd(c11, s, w1);
        s = v128.load32_splat(a + 2 * pPix);
        c20 = madd(c20, s, w0); c21 = madd(c21, s, w1);
        s = v128.load32_splat(a + 3 * pPix);
        c30 = madd(c30, s, w0); c31 = madd(c31, s, w1);
        a += 4;
        wp += wRow;
      }
    }
  }
  v128.store(out, c00); v128.store(out, c01, 16);
  v128.store(out + outPix, c10); v128.store(out + outPix, c11, 16);
  v128.store(out + 2 * outPix, c20); v128.store(out + 2 * outPix, c21, 16);
  v128.store(out + 3 * outPix, c30); v128.store(out + 3 * outPix, c31, 16);
}

@inline function conv4x4(pAt: usize, pRow: usize, pPix: usize, wAt: usize, wTap: usize, wRow: usize, ci: i32, kh: i32, kw: i32, out: usize, outPix: usize): void {
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
  for (let ky = 0; ky < kh; ky++) {
    for (let kx = 0; kx < kw; kx++) {
      let a = pAt + <usize>ky * pRow + <usize>kx * pPix;
      let wp = wAt + <usize>(ky * kw + kx) * wTap;
      for (let i = 0; i < ci; i++) {
        const w0 = v128.load(wp);
        c0 = madd(c0, v128.load32_splat(a), w0);
        c1 = madd(c1, v128.load32_splat(a + pPix), w0);
        c2 = madd(c2, v128.load32_splat(a + 2 * pPix), w0);
        c3 = madd(c3, v128.load32_splat(a + 3 * pPix), w0);
        a += 4;
        wp += wRow;
      }
    }
  }
  v128.store(out, c0); v128.store(out + outPix, c1); v128.store(out + 2 * outPix, c2); v128.store(out + 3 * outPix, c3);
}

@inline function conv1x4(pAt: usize, pRow: usize, pPix: usize, wAt: usize, wTap: usize, wRow: usize, ci: i32, kh: i32, kw: i32, out: usize): void {
  let c0 = f32x4.splat(0);
  for (let ky = 0; ky < kh; ky++) {
    for (let kx = 0; kx < kw; kx++) {
      let a = pAt + <usize>ky * pRow + <usize>kx * pPix;
      let wp = wAt + <usize>(ky * kw + kx) * wTap;
      for (let i = 0; i < ci; i++) {
        c0 = madd(c0, v128.load32_splat(a), v128.load(wp));
        a += 4;
        wp += wRow;
      }
    }
  }
  v128.store(out, c0);
}

/** Copies X (n × h × w × c) into the middle of P (n × hp × wp × c), zeros around. */
export function padImage(x: usize, p: usize, n: i32, h: i32, w: i32, c: i32, top: i32, left: i32, hp: i32, wp: i32): void {
  memory.fill(p, 0, <usize>(n * hp * wp * c) << 2);
  const rowBytes = <usize>(w * c) << 2;
  for (let b = 0; b < n; b++) {
    for (let r = 0; r < h; r++) {
      memory.copy(p + (<usize>(((b * hp + r + top) * wp + left) * c) << 2), x + (<usize>((b * h + r) * w * c) << 2), rowBytes);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// MaxPoolGrad: dX = 0, then for each window the first maximum (row-major window order, ties to
// the earliest, NaN never wins — as TensorFlow and the 'cpu' backend) receives dY. Channels in
// groups of 4 when c % 4 == 0, else one at a time.

export function maxPoolGrad(
  x: usize, dy: usize, dx: usize,
  n: i32, h: i32, w: i32, c: i32,
  oh: i32, ow: i32, fh: i32, fw: i32, sh: i32, sw: i32, top: i32, left: i32,
): void {
  memory.fill(dx, 0, <usize>(n * h * w * c) << 2);
  const lanes = i32x4(0, 1, 2, 3);
  const vector = (c & 3) == 0;
  for (let b = 0; b < n; b++) {
    for (let yr = 0; yr < oh; yr++) {
      const r0 = yr * sh - top;
      const rMin = max(0, r0);
      const rMax = min(h, r0 + fh);
      for (let yc = 0; yc < ow; yc++) {
        const c0 = yc * sw - left;
        const cMin = max(0, c0);
        const cMax = min(w, c0 + fw);
        const dyAt = ((b * oh + yr) * ow + yc) * c;
        if (vector) {
          for (let d = 0; d < c; d += 4) {
            let best = f32x4.splat(-Infinity);
            let at = i32x4.splat(-1);
            for (let r = rMin; r < rMax; r++) {
              for (let col = cMin; col < cMax; col++) {
                const index = ((b * h + r) * w + col) * c + d;
                const v = v128.load(x + (<usize>index << 2));
                const wins = f32x4.gt(v, best);
                best = v128.bitselect(v, best, wins);
                at = v128.bitselect(i32x4.add(i32x4.splat(index), lanes), at, wins);
              }
            }
            const g = v128.load(dy + (<usize>(dyAt + d) << 2));
            addAt(dx, i32x4.extract_lane(at, 0), f32x4.extract_lane(g, 0));
            addAt(dx, i32x4.extract_lane(at, 1), f32x4.extract_lane(g, 1));
            addAt(dx, i32x4.extract_lane(at, 2), f32x4.extract_lane(g, 2));
            addAt(dx, i32x4.extract_lane(at, 3), f32x4.extract_lane(g, 3));
          }
        } else {
          for (let d = 0; d < c; d++) {
            let best = -Infinity;
            let at = -1;
            for (let r = rMin; r < rMax; r++) {
              for (let col = cMin; col < cMax; col++) {
                const index = ((b * h + r) * w + col) * c + d;
                const v = load<f32>(x + (<usize>index << 2));
                if (v > best) {
                  best = v;
                  at = index;
                }
              }
            }
            addAt(dx, at, load<f32>(dy + (<usize>(dyAt + d) << 2)));
          }
        }
      }
    }
  }
}

@inline function addAt(base: usize, index: i32, value: f32): void {
  if (index < 0) return;
  const p = base + (<usize>index << 2);
  store<f32>(p, load<f32>(p) + value);
}

// ---------------------------------------------------------------------------------------------
// A layer's bias, ReLU and line mask in one pass (the line recogniser, line-model.ts), and the
// gradient of all three in one pass back.
//   Y[r, p, i] = max(X[r, p, i] + B[i], 0) for pixels p < valid, 0 past the line's end.
// One image (rows × cols pixels of c channels) per call.

export function biasReluMask(x: usize, b: usize, y: usize, rows: i32, cols: i32, c: i32, valid: i32): void {
  const keep = max(0, min(valid, cols));
  const rowBytes = <usize>(cols * c) << 2;
  const keepBytes = <usize>(keep * c) << 2;
  const zero = f32x4.splat(0);
  for (let r = 0; r < rows; r++) {
    const xr = x + <usize>r * rowBytes;
    const yr = y + <usize>r * rowBytes;
    for (let p = 0; p < keep; p++) {
      const xp = xr + (<usize>(p * c) << 2);
      const yp = yr + (<usize>(p * c) << 2);
      let i = 0;
      for (; i + 4 <= c; i += 4) {
        const at = <usize>i << 2;
        v128.store(yp + at, f32x4.max(f32x4.add(v128.load(xp + at), v128.load(b + at)), zero));
      }
      for (; i < c; i++) {
        const at = <usize>i << 2;
        const v = load<f32>(xp + at) + load<f32>(b + at);
        store<f32>(yp + at, v > 0 ? v : 0);
      }
    }
    if (keepBytes < rowBytes) memory.fill(yr + keepBytes, 0, rowBytes - keepBytes);
  }
}

//   dX = dY where Y > 0, else 0;  dB[i] = Σ over the count pixels of dX[p, i]
export function reluBiasGrad(dy: usize, y: usize, dx: usize, db: usize, count: i32, c: i32): void {
  memory.fill(db, 0, <usize>c << 2);
  const zero = f32x4.splat(0);
  const pix = <usize>c << 2;
  for (let p = 0; p < count; p++) {
    const base = <usize>p * pix;
    let i = 0;
    for (; i + 4 <= c; i += 4) {
      const at = <usize>i << 2;
      const g = v128.and(v128.load(dy + base + at), f32x4.gt(v128.load(y + base + at), zero));
      v128.store(dx + base + at, g);
      v128.store(db + at, f32x4.add(v128.load(db + at), g));
    }
    for (; i < c; i++) {
      const at = <usize>i << 2;
      const g = load<f32>(y + base + at) > 0 ? load<f32>(dy + base + at) : <f32>0;
      store<f32>(dx + base + at, g);
      store<f32>(db + at, load<f32>(db + at) + g);
    }
  }
}
