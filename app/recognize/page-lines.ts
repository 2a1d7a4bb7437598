/**
 * Whole pages through the line recogniser, in the formats of the field: lines found on the page
 * (image/text-lines.ts) or given by an ALTO/PAGE file, each cut along its baseline and read,
 * the result a PageDocument (data/page-xml.ts) with each line's text and confidence.
 */
import { basename } from 'node:path';
import { pageInk, type PageFiles } from '../data/lines.ts';
import { readPageXml, writeAlto, writePageXml, type PageDocument, type PageFormat, type TextLine } from '../data/page-xml.ts';
import { inkMap } from '../image/background.ts';
import { decodeImage } from '../image/decode.ts';
import type { GrayImage, Point } from '../image/gray.ts';
import { cutLine } from '../image/line-image.ts';
import { OCR_DECODE } from '../image/segment.ts';
import { pageTextLines } from '../image/text-lines.ts';
import type { LineDecoding, LineReader } from './line-reader.ts';

/** How a page's lines are decoded: beam search with the model's language model when it has one. */
export function defaultDecoding(reader: LineReader): LineDecoding {
  return { decoder: reader.beam.lm ? 'beam' : 'greedy' };
}

/** Reads each line of `lines` on the ink map; the text and confidence (its least sure word's) are filled in. */
export async function readLines(ink: GrayImage, lines: readonly TextLine[], reader: LineReader, decoding = defaultDecoding(reader)): Promise<TextLine[]> {
  const out: TextLine[] = [];
  for (const line of lines) {
    if (line.polygon.length < 3) {
      out.push({ ...line, text: '', confidence: 0 });
      continue;
    }
    const read = await reader.read(cutLine(ink, line, reader.height), decoding);
    const confidence = read.words.length ? Math.min(...read.words.map((w) => w.confidence)) : 0;
    out.push({ ...line, text: read.text, confidence });
  }
  return out;
}

/** Finds the text lines of a page image and reads them: one region, lines in reading order. */
export async function transcribePage(imagePath: string, reader: LineReader, decoding = defaultDecoding(reader)): Promise<PageDocument> {
  const small = await decodeImage(imagePath, { ...OCR_DECODE, name: imagePath });
  const found = pageTextLines(small);
  // Lines are cut from the image as large as the decoder gives it (it caps huge photos), in its pixels.
  const full = small.originalWidth && small.originalWidth !== small.width ? await decodeImage(imagePath, { name: imagePath }) : small;
  const f = full.width / (small.originalWidth ?? small.width);
  const scale = (ps: readonly Point[]) => ps.map((p) => ({ x: p.x * f, y: p.y * f }));
  const lines = found.map((l, i): TextLine => ({ id: `line_${i + 1}`, polygon: scale(l.polygon), baseline: scale(l.baseline), text: '' }));
  return {
    imageFile: basename(imagePath),
    width: full.width,
    height: full.height,
    regions: lines.length ? [{ id: 'region_1', polygon: [], lines: await readLines(inkMap(full), lines, reader, decoding) }] : [],
  };
}

/**
 * Fills the text of a given segmentation (ALTO or PAGE XML) of `imagePath`, as eScriptorium
 * and Kraken users do: returns the same format with every line's text replaced by what was read.
 */
export async function transcribeSegmentation(
  xmlPath: string,
  xml: string,
  imagePath: string,
  reader: LineReader,
  decoding = defaultDecoding(reader),
): Promise<{ format: PageFormat; page: PageDocument; xml: string }> {
  const { format, page } = readPageXml(xml, xmlPath);
  const files: PageFiles = { xmlPath, imagePath, name: basename(imagePath), page };
  const { ink, page: scaled } = await pageInk(files);
  const regions = [];
  for (const [r, region] of scaled.regions.entries()) {
    const read = await readLines(ink, region.lines, reader, decoding);
    // The text goes back into the file's own coordinates.
    regions.push({ ...page.regions[r]!, lines: page.regions[r]!.lines.map((l, k) => ({ ...l, text: read[k]!.text, confidence: read[k]!.confidence })) });
  }
  const filled: PageDocument = { ...page, regions };
  return { format, page: filled, xml: pageXml(filled, format) };
}

/** The page in ALTO v4 or PAGE XML. */
export function pageXml(page: PageDocument, format: PageFormat): string {
  return format === 'alto' ? writeAlto(page) : writePageXml(page);
}
