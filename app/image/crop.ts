/**
 * Cuts each character out of the ink map and frames it like a training glyph (app/image/frame.ts):
 * only the character's own ink (its components, with their soft fringe, never a neighbour's),
 * contrast stretched so stroke cores are 1, and strokes thickened or thinned so that after
 * framing they are about as wide as EMNIST's (3 px in a 22 px box).
 */
import { frameGlyph, GLYPH_BOX } from './frame.ts';
import type { Labelling } from './components.ts';
import { downscale, type GrayImage } from './gray.ts';
import type { GlyphBlob } from './glyphs.ts';
import { GLYPH_VALUES, GLYPH_SIDE } from '../contract.ts';

/**
 * Stroke width of the training glyphs in glyph pixels, as measureStroke sees EMNIST's (3 px
 * strokes with soft edges measure 3.3).
 */
export const GLYPH_STROKE = 3.3;
/** Crops are shaped at no more than this many pixels per glyph pixel (a blob up to ~130 px across is shaped as it is). */
const MAX_PER_GLYPH_PIXEL = 6;

/** Ink of one glyph's own pixels (and their 1-pixel fringe) in its box, padded by `pad`. */
export function glyphInk(ink: GrayImage, lab: Labelling, blob: GlyphBlob, pad: number): GrayImage {
  const parts = new Set(blob.parts);
  const x0 = Math.max(0, blob.x0 - pad);
  const y0 = Math.max(0, blob.y0 - pad);
  const x1 = Math.min(ink.width, blob.x1 + pad);
  const y1 = Math.min(ink.height, blob.y1 + pad);
  const w = x1 - x0;
  const h = y1 - y0;
  const own = new Uint8Array(w * h);
  for (let y = blob.y0; y < blob.y1; y++) {
    for (let x = blob.x0; x < blob.x1; x++) {
      if (parts.has(lab.labels[y * lab.width + x]!)) own[(y - y0) * w + (x - x0)] = 1;
    }
  }
  const data = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      const src = (y + y0) * ink.width + (x + x0);
      let take = own[i] === 1;
      if (!take && lab.labels[src] === 0) {
        // The fringe: paper-labelled pixels next to the glyph's own ink.
        for (let dy = -1; dy <= 1 && !take; dy++) {
          for (let dx = -1; dx <= 1; dx++) {
            const yy = y + dy;
            const xx = x + dx;
            if (yy >= 0 && yy < h && xx >= 0 && xx < w && own[yy * w + xx] === 1) {
              take = true;
              break;
            }
          }
        }
      }
      if (take) data[i] = ink.data[src]!;
    }
  }
  return { width: w, height: h, data };
}

/** Scales values so the glyph's stroke cores (by default its 60th percentile of ink) read 1, clamped. */
export function stretchContrast(img: GrayImage, core = 0.6): GrayImage {
  // The percentile from a histogram of the inked pixels (ink is in [0, 1]).
  const bins = 256;
  const hist = new Int32Array(bins);
  let n = 0;
  for (const v of img.data) {
    if (v > 0) {
      hist[Math.min(bins - 1, (v * bins) | 0)]!++;
      n++;
    }
  }
  if (n === 0) return img;
  const want = core * n;
  let acc = 0;
  let bin = 0;
  for (; bin < bins - 1; bin++) {
    acc += hist[bin]!;
    if (acc >= want) break;
  }
  const level = Math.max(1e-3, (bin + 0.5) / bins);
  const data = new Float32Array(img.data.length);
  for (let i = 0; i < data.length; i++) data[i] = Math.min(1, img.data[i]! / level);
  return { ...img, data };
}

/**
 * Grey dilation (radius > 0) or erosion (radius < 0) with an antialiased disc: weight 1 for the
 * pixel itself, r for its edge neighbours, fading beyond, so fractional radii change the stroke
 * width smoothly. Outside the image is paper.
 */
