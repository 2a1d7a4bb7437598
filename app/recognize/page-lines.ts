/**
 * Pages in the formats of the field: a page read by `hwr ocr` (lines found, each read by the
 * glyphs or the line recogniser) as ALTO/PAGE content, and the lines of a given ALTO/PAGE file
 * read by the line recogniser, each cut along its baseline, with its text and confidence.
 */
import { basename } from 'node:path';
import { pageInk, type PageFiles } from '../data/lines.ts';
import { readPageXml, writeAlto, writePageXml, type PageDocument, type PageFormat, type TextLine } from '../data/page-xml.ts';
import type { GrayImage } from '../image/gray.ts';
import { cutLine } from '../image/line-image.ts';
import type { Page } from './document.ts';
import type { LineDecoding, LineReader } from './line-reader.ts';

/** Reads each line of `lines` on the ink map; the text and confidence (its least sure word's) are filled in. */
async function readLines(ink: GrayImage, lines: readonly TextLine[], reader: LineReader, decoding: LineDecoding): Promise<TextLine[]> {
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

/**
 * A read page (recognizer.ts) as ALTO/PAGE content: one region, a line per row in reading order.
 * A row the line recogniser read keeps the outline and baseline found on the page; a row read
 * glyph by glyph gets its box as outline and the box's foot as baseline.
 */
export function pageDocument(page: Page, imageFile: string): PageDocument {
  const lines = page.rows.map((row, i): TextLine => {
    const b = row.box;
    return {
      id: `line_${i + 1}`,
      polygon: row.outline?.polygon ?? [
        { x: b.x0, y: b.y0 },
        { x: b.x1, y: b.y0 },
        { x: b.x1, y: b.y1 },
        { x: b.x0, y: b.y1 },
      ],
      baseline: row.outline?.baseline ?? [
        { x: b.x0, y: b.y1 },
        { x: b.x1, y: b.y1 },
      ],
      text: row.text,
      confidence: row.confidence,
    };
  });
  return { imageFile, width: page.width, height: page.height, regions: lines.length ? [{ id: 'region_1', polygon: [], lines }] : [] };
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
  decoding = reader.defaultDecoding,
): Promise<{ format: PageFormat; page: PageDocument }> {
  const { format, page } = readPageXml(xml, xmlPath);
  const files: PageFiles = { xmlPath, imagePath, name: basename(imagePath), page };
  const { ink, page: scaled } = await pageInk(files);
  const regions = [];
  for (const [r, region] of scaled.regions.entries()) {
    const read = await readLines(ink, region.lines, reader, decoding);
    // The text goes back into the file's own coordinates.
    regions.push({ ...page.regions[r]!, lines: page.regions[r]!.lines.map((l, k) => ({ ...l, text: read[k]!.text, confidence: read[k]!.confidence })) });
  }
  return { format, page: { ...page, regions } };
}

/** The page in ALTO v4 or PAGE XML. */
export function pageXml(page: PageDocument, format: PageFormat): string {
  return format === 'alto' ? writeAlto(page) : writePageXml(page);
}
