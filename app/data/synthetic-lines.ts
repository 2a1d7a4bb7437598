/**
 * Synthetic handwritten lines for pre-training the line recogniser and for what the real pages
 * lack: words and numbers composed from EMNIST glyphs (capitals, digits, lower case) with true
 * proportions (x-height, ascenders, descenders, capitals and digits on the baseline), letters
 * that touch or overlap, slant, stroke width, ruled paper, blur and noise. Generated on the fly
 * from a seed; nothing is written to disk.
 */
import type { Rng } from '../base/random.ts';
import type { GrayImage } from '../image/gray.ts';
import { LINE_HEIGHT } from '../image/line-image.ts';
import { crossMorph, sampleBilinear } from '../image/resample.ts';
import { join } from 'node:path';
import { CLASSES_36 } from '../contract.ts';
import { findPoolParts, readPoolPart } from './emnist-pool.ts';
import { imageSize, type LabelledImages } from './glyphs.ts';
import { toUnitFloats, readIdxImages, readIdxLabels } from './idx.ts';

interface Glyph {
  data: Float32Array;
  width: number;
  height: number;
}

/** Handwritten samples of each character, cropped to their ink. */
export class GlyphBank {
  private readonly byChar = new Map<string, Glyph[]>();

  /** Glyph sets with ink = 1 (EMNIST's framing); a class named 'a' gives samples of 'a'. */
  constructor(sets: readonly LabelledImages[], perClass = 400) {
    for (const set of sets) {
      if (set.channels !== 1) throw new RangeError(`GlyphBank: ${set.source} has ${set.channels} channels, expected 1`);
      const size = imageSize(set);
      for (let i = 0; i < set.count; i++) {
        const char = set.classes[set.labels[i]!]!;
        const list = this.byChar.get(char) ?? [];
        if (list.length >= perClass) continue;
        const glyph = cropInk(set.pixels.subarray(i * size, (i + 1) * size), set.width, set.height);
        if (glyph) list.push(glyph);
        this.byChar.set(char, list);
      }
    }
  }

  has(char: string): boolean {
    return (this.byChar.get(char)?.length ?? 0) > 0;
  }

  sample(char: string, rng: Rng): Glyph | null {
    const list = this.byChar.get(char);
    return list?.length ? list[Math.floor(rng.next() * list.length)]! : null;
  }
}

/**
 * The glyph bank of the shared data: EMNIST capitals and digits (emnist36/) and lower case
 * (emnist-lower/). Pool parts are read only until every class has `perClass` samples; the last
 * part is never read, so pages composed of its glyphs judge the line model on writing it has not
 * seen (tests/ocr/touching.test.ts).
 */
export function loadGlyphBank(dataDir: string, perClass = 800): GlyphBank {
  const upper: LabelledImages[] = [];
  const seen = new Int32Array(CLASSES_36.length);
  const parts = findPoolParts(join(dataDir, 'emnist36'));
  for (const part of parts.length > 1 ? parts.slice(0, -1) : parts) {
    const { images, labels } = readPoolPart(part);
    upper.push(fromBytes(images.pixels, images.count, images.height, images.width, labels, CLASSES_36, part.images));
    for (const l of labels) seen[l]!++;
    if (seen.every((n) => n >= perClass)) break;
  }
  const dir = join(dataDir, 'emnist-lower');
  const images = readIdxImages(join(dir, 'emnist-lower-pool-images-idx3-ubyte.gz'));
  const labels = readIdxLabels(join(dir, 'emnist-lower-pool-labels-idx1-ubyte.gz'));
  const lower = fromBytes(images.pixels, images.count, images.height, images.width, labels, [...'abcdefghijklmnopqrstuvwxyz'], dir);
  return new GlyphBank([...upper, lower], perClass);
}

function fromBytes(
  bytes: Uint8Array,
  count: number,
  height: number,
  width: number,
  labels: Int32Array,
  classes: readonly string[],
  source: string,
): LabelledImages {
  return { count, height, width, channels: 1, pixels: toUnitFloats(bytes), labels, classes, source };
}

