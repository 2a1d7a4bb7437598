/**
 * A sheet of paper photographed on a desk: finding the sheet, and flattening it (the perspective
 * undone, the desk cropped away).
 *
 * Finding: the sheet is the large bright region of the photo. On a copy about 400 px across, the
 * pixels brighter than a threshold between desk and paper (Otsu's, on the blurred brightness) are
 * joined into regions; the largest, with its holes (the writing) filled, is the sheet if it is
 * clearly brighter than what surrounds it and leaves some desk around it. Its corners are the
 * region's extreme points along the two diagonals (a sheet turned less than 45°), refined by
 * fitting a straight line to each side's edge points and intersecting neighbouring sides.
 *
 * Flattening: the homography that takes the found corners to a rectangle as wide as the sheet's
 * longer horizontal side and as high as its longer vertical side; each pixel of the rectangle is
 * sampled from the photo (bilinear).
 */
import { connectedComponents } from './components.ts';
import { downscale, type GrayImage, type Point } from './gray.ts';
import { otsuThreshold } from './threshold.ts';
import { sampleBilinear } from './resample.ts';

/** A 3×3 projective map, row-major: (x, y) → ((h0 x + h1 y + h2) / w, (h3 x + h4 y + h5) / w), w = h6 x + h7 y + h8. */
export type Homography = Float64Array;

/** The map taking src[i] to dst[i] (four points each, no three on a line). */
export function homography(src: readonly Point[], dst: readonly Point[]): Homography {
  if (src.length !== 4 || dst.length !== 4) throw new RangeError('homography: needs four point pairs');
  // Eight equations in h0..h7 (h8 = 1), solved by Gaussian elimination with partial pivoting.
  const a: number[][] = [];
  for (let i = 0; i < 4; i++) {
    const { x, y } = src[i]!;
    const { x: u, y: v } = dst[i]!;
    a.push([x, y, 1, 0, 0, 0, -u * x, -u * y, u]);
    a.push([0, 0, 0, x, y, 1, -v * x, -v * y, v]);
  }
  for (let c = 0; c < 8; c++) {
    let p = c;
    for (let r = c + 1; r < 8; r++) if (Math.abs(a[r]![c]!) > Math.abs(a[p]![c]!)) p = r;
    if (Math.abs(a[p]![c]!) < 1e-12) throw new RangeError('homography: the points are degenerate (three on a line)');
    [a[c], a[p]] = [a[p]!, a[c]!];
    for (let r = 0; r < 8; r++) {
      if (r === c) continue;
      const f = a[r]![c]! / a[c]![c]!;
      for (let k = c; k < 9; k++) a[r]![k]! -= f * a[c]![k]!;
    }
  }
  const h = new Float64Array(9);
  for (let i = 0; i < 8; i++) h[i] = a[i]![8]! / a[i]![i]!;
  h[8] = 1;
  return h;
}

export function applyHomography(h: Homography, p: Point): Point {
  const w = h[6]! * p.x + h[7]! * p.y + h[8]!;
  return { x: (h[0]! * p.x + h[1]! * p.y + h[2]!) / w, y: (h[3]! * p.x + h[4]! * p.y + h[5]!) / w };
}

const dist = (a: Point, b: Point) => Math.hypot(a.x - b.x, a.y - b.y);

/** Width and height of the rectangle a quadrilateral (top-left, top-right, bottom-right, bottom-left) flattens to. */
export function flatSize(corners: readonly Point[]): { width: number; height: number } {
  const [tl, tr, br, bl] = corners as [Point, Point, Point, Point];
  return { width: Math.max(1, Math.round(Math.max(dist(tl, tr), dist(bl, br)))), height: Math.max(1, Math.round(Math.max(dist(tl, bl), dist(tr, br)))) };
}

/**
 * The quadrilateral `corners` (top-left, top-right, bottom-right, bottom-left, in pixels of `img`)
 * flattened into a rectangle of `size` (default flatSize); outside the image reads as `fill`.
 */
export function warpQuad(img: GrayImage, corners: readonly Point[], size = flatSize(corners), fill = 1): GrayImage {
  const { width, height } = size;
  const rect = [
    { x: 0, y: 0 },
    { x: width - 1, y: 0 },
    { x: width - 1, y: height - 1 },
    { x: 0, y: height - 1 },
  ];
  const back = homography(rect, corners);
  const out = new Float32Array(width * height);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const w = back[6]! * x + back[7]! * y + back[8]!;
      const sx = (back[0]! * x + back[1]! * y + back[2]!) / w;
      const sy = (back[3]! * x + back[4]! * y + back[5]!) / w;
      out[y * width + x] = sx < -0.5 || sy < -0.5 || sx > img.width - 0.5 || sy > img.height - 0.5 ? fill : sampleClamped(img, sx, sy);
    }
  return { width, height, data: out };
}

