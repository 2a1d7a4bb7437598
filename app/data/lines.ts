/**
 * Line datasets for the line recogniser: a folder of page images with their ALTO or PAGE XML
 * (the lines cut out along their baselines), or a folder of line images with a `.txt`
 * transcription beside each. Lines are kept as 8-bit ink of a fixed height, so the 5,684 lines of
 * the Copiste pages take about 160 MB, not four times that.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { makeDirectory, writeFileAtomic } from '../base/atomic.ts';
import { sharedDataDir } from '../base/paths.ts';
import { inkMap } from '../image/background.ts';
import { decodeImage, ImageDecodeError } from '../image/decode.ts';
import { pointsBox, type GrayImage } from '../image/gray.ts';
import { cutLine, LINE_HEIGHT } from '../image/line-image.ts';
import { matchedLines, pageTextLines } from '../image/text-lines.ts';
import { DatasetError } from './files.ts';
import { readPageXml, type PageDocument, type Point } from './page-xml.ts';

export interface LineSample {
  /** height × width ink, 0 (paper) .. 255 (ink), row-major. */
  ink: Uint8Array;
  width: number;
  height: number;
  text: string;
  /** Who wrote it: lines of one writer stay on one side of a train/validation split. */
  writer: string;
  /** Page file and line id, or the line image's file, for messages and reports. */
  source: string;
  /**
   * The same line cut along the outline hwr's own line finding gives it (image/text-lines.ts), where
   * it finds the line (a found line over it, IoU ≥ 0.5): what the model reads in `hwr ocr`.
   */
  found?: { ink: Uint8Array; width: number };
}

export interface LineDataset {
  lines: LineSample[];
  /** What was read, for model cards: folder, kind, pages, lines, writers. */
  description: string;
}

export interface LineDatasetOptions {
  height?: number;
  /** Called after each page or line image. */
  onProgress?(done: number, total: number): void;
  /**
   * A file that keeps the cut lines between runs (a resumed training starts in seconds, not
   * minutes); used only while the folder's files and the height are as they were.
   */
  cache?: string;
}

const IMAGE_EXT = new Set(['.png', '.jpg', '.jpeg', '.tif', '.tiff', '.webp']);

/**
 * Pages whose names differ only by a trailing `_1`, `_2` are one text by one writer (the
 * Copiste pages, one writer per text); any other page is its own writer.
 */
export function writerOf(pageName: string): string {
  return pageName.replace(/_\d$/, '');
}

/** The pages line models learn from when no --data is given: the shared Copiste pages. */
export function defaultLineData(): string {
  const shared = sharedDataDir();
  if (!shared) throw new Error('no --data given and no ../shared/data: give a folder of pages with ALTO/PAGE XML, or of line images with .txt transcriptions');
  return join(shared, 'copiste');
}

export async function loadLineDataset(dir: string, options: LineDatasetOptions = {}): Promise<LineDataset> {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new DatasetError(dir, 'folder not found');
  const files = listFiles(dir);
  const stamps = files.map((f) => {
    const st = statSync(f);
    return [f, st.size, st.mtimeMs];
  });
  const signature = JSON.stringify({ version: 2, height: options.height ?? LINE_HEIGHT, files: stamps });
  if (options.cache) {
    const cached = readCache(options.cache, signature);
    if (cached) return cached;
  }
  const xmls = files.filter((f) => extname(f).toLowerCase() === '.xml');
  const texts = files.filter((f) => extname(f).toLowerCase() === '.txt');
  let set: LineDataset;
  if (xmls.length) set = await loadPages(dir, options);
  else if (texts.length) set = await loadLineImages(dir, texts, options);
  else throw new DatasetError(dir, 'no ALTO/PAGE .xml files and no line images with .txt transcriptions found');
  if (options.cache) writeCache(options.cache, signature, set);
  return set;
}

/** Cache file: a 4-byte length, a JSON header (signature, description, lines without ink), then every line's ink. */
function writeCache(path: string, signature: string, set: LineDataset): void {
  const header = Buffer.from(
    JSON.stringify({
      signature,
      description: set.description,
      lines: set.lines.map(({ ink: _, found, ...rest }) => ({ ...rest, ...(found ? { foundWidth: found.width } : {}) })),
    }),
  );
  const length = Buffer.alloc(4);
  length.writeUInt32LE(header.length);
  makeDirectory(dirname(path));
  writeFileAtomic(path, Buffer.concat([length, header, ...set.lines.flatMap((l) => (l.found ? [l.ink, l.found.ink] : [l.ink]))]));
}

