/**
 * A text line cut out of a page for the line recogniser: sampled along its baseline, so a line
 * that curves or slopes comes out straight, with only the ink inside its outline (the
 * neighbouring lines' ascenders and descenders stay behind), scaled to a fixed height.
 */
import type { GrayImage, Point } from './gray.ts';
import { sampleBilinear } from './resample.ts';

export interface LineShape {
  polygon: readonly Point[];
  /** Left to right; when it has fewer than two points, a straight one is assumed at 3/4 of the outline's height. */
  baseline: readonly Point[];
}

/** Height of the images the line recogniser reads. */
export const LINE_HEIGHT = 48;

/**
 * The line as ink (0 paper .. 1 ink) of the given height, from an ink map of the whole page
 * (app/image/background.ts inkMap). Its width follows the line's length at the same scale.
 */
export function cutLine(ink: GrayImage, line: LineShape, height = LINE_HEIGHT): GrayImage {
  if (line.polygon.length < 3) throw new RangeError(`cutLine: an outline needs at least 3 points, got ${line.polygon.length}`);
  const mask = rasterize(line.polygon);
  const path = extendToOutline(baselineOf(line), line.polygon);
  const { above, below } = extent(path, line.polygon);
  const scale = height / (above + below);
  const length = path.lengths[path.lengths.length - 1]!;
  const width = Math.max(1, Math.round(length * scale));
  const out = new Float32Array(width * height);
  // Shrinking averages several samples a pixel, so thin strokes do not vanish.
  const sub = Math.min(3, Math.max(1, Math.ceil(1 / scale)));
  for (let j = 0; j < width; j++) {
    for (let s = 0; s < sub; s++) {
      const { x: px, y: py, nx, ny } = pointAt(path, (j + (s + 0.5) / sub) / scale);
      for (let i = 0; i < height; i++) {
        let sum = 0;
        for (let r = 0; r < sub; r++) {
          const v = -above + (i + (r + 0.5) / sub) / scale;
          const x = px + v * nx;
          const y = py + v * ny;
          if (mask.inside(x, y)) sum += sampleBilinear(ink.data, ink.width, ink.height, x - 0.5, y - 0.5);
        }
        out[i * width + j]! += sum / (sub * sub);
      }
    }
  }
  return { width, height, data: out };
}

interface Path {
  points: Point[];
  /** Arc length at each point. */
  lengths: number[];
}

function baselineOf(line: LineShape): Point[] {
  let pts = line.baseline.filter((p, i, all) => i === 0 || p.x !== all[i - 1]!.x || p.y !== all[i - 1]!.y);
  if (pts.length < 2) {
    const ys = line.polygon.map((p) => p.y);
    const xs = line.polygon.map((p) => p.x);
    const y = Math.min(...ys) + 0.75 * (Math.max(...ys) - Math.min(...ys));
    pts = [
      { x: Math.min(...xs), y },
      { x: Math.max(...xs), y },
    ];
  }
  return pts[0]!.x > pts[pts.length - 1]!.x ? [...pts].reverse() : [...pts];
}

/** Baselines often stop short of the first and last stroke: extend both ends to the outline's reach along them. */
function extendToOutline(points: Point[], polygon: readonly Point[]): Path {
  const [a, b] = [points[0]!, points[1]!];
  const [c, d] = [points[points.length - 2]!, points[points.length - 1]!];
  const start = unit(b.x - a.x, b.y - a.y);
  const end = unit(d.x - c.x, d.y - c.y);
  let before = 0;
  let after = 0;
  for (const p of polygon) {
    before = Math.max(before, -((p.x - a.x) * start.x + (p.y - a.y) * start.y));
    after = Math.max(after, (p.x - d.x) * end.x + (p.y - d.y) * end.y);
  }
  const pts = [{ x: a.x - before * start.x, y: a.y - before * start.y }, ...points.slice(1, -1), { x: d.x + after * end.x, y: d.y + after * end.y }];
  const lengths = [0];
  for (let i = 1; i < pts.length; i++) lengths.push(lengths[i - 1]! + Math.hypot(pts[i]!.x - pts[i - 1]!.x, pts[i]!.y - pts[i - 1]!.y));
  return { points: pts, lengths };
}