function sampleClamped(img: GrayImage, x: number, y: number): number {
  return sampleBilinear(img.data, img.width, img.height, Math.min(img.width - 1, Math.max(0, x)), Math.min(img.height - 1, Math.max(0, y)));
}

export interface Sheet {
  /** Top-left, top-right, bottom-right, bottom-left, in pixels of the image searched. */
  corners: [Point, Point, Point, Point];
  /** Mean brightness of the sheet and of the desk around it (0 black, 1 white). */
  paper: number;
  desk: number;
}

/** Side of the copy the sheet is looked for on. */
const SEARCH_SIDE = 400;
/** The sheet must cover this share of the photo at least, and leave at least the second share as desk. */
const MIN_SHEET_SHARE = 0.15;
const MIN_DESK_SHARE = 0.04;
/** Paper must be this much brighter than the desk around it. */
const MIN_CONTRAST = 0.12;
/** Brightness lost over two pixels across a sheet's edge (a shadow's edge falls far slower). */
const SHARP_EDGE = 0.15;

/**
 * The sheet of paper in a photo, or null where there is none to tell from the background (a scan,
 * a photo filled by the page, paper on a white table).
 */
export function findSheet(img: GrayImage): Sheet | null {
  const f = Math.max(1, Math.max(img.width, img.height) / SEARCH_SIDE);
  const { width: w, height: h, data: small } = downscale(img, f);
  const blurred = boxBlur(small, w, h, 2);
  const t = otsuThreshold(blurred);
  // The bright region that touches most of the image's middle: the largest bright component.
  const bright = new Uint8Array(w * h);
  for (let i = 0; i < w * h; i++) bright[i] = blurred[i]! > t ? 1 : 0;
  const { labels, components } = connectedComponents(bright, w, h);
  if (components.length === 0) return null;
  const largest = components.reduce((a, b) => (b.area > a.area ? b : a)).label;
  const region = new Uint8Array(w * h);
  for (let i = 0; i < w * h; i++) region[i] = labels[i] === largest ? 1 : 0;
  fillHoles(region, w, h);
  let area = 0;
  let paperSum = 0;
  let deskSum = 0;
  for (let i = 0; i < w * h; i++) {
    if (region[i]) {
      area++;
      paperSum += blurred[i]!;
    } else deskSum += blurred[i]!;
  }
  const share = area / (w * h);
  if (share < MIN_SHEET_SHARE || share > 1 - MIN_DESK_SHARE) return null;
  const paper = paperSum / area;
  const desk = deskSum / (w * h - area);
  if (paper - desk < MIN_CONTRAST) return null;

  const edge = edgePoints(region, w, h);
  if (edge.length < 16) return null;
  const rough = diagonalExtremes(edge);
  const corners = refineCorners(edge, rough) ?? rough;
  // The quadrilateral must be convex and hold most of the region (not a thin sliver or a bow tie).
  if (!convex(corners) || quadArea(corners) < 0.8 * area) return null;
  const scale = (p: Point): Point => ({ x: (p.x + 0.5) * (img.width / w) - 0.5, y: (p.y + 0.5) * (img.height / h) - 0.5 });
  const coarse = corners.map(scale) as Sheet['corners'];
  // A sheet has a sharp edge all round; a soft one is a shadow, the photo's own border is no edge.
  const fine = edgesAtFullSize(img, coarse, f);
  if (!fine) return null;
  const inside = (p: Point): Point => ({ x: Math.min(img.width - 1, Math.max(0, p.x)), y: Math.min(img.height - 1, Math.max(0, p.y)) });
  return { corners: fine.map(inside) as Sheet['corners'], paper, desk };
}

/**
 * The corners again, from the photo at full size: across each side, at points along it, the
 * place where the brightness falls fastest from paper to desk (within a few search pixels); a
 * line fitted to those places, the outliers (writing at the edge, a dog-ear) left out; the lines
 * intersected. Null where a side has too few clear edge points (along half its length at least):
 * a shadow's soft edge, or the photo's border.
 */
