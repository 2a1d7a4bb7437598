/**
 * Pages of "handwriting" in two shapes a tiny line model learns in seconds ('a' a solid block,
 * 'b' a hollow square), written as a PNG with its ALTO, for tests of line training and reading.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRng } from '../../app/base/random.ts';
import type { LabelledImages } from '../../app/data/glyphs.ts';
import { padLines } from '../../app/data/lines.ts';
import { writeAlto, type PageDocument } from '../../app/data/page-xml.ts';
import { GlyphBank, renderLine } from '../../app/data/synthetic-lines.ts';
import { encodeImage } from '../../app/image/decode.ts';
import * as tf from '@tensorflow/tfjs';
import type { Charset } from '../../app/recognize/charset.ts';
import { selectBackend } from '../../app/train/tfjs/backend.ts';
import { ctcLossTf, framesOf, initialLineWeights, lineLogits, lineParamLayout, type LineArchitecture } from '../../app/train/tfjs/line-model.ts';

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

/** A page with the given lines written on it, and its ALTO (whose text may say otherwise: `shown` is what is drawn). */
export async function writePage(dir: string, name: string, texts: string[], shown: string[] = texts): Promise<void> {
  const [width, height] = [420, 60 * texts.length + 20];
  const page = new Float32Array(width * height).fill(1);
  const style = { slant: 0, letterGap: 0.4, wordGap: 1.2, stroke: 0, ruled: false, blur: false, noise: 0, xHeight: 1 } as const;
  const doc: PageDocument = { imageFile: `${name}.png`, width, height, regions: [{ id: 'r', polygon: [], lines: [] }] };
  texts.forEach((text, i) => {
    const line = renderLine(shown[i]!, blockBank(), createRng(i), { ...style }, 40);
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

/** The small network the tests train: two conv blocks, two 1-D convolutions, lines 16 px high. */
export function tinyLineArchitecture(classes: number): LineArchitecture {
  return {
    height: 16,
    convs: [
      { filters: 8, pool: [2, 2] },
      { filters: 16, pool: [2, 1] },
    ],
    seq: [
      { filters: 32, kernel: 3 },
      { filters: 32, kernel: 3 },
    ],
    classes,
    dropout: 0,
  };
}

/**
 * Trains a tiny line model on the given lines (ink 0..1, 16 rows) until its CTC loss is near 0;
 * returns the flat weights with their layout, the losses before and after, and the batch.
 */
export async function trainTinyLineModel(lines: readonly { ink: Float32Array; width: number; text: string }[], charset: Charset) {
  await selectBackend({ start: 'wasm' });
  const arch = tinyLineArchitecture(charset.size);
  const { pixels, width } = padLines(lines, arch.height);
  const input = tf.tensor4d(pixels, [lines.length, arch.height, width, 1]);
  const labels = lines.map((l) => charset.encode(l.text).labels);
  const widths = lines.map((l) => l.width);
  const frames = widths.map((w) => framesOf(arch, w));
  const layout = lineParamLayout(arch);
  const flat = initialLineWeights(layout, 3);
  const params = layout.map((p) => tf.variable(tf.tensor(flat.subarray(p.offset, p.offset + p.size), p.shape)));
  const optimizer = tf.train.adam(0.02);
  const lossOf = () => ctcLossTf(tf, lineLogits(tf, arch, params, input, true, undefined, widths), labels, frames);
  const first = lossOf().dataSync()[0]!;
  let last = first;
  for (let step = 0; step < 1500 && last > 0.01; step++) last = optimizer.minimize(lossOf, true)!.dataSync()[0]!;
  const weights = new Float32Array(flat.length);
  layout.forEach((p, i) => weights.set(params[i]!.dataSync() as Float32Array, p.offset));
  return { arch, layout, weights, params, input, frames, first, last };
}
