/**
 * "Another person's handwriting" for personalisation tests: EMNIST glyphs of the shared pool,
 * all transformed the same way — a strong forward slant and thicker strokes — then framed as the
 * app frames a drawing. The base models were trained with mild random slants and thicknesses;
 * this style is consistently beyond them.
 */
import { join } from 'node:path';
import { warpAffine } from '../../app/data/augment.ts';
import { findPoolParts } from '../../app/data/emnist-pool.ts';
import { frameGlyph } from '../../app/image/frame.ts';
import { readIdxImages, readIdxLabels } from '../../app/data/idx.ts';
import { createRng } from '../../app/base/random.ts';
import { CLASSES_36, GLYPH_VALUES, GLYPH_SIDE } from '../../app/contract.ts';

export interface HandStyle {
  /** Horizontal shear, as the tangent of the slant (0.6 ≈ 31°). */
  slant: number;
  /** Passes of 3×3 grey dilation. */
  thicken: number;
}

export const SLANTED_THICK: HandStyle = { slant: 0.6, thicken: 2 };

/** `perClass` glyphs of each of `labels`, from the pool's last part, in the given style. */
export function styledSamples(
  sharedData: string,
  labels: readonly string[],
  perClass: number,
  style: HandStyle = SLANTED_THICK,
  seed = 7,
): { glyphs: Float32Array; labels: string[] } {
  const part = findPoolParts(join(sharedData, 'emnist36')).at(-1)!;
  const images = readIdxImages(part.images);
  const classOf = readIdxLabels(part.labels);
  const rng = createRng(seed);
  const chosen: { index: number; label: string }[] = [];
  for (const label of labels) {
    const k = CLASSES_36.indexOf(label);
    const members = rng.shuffle(Array.from(classOf.keys()).filter((i) => classOf[i] === k));
    for (const index of members.slice(0, perClass)) chosen.push({ index, label });
  }
  const glyphs = new Float32Array(chosen.length * GLYPH_VALUES);
  chosen.forEach(({ index }, n) => glyphs.set(styleGlyph(emnistGlyph(images, index), style), n * GLYPH_VALUES));
  return { glyphs, labels: chosen.map((c) => c.label) };
}

function emnistGlyph(images: { height: number; width: number; pixels: Uint8Array }, index: number): Float32Array {
  const out = new Float32Array(GLYPH_VALUES);
  const border = (GLYPH_SIDE - images.height) / 2;
  for (let y = 0; y < images.height; y++) {
    for (let x = 0; x < images.width; x++) out[(y + border) * GLYPH_SIDE + x + border] = images.pixels[(index * images.height + y) * images.width + x]! / 255;
  }
  return out;
}

/** Shear (top leans right), thicken, then frame as a drawing is framed. */
export function styleGlyph(glyph: Float32Array, style: HandStyle): Float32Array {
  const sheared = new Float32Array(GLYPH_VALUES);
  // Forward map x' = x - slant·y (y grows downwards, so the top moves right); warpAffine takes the inverse.
  warpAffine(glyph, GLYPH_SIDE, [1, style.slant, 0, 1], 0, 0, sheared);
  let img: Float32Array = sheared;
  for (let pass = 0; pass < style.thicken; pass++) img = dilate(img);
  return frameGlyph(img, GLYPH_SIDE, GLYPH_SIDE);
}

function dilate(src: Float32Array): Float32Array {
  const out = new Float32Array(GLYPH_VALUES);
  for (let y = 0; y < GLYPH_SIDE; y++) {
    for (let x = 0; x < GLYPH_SIDE; x++) {
      let v = 0;
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const yy = y + dy;
          const xx = x + dx;
          if (yy >= 0 && yy < GLYPH_SIDE && xx >= 0 && xx < GLYPH_SIDE) v = Math.max(v, src[yy * GLYPH_SIDE + xx]!);
        }
      }
      out[y * GLYPH_SIDE + x] = v;
    }
  }
  return out;
}
