/**
 * PDFs in and out (pdf-lib, MIT, pure JavaScript).
 *
 * In: a scanned PDF is a page image per page. Each page's largest image (also inside a form
 * XObject) is taken out as the scanner stored it: JPEG data as it is, Flate-compressed gray or RGB
 * pixels made into a PNG. A page with no image (a PDF of typed text or drawings) or an image in a
 * coding hwr cannot decode (JPEG 2000, fax) is reported, naming the page.
 *
 * Out: a searchable PDF, as OCR tools make them: each page is its image, with the text of each
 * line written over the line in invisible text (rendering mode 3), sized to the line's width, so
 * a PDF viewer can search and select the handwriting.
 */
import { inflateSync } from 'node:zlib';
import {
  PDFArray,
  PDFDict,
  PDFDocument,
  PDFName,
  PDFNumber,
  PDFRawStream,
  StandardFonts,
  decodePDFRawStream,
  popGraphicsState,
  pushGraphicsState,
  setTextRenderingMode,
  TextRenderingMode,
  type PDFFont,
  type PDFRef,
} from 'pdf-lib';
import { encodeImage, pdfReadyImage } from '../image/decode.ts';
import type { Page } from './document.ts';

/** Pages read from one PDF at most: a longer document is refused rather than read for hours. */
export const MAX_PDF_PAGES = 500;

export class PdfError extends Error {
  constructor(name: string, reason: string) {
    super(`${name}: ${reason}`);
    this.name = 'PdfError';
  }
}

export function isPdf(bytes: Uint8Array): boolean {
  return bytes.length >= 5 && Buffer.from(bytes.subarray(0, 5)).toString('latin1') === '%PDF-';
}

/** Each page's scanned image as an image file (JPEG or PNG), in page order. */
export async function pdfPageImages(bytes: Uint8Array, name: string): Promise<Buffer[]> {
  if (!isPdf(bytes)) throw new PdfError(name, 'not a PDF (it does not begin with %PDF-)');
  let pages;
  try {
    const doc = await PDFDocument.load(bytes, { ignoreEncryption: false, updateMetadata: false });
    pages = doc.getPages();
  } catch (err) {
    // pdf-lib reads a damaged file as far as it can; what then fails is a property of nothing.
    const why = err instanceof TypeError ? 'its page tree is missing or damaged' : (err as Error).message.split('\n')[0];
    throw new PdfError(name, `not a PDF hwr can read (${why})`);
  }
  if (pages.length === 0) throw new PdfError(name, 'the PDF has no pages');
  if (pages.length > MAX_PDF_PAGES) throw new PdfError(name, `the PDF has ${pages.length} pages, more than the ${MAX_PDF_PAGES} hwr reads from one file`);
  const out: Buffer[] = [];
  for (const [i, page] of pages.entries()) {
    const image = largestImage(page.node.Resources(), 0);
    if (!image) throw new PdfError(name, `page ${i + 1} has no scanned image (a PDF of typed text or drawings); hwr reads scanned pages`);
    out.push(await imageFile(image, `${name}: page ${i + 1}`));
  }
  return out;
}

function largestImage(resources: PDFDict | undefined, depth: number): PDFRawStream | null {
  const xobjects = resources?.lookupMaybe(PDFName.of('XObject'), PDFDict);
  if (!xobjects) return null;
  let best: PDFRawStream | null = null;
  let bestArea = 0;
  for (const [, ref] of xobjects.entries()) {
    const stream = xobjects.context.lookup(ref as PDFRef);
    if (!(stream instanceof PDFRawStream)) continue;
    const subtype = stream.dict.lookupMaybe(PDFName.of('Subtype'), PDFName);
    if (subtype === PDFName.of('Image')) {
      const area = numberOf(stream.dict, 'Width') * numberOf(stream.dict, 'Height');
      if (area > bestArea) {
        best = stream;
        bestArea = area;
      }
    } else if (subtype === PDFName.of('Form') && depth < 2) {
      const inner = largestImage(stream.dict.lookupMaybe(PDFName.of('Resources'), PDFDict), depth + 1);
      const area = inner ? numberOf(inner.dict, 'Width') * numberOf(inner.dict, 'Height') : 0;
      if (inner && area > bestArea) {
        best = inner;
        bestArea = area;
      }
    }
  }
  return best;
}

function numberOf(dict: PDFDict, key: string): number {
  return dict.lookupMaybe(PDFName.of(key), PDFNumber)?.asNumber() ?? 0;
}

