/**
 * The image half of OCR, composed from the pure stages: brightness → ink map (illumination
 * normalised) → first binarisation to measure the writing → resampling to a working scale where
 * characters are about WORK_CHAR_HEIGHT px tall → denoise, binarise, close small breaks →
 * components → character blobs → rows and words. The result keeps the working ink map and
 * labels, from which the glyph crops are cut.
 */
import { dropDottedLines, dropPrintedLabels } from './form-labels.ts';
import { inkMap } from './background.ts';
import { connectedComponents, type Labelling } from './components.ts';
import { cropGlyphs } from './crop.ts';
import { findGlyphs, proposeJoins, resolveWord, type GlyphBlob, type GlyphOptions } from './glyphs.ts';
import { downscale, halve, scaleBox, type Box, type GrayImage } from './gray.ts';
import { removeLines, type LineOptions } from './lines.ts';
import { layoutRows, markDots, type RowLayout, type RowOptions, type WordOptions } from './rows.ts';
import { estimateScale, type WritingScale } from './scale.ts';
import { hysteresis, otsuThreshold } from './threshold.ts';

/** Characters are resampled to about this height: enough detail for a 22 px glyph, and fast. */
export const WORK_CHAR_HEIGHT = 44;
/**
 * Ink thresholds are never below this (ink is 0 on paper, 1 black): a blank page has no
 * writing, not writing made of paper grain.
 */
export const MIN_INK_CONTRAST = 0.12;

export interface SegmentOptions {
  glyphs?: GlyphOptions;
  rows?: RowOptions;
  words?: WordOptions;
}

export interface SegmentedPage {
  /** Size of the input image. */
  width: number;
  height: number;
  /** Input pixels per working pixel (≥ 1). */
  factor: number;
  /** Writing scale in working pixels, null for a page without writing. */
  scale: WritingScale | null;
  /** Working ink map and its labelling, the source of the glyph crops. */
  ink: GrayImage;
  labelling: Labelling;
  /** Rows top to bottom, words and glyphs left to right, in working pixels. */
  rows: RowLayout<GlyphBlob>[];
  /** Printed field labels left out before reading (`NOM :` beside a name: form-labels.ts), in working pixels. */
  labels?: Box[];
}

/**
 * Binarises an ink map: Otsu's threshold (at least MIN_INK_CONTRAST), hysteresis down to 60% of
 * it, then ruled and grid lines removed. The walls of a form's boxes and combs are wiped from the
 * ink map too (in place), as the line reader cuts its lines from it and would read them as I and /.
 */
export function binarize(ink: GrayImage, lines: LineOptions): Uint8Array {
  const t = Math.max(MIN_INK_CONTRAST, otsuThreshold(ink.data));
  const mask = hysteresis(ink, 0.6 * t, t);
  // Printed lines can be much fainter than the writing: they are traced at a lower threshold.
  const faint = new Uint8Array(mask.length);
  const low = Math.max(0.5 * MIN_INK_CONTRAST, 0.3 * t);
  for (let i = 0; i < faint.length; i++) faint[i] = ink.data[i]! >= low ? 1 : 0;
  const walls = new Uint8Array(mask.length);
  removeLines(mask, ink.width, ink.height, lines, faint, walls);
  // With the soft edge beside each wall pixel, where no writing is.
  for (let i = 0; i < walls.length; i++) {
    if (!walls[i]) continue;
    ink.data[i] = 0;
    const x = i % ink.width;
    if (x > 0 && !mask[i - 1]) ink.data[i - 1] = 0;
    if (x + 1 < ink.width && !mask[i + 1]) ink.data[i + 1] = 0;
  }
  return mask;
}

/**
 * Printed lines run on past the writing, much longer than any row of strokes at one height
 * (the bottoms of L, I, S and E in "LIST"): this many character heights, or half the image.
 */
const LINE_LENGTH = 8;