const X_HEIGHT = new Set('acemnorsuvwxz');
const ASCENDERS = new Set('bdfhklt');
const DESCENDERS = new Set('gpqy');
const ACCENTS: Record<string, [string, 'acute' | 'grave' | 'circumflex' | 'diaeresis' | 'cedilla']> = {
  é: ['e', 'acute'],
  è: ['e', 'grave'],
  ê: ['e', 'circumflex'],
  ë: ['e', 'diaeresis'],
  à: ['a', 'grave'],
  â: ['a', 'circumflex'],
  ù: ['u', 'grave'],
  û: ['u', 'circumflex'],
  ü: ['u', 'diaeresis'],
  ô: ['o', 'circumflex'],
  î: ['i', 'circumflex'],
  ï: ['i', 'diaeresis'],
  ç: ['c', 'cedilla'],
  É: ['E', 'acute'],
  È: ['E', 'grave'],
  À: ['A', 'grave'],
  Ç: ['C', 'cedilla'],
};
/** Punctuation drawn with strokes, as a pen would. */
const MARKS = new Set('.,;:\'’-()/!?"');

/** Whether a line of this text can be drawn from the bank. */
export function canRender(text: string, bank: GlyphBank): boolean {
  for (const c of text) if (c !== ' ' && !MARKS.has(c) && !bank.has(ACCENTS[c]?.[0] ?? c)) return false;
  return true;
}

export interface SyntheticStyle {
  /** Slant in degrees, positive leaning right. */
  slant: number;
  /** Space between letters in x-heights; below 0 they touch or overlap. */
  letterGap: number;
  wordGap: number;
  /** Stroke change: 1 thicker, -1 thinner, 0 as the glyphs are. */
  stroke: -1 | 0 | 1;
  ruled: boolean;
  blur: boolean;
  noise: number;
  /** x-height as a share of the capital height. */
  xHeight: number;
}

export function randomStyle(rng: Rng): SyntheticStyle {
  return {
    slant: -10 + rng.next() * 28,
    letterGap: -0.2 + rng.next() * 0.45,
    wordGap: 0.5 + rng.next() * 0.7,
    stroke: rng.next() < 0.25 ? 1 : rng.next() < 0.2 ? -1 : 0,
    ruled: rng.next() < 0.3,
    blur: rng.next() < 0.3,
    noise: rng.next() < 0.5 ? rng.next() * 0.08 : 0,
    xHeight: 0.5 + rng.next() * 0.15,
  };
}

/**
 * A line of block capitals as many people write names and forms: letters from well apart to
 * overlapping by a fifth of their height, about half of them touching.
 */
export function capitalsStyle(rng: Rng): SyntheticStyle {
  return { ...randomStyle(rng), letterGap: -0.35 + rng.next() * 0.7, wordGap: 0.6 + rng.next() * 0.8 };
}

/** Text as it is written in block capitals: upper case, without accents. */
export function inCapitals(text: string): string {
  return text.normalize('NFD').replace(/\p{M}/gu, '').toUpperCase();
}

/** Canvas rows while drawing; the line is scaled to `height` at the end. */
const CANVAS = 64;
const BASELINE = 47;
const CAP = 33;