/** How far the outline reaches above and below the baseline (robustly: a stray point does not double the line). */
function extent(path: Path, polygon: readonly Point[]): { above: number; below: number } {
  const ups: number[] = [];
  const downs: number[] = [];
  for (const p of polygon) {
    const d = signedDistance(path, p);
    (d < 0 ? ups : downs).push(Math.abs(d));
  }
  const reach = (v: number[]) => (v.length ? v.sort((x, y) => x - y)[Math.floor(0.9 * (v.length - 1))]! : 0);
  const above = Math.max(reach(ups), 4);
  const below = Math.max(reach(downs), 0.25 * above, 2);
  return { above, below };
}

/** Distance from the baseline, positive below it (towards larger y for a left-to-right line). */
function signedDistance(path: Path, p: Point): number {
  let best = Infinity;
  let sign = 1;
  for (let i = 1; i < path.points.length; i++) {
    const a = path.points[i - 1]!;
    const b = path.points[i]!;
    const dx = b.x - a.x;
    const dy = b.y - a.y;
    const len2 = dx * dx + dy * dy || 1;
    const t = Math.max(0, Math.min(1, ((p.x - a.x) * dx + (p.y - a.y) * dy) / len2));
    const qx = a.x + t * dx;
    const qy = a.y + t * dy;
    const dist = Math.hypot(p.x - qx, p.y - qy);
    if (dist < best) {
      best = dist;
      sign = dx * (p.y - a.y) - dy * (p.x - a.x) >= 0 ? 1 : -1;
    }
  }
  return sign * best;
}

/** The baseline's point at arc length u, with the unit normal pointing below the line. */
function pointAt(path: Path, u: number): { x: number; y: number; nx: number; ny: number } {
  const { points, lengths } = path;
  let i = 1;
  while (i < points.length - 1 && lengths[i]! < u) i++;
  const a = points[i - 1]!;
  const b = points[i]!;
  const seg = lengths[i]! - lengths[i - 1]! || 1;
  const t = (u - lengths[i - 1]!) / seg;
  const dir = unit(b.x - a.x, b.y - a.y);
  return { x: a.x + t * (b.x - a.x), y: a.y + t * (b.y - a.y), nx: -dir.y, ny: dir.x };
}

function unit(x: number, y: number): Point {
  const n = Math.hypot(x, y) || 1;
  return { x: x / n, y: y / n };
}

/** Even-odd fill of a polygon on a pixel grid over its bounding box. */
function rasterize(polygon: readonly Point[]): { inside(x: number, y: number): boolean } {
  const x0 = Math.floor(Math.min(...polygon.map((p) => p.x)));
  const y0 = Math.floor(Math.min(...polygon.map((p) => p.y)));
  const w = Math.ceil(Math.max(...polygon.map((p) => p.x))) - x0 + 1;
  const h = Math.ceil(Math.max(...polygon.map((p) => p.y))) - y0 + 1;
  const bits = new Uint8Array(w * h);
  const crossings: number[] = [];
  for (let row = 0; row < h; row++) {
    const y = y0 + row + 0.5;
    crossings.length = 0;
    for (let i = 0; i < polygon.length; i++) {
      const a = polygon[i]!;
      const b = polygon[(i + 1) % polygon.length]!;
      if (a.y <= y !== b.y <= y) crossings.push(a.x + ((y - a.y) / (b.y - a.y)) * (b.x - a.x));
    }
    crossings.sort((p, q) => p - q);
    for (let k = 0; k + 1 < crossings.length; k += 2) {
      const from = Math.max(0, Math.ceil(crossings[k]! - x0 - 0.5));
      const to = Math.min(w - 1, Math.floor(crossings[k + 1]! - x0 - 0.5));
      for (let col = from; col <= to; col++) bits[row * w + col] = 1;
    }
  }
  return {
    inside(x, y) {
      const col = Math.floor(x) - x0;
      const row = Math.floor(y) - y0;
      return col >= 0 && row >= 0 && col < w && row < h && bits[row * w + col] === 1;
    },
  };
}
