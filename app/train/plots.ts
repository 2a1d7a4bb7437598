/**
 * Pictures of training: curves, confusion matrices and image grids, drawn as SVG or raw pixels
 * and written as PNG through the image adapter (app/image/decode.ts). Every writer is atomic.
 */
import { encodeImage, svgToPng } from '../image/decode.ts';
import { writeFileAtomic } from '../base/atomic.ts';
import { niceTicks } from '../shared/ticks.ts';

export interface Series {
  name: string;
  values: number[];
  colour?: string;
}

const PALETTE = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2'];

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/** A line chart of one or more series over epochs (x = 1..n). */
export function lineChartSvg(opts: { title: string; xLabel: string; yLabel: string; series: Series[]; width?: number; height?: number }): string {
  const { title, xLabel, yLabel, series } = opts;
  const width = opts.width ?? 640;
  const height = opts.height ?? 400;
  const m = { left: 64, right: 150, top: 40, bottom: 48 };
  const plotW = width - m.left - m.right;
  const plotH = height - m.top - m.bottom;
  const all = series.flatMap((s) => s.values).filter(Number.isFinite);
  const n = Math.max(1, ...series.map((s) => s.values.length));
  let lo = all.length ? Math.min(...all) : 0;
  let hi = all.length ? Math.max(...all) : 1;
  if (hi - lo < 1e-9) {
    lo -= 0.5;
    hi += 0.5;
  }
  const pad = (hi - lo) * 0.05;
  lo -= pad;
  hi += pad;
  const x = (i: number) => m.left + (n === 1 ? plotW / 2 : (i / (n - 1)) * plotW);
  const y = (v: number) => m.top + plotH - ((v - lo) / (hi - lo)) * plotH;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="DejaVu Sans, Arial, sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${width / 2}" y="24" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(title)}</text>`,
  ];
  for (const t of niceTicks(lo, hi)) {
    parts.push(`<line x1="${m.left}" x2="${m.left + plotW}" y1="${y(t)}" y2="${y(t)}" stroke="#e5e7eb"/>`);
    parts.push(`<text x="${m.left - 6}" y="${y(t) + 4}" text-anchor="end">${t}</text>`);
  }
  const xStep = Math.max(1, Math.ceil(n / 10));
  for (let i = 0; i < n; i += xStep) parts.push(`<text x="${x(i)}" y="${m.top + plotH + 16}" text-anchor="middle">${i + 1}</text>`);
  parts.push(`<rect x="${m.left}" y="${m.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#6b7280"/>`);
  parts.push(`<text x="${m.left + plotW / 2}" y="${height - 10}" text-anchor="middle">${escapeXml(xLabel)}</text>`);
  parts.push(`<text transform="translate(16 ${m.top + plotH / 2}) rotate(-90)" text-anchor="middle">${escapeXml(yLabel)}</text>`);
  series.forEach((s, k) => {
    const colour = s.colour ?? PALETTE[k % PALETTE.length]!;
    const pts = s.values.map((v, i) => (Number.isFinite(v) ? `${x(i).toFixed(1)},${y(v).toFixed(1)}` : null)).filter(Boolean);
    if (pts.length > 1) parts.push(`<polyline fill="none" stroke="${colour}" stroke-width="2" points="${pts.join(' ')}"/>`);
    for (const p of pts) parts.push(`<circle cx="${p!.split(',')[0]}" cy="${p!.split(',')[1]}" r="2.5" fill="${colour}"/>`);
    const ly = m.top + 10 + k * 20;
    parts.push(`<line x1="${m.left + plotW + 12}" x2="${m.left + plotW + 32}" y1="${ly}" y2="${ly}" stroke="${colour}" stroke-width="3"/>`);
    parts.push(`<text x="${m.left + plotW + 38}" y="${ly + 4}">${escapeXml(s.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}

/** A heat map of a confusion matrix (rows = true class, columns = predicted), row-normalised. */
export function confusionSvg(matrix: number[][], classes: readonly string[], title = 'Confusion matrix (rows: true, columns: predicted)'): string {
  const k = classes.length;
  const cell = k > 20 ? 18 : 28;
  const m = { left: 36, top: 56 };
  const width = m.left + k * cell + 20;
  const height = m.top + k * cell + 20;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="DejaVu Sans, Arial, sans-serif" font-size="${cell > 20 ? 12 : 10}">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${escapeXml(title)}</text>`,
  ];
  for (let i = 0; i < k; i++) {
    const row = matrix[i]!;
    const total = row.reduce((a, b) => a + b, 0) || 1;
    parts.push(`<text x="${m.left - 6}" y="${m.top + i * cell + cell * 0.7}" text-anchor="end">${escapeXml(classes[i]!)}</text>`);
    parts.push(`<text x="${m.left + i * cell + cell / 2}" y="${m.top - 6}" text-anchor="middle">${escapeXml(classes[i]!)}</text>`);
    for (let j = 0; j < k; j++) {
      const frac = row[j]! / total;
      if (frac <= 0) continue;
      // Diagonal in blue, errors in red, so confusions stand out even when small.
      const strength = i === j ? frac : Math.min(1, frac * 4);
      const fill = i === j ? `rgba(37,99,235,${strength.toFixed(3)})` : `rgba(220,38,38,${strength.toFixed(3)})`;
      const title = `<title>${escapeXml(classes[i]!)}→${escapeXml(classes[j]!)}: ${row[j]}</title>`;
      parts.push(`<rect x="${m.left + j * cell}" y="${m.top + i * cell}" width="${cell}" height="${cell}" fill="${fill}">${title}</rect>`);
    }
  }
  parts.push(`<rect x="${m.left}" y="${m.top}" width="${k * cell}" height="${k * cell}" fill="none" stroke="#6b7280"/>`);
  parts.push('</svg>');
  return parts.join('\n');
}

export async function writeSvgPng(path: string, svg: string): Promise<void> {
  writeFileAtomic(path, await svgToPng(svg));
}

/**
 * Lays out equally sized grayscale tiles (values in any range; each tile is normalised to its
 * own min..max unless `range` is given) into a grid with 1-px gaps, scaled up by `zoom`.
 */
export function tileGrid(
  tiles: Float32Array,
  count: number,
  tileW: number,
  tileH: number,
  opts: { columns?: number; zoom?: number; range?: [number, number]; invert?: boolean } = {},
): { width: number; height: number; data: Uint8Array } {
  const columns = opts.columns ?? Math.ceil(Math.sqrt(count));
  const rows = Math.max(1, Math.ceil(count / columns));
  const zoom = opts.zoom ?? 2;
  const gap = 1;
  const width = (columns * (tileW + gap) + gap) * zoom;
  const height = (rows * (tileH + gap) + gap) * zoom;
  const data = new Uint8Array(width * height).fill(128);
  const size = tileW * tileH;
  for (let t = 0; t < count; t++) {
    const tile = tiles.subarray(t * size, (t + 1) * size);
    let lo = opts.range?.[0] ?? Infinity;
    let hi = opts.range?.[1] ?? -Infinity;
    if (!opts.range) {
      for (const v of tile) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
    }
    const scale = hi > lo ? 255 / (hi - lo) : 0;
    const ox = (gap + (t % columns) * (tileW + gap)) * zoom;
    const oy = (gap + Math.floor(t / columns) * (tileH + gap)) * zoom;
    for (let y = 0; y < tileH; y++) {
      for (let x = 0; x < tileW; x++) {
        let v = Math.max(0, Math.min(255, Math.round((tile[y * tileW + x]! - lo) * scale)));
        if (opts.invert) v = 255 - v;
        for (let dy = 0; dy < zoom; dy++) data.fill(v, (oy + y * zoom + dy) * width + ox + x * zoom, (oy + y * zoom + dy) * width + ox + (x + 1) * zoom);
      }
    }
  }
  return { width, height, data };
}

export async function writeGrayPng(path: string, image: { width: number; height: number; data: Uint8Array }): Promise<void> {
  writeFileAtomic(path, await encodeImage({ ...image, channels: 1 }));
}

/**
 * First-layer weights of a dense layer (inputs × units, row-major) as one tile per unit,
 * each tile height × width (the input image's shape).
 */
export function weightTiles(weights: Float32Array, inputs: number, units: number): Float32Array {
  const tiles = new Float32Array(inputs * units);
  for (let u = 0; u < units; u++) for (let i = 0; i < inputs; i++) tiles[u * inputs + i] = weights[i * units + u]!;
  return tiles;
}
