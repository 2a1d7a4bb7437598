/**
 * Pages that come turned (a scanner or a messaging app that turned the pixels and left no EXIF
 * tag): which way the writing runs, and turning an image by quarter turns.
 *
 * Writing runs along its lines: a character's nearest neighbour is mostly beside it, not above or
 * below it (that one is a line away). Where most characters' nearest neighbours are above or
 * below them, the page lies on its side. Upside down is for the reader to tell: letters read
 * worse upside down (recognizer.ts).
 */
import type { Component } from './components.ts';
import type { GrayImage } from './gray.ts';

/** Turns an image clockwise by `quarters` quarter turns (0–3); its other fields (originalWidth/Height) follow. */
export function turnImage<T extends GrayImage & { originalWidth?: number; originalHeight?: number }>(img: T, quarters: number): T {
  const q = ((quarters % 4) + 4) % 4;
  if (q === 0) return img;
  const { width: w, height: h, data } = img;
  const out = new Float32Array(w * h);
  const W = q === 2 ? w : h;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const v = data[y * w + x]!;
      // (x, y) → clockwise 90: (h−1−y, x); 180: (w−1−x, h−1−y); 270: (y, w−1−x).
      const [nx, ny] = q === 1 ? [h - 1 - y, x] : q === 2 ? [w - 1 - x, h - 1 - y] : [y, w - 1 - x];
      out[ny * W + nx] = v;
    }
  }
  const turned = { ...img, data: out, width: q === 2 ? w : h, height: q === 2 ? h : w };
  if (q !== 2 && img.originalWidth !== undefined && img.originalHeight !== undefined) {
    turned.originalWidth = img.originalHeight;
    turned.originalHeight = img.originalWidth;
  }
  return turned;
}

/**
 * Whether the writing made of these components runs up or down the page rather than across it:
 * of the characters (components at least half the typical height, at most 3 heights wide), at
 * least `share` have their nearest neighbour above or below. Needs `minimum` characters; with
 * fewer (a word, a name in a box) it says false.
 */
export function writingRunsVertically(components: readonly Component[], charHeight: number, share = 0.65, minimum = 12): boolean {
  const chars = components.filter((c) => {
    const side = Math.max(c.x1 - c.x0, c.y1 - c.y0);
    return side >= 0.5 * charHeight && side <= 3 * charHeight;
  });
  if (chars.length < minimum) return false;
  const centre = chars.map((c) => ({ x: (c.x0 + c.x1) / 2, y: (c.y0 + c.y1) / 2 }));
  let vertical = 0;
  let counted = 0;
  // Nearest neighbours among the characters (sorted by x: the search stops beyond the best distance).
  const order = centre.map((_, i) => i).sort((a, b) => centre[a]!.x - centre[b]!.x);
  const rank = new Int32Array(order.length);
  order.forEach((i, r) => (rank[i] = r));
  for (let i = 0; i < centre.length; i++) {
    const p = centre[i]!;
    let best = Infinity;
    let dx = 0;
    let dy = 0;
    for (const step of [-1, 1]) {
      for (let r = rank[i]! + step; r >= 0 && r < order.length; r += step) {
        const q = centre[order[r]!]!;
        const ex = q.x - p.x;
        if (ex * ex >= best) break;
        const d = ex * ex + (q.y - p.y) ** 2;
        if (d < best) [best, dx, dy] = [d, ex, q.y - p.y];
      }
    }
    if (!Number.isFinite(best) || best > (4 * charHeight) ** 2) continue;
    counted++;
    if (Math.abs(dy) > Math.abs(dx)) vertical++;
  }
  return counted >= minimum && vertical >= share * counted;
}
