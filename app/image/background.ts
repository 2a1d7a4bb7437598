/**
 * Illumination normalisation: phone photos of paper are lit unevenly (vignetting, shadows, a
 * dim corner), so a global threshold on brightness fails. The paper's own brightness is
 * estimated on a coarse grid (a high percentile per cell), closed (the brightest of each cell's
 * neighbours, so cells filled by a stroke take their neighbours' paper, then the darkest of
 * those, so a shadow larger than a cell keeps its edge instead of being lit up around it),
 * smoothed and interpolated back; ink is how much darker a pixel is than the paper under it.
 */
import type { GrayImage } from './gray.ts';

export interface BackgroundOptions {
  /** Grid cell size in pixels; must exceed the stroke width. Default: longer side / 64, ≥ 8. */
  cell?: number;
  /** Percentile of brightness taken as paper within a cell. */
  percentile?: number;
}

/** Paper brightness under every pixel of a brightness image (same size). */
export function estimateBackground(img: GrayImage, options: BackgroundOptions = {}): GrayImage {
  const { width: w, height: h, data } = img;
  const cell = Math.max(2, Math.round(options.cell ?? Math.max(8, Math.max(w, h) / 64)));
  const pct = options.percentile ?? 0.9;
  const gw = Math.ceil(w / cell);
  const gh = Math.ceil(h / cell);
  const grid = new Float32Array(gw * gh);
  const hist = new Int32Array(64);
  for (let gy = 0; gy < gh; gy++) {
    for (let gx = 0; gx < gw; gx++) {
      hist.fill(0);
      const x0 = gx * cell;
      const y0 = gy * cell;
      const x1 = Math.min(w, x0 + cell);
      const y1 = Math.min(h, y0 + cell);
      for (let y = y0; y < y1; y++) {
        const row = y * w;
        for (let x = x0; x < x1; x++) hist[Math.min(63, Math.max(0, (data[row + x]! * 64) | 0))]!++;
      }
      const want = pct * (x1 - x0) * (y1 - y0);
      let acc = 0;
      let bin = 0;
      for (; bin < 63; bin++) {
        acc += hist[bin]!;
        if (acc >= want) break;
      }
      grid[gy * gw + gx] = (bin + 0.5) / 64;
    }
  }
  const closed = neighbourhood3(neighbourhood3(grid, gw, gh, 'max'), gw, gh, 'min');
  const paper = neighbourhood3(closed, gw, gh, 'mean');
  return upsampleBilinear(paper, gw, gh, cell, w, h);
}

/**
 * Ink darkness relative to the paper, 0 (paper) .. 1 (black), for a brightness image: the
 * first stage of segmentation.
 */
export function inkMap(img: GrayImage, background = estimateBackground(img)): GrayImage {
  const out = new Float32Array(img.data.length);
  const bg = background.data;
  for (let i = 0; i < out.length; i++) {
    const b = Math.max(bg[i]!, 1 / 255);
    const v = 1 - img.data[i]! / b;
    out[i] = v < 0 ? 0 : v > 1 ? 1 : v;
  }
  return { width: img.width, height: img.height, data: out };
}

/** Each cell from its 3×3 neighbourhood (the cells that exist): their maximum, minimum or mean. */
function neighbourhood3(g: Float32Array, w: number, h: number, reduce: 'max' | 'min' | 'mean'): Float32Array {
  const out = new Float32Array(g.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let m = 0;
      let lo = Infinity;
      let s = 0;
      let n = 0;
      for (let yy = Math.max(0, y - 1); yy <= Math.min(h - 1, y + 1); yy++) {
        for (let xx = Math.max(0, x - 1); xx <= Math.min(w - 1, x + 1); xx++) {
          const v = g[yy * w + xx]!;
          m = Math.max(m, v);
          lo = Math.min(lo, v);
          s += v;
          n++;
        }
      }
      out[y * w + x] = reduce === 'max' ? m : reduce === 'min' ? lo : s / n;
    }
  }
  return out;
}

/** Grid values sit at cell centres; pixels between them are interpolated, edges clamped. */
function upsampleBilinear(g: Float32Array, gw: number, gh: number, cell: number, w: number, h: number): GrayImage {
  const out = new Float32Array(w * h);
  const xi0 = new Int32Array(w);
  const xi1 = new Int32Array(w);
  const xf = new Float32Array(w);
  for (let x = 0; x < w; x++) {
    const gx = Math.min(gw - 1, Math.max(0, (x + 0.5) / cell - 0.5));
    xi0[x] = Math.floor(gx);
    xi1[x] = Math.min(gw - 1, xi0[x]! + 1);
    xf[x] = gx - xi0[x]!;
  }
  for (let y = 0; y < h; y++) {
    const gy = Math.min(gh - 1, Math.max(0, (y + 0.5) / cell - 0.5));
    const y0 = Math.floor(gy);
    const y1 = Math.min(gh - 1, y0 + 1);
    const fy = gy - y0;
    const r0 = y0 * gw;
    const r1 = y1 * gw;
    for (let x = 0; x < w; x++) {
      const a = g[r0 + xi0[x]!]! + (g[r0 + xi1[x]!]! - g[r0 + xi0[x]!]!) * xf[x]!;
      const b = g[r1 + xi0[x]!]! + (g[r1 + xi1[x]!]! - g[r1 + xi0[x]!]!) * xf[x]!;
      out[y * w + x] = a + (b - a) * fy;
    }
  }
  return { width: w, height: h, data: out };
}
