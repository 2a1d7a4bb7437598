/**
 * The image half of OCR, composed from the pure stages: brightness → ink map (illumination
 * normalised) → first binarisation to measure the writing → resampling to a working scale where
 * characters are about WORK_CHAR_HEIGHT px tall → denoise, binarise, close small breaks →
 * components → character blobs → rows and words. The result keeps the working ink map and
 * labels, from which the glyph crops are cut.
 */
import { inkMap } from './background.ts';
import { connectedComponents, type Labelling } from './components.ts';
import { cropGlyphs } from './crop.ts';
import { findGlyphs, proposeJoins, resolveWord, type GlyphBlob, type GlyphOptions } from './glyphs.ts';
import { downscale, scaleBox, type Box, type GrayImage } from './gray.ts';
import { boxBlur3 } from './filters.ts';
import { layoutRows, type RowLayout, type RowOptions, type WordOptions } from './rows.ts';
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
}

/** Binarises an ink map: Otsu's threshold (at least MIN_INK_CONTRAST), hysteresis down to 60% of it. */
export function binarize(ink: GrayImage): Uint8Array {
  const t = Math.max(MIN_INK_CONTRAST, otsuThreshold(ink.data));
  return hysteresis(ink, 0.6 * t, t);
}

/** Segments a brightness image (0 black .. 1 white) into rows, words and character blobs. */
export function segmentPage(img: GrayImage, options: SegmentOptions = {}): SegmentedPage {
  const fullInk = inkMap(img);
  const first = connectedComponents(binarize(fullInk), fullInk.width, fullInk.height);
  const measured = estimateScale(first.components);
  const empty = (ink: GrayImage, labelling: Labelling, factor = 1): SegmentedPage => ({
    width: img.width,
    height: img.height,
    factor,
    scale: null,
    ink,
    labelling,
    rows: [],
  });
  if (!measured) return empty(fullInk, first);

  const factor = Math.max(1, measured.charHeight / WORK_CHAR_HEIGHT);
  let ink = factor > 1.1 ? downscale(fullInk, factor) : fullInk;
  // Area averaging already smooths a downscaled map; a map kept at full size gets a light blur.
  if (factor <= 1.5) ink = boxBlur3(ink);
  const labelling = connectedComponents(binarize(ink), ink.width, ink.height);
  const scale = estimateScale(labelling.components);
  if (!scale) return empty(ink, labelling, ink.width === fullInk.width ? 1 : factor);
  const realFactor = img.width / ink.width;
  const { glyphs, small } = findGlyphs(labelling, scale, options.glyphs);
  const rows = layoutRows(glyphs, scale.charHeight, options.rows, options.words);
  for (const row of rows) for (const word of row.words) proposeJoins(word.glyphs, small, scale);
  return { width: img.width, height: img.height, factor: realFactor, scale, ink, labelling, rows };
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
