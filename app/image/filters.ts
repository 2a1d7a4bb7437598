/** Small neighbourhood filters on gray images. */
import type { GrayImage } from './gray.ts';

/** 3×3 mean (edges use the pixels that exist): takes the grain off a full-size ink map. */
export function boxBlur3(img: GrayImage): GrayImage {
  const { width: w, height: h, data } = img;
  const tmp = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    const row = y * w;
    for (let x = 0; x < w; x++) {
      let s = data[row + x]!;
      let n = 1;
      if (x > 0) {
        s += data[row + x - 1]!;
        n++;
      }
      if (x < w - 1) {
        s += data[row + x + 1]!;
        n++;
      }
      tmp[row + x] = s / n;
    }
  }
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let s = tmp[y * w + x]!;
      let n = 1;
      if (y > 0) {
        s += tmp[(y - 1) * w + x]!;
        n++;
      }
      if (y < h - 1) {
        s += tmp[(y + 1) * w + x]!;
        n++;
      }
      out[y * w + x] = s / n;
    }
  }
  return { width: w, height: h, data: out };
}