/** The text drawn as one handwritten line: ink (0 paper .. 1 ink) of the given height. */
export function renderLine(text: string, bank: GlyphBank, rng: Rng, style = randomStyle(rng), height = LINE_HEIGHT): GrayImage {
  const cap = CAP * (0.85 + rng.next() * 0.2);
  const xh = cap * style.xHeight;
  const descent = cap * 0.38;
  const pieces: { glyph: Glyph; x: number; top: number; w: number; h: number }[] = [];
  const strokes: { x0: number; y0: number; x1: number; y1: number; r: number }[] = [];
  const pen = Math.max(1.2, cap / 14);
  let x = 4 + rng.next() * 6;
  const place = (glyph: Glyph, h: number, bottom: number) => {
    const w = Math.max(2, (glyph.width / glyph.height) * h);
    pieces.push({ glyph, x, top: bottom - h, w, h });
    const start = x;
    x += w + style.letterGap * xh * (0.7 + rng.next() * 0.6);
    return { start, w };
  };
  for (const c of text) {
    if (c === ' ') {
      x += style.wordGap * xh * (0.8 + rng.next() * 0.4);
      continue;
    }
    if (MARKS.has(c)) {
      x = drawMark(c, x, xh, cap, pen, strokes);
      continue;
    }
    const [base, accent] = ACCENTS[c] ?? [c, undefined];
    const glyph = bank.sample(base, rng);
    if (!glyph) throw new RangeError(`renderLine: no handwriting for '${base}' in the glyph bank`);
    const jitter = 1 + (rng.next() - 0.5) * 0.12;
    const shift = (rng.next() - 0.5) * xh * 0.12;
    let h = cap * jitter;
    let bottom = BASELINE + shift;
    if (X_HEIGHT.has(base)) h = xh * jitter;
    else if (ASCENDERS.has(base)) h = cap * (base === 't' ? 0.85 : 1.02) * jitter;
    else if (DESCENDERS.has(base)) {
      h = (xh + descent) * jitter;
      bottom += descent;
    } else if (base === 'i') h = cap * 0.82 * jitter;
    else if (base === 'j') {
      h = (cap * 0.82 + descent) * jitter;
      bottom += descent;
    }
    const { start, w } = place(glyph, h, bottom);
    if (accent) drawAccent(accent, start + w / 2, BASELINE - (base === base.toUpperCase() ? cap : xh), BASELINE, pen, strokes);
  }
  const width = Math.ceil(x + 4 + rng.next() * 6);
  let canvas: Float32Array = new Float32Array(width * CANVAS);
  for (const p of pieces) blit(canvas, width, p.glyph, p.x, p.top, p.w, p.h);
  for (const s of strokes) line(canvas, width, s.x0, s.y0, s.x1, s.y1, s.r);
  if (style.stroke === 1) canvas = crossMorph(canvas, width, CANVAS, 'dilate');
  if (style.stroke === -1) canvas = crossMorph(canvas, width, CANVAS, 'erode');
  canvas = shear(canvas, width, CANVAS, Math.tan((style.slant * Math.PI) / 180));
  if (style.ruled) {
    const y = Math.round(BASELINE + 1 + rng.next() * 3);
    const ink = 0.25 + rng.next() * 0.35;
    for (let xx = 0; xx < width; xx++) canvas[y * width + xx] = Math.max(canvas[y * width + xx]!, ink);
  }
  if (style.blur) canvas = boxBlur(canvas, width, CANVAS);
  const out = resize({ width, height: CANVAS, data: canvas }, height);
  if (style.noise > 0) for (let i = 0; i < out.data.length; i++) out.data[i] = Math.min(1, Math.max(0, out.data[i]! + rng.normal() * style.noise));
  return out;
}

/** Words, numbers and punctuation the way running text mixes them. */
export function randomText(rng: Rng, words: readonly string[], maxChars = 48): string {
  const parts: string[] = [];
  let length = 0;
  const target = 8 + Math.floor(rng.next() * (maxChars - 8));
  while (length < target) {
    const r = rng.next();
    let w: string;
    if (r < 0.08) w = String(Math.floor(rng.next() * (rng.next() < 0.5 ? 100 : 10000)));
    else if (r < 0.1) w = `${1 + Math.floor(rng.next() * 28)}/${1 + Math.floor(rng.next() * 12)}/${1900 + Math.floor(rng.next() * 130)}`;
    else {
      w = words[Math.floor(rng.next() * words.length)]!;
      const shape = rng.next();
      if (shape < 0.12) w = w[0]!.toUpperCase() + w.slice(1);
      else if (shape < 0.16) w = w.toUpperCase();
    }
    const p = rng.next();
    if (p < 0.1) w += ',';
    else if (p < 0.15) w += '.';
    else if (p < 0.17) w = `(${w})`;
    else if (p < 0.19) w += ';';
    else if (p < 0.2) w += ':';
    parts.push(w);
    length += w.length + 1;
  }
  return parts.join(' ').slice(0, maxChars).trim();
}

function cropInk(pixels: Float32Array, width: number, height: number): Glyph | null {
  let [x0, y0, x1, y1] = [width, height, -1, -1];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (pixels[y * width + x]! > 0.2) [x0, y0, x1, y1] = [Math.min(x0, x), Math.min(y0, y), Math.max(x1, x), Math.max(y1, y)];
    }
  }
  if (x1 < 0) return null;
  const w = x1 - x0 + 1;
  const h = y1 - y0 + 1;
  const data = new Float32Array(w * h);
  for (let y = 0; y < h; y++) data.set(pixels.subarray((y0 + y) * width + x0, (y0 + y) * width + x0 + w), y * w);
  return { data, width: w, height: h };
}

