/**
 * Binarisation of an ink map (0 paper .. 1 ink): Otsu's threshold on the histogram, then
 * hysteresis so faint parts of a stroke survive when they touch a confident part, while faint
 * specks and the shadows of a grid on their own do not.
 */
import type { GrayImage } from './gray.ts';

const BINS = 256;

/** Otsu's threshold (maximum between-class variance) of values in [0, 1]. */
export function otsuThreshold(values: Float32Array, mask?: (i: number) => boolean): number {
  const hist = new Float64Array(BINS);
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    if (mask && !mask(i)) continue;
    const v = values[i]!;
    hist[Math.min(BINS - 1, Math.max(0, (v * BINS) | 0))]!++;
    n++;
  }
  if (n === 0) return 0.5;
  let total = 0;
  for (let b = 0; b < BINS; b++) total += b * hist[b]!;
  let w0 = 0;
  let sum0 = 0;
  let best = -1;
  let bestBin = BINS / 2;
  for (let b = 0; b < BINS - 1; b++) {
    w0 += hist[b]!;
    sum0 += b * hist[b]!;
    const w1 = n - w0;
    if (w0 === 0 || w1 === 0) continue;
    const m0 = sum0 / w0;
    const m1 = (total - sum0) / w1;
    const between = w0 * w1 * (m0 - m1) * (m0 - m1);
    if (between > best) {
      best = between;
      bestBin = b;
    }
  }
  return (bestBin + 1) / BINS;
}

/** Value at quantile q (0..1) of a sample of the image's values (every `step`-th pixel). */
export function quantile(values: Float32Array, q: number, step = 1): number {
  const sample: number[] = [];
  for (let i = 0; i < values.length; i += step) sample.push(values[i]!);
  if (sample.length === 0) return 0;
  sample.sort((a, b) => a - b);
  return sample[Math.min(sample.length - 1, Math.max(0, Math.floor(q * sample.length)))]!;
}

/**
 * Mask of pixels ≥ low that are 8-connected to a pixel ≥ high (1 = ink). Flood fill from the
 * strong pixels, on typed arrays.
 */
export function hysteresis(img: GrayImage, low: number, high: number): Uint8Array {
  const { width: w, height: h, data } = img;
  const mask = new Uint8Array(w * h);
  const stack = new Int32Array(w * h);
  let top = 0;
  for (let i = 0; i < data.length; i++) {
    if (data[i]! >= high) {
      mask[i] = 1;
      stack[top++] = i;
    }
  }
  while (top > 0) {
    const i = stack[--top]!;
    const x = i % w;
    const y = (i - x) / w;
    for (let dy = -1; dy <= 1; dy++) {
      const yy = y + dy;
      if (yy < 0 || yy >= h) continue;
      for (let dx = -1; dx <= 1; dx++) {
        const xx = x + dx;
        if (xx < 0 || xx >= w) continue;
        const j = yy * w + xx;
        if (mask[j] === 0 && data[j]! >= low) {
          mask[j] = 1;
          stack[top++] = j;
        }
      }
    }
  }
  return mask;
}
