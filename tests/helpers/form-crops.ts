/**
 * Small scans of a name written in block capitals on a paper form: real EMNIST capitals, often
 * beside a printed field label (`NOM :`, `Name:` set in a real font) and over the form's printed
 * line, cropped close as a form reader cuts its fields.
 */
import sharp from 'sharp';
import type { GrayImage } from '../../app/image/gray.ts';
import { renderPage, type RasterGlyph } from '../ocr/synthetic.ts';

export const FORM_LABELS = ['NOM :', 'Nom :', 'NAME:', 'Name', 'Prénom :', 'SURNAME', 'Nom de famille :', 'Last name:'];
export const LABEL_FONTS = ['Liberation Sans', 'DejaVu Sans', 'Liberation Serif', 'DejaVu Sans Mono'];

export interface NameCropSpec {
  name: string;
  raster: (char: string, random: () => number) => RasterGlyph;
  random: () => number;
  /** The printed label left of the name; none when absent. */
  label?: string;
  font?: string;
  /** Space between letters in character heights; 0 touching. */
  letterGap: number;
  /** The form's printed line under the name, or its comb: a box of one cell per letter. */
  line: 'none' | 'solid' | 'dotted' | 'comb';
  /** The label's capitals' height as a share of the name's, drawn from this range (default 0.45–0.75). */
  labelSize?: readonly [number, number];
}

/** The label as ink (0 paper .. 1 ink), cropped to its ink; `capHeight` px is its capitals' height. */
async function printedLabel(text: string, font: string, capHeight: number): Promise<GrayImage> {
  const size = capHeight / 0.72;
  const escaped = text.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${Math.ceil(size * text.length)}" height="${Math.ceil(size * 1.6)}">` +
    `<rect width="100%" height="100%" fill="white"/>` +
    `<text x="${Math.ceil(size * 0.2)}" y="${Math.ceil(size * 1.1)}" font-family="${font}" font-size="${size.toFixed(1)}">${escaped}</text></svg>`;
  const { data, info } = await sharp(Buffer.from(svg)).greyscale().trim({ threshold: 40 }).raw().toBuffer({ resolveWithObject: true });
  const ink = new Float32Array(info.width * info.height);
  for (let i = 0; i < ink.length; i++) ink[i] = 1 - data[i * info.channels]! / 255;
  return { width: info.width, height: info.height, data: ink };
}

/** The crop as PNG bytes; its truth is spec.name. */
export async function nameCrop(spec: NameCropSpec): Promise<Buffer> {
  const { random } = spec;
  const u = (a: number, b: number) => a + (b - a) * random();
  const H = Math.round(u(26, 48));
  const label = spec.label ? await printedLabel(spec.label, spec.font ?? LABEL_FONTS[0]!, Math.round(H * u(...(spec.labelSize ?? [0.45, 0.75])))) : null;
  const margin = Math.round(H * u(0.25, 0.6));
  const left = margin + (label ? label.width + Math.round(H * u(0.4, 1.2)) : 0);
  const page = renderPage({
    rows: [spec.name],
    raster: spec.raster,
    charHeight: H,
    left,
    top: margin,
    // A comb's cells hold a letter each, with room around it.
    letterGap: spec.line === 'comb' ? Math.max(spec.letterGap, 0.35) : spec.letterGap,
    wordGap: u(0.7, 1.2),
    slope: u(-0.015, 0.015),
    shear: u(-0.05, 0.1),
    jitter: 0.05,
    ink: 0.8,
    rowPitch: 1,
    seed: Math.floor(random() * 1e6),
  });
  const { width } = page.image;
  const data = page.image.data;
  const baseline = margin + H;
  // The label printed in black, its baseline on the name's (as a form prints it, give or take).
  if (label) {
    const y0 = Math.round(baseline - label.height + u(-0.1, 0.15) * H);
    for (let y = 0; y < label.height; y++) {
      for (let x = 0; x < label.width; x++) {
        const yy = y0 + y;
        if (yy < 0 || yy >= page.image.height) continue;
        const i = yy * width + margin + x;
        data[i] = Math.min(data[i]!, 1 - 0.9 * label.data[y * label.width + x]!);
      }
    }
  }
  const rule = (x0: number, y0: number, x1: number, y1: number) => {
    for (let y = Math.max(0, y0); y <= Math.min(page.image.height - 1, y1); y++)
      for (let x = Math.max(0, x0); x <= Math.min(width - 1, x1); x++) data[y * width + x] = Math.min(data[y * width + x]!, 0.35);
  };
  // The comb: a cell per letter (and per space), its walls midway between the letters.
  if (spec.line === 'comb') {
    const glyphs = page.rows.flat();
    const top = Math.round(margin - 0.2 * H);
    const bottom = Math.round(baseline + 0.2 * H);
    const walls = [
      glyphs[0]!.box.x0 - 0.15 * H,
      ...glyphs.slice(1).map((g, i) => (glyphs[i]!.box.x1 + g.box.x0) / 2),
      glyphs[glyphs.length - 1]!.box.x1 + 0.15 * H,
    ];
    rule(Math.round(walls[0]!), top, Math.round(walls[walls.length - 1]!), top);
    rule(Math.round(walls[0]!), bottom, Math.round(walls[walls.length - 1]!), bottom);
    for (const x of walls) rule(Math.round(x), top, Math.round(x), bottom);
  }
  // The form's line under the name, from past the label to the crop's end.
  if (spec.line === 'solid' || spec.line === 'dotted') {
    const y = Math.min(page.image.height - 1, Math.round(baseline + u(0.08, 0.25) * H));
    for (let x = label ? left - Math.round(0.2 * H) : 0; x < width; x++) {
      if (spec.line === 'dotted' && x % 6 > 1) continue;
      data[y * width + x] = Math.min(data[y * width + x]!, 0.35);
    }
  }
  // Cropped close: the ink's right end and a little paper.
  let right = 0;
  for (const glyph of page.rows.flat()) right = Math.max(right, glyph.box.x1);
  const cropWidth = Math.min(width, Math.round(right + margin));
  const cropHeight = Math.min(page.image.height, Math.round(baseline + H * u(0.4, 0.7)));
  const out = new Float32Array(cropWidth * cropHeight);
  for (let y = 0; y < cropHeight; y++) out.set(data.subarray(y * width, y * width + cropWidth), y * cropWidth);
  const gray = Buffer.alloc(out.length);
  for (let i = 0; i < out.length; i++) gray[i] = Math.round(255 * Math.max(0, Math.min(1, out[i]!)));
  return sharp(gray, { raw: { width: cropWidth, height: cropHeight, channels: 1 } })
    .png()
    .toBuffer();
}
