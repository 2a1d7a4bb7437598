/**
 * A page scanned or photographed at a slant: how far its lines of writing slope, and turning the
 * page straight.
 *
 * The slope: each character-sized component's foot (the bottom of its box, at its centre) is
 * projected across the page at each candidate angle; at the lines' own angle the feet fall into
 * a few narrow bands (one per line), so the projection's sum of squares peaks there (the
 * projection-profile method, Postl 1986, on components rather than pixels).
 */
import type { Component } from './components.ts';
import type { GrayImage } from './gray.ts';
import { sampleBilinear } from './resample.ts';

/** Slopes tried, in degrees (clockwise positive: the line's right end lower), and their step. */
export const MAX_SKEW = 20;
const STEP = 0.25;
/** Slopes smaller than this are left alone: the rows and lines found follow them well enough, and turning costs sharpness. */
export const MIN_SKEW = 2.5;

/**
 * How far the writing's lines slope, in degrees clockwise (the right end lower), or 0 where it
 * cannot be told (fewer than `minimum` characters).
 */
export function skewAngle(components: readonly Component[], charHeight: number, minimum = 12): number {
  const feet = components
    .filter((c) => {
      const h = c.y1 - c.y0;
      const w = c.x1 - c.x0;
      return h >= 0.4 * charHeight && h <= 2.5 * charHeight && w <= 3 * charHeight;
    })
    .map((c) => ({ x: (c.x0 + c.x1) / 2, y: c.y1 }));
  if (feet.length < minimum) return 0;
  const bin = Math.max(1, charHeight / 4);
  let best = 0;
  let bestScore = -Infinity;
  for (let a = -MAX_SKEW; a <= MAX_SKEW + 1e-9; a += STEP) {
    const t = Math.tan((a * Math.PI) / 180);
    const counts = new Map<number, number>();
    for (const f of feet) {
      const k = Math.round((f.y - f.x * t) / bin);
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    let score = 0;
    for (const n of counts.values()) score += n * n;
    // Ties (a page of one short line) go to the smaller slope.
    if (score > bestScore + 1e-9 || (Math.abs(score - bestScore) <= 1e-9 && Math.abs(a) < Math.abs(best))) {
      bestScore = score;
      best = a;
    }
  }
  return Math.round(best / STEP) * STEP;
}

/**
 * The image turned `degrees` clockwise about its centre, on a canvas that holds all of it; what
 * the canvas adds is `fill`, or with 'edge' the nearest pixel of the image's border (paper
 * continues as paper, however the light falls).
 */
export function rotateImage(img: GrayImage, degrees: number, fill: number | 'edge' = 1): GrayImage {
  const a = (degrees * Math.PI) / 180;
  const [c, s] = [Math.cos(a), Math.sin(a)];
  const { width: w, height: h } = img;
  const W = Math.ceil(Math.abs(w * c) + Math.abs(h * s));
  const H = Math.ceil(Math.abs(w * s) + Math.abs(h * c));
  const out = new Float32Array(W * H);
  const [cx, cy, CX, CY] = [(w - 1) / 2, (h - 1) / 2, (W - 1) / 2, (H - 1) / 2];
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      // The source of (x, y): turned back by -degrees.
      const [dx, dy] = [x - CX, y - CY];
      const sx = c * dx + s * dy + cx;
      const sy = -s * dx + c * dy + cy;
      const outside = sx < -0.5 || sy < -0.5 || sx > w - 0.5 || sy > h - 0.5;
      out[y * W + x] = outside && fill !== 'edge' ? fill : sampleBilinear(img.data, w, h, Math.min(w - 1, Math.max(0, sx)), Math.min(h - 1, Math.max(0, sy)));
    }
  return { width: W, height: H, data: out };
}