/** One image XObject as a file sharp decodes. */
async function imageFile(stream: PDFRawStream, where: string): Promise<Buffer> {
  const dict = stream.dict;
  const filterObj = dict.lookup(PDFName.of('Filter'));
  const filters = filterObj instanceof PDFArray ? filterObj.asArray().map((f) => String(f)) : filterObj ? [String(filterObj)] : [];
  if (filters.length === 1 && filters[0] === '/DCTDecode') return Buffer.from(stream.contents);
  const unsupported = filters.find((f) => !['/FlateDecode', '/LZWDecode', '/ASCII85Decode', '/ASCIIHexDecode', '/RunLengthDecode'].includes(f));
  if (unsupported) throw new Error(`${where}: its image is coded as ${unsupported.slice(1)}, which hwr cannot decode; export the page as JPEG or PNG`);
  const width = numberOf(dict, 'Width');
  const height = numberOf(dict, 'Height');
  const bits = numberOf(dict, 'BitsPerComponent') || 8;
  const channels = colourChannels(dict.lookup(PDFName.of('ColorSpace')), dict);
  if (!channels) throw new Error(`${where}: its image's colour space is not gray, RGB or CMYK`);
  if (width < 1 || height < 1 || width * height > 100_000_000) throw new Error(`${where}: its image is ${width}×${height}`);
  let data: Uint8Array;
  try {
    data = filters.length ? decodePDFRawStream(stream).decode() : stream.contents;
  } catch (err) {
    // pdf-lib's Flate reader fails on some streams zlib reads.
    if (filters.length === 1 && filters[0] === '/FlateDecode') data = inflateSync(stream.contents);
    else throw new Error(`${where}: its image data is damaged (${(err as Error).message})`, { cause: err });
  }
  const rowBytes = Math.ceil((width * channels * bits) / 8);
  if (data.length < rowBytes * height) throw new Error(`${where}: its image data is shorter than ${width}×${height} pixels`);
  let pixels: Uint8Array;
  if (bits === 8) pixels = data;
  else if (bits === 1 && channels === 1) {
    pixels = new Uint8Array(width * height);
    for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) pixels[y * width + x] = (data[y * rowBytes + (x >> 3)]! >> (7 - (x & 7))) & 1 ? 255 : 0;
  } else throw new Error(`${where}: its image has ${bits} bits a sample; hwr reads 1 and 8`);
  const decodeArray = dict.lookupMaybe(PDFName.of('Decode'), PDFArray);
  if (decodeArray && decodeArray.size() >= 2 && numberOf0(decodeArray, 0) === 1) pixels = pixels.map((v) => 255 - v); // inverted (1 = black)
  if (channels === 4) {
    // CMYK to RGB, plainly (no colour profile): enough to read the writing.
    const rgb = new Uint8Array(width * height * 3);
    for (let i = 0; i < width * height; i++) {
      const k = 1 - pixels[i * 4 + 3]! / 255;
      for (let c = 0; c < 3; c++) rgb[i * 3 + c] = Math.round((255 - pixels[i * 4 + c]!) * k);
    }
    pixels = rgb;
  }
  const out = channels === 1 ? 1 : 3;
  return encodeImage({ width, height, channels: out, data: pixels.subarray(0, width * height * out) }, 'png');
}

function numberOf0(array: PDFArray, i: number): number {
  const v = array.lookup(i);
  return v instanceof PDFNumber ? v.asNumber() : 0;
}

function colourChannels(space: unknown, dict: PDFDict): number | null {
  if (dict.lookupMaybe(PDFName.of('ImageMask'), PDFName) !== undefined) return 1;
  const name = space instanceof PDFName ? space.toString() : space instanceof PDFArray ? String(space.lookup(0)) : '';
  if (name === '/DeviceGray' || name === '/CalGray') return 1;
  if (name === '/DeviceRGB' || name === '/CalRGB') return 3;
  if (name === '/DeviceCMYK') return 4;
  if (name === '/ICCBased' && space instanceof PDFArray) {
    const profile = space.lookup(1);
    const n = profile instanceof PDFRawStream ? numberOf(profile.dict, 'N') : 0;
    return n === 1 || n === 3 || n === 4 ? n : null;
  }
  return null;
}

export interface PdfPage {
  /** The page read, its boxes in page.width × page.height. */
  page: Page;
  /** The page's image as a JPEG or PNG file (the image the boxes are on). */
  image: Buffer;
}

/** Pixels of a page image per PDF point: the page is laid out as if scanned at 150 dpi. */
const PIXELS_PER_POINT = 150 / 72;

/** A searchable PDF of the pages: each page's image with its lines' text over them, invisible. */
export async function searchablePdf(pages: readonly PdfPage[], title?: string): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  if (title) doc.setTitle(title);
  doc.setCreator('hwr');
  doc.setProducer('hwr (pdf-lib)');
  const font = await doc.embedFont(StandardFonts.Helvetica);
  const encodable = new Set(font.getCharacterSet());
  for (const { page, image } of pages) {
    const ready = await pdfReadyImage(image);
    // pdf-lib reads an image from the start of its ArrayBuffer: bytes that are a view into a
    // larger one (a Buffer from the pool, a message from the page-reading process) are copied first.
    const bytes = new Uint8Array(ready.bytes);
    const embedded = ready.format === 'jpeg' ? await doc.embedJpg(bytes) : await doc.embedPng(bytes);
    const width = (ready.width || page.width) / PIXELS_PER_POINT;
    const height = (ready.height || page.height) / PIXELS_PER_POINT;
    const pdfPage = doc.addPage([width, height]);
    pdfPage.drawImage(embedded, { x: 0, y: 0, width, height });
    const s = width / page.width;
    pdfPage.pushOperators(pushGraphicsState(), setTextRenderingMode(TextRenderingMode.Invisible));
    for (const row of page.rows) {
      const text = [...row.text].map((c) => (encodable.has(c.codePointAt(0)!) ? c : '?')).join('');
      if (!text.trim()) continue;
      const boxWidth = (row.box.x1 - row.box.x0) * s;
      const boxHeight = (row.box.y1 - row.box.y0) * s;
      const size = fitSize(font, text, boxWidth, boxHeight);
      pdfPage.drawText(text, { x: row.box.x0 * s, y: height - row.box.y1 * s + 0.2 * boxHeight, size, font });
    }
    pdfPage.pushOperators(popGraphicsState());
  }
  return doc.save();
}

/** The font size at which the text is as wide as its line, no taller than the line. */
function fitSize(font: PDFFont, text: string, width: number, height: number): number {
  const atOne = font.widthOfTextAtSize(text, 1);
  return Math.max(1, Math.min(height, atOne > 0 ? width / atOne : height));
}