function blit(canvas: Float32Array, width: number, g: Glyph, x: number, top: number, w: number, h: number): void {
  for (let yy = Math.max(0, Math.floor(top)); yy < Math.min(CANVAS, Math.ceil(top + h)); yy++) {
    for (let xx = Math.max(0, Math.floor(x)); xx < Math.min(width, Math.ceil(x + w)); xx++) {
      const v = sampleBilinear(g.data, g.width, g.height, ((xx + 0.5 - x) / w) * g.width - 0.5, ((yy + 0.5 - top) / h) * g.height - 0.5);
      if (v > canvas[yy * width + xx]!) canvas[yy * width + xx] = v;
    }
  }
}

type Stroke = { x0: number; y0: number; x1: number; y1: number; r: number };

/** Draws punctuation as pen strokes; returns the pen's new x. */
function drawMark(c: string, x: number, xh: number, cap: number, pen: number, out: Stroke[]): number {
  const b = BASELINE;
  const dot = (cx: number, cy: number) => out.push({ x0: cx, y0: cy, x1: cx + 0.01, y1: cy, r: pen * 0.9 });
  const seg = (x0: number, y0: number, x1: number, y1: number) => out.push({ x0, y0, x1, y1, r: pen / 2 });
  const cx = x + pen * 1.5;
  switch (c) {
    case '.':
      dot(cx, b - pen);
      break;
    case ',':
      dot(cx, b - pen);
      seg(cx + pen * 0.5, b - pen, cx - pen, b + pen * 2.5);
      break;
    case ';':
      dot(cx, b - xh * 0.8);
      dot(cx, b - pen);
      seg(cx + pen * 0.5, b - pen, cx - pen, b + pen * 2.5);
      break;
    case ':':
      dot(cx, b - xh * 0.8);
      dot(cx, b - pen);
      break;
    case "'":
    case '’':
      seg(cx + pen * 0.5, b - cap, cx - pen * 0.3, b - cap + xh * 0.45);
      break;
    case '"':
      seg(cx, b - cap, cx, b - cap + xh * 0.4);
      seg(cx + pen * 2, b - cap, cx + pen * 2, b - cap + xh * 0.4);
      return x + pen * 5;
    case '-':
      seg(x + pen, b - xh * 0.5, x + xh * 0.8, b - xh * 0.5);
      return x + xh * 0.8 + pen * 2;
    case '/':
      seg(x + xh * 0.6, b - cap, x + pen, b + pen);
      return x + xh * 0.6 + pen * 2;
    case '(':
    case ')': {
      const sign = c === '(' ? 1 : -1;
      const mid = x + xh * 0.2 + (c === ')' ? xh * 0.1 : 0);
      for (let k = 0; k < 6; k++) {
        const a0 = -1 + (k / 6) * 2;
        const a1 = -1 + ((k + 1) / 6) * 2;
        const y0 = b - cap / 2 + (a0 * (cap + xh * 0.6)) / 2;
        const y1 = b - cap / 2 + (a1 * (cap + xh * 0.6)) / 2;
        seg(mid + sign * xh * 0.25 * a0 * a0, y0, mid + sign * xh * 0.25 * a1 * a1, y1);
      }
      return x + xh * 0.6;
    }
    case '!':
      seg(cx, b - cap, cx, b - xh * 0.4);
      dot(cx, b - pen);
      break;
    case '?':
      seg(cx - xh * 0.3, b - cap * 0.8, cx, b - cap);
      seg(cx, b - cap, cx + xh * 0.3, b - cap * 0.75);
      seg(cx + xh * 0.3, b - cap * 0.75, cx, b - xh * 0.5);
      seg(cx, b - xh * 0.5, cx, b - xh * 0.3);
      dot(cx, b - pen);
      return x + xh * 0.7;
  }
  return x + pen * 3.5;
}

