/**
 * Pixel sampling and 3×3 morphology on plain float images (row-major, width × height), shared by
 * the line cutter, the synthetic lines and the line augmentation.
 */

/** The bilinear value at (x, y) in pixel-index coordinates (pixel i's centre is at i); 0 outside. */
export function sampleBilinear(data: ArrayLike<number>, width: number, height: number, x: number, y: number): number {
  const x0 = Math.floor(x);
  const y0 = Math.floor(y);
  const ax = x - x0;
  const ay = y - y0;
  const at = (xx: number, yy: number) => (xx < 0 || yy < 0 || xx >= width || yy >= height ? 0 : data[yy * width + xx]!);
  return (1 - ay) * ((1 - ax) * at(x0, y0) + ax * at(x0 + 1, y0)) + ay * ((1 - ax) * at(x0, y0 + 1) + ax * at(x0 + 1, y0 + 1));
}

/** Each pixel with its four neighbours: 'dilate' keeps the largest (thicker ink), 'erode' the smallest. */
export function crossMorph(src: Float32Array, width: number, height: number, op: 'dilate' | 'erode'): Float32Array {
  const pick = op === 'dilate' ? Math.max : Math.min;
  const out = new Float32Array(src.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let v = src[y * width + x]!;
      if (x > 0) v = pick(v, src[y * width + x - 1]!);
      if (x + 1 < width) v = pick(v, src[y * width + x + 1]!);
      if (y > 0) v = pick(v, src[(y - 1) * width + x]!);
      if (y + 1 < height) v = pick(v, src[(y + 1) * width + x]!);
      out[y * width + x] = v;
    }
  }
  return out;
}