function edgesAtFullSize(img: GrayImage, corners: readonly Point[], searchPixel: number): [Point, Point, Point, Point] | null {
  const cx = corners.reduce((s, p) => s + p.x, 0) / 4;
  const cy = corners.reduce((s, p) => s + p.y, 0) / 4;
  const reach = Math.max(6, Math.ceil(2.5 * searchPixel));
  const lines: { p: Point; d: Point }[] = [];
  for (let s = 0; s < 4; s++) {
    const a = corners[s]!;
    const b = corners[(s + 1) % 4]!;
    const len = dist(a, b);
    const d = { x: (b.x - a.x) / len, y: (b.y - a.y) / len };
    let n = { x: -d.y, y: d.x };
    const mid = { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 };
    if ((mid.x - cx) * n.x + (mid.y - cy) * n.y < 0) n = { x: -n.x, y: -n.y }; // outward
    const found: Point[] = [];
    let tried = 0;
    for (let t = 0.08; t <= 0.92; t += 0.02) {
      tried++;
      const p = { x: a.x + t * (b.x - a.x), y: a.y + t * (b.y - a.y) };
      const at = (k: number) => sampleClamped(img, p.x + k * n.x, p.y + k * n.y);
      let best = 0;
      let where = 0;
      for (let k = -reach; k < reach; k++) {
        const drop = at(k - 1) + at(k) - at(k + 1) - at(k + 2); // paper inside, desk outside
        if (drop > best) {
          best = drop;
          where = k + 0.5;
        }
      }
      const at2 = { x: p.x + where * n.x, y: p.y + where * n.y };
      const onBorder = at2.x < 2 || at2.y < 2 || at2.x > img.width - 3 || at2.y > img.height - 3;
      if (best > SHARP_EDGE && !onBorder) found.push(at2);
    }
    if (found.length < 0.5 * tried) return null;
    let line = fitLine(found);
    const off = (q: Point) => Math.abs((q.x - line.p.x) * line.d.y - (q.y - line.p.y) * line.d.x);
    const spread = [...found.map(off)].sort((u, v) => u - v)[Math.floor(found.length / 2)]!;
    const kept = found.filter((q) => off(q) <= Math.max(1.5, 3 * spread));
    if (kept.length < 6) return null;
    line = fitLine(kept);
    // The paper's side of the edge: half a pixel inside, so the flattened sheet holds no desk.
    lines.push({ p: { x: line.p.x - 1.5 * n.x, y: line.p.y - 1.5 * n.y }, d: line.d });
  }
  const out: Point[] = [];
  for (let s = 0; s < 4; s++) {
    const p = intersect(lines[(s + 3) % 4]!, lines[s]!);
    if (!p || dist(p, corners[s]!) > 3 * reach) return null;
    out.push(p);
  }
  return convex(out) ? (out as [Point, Point, Point, Point]) : null;
}

/** Mean over a (2r+1) × (2r+1) box, shrunk at the edges. */
function boxBlur(data: Float32Array, w: number, h: number, r: number): Float32Array {
  return blurAlong(blurAlong(data, w, h, r, true), w, h, r, false);
}

/** Mean over 2r+1 pixels along rows (`across`) or columns. */
function blurAlong(data: Float32Array, w: number, h: number, r: number, across: boolean): Float32Array {
  const out = new Float32Array(w * h);
  const [step, length] = across ? [1, w] : [w, h];
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const at = across ? x : y;
      let s = 0;
      let n = 0;
      for (let d = Math.max(-r, -at); d <= Math.min(r, length - 1 - at); d++) {
        s += data[y * w + x + d * step]!;
        n++;
      }
      out[y * w + x] = s / n;
    }
  return out;
}

/** Sets the pixels of `region` that the outside cannot reach without crossing it (the writing in the sheet). */
function fillHoles(region: Uint8Array, w: number, h: number): void {
  const outside = new Uint8Array(w * h);
  const stack: number[] = [];
  const seed = (i: number) => {
    if (region[i] || outside[i]) return;
    outside[i] = 1;
    stack.push(i);
  };
  for (let x = 0; x < w; x++) [x, (h - 1) * w + x].forEach(seed);
  for (let y = 0; y < h; y++) [y * w, y * w + w - 1].forEach(seed);
  while (stack.length) {
    const i = stack.pop()!;
    const x = i % w;
    for (const j of [i - w, i + w, x > 0 ? i - 1 : -1, x < w - 1 ? i + 1 : -1]) {
      if (j >= 0 && j < w * h && !region[j] && !outside[j]) {
        outside[j] = 1;
        stack.push(j);
      }
    }
  }
  for (let i = 0; i < w * h; i++) if (!outside[i]) region[i] = 1;
}