function drawAccent(kind: string, cx: number, top: number, baseline: number, pen: number, out: Stroke[]): void {
  const r = pen / 2;
  const up = top - pen * 1.5;
  switch (kind) {
    case 'acute':
      out.push({ x0: cx - pen, y0: up, x1: cx + pen * 1.5, y1: up - pen * 3, r });
      break;
    case 'grave':
      out.push({ x0: cx + pen, y0: up, x1: cx - pen * 1.5, y1: up - pen * 3, r });
      break;
    case 'circumflex':
      out.push({ x0: cx - pen * 2, y0: up, x1: cx, y1: up - pen * 2.5, r }, { x0: cx, y0: up - pen * 2.5, x1: cx + pen * 2, y1: up, r });
      break;
    case 'diaeresis':
      out.push(
        { x0: cx - pen * 1.5, y0: up - pen, x1: cx - pen * 1.5 + 0.01, y1: up - pen, r: pen * 0.8 },
        { x0: cx + pen * 1.5, y0: up - pen, x1: cx + pen * 1.5 + 0.01, y1: up - pen, r: pen * 0.8 },
      );
      break;
    case 'cedilla':
      out.push(
        { x0: cx, y0: baseline, x1: cx + pen, y1: baseline + pen * 2, r },
        { x0: cx + pen, y0: baseline + pen * 2, x1: cx - pen, y1: baseline + pen * 3.5, r },
      );
      break;
  }
}

/** A round-tipped pen stroke from (x0, y0) to (x1, y1), soft at its edge. */
function line(canvas: Float32Array, width: number, x0: number, y0: number, x1: number, y1: number, r: number): void {
  const [dx, dy] = [x1 - x0, y1 - y0];
  const len2 = dx * dx + dy * dy || 1e-9;
  for (let y = Math.max(0, Math.floor(Math.min(y0, y1) - r - 1)); y <= Math.min(CANVAS - 1, Math.ceil(Math.max(y0, y1) + r + 1)); y++) {
    for (let x = Math.max(0, Math.floor(Math.min(x0, x1) - r - 1)); x <= Math.min(width - 1, Math.ceil(Math.max(x0, x1) + r + 1)); x++) {
      const t = Math.max(0, Math.min(1, ((x + 0.5 - x0) * dx + (y + 0.5 - y0) * dy) / len2));
      const d = Math.hypot(x + 0.5 - (x0 + t * dx), y + 0.5 - (y0 + t * dy));
      const v = Math.max(0, Math.min(1, r + 0.5 - d));
      if (v > canvas[y * width + x]!) canvas[y * width + x] = v;
    }
  }
}

/** Slants the writing about the baseline: rows above it move right by `k` per row. */
function shear(src: Float32Array, w: number, h: number, k: number): Float32Array {
  const out = new Float32Array(src.length);
  for (let y = 0; y < h; y++) {
    const offset = (BASELINE - y) * k;
    for (let x = 0; x < w; x++) {
      const sx = x - offset;
      const x0 = Math.floor(sx);
      const a = sx - x0;
      const v0 = x0 >= 0 && x0 < w ? src[y * w + x0]! : 0;
      const v1 = x0 + 1 >= 0 && x0 + 1 < w ? src[y * w + x0 + 1]! : 0;
      out[y * w + x] = (1 - a) * v0 + a * v1;
    }
  }
  return out;
}

function boxBlur(src: Float32Array, w: number, h: number): Float32Array {
  const out = new Float32Array(src.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let sum = 0;
      let n = 0;
      for (let yy = Math.max(0, y - 1); yy <= Math.min(h - 1, y + 1); yy++) {
        for (let xx = Math.max(0, x - 1); xx <= Math.min(w - 1, x + 1); xx++) {
          sum += src[yy * w + xx]!;
          n++;
        }
      }
      out[y * w + x] = sum / n;
    }
  }
  return out;
}

/** Area-weighted scaling to the given height, width in proportion. */
function resize(img: GrayImage, height: number): GrayImage {
  const scale = height / img.height;
  const width = Math.max(1, Math.round(img.width * scale));
  const data = new Float32Array(width * height);
  const sub = Math.max(1, Math.ceil(1 / scale));
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let sum = 0;
      for (let sy = 0; sy < sub; sy++) {
        for (let sx = 0; sx < sub; sx++) {
          const ix = Math.min(img.width - 1, Math.floor((x + (sx + 0.5) / sub) / scale));
          const iy = Math.min(img.height - 1, Math.floor((y + (sy + 0.5) / sub) / scale));
          sum += img.data[iy * img.width + ix]!;
        }
      }
      data[y * width + x] = sum / (sub * sub);
    }
  }
  return { width, height, data };
}