/** Segments a brightness image (0 black .. 1 white) into rows, words and character blobs. */
export function segmentPage(img: GrayImage, options: SegmentOptions = {}): SegmentedPage {
  const { pyramid, measured } = measuredByRefine.get(img) ?? measure(img);
  measuredByRefine.delete(img);
  if (!measured) {
    const labelling: Labelling = { width: 1, height: 1, labels: new Int32Array(1), components: [] };
    return { width: img.width, height: img.height, factor: 1, scale: null, ink: { width: 1, height: 1, data: new Float32Array(1) }, labelling, rows: [] };
  }
  const factor = Math.max(1, measured.charHeight / WORK_CHAR_HEIGHT);
  // From the smallest pyramid level still at least as large as the working scale.
  let level = 0;
  while (level + 1 < pyramid.length && 2 ** (level + 1) <= factor) level++;
  const rest = factor / 2 ** level;
  const work = rest > 1.1 ? downscale(pyramid[level]!, rest) : pyramid[level]!;
  const ink = inkMap(work);
  // Denoising is the area averaging of the downscale, hysteresis and the dropping of specks: a
  // blur on top fattens printed lines into the writing and costs more than it brings.
  const realFactor = img.width / ink.width;
  const H = measured.charHeight / realFactor;
  const lineLength = Math.min(LINE_LENGTH * H, 0.5 * Math.max(ink.width, ink.height));
  const mask = binarize(ink, { minLength: lineLength, maxThickness: Math.max(6, 0.25 * H), charHeight: H });
  const labelling = connectedComponents(mask, ink.width, ink.height);
  const scale = estimateScale(labelling.components, ink.width, ink.height);
  if (!scale) return { width: img.width, height: img.height, factor: realFactor, scale: null, ink, labelling, rows: [] };
  const { glyphs, small } = findGlyphs(labelling, scale, options.glyphs);
  const rows = layoutRows(glyphs, scale.charHeight, options.rows, options.words);
  for (const row of rows) for (const word of row.words) proposeJoins(word.glyphs, small, scale);
  markDots(rows, small, scale.charHeight);
  const labels = dropPrintedLabels(rows, small, labelling, ink);
  dropDottedLines(
    small,
    labelling,
    ink,
    scale.charHeight,
    rows.flatMap((r) => r.words.flatMap((w) => w.glyphs)),
  );
  return { width: img.width, height: img.height, factor: realFactor, scale, ink, labelling, rows, ...(labels.length ? { labels } : {}) };
}

/** Writing is first measured on a pyramid level at most this long (when its characters come out at least PREVIEW_MIN_CHAR tall there). */
const PREVIEW_SIDE = 1400;
const PREVIEW_MIN_CHAR = 16;

/** The image and its 2× reductions down to PREVIEW_SIDE. */
function halvings(img: GrayImage): GrayImage[] {
  const levels = [img];
  while (Math.max(levels[levels.length - 1]!.width, levels[levels.length - 1]!.height) > PREVIEW_SIDE) levels.push(halve(levels[levels.length - 1]!));
  return levels;
}

/**
 * The writing's scale in pixels of the pyramid's first level, or null for a page without
 * writing: measured on the smallest level, or on larger ones when the characters are too small
 * there to measure.
 */
export function measureWriting(pyramid: readonly GrayImage[]): WritingScale | null {
  const measure = (im: GrayImage) => {
    const ink = inkMap(im);
    // Not knowing the writing yet, lines are what spans a good part of the page.
    const side = Math.max(im.width, im.height);
    const mask = binarize(ink, { minLength: side / 5, maxThickness: Math.max(3, side / 60) });
    return estimateScale(connectedComponents(mask, ink.width, ink.height).components, ink.width, ink.height);
  };
  for (let level = pyramid.length - 1; level >= 0; level--) {
    const s = measure(pyramid[level]!);
    if (!s) return null;
    const f = 2 ** level;
    if (s.charHeight >= PREVIEW_MIN_CHAR || level === 0) return { stroke: s.stroke * f, charHeight: s.charHeight * f, charWidth: s.charWidth * f };
  }
  return null;
}

/** The page's glyphs in reading order, proposed joins and splits decided by geometry alone. */
export function pageGlyphs(page: SegmentedPage): GlyphBlob[] {
  return page.rows.flatMap((r) => r.words.flatMap((w) => resolveWord(w.glyphs)));
}

/** All glyph crops of the page, in reading order, as one n × 1024 batch. */
export function pageCrops(page: SegmentedPage): Float32Array {
  return cropGlyphs(page.ink, page.labelling, pageGlyphs(page), page.scale?.stroke ?? 1);
}

/** A working-scale box in input-image pixels. */
export function toInputBox(page: SegmentedPage, b: Box): Box {
  return scaleBox(b, page.factor);
}

/**
 * For coarse-to-fine decoding (see decodeImage's `coarse`): given an image decoded small, null
 * when its characters are already tall enough to work on, else the longer side to decode at so
 * they are (as large as allowed when they are too small there to measure, or absent).
 */
export function refineDecodeSide(coarse: GrayImage): number | null {
  const wanted = 1.3 * WORK_CHAR_HEIGHT;
  const m = measure(coarse);
  const s = m.measured;
  const longer = Math.max(coarse.width, coarse.height);
  if (!s || s.charHeight < PREVIEW_MIN_CHAR) return Infinity;
  if (s.charHeight >= wanted) {
    measuredByRefine.set(coarse, m); // the page is segmented at this size next: measured once
    return null;
  }
  return longer * (wanted / s.charHeight);
}

function measure(img: GrayImage): { pyramid: GrayImage[]; measured: WritingScale | null } {
  const pyramid = halvings(img);
  return { pyramid, measured: measureWriting(pyramid) };
}

/** What refineDecodeSide measured on an image it kept as it was, until segmentPage takes it. */
const measuredByRefine = new WeakMap<GrayImage, ReturnType<typeof measure>>();

/** Decoding options for OCR: large JPEGs are decoded coarse to fine. */
export const OCR_DECODE = { coarse: { shrink: 4, refine: refineDecodeSide } } as const;
