/**
 * Connected components of a binary mask (8-connected), two passes with union-find on typed
 * arrays, and the statistics later stages need per component.
 */
import type { Box } from './gray.ts';

export interface Component extends Box {
  /** Label in the label image (1-based). */
  label: number;
  /** Number of ink pixels. */
  area: number;
  /** Pixels on the component's border (ink with a 4-neighbour that is paper): about 2× the stroke length. */
  perimeter: number;
}

export interface Labelling {
  width: number;
  height: number;
  /** 0 = paper, else the component's label. */
  labels: Int32Array;
  components: Component[];
}

export function connectedComponents(mask: Uint8Array, width: number, height: number): Labelling {
  if (mask.length !== width * height) throw new RangeError(`mask has ${mask.length} values, expected ${width}×${height}`);
  const labels = new Int32Array(width * height);
  // Provisional labels: at most one new label per run start, so (w + 1) / 2 per row.
  const parent = new Int32Array(Math.ceil((width + 1) / 2) * height + 1);
  let next = 1;
  const find = (a: number): number => {
    while (parent[a] !== a) {
      parent[a] = parent[parent[a]!]!;
      a = parent[a]!;
    }
    return a;
  };
  const union = (a: number, b: number): number => {
    const ra = find(a);
    const rb = find(b);
    if (ra === rb) return ra;
    if (ra < rb) {
      parent[rb] = ra;
      return ra;
    }
    parent[ra] = rb;
    return rb;
  };

  for (let y = 0; y < height; y++) {
    const row = y * width;
    const up = row - width;
    for (let x = 0; x < width; x++) {
      const i = row + x;
      if (mask[i] === 0) continue;
      let l = 0;
      if (x > 0 && mask[i - 1] !== 0) l = labels[i - 1]!;
      if (y > 0) {
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx;
          if (xx < 0 || xx >= width) continue;
          const n = labels[up + xx]!;
          if (n === 0) continue;
          l = l === 0 ? n : union(l, n);
        }
      }
      if (l === 0) {
        l = next++;
        parent[l] = l;
      }
      labels[i] = l;
    }
  }

  // Second pass: final labels numbered 1.. in raster order of first appearance, with statistics.
  const finalOf = new Int32Array(next);
  const components: Component[] = [];
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) {
      const i = row + x;
      const p = labels[i]!;
      if (p === 0) continue;
      const root = find(p);
      let f = finalOf[root]!;
      if (f === 0) {
        f = components.length + 1;
        finalOf[root] = f;
        components.push({ label: f, x0: x, y0: y, x1: x + 1, y1: y + 1, area: 0, perimeter: 0 });
      }
      labels[i] = f;
      const c = components[f - 1]!;
      if (x < c.x0) c.x0 = x;
      if (x + 1 > c.x1) c.x1 = x + 1;
      c.y1 = y + 1;
      c.area++;
      if (
        x === 0 ||
        x === width - 1 ||
        y === 0 ||
        y === height - 1 ||
        mask[i - 1] === 0 ||
        mask[i + 1] === 0 ||
        mask[i - width] === 0 ||
        mask[i + width] === 0
      ) {
        c.perimeter++;
      }
    }
  }
  return { width, height, labels, components };
}