function readCache(path: string, signature: string): LineDataset | null {
  try {
    const bytes = readFileSync(path);
    const size = bytes.readUInt32LE(0);
    type Stored = Omit<LineSample, 'ink' | 'found'> & { foundWidth?: number };
    const header = JSON.parse(bytes.subarray(4, 4 + size).toString('utf8')) as { signature: string; description: string; lines: Stored[] };
    if (header.signature !== signature) return null;
    let at = 4 + size;
    const take = (n: number) => {
      const ink = new Uint8Array(bytes.subarray(at, at + n));
      at += n;
      return ink;
    };
    const lines = header.lines.map(({ foundWidth, ...l }): LineSample => {
      const ink = take(l.width * l.height);
      return foundWidth === undefined ? { ...l, ink } : { ...l, ink, found: { ink: take(foundWidth * l.height), width: foundWidth } };
    });
    return at === bytes.length ? { lines, description: header.description } : null;
  } catch {
    return null; // absent or damaged: the lines are cut again
  }
}

/** Files of a folder and of its subfolders one level down (`alto/` beside `jpg/`, as the Copiste data). */
function listFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    const stat = statSync(path); // follows links
    if (stat.isFile()) out.push(path);
    else if (stat.isDirectory()) for (const sub of readdirSync(path).sort()) if (statSync(join(path, sub)).isFile()) out.push(join(path, sub));
  }
  return out;
}

/** A page of a line dataset: its segmentation and its image. */
export interface PageFiles {
  xmlPath: string;
  imagePath: string;
  /** The file name without extension: names the page in reports and gives its writer. */
  name: string;
  page: PageDocument;
}

/** The pages of a folder (and its subfolders one level down) with the image each XML names. */
export function listPages(dir: string): PageFiles[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new DatasetError(dir, 'folder not found');
  const files = listFiles(dir);
  const images = new Map(files.filter((f) => IMAGE_EXT.has(extname(f).toLowerCase())).map((f) => [basename(f), f]));
  const byStem = new Map([...images].map(([name, path]) => [name.slice(0, -extname(name).length), path]));
  return files
    .filter((f) => extname(f).toLowerCase() === '.xml')
    .map((xmlPath) => {
      const { page } = readPageXml(readFileSync(xmlPath, 'utf8'), xmlPath);
      const name = basename(xmlPath, extname(xmlPath));
      const imagePath = images.get(basename(page.imageFile)) ?? byStem.get(name);
      if (!imagePath) throw new DatasetError(xmlPath, `its image ${page.imageFile || name + '.*'} is not in ${dir}`);
      return { xmlPath, imagePath, name, page };
    });
}

/**
 * A page's image as an ink map, with its lines in the image's pixels. An image a few pixels off
 * the size its XML gives (halving 1,753 rows gives 876 or 877), or scaled as a whole (a scan at
 * twice the resolution of the segmentation), has its coordinates scaled to it; one whose shape
 * differs is refused.
 */
export async function pageInk(files: PageFiles): Promise<{ ink: GrayImage; page: PageDocument; image: GrayImage }> {
  const image = await decodeForDataset(files.imagePath);
  const { page } = files;
  const [sx, sy] = [image.width / page.width, image.height / page.height];
  if (Math.abs(sx / sy - 1) > 0.01) {
    throw new DatasetError(
      files.xmlPath,
      `the page is ${page.width}×${page.height} but its image ${basename(files.imagePath)} is ${image.width}×${image.height}`,
    );
  }
  const scaled = sx === 1 && sy === 1 ? page : scalePage(page, sx, sy);
  return { ink: inkMap(image), page: scaled, image };
}

function scalePage(page: PageDocument, sx: number, sy: number): PageDocument {
  const scale = (ps: readonly Point[]) => ps.map((p) => ({ x: p.x * sx, y: p.y * sy }));
  return {
    ...page,
    width: Math.round(page.width * sx),
    height: Math.round(page.height * sy),
    regions: page.regions.map((r) => ({
      ...r,
      polygon: scale(r.polygon),
      lines: r.lines.map((l) => ({ ...l, polygon: scale(l.polygon), baseline: scale(l.baseline) })),
    })),
  };
}