/** Pixels of the region with a 4-neighbour outside it (or on the image's border). */
function edgePoints(region: Uint8Array, w: number, h: number): Point[] {
  const out: Point[] = [];
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      if (!region[i]) continue;
      if (x === 0 || y === 0 || x === w - 1 || y === h - 1 || !region[i - 1] || !region[i + 1] || !region[i - w] || !region[i + w]) out.push({ x, y });
    }
  return out;
}

/**
 * Top-left, top-right, bottom-right, bottom-left: the points furthest along −x−y, x−y, x+y, −x+y,
 * with x and y measured across the points' box (so that a long strip of paper has its corners
 * found as a square sheet's are).
 */
function diagonalExtremes(points: readonly Point[]): [Point, Point, Point, Point] {
  const xs = points.map((p) => p.x);
  const ys = points.map((p) => p.y);
  const [x0, y0] = [Math.min(...xs), Math.min(...ys)];
  const [sx, sy] = [Math.max(1, Math.max(...xs) - x0), Math.max(1, Math.max(...ys) - y0)];
  const pick = (score: (u: number, v: number) => number) =>
    points.reduce((a, b) => (score((b.x - x0) / sx, (b.y - y0) / sy) > score((a.x - x0) / sx, (a.y - y0) / sy) ? b : a));
  return [pick((u, v) => -u - v), pick((u, v) => u - v), pick((u, v) => u + v), pick((u, v) => -u + v)];
}

/**
 * Corners where the sides' fitted lines meet: each side's line is fitted (total least squares) to
 * the edge points near the straight segment between its rough corners, leaving out the stretch
 * near the corners (rounded or dog-eared corners).
 */
function refineCorners(edge: readonly Point[], rough: readonly Point[]): [Point, Point, Point, Point] | null {
  const lines: { p: Point; d: Point }[] = [];
  for (let s = 0; s < 4; s++) {
    const a = rough[s]!;
    const b = rough[(s + 1) % 4]!;
    const len = dist(a, b);
    if (len < 4) return null;
    const [ux, uy] = [(b.x - a.x) / len, (b.y - a.y) / len];
    const near = edge.filter((p) => {
      const t = (p.x - a.x) * ux + (p.y - a.y) * uy;
      const off = Math.abs(-(p.x - a.x) * uy + (p.y - a.y) * ux);
      return t > 0.1 * len && t < 0.9 * len && off < Math.max(2, 0.03 * len);
    });
    if (near.length < 4) return null;
    lines.push(fitLine(near));
  }
  const out: Point[] = [];
  for (let s = 0; s < 4; s++) {
    const p = intersect(lines[(s + 3) % 4]!, lines[s]!);
    if (!p || dist(p, rough[s]!) > 0.1 * Math.max(dist(rough[0]!, rough[2]!), dist(rough[1]!, rough[3]!))) return null;
    out.push(p);
  }
  return out as [Point, Point, Point, Point];
}

function fitLine(points: readonly Point[]): { p: Point; d: Point } {
  const n = points.length;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (const p of points) {
    sxx += (p.x - mx) ** 2;
    sxy += (p.x - mx) * (p.y - my);
    syy += (p.y - my) ** 2;
  }
  const angle = 0.5 * Math.atan2(2 * sxy, sxx - syy);
  return { p: { x: mx, y: my }, d: { x: Math.cos(angle), y: Math.sin(angle) } };
}

function intersect(a: { p: Point; d: Point }, b: { p: Point; d: Point }): Point | null {
  const det = a.d.x * b.d.y - a.d.y * b.d.x;
  if (Math.abs(det) < 1e-6) return null;
  const t = ((b.p.x - a.p.x) * b.d.y - (b.p.y - a.p.y) * b.d.x) / det;
  return { x: a.p.x + t * a.d.x, y: a.p.y + t * a.d.y };
}

function quadArea(q: readonly Point[]): number {
  let s = 0;
  for (let i = 0; i < q.length; i++) {
    const a = q[i]!;
    const b = q[(i + 1) % q.length]!;
    s += a.x * b.y - b.x * a.y;
  }
  return Math.abs(s) / 2;
}

function convex(q: readonly Point[]): boolean {
  let sign = 0;
  for (let i = 0; i < q.length; i++) {
    const a = q[i]!;
    const b = q[(i + 1) % q.length]!;
    const c = q[(i + 2) % q.length]!;
    const cross = (b.x - a.x) * (c.y - b.y) - (b.y - a.y) * (c.x - b.x);
    if (cross === 0) return false;
    if (sign === 0) sign = Math.sign(cross);
    else if (Math.sign(cross) !== sign) return false;
  }
  return true;
}
