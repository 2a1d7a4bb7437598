/**
 * Pages of "handwriting" in two shapes a tiny line model learns in seconds ('a' a solid block,
 * 'b' a hollow square), written as a PNG with its ALTO, for tests of line training and reading.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRng } from '../../app/base/random.ts';
import type { LabelledImages } from '../../app/data/glyphs.ts';
import { writeAlto, type PageDocument } from '../../app/data/page-xml.ts';
import { GlyphBank, renderLine } from '../../app/data/synthetic-lines.ts';
import { encodeImage } from '../../app/image/decode.ts';

/** 'a' a solid block, 'b' a hollow square. */
export function blockBank(): GlyphBank {
  const pixels = new Float32Array(2 * 256);
  for (let y = 0; y < 16; y++)
    for (let x = 0; x < 16; x++) {
      pixels[y * 16 + x] = 1;
      pixels[256 + y * 16 + x] = x < 3 || y < 3 || x > 12 || y > 12 ? 1 : 0;
    }
  const set: LabelledImages = { count: 2, height: 16, width: 16, channels: 1, pixels, labels: Int32Array.of(0, 1), classes: ['a', 'b'], source: 'test' };
  return new GlyphBank([set]);
}

/** A page with the given lines written on it, and its ALTO. */
export async function writePage(dir: string, name: string, texts: string[]): Promise<void> {
  const [width, height] = [420, 60 * texts.length + 20];
  const page = new Float32Array(width * height).fill(1);
  const style = { slant: 0, letterGap: 0.4, wordGap: 1.2, stroke: 0, ruled: false, blur: false, noise: 0, xHeight: 1 } as const;
  const doc: PageDocument = { imageFile: `${name}.png`, width, height, regions: [{ id: 'r', polygon: [], lines: [] }] };
  texts.forEach((text, i) => {
    const line = renderLine(text, blockBank(), createRng(i), { ...style }, 40);
    const [x0, y0] = [20, 10 + 60 * i];
    for (let y = 0; y < line.height; y++) for (let x = 0; x < line.width; x++) page[(y0 + y) * width + x0 + x] = 1 - line.data[y * line.width + x]!;
    const base = y0 + Math.round((47 / 64) * 40);
    doc.regions[0]!.lines.push({
      id: `l${i}`,
      text,
      polygon: [
        { x: x0 - 4, y: y0 },
        { x: x0 + line.width + 4, y: y0 },
        { x: x0 + line.width + 4, y: y0 + 40 },
        { x: x0 - 4, y: y0 + 40 },
      ],
      baseline: [
        { x: x0, y: base },
        { x: x0 + line.width, y: base },
      ],
    });
  });
  writeFileSync(join(dir, `${name}.png`), await encodeImage({ width, height, data: page }));
  writeFileSync(join(dir, `${name}.xml`), writeAlto(doc));
}