async function loadPages(dir: string, options: LineDatasetOptions): Promise<LineDataset> {
  const height = options.height ?? LINE_HEIGHT;
  const pages = listPages(dir);
  const lines: LineSample[] = [];
  const writers = new Set<string>();
  for (const [i, files] of pages.entries()) {
    const { ink, page, image } = await pageInk(files);
    const writer = writerOf(files.name);
    writers.add(writer);
    const given = page.regions.flatMap((r) => r.lines).filter((line) => line.text.trim());
    const found = pageTextLines(image).filter((l) => !l.printed);
    const over = matchedLines(
      found.map((l) => l.box),
      given.map((l) => pointsBox(l.polygon)),
    );
    for (const [k, line] of given.entries()) {
      const sample: LineSample = { ...toBytes(cutLine(ink, line, height)), text: line.text, writer, source: `${basename(files.xmlPath)}#${line.id}` };
      const f = over.get(k);
      if (f !== undefined) {
        const cut = toBytes(cutLine(ink, found[f]!, height));
        sample.found = { ink: cut.ink, width: cut.width };
      }
      lines.push(sample);
    }
    options.onProgress?.(i + 1, pages.length);
  }
  return { lines, description: `${dir}: ${pages.length} pages with ALTO/PAGE XML, ${lines.length} lines, ${writers.size} writers` };
}

async function loadLineImages(dir: string, texts: string[], options: LineDatasetOptions): Promise<LineDataset> {
  const height = options.height ?? LINE_HEIGHT;
  const lines: LineSample[] = [];
  for (const [i, txt] of texts.entries()) {
    const stem = txt.slice(0, -extname(txt).length);
    const imagePath = [...IMAGE_EXT].map((e) => stem + e).find((p) => existsSync(p));
    if (!imagePath) throw new DatasetError(txt, 'no line image beside it (expected the same name with .png, .jpg, .tif or .webp)');
    const text = readFileSync(txt, 'utf8').replace(/\s+/g, ' ').trim();
    const ink = inkMap(await decodeForDataset(imagePath));
    const box = [
      { x: 0, y: 0 },
      { x: ink.width, y: 0 },
      { x: ink.width, y: ink.height },
      { x: 0, y: ink.height },
    ];
    if (text) lines.push({ ...toBytes(cutLine(ink, { polygon: box, baseline: [] }, height)), text, writer: basename(stem), source: basename(imagePath) });
    options.onProgress?.(i + 1, texts.length);
  }
  return { lines, description: `${dir}: ${lines.length} line images with transcriptions` };
}

/** An image of a dataset; what cannot be read is a DatasetError naming the file. */
async function decodeForDataset(path: string) {
  try {
    return await decodeImage(path);
  } catch (err) {
    if (err instanceof ImageDecodeError) throw new DatasetError(path, err.reason, { cause: err });
    throw err;
  }
}

function toBytes(img: GrayImage): Pick<LineSample, 'ink' | 'width' | 'height'> {
  const ink = new Uint8Array(img.data.length);
  for (let i = 0; i < ink.length; i++) ink[i] = Math.round(Math.min(1, Math.max(0, img.data[i]!)) * 255);
  return { ink, width: img.width, height: img.height };
}

/** Lines of one height side by side for a batch, padded with paper to the widest: count × height × width, row-major. */
export function padLines(lines: readonly { ink: Float32Array; width: number }[], height: number): { pixels: Float32Array; width: number } {
  const width = Math.max(...lines.map((l) => l.width));
  const pixels = new Float32Array(lines.length * height * width);
  lines.forEach((l, n) => {
    for (let r = 0; r < height; r++) pixels.set(l.ink.subarray(r * l.width, (r + 1) * l.width), (n * height + r) * width);
  });
  return { pixels, width };
}

/**
 * Splits by writer: about `share` of the writers (never of the lines) go to validation, chosen
 * by a hash of their names, so the split does not move when lines or pages are added.
 */
export function splitByWriter(lines: readonly LineSample[], share = 0.1): { train: number[]; validation: number[] } {
  const train: number[] = [];
  const validation: number[] = [];
  lines.forEach((l, i) => (hashShare(l.writer) < share ? validation : train).push(i));
  return { train, validation };
}

function hashShare(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  // FNV-1a leaves names that differ in their last characters close; mix the bits (murmur3's finaliser).
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return ((h ^ (h >>> 16)) >>> 0) / 2 ** 32;
}