export function softMorph(img: GrayImage, radius: number): GrayImage {
  if (Math.abs(radius) < 0.25) return img;
  const r = Math.abs(radius);
  const R = Math.ceil(r);
  const { width: w, height: h } = img;
  const dx: number[] = [];
  const dy: number[] = [];
  const kw: number[] = [];
  for (let y = -R; y <= R; y++) {
    for (let x = -R; x <= R; x++) {
      const k = Math.max(0, Math.min(1, r + 1 - Math.hypot(x, y)));
      if (k > 0) {
        dx.push(x);
        dy.push(y);
        kw.push(k);
      }
    }
  }
  // Erosion is the dilation of the paper: dilate 1 - v, and turn back.
  const dilate = radius > 0;
  const src = dilate ? img.data : img.data.map((v) => 1 - v);
  const out = new Float32Array(w * h);
  // Scatter from each inked pixel: cost in proportion to the ink, not the crop.
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const v = src[y * w + x]!;
      if (v <= 0) continue;
      for (let k = 0; k < kw.length; k++) {
        const xx = x + dx[k]!;
        const yy = y + dy[k]!;
        if (xx < 0 || xx >= w || yy < 0 || yy >= h) continue;
        const m = v * kw[k]!;
        const i = yy * w + xx;
        if (m > out[i]!) out[i] = m;
      }
    }
  }
  if (!dilate) {
    // The paper beyond the edges reaches in too.
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const i = y * w + x;
        const k = Math.max(0, Math.min(1, r + 1 - Math.min(x + 1, y + 1, w - x, h - y)));
        out[i] = 1 - Math.max(out[i]!, k);
      }
    }
  }
  return { width: w, height: h, data: out };
}

/**
 * Stroke width of a glyph or crop: 2 × area / border length of the pixels above half ink (for a
 * long bar of width w that is w).
 */
export function measureStroke(data: ArrayLike<number>, w: number, h: number): number {
  let area = 0;
  let border = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (data[y * w + x]! <= 0.5) continue;
      area++;
      const onEdge = x === 0 || y === 0 || x === w - 1 || y === h - 1;
      if (onEdge || data[y * w + x - 1]! <= 0.5 || data[y * w + x + 1]! <= 0.5 || data[(y - 1) * w + x]! <= 0.5 || data[(y + 1) * w + x]! <= 0.5) {
        border++;
      }
    }
  }
  return border === 0 ? 0 : (2 * area) / border;
}

/**
 * The 32×32 glyph of one blob. `stroke` is the writing's stroke width in ink-map pixels, a first
 * guess at how much to thicken (or thin) the strokes; the glyph's own measured stroke then
 * corrects it once, so crops match the training glyphs' GLYPH_STROKE whatever the pen.
 */
export function cropGlyph(ink: GrayImage, lab: Labelling, blob: GlyphBlob, stroke: number): Float32Array {
  const longer = Math.max(blob.x1 - blob.x0, blob.y1 - blob.y0);
  let perGlyphPixel = longer / GLYPH_BOX;
  // Room for the widest stroke the correction below can ask for.
  const pad = Math.ceil(GLYPH_STROKE * perGlyphPixel) + 2;
  let crop = stretchContrast(glyphInk(ink, lab, blob, pad));
  // A blob far larger than a glyph (a dark desk, a photo's shadow) is shrunk first: the stroke
  // shaping below costs the crop's ink times the stroke's area, which would take minutes there.
  if (perGlyphPixel > MAX_PER_GLYPH_PIXEL) {
    const f = perGlyphPixel / MAX_PER_GLYPH_PIXEL;
    crop = downscale(crop, f);
    stroke /= f;
    perGlyphPixel = MAX_PER_GLYPH_PIXEL;
  }
  const render = (radius: number): Float32Array => {
    const shaped = radius < 0 ? stretchContrast(softMorph(crop, radius), 0.8) : softMorph(crop, radius);
    return frameGlyph(shaped.data, shaped.width, shaped.height);
  };
  let radius = (GLYPH_STROKE * perGlyphPixel - stroke) / 2;
  let glyph = render(radius);
  const error = GLYPH_STROKE - measureStroke(glyph, GLYPH_SIDE, GLYPH_SIDE);
  if (Math.abs(error) > 0.25) {
    radius += (error / 2) * perGlyphPixel;
    glyph = render(radius);
  }
  return glyph;
}

/** All glyphs as one n × 1024 batch. */
export function cropGlyphs(ink: GrayImage, lab: Labelling, blobs: readonly GlyphBlob[], stroke: number): Float32Array {
  const out = new Float32Array(blobs.length * GLYPH_VALUES);
  blobs.forEach((b, i) => out.set(cropGlyph(ink, lab, b, stroke), i * GLYPH_VALUES));
  return out;
}
