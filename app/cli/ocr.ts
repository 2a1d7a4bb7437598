/**
 * `hwr ocr`: handwriting photos to text. One image without --out prints its rows; with --out
 * each image's result is written (atomically) to DIR/<name>.<txt|json|hocr|xml>. Folders and globs
 * expand to the images in them; a file that cannot be read, or in which no handwriting is found,
 * is reported and the others are still processed (exit 1 at the end).
 *
 * `--format alto|page` writes the lines as ALTO v4 or PAGE XML, with outlines, baselines and
 * confidences; `--lines FILE.xml IMAGE` reads the lines of a given segmentation with the line
 * recogniser and writes the file back with their text, as eScriptorium and Kraken users do.
 */
import { checkWritableFolder } from '../base/atomic.ts';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, extname, join, resolve, sep } from 'node:path';
import { defaultLineModelPath } from '../base/model-files.ts';
import type { PageFormat } from '../data/page-xml.ts';
import { LineReader } from '../recognize/line-reader.ts';
import { pageDocument, pageXml, transcribeSegmentation } from '../recognize/page-lines.ts';
import { writeFileAtomic } from '../base/atomic.ts';
import { pageHocr, pageJson, pageText, type Page } from '../recognize/document.ts';
import { loadDefaultClassifier, recognizeFile } from '../recognize/recognizer.ts';
import { isOpenableImage, PAGE_READERS, type PageReader } from '../contract.ts';
import { encodeImage } from '../image/decode.ts';
import { OUTPUT_FORMATS, type OutputFormat } from '../recognize/output-formats.ts';
import { pdfPageImages, searchablePdf, type PdfPage } from '../recognize/pdf.ts';
import { parseCli, UsageError } from './args.ts';
import { ProgressBar } from './progress.ts';

export const usage =
  'ocr [--format text|json|hocr|alto|page|pdf] [--reader auto|glyphs|lines] [--model FILE] [--line-model FILE] [--lines FILE.xml] [--out DIR] IMAGE...   ' +
  'handwriting photos (files, folders, globs) to text, each line read glyph by glyph or by the line recogniser, whichever fits it ' +
  '(--reader); alto/page: the lines with outlines, baselines and confidences; pdf: a searchable PDF (needs --out); scanned PDFs are read page by page; ' +
  '--lines: fill the text of a given ALTO/PAGE segmentation of one image';

const FORMATS = OUTPUT_FORMATS;
type Format = OutputFormat;

/** A progress bar is drawn on a terminal, or in logs when there are at least this many files. */
const PROGRESS_IN_LOGS = 20;

export async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseCli(
    args,
    {
      format: { type: 'string' },
      reader: { type: 'string' },
      model: { type: 'string' },
      'line-model': { type: 'string' },
      lines: { type: 'string' },
      out: { type: 'string' },
    },
    usage,
  );
  const format = (values.format ?? 'text') as Format;
  if (!(format in FORMATS)) throw new UsageError(`--format must be text, json, hocr, alto, page or pdf, got '${values.format}'\nusage: hwr ${usage}`);
  if (format === 'pdf' && !values.out) throw new UsageError(`--format pdf writes a PDF per input: give --out DIR\nusage: hwr ${usage}`);
  if (positionals.length === 0) throw new UsageError(`no images given\nusage: hwr ${usage}`);
  const readerMode = (values.reader ?? 'auto') as PageReader;
  if (!PAGE_READERS.includes(readerMode)) throw new UsageError(`--reader must be ${PAGE_READERS.join(', ')}, got '${values.reader}'\nusage: hwr ${usage}`);
  if (values.lines) return fillSegmentation(values.lines, positionals, values);

  const { files, problems } = expandInputs(positionals);
  for (const p of problems) console.error(`hwr ocr: ${p}`);
  if (files.length === 0) {
    if (problems.length === 0) console.error('hwr ocr: no images found');
    return problems.length ? 1 : 2;
  }
  if (!values.out && files.length > 1 && (format === 'hocr' || format === 'alto' || format === 'page')) {
    const name = { hocr: 'hOCR', alto: 'ALTO', page: 'PAGE XML' }[format];
    throw new UsageError(`${name} of ${files.length} images needs --out DIR (one document per image)\nusage: hwr ${usage}`);
  }
  // The output folder is made and checked before any page is read.
  if (values.out) checkWritableFolder(resolve(values.out));
  const outputs = values.out ? outputNames(files, resolve(values.out), FORMATS[format]) : null;

  // The line recogniser reads the lines the glyph classifier cannot (joined-up, lower case); without its model, glyphs only.
  const linePath = values['line-model'] ?? defaultLineModelPath();
  let lines: LineReader | undefined;
  if (readerMode !== 'glyphs') {
    if (existsSync(linePath)) lines = await LineReader.load(linePath);
    else if (values['line-model'] || readerMode === 'lines') throw new Error(`no line model at ${linePath}: train one with 'hwr train --arch crnn'`);
  }
  const classifier = await loadDefaultClassifier(values.model).catch(async (err: unknown) => {
    await lines?.close();
    throw err;
  });
  const pages: Page[] = [];
  let failed = problems.length;
  try {
    failed += await eachFile(files, outputs !== null, async (file, i) => {
      const output = outputs?.get(file);
      if (!output && format === 'json' && files.length > 1 && !isPdfName(file)) {
        // Many images' JSON to standard output: one list of pages.
        pages.push((await readDocument(file, file, format, { classifier, lines, reader: readerMode }, (note) => console.error(`hwr ocr: ${note}`))).pages[0]!);
        return;
      }
      const { bytes } = await readDocument(file, file, format, { classifier, lines, reader: readerMode }, (note) => console.error(`hwr ocr: ${note}`));
      if (output) writeFileAtomic(output, bytes);
      else {
        const header = files.length > 1 ? `==> ${file} <==\n` : '';
        process.stdout.write(`${i > 0 && header ? '\n' : ''}${header}${bytes.toString()}`);
      }
    });
  } finally {
    await classifier.close();
    await lines?.close();
  }
  if (pages.length) process.stdout.write(`[\n${pages.map((p) => pageJson(p).trimEnd()).join(',\n')}\n]\n`);
  if (failed) console.error(`hwr ocr: ${failed} of ${files.length + problems.length} input(s) failed`);
  return failed ? 1 : 0;
}

export interface Readers {
  classifier: Awaited<ReturnType<typeof loadDefaultClassifier>>;
  lines?: LineReader;
  reader?: PageReader;
}

/**
 * One document read into one output in `format`, as `hwr ocr --out` writes it: an image's page,
 * or a scanned PDF's pages (text with a form feed between pages, JSON with a page list, one
 * searchable PDF). `input` is a path or the file's bytes; `file` names it (messages, XML). Throws,
 * naming the file, when no handwriting is found. `note` hears what was done to read it (a sheet
 * flattened, a page turned). Used by `hwr ocr` and by `hwr worker`.
 */
export async function readDocument(
  input: string | Buffer,
  file: string,
  format: Format,
  readers: Readers,
  note: (message: string) => void = () => {},
): Promise<{ bytes: Buffer; pages: Page[] }> {
  const bytes = typeof input === 'string' ? () => readFileSync(input) : () => input;
  const options = { lines: readers.lines, reader: readers.reader ?? 'auto' };
  if (isPdfName(file)) {
    // A scanned PDF: each page's image read in turn; a blank page is a page without text.
    const images = await pdfPageImages(bytes(), file);
    const read: PdfPage[] = [];
    for (const [n, image] of images.entries()) {
      const page = await recognizeFile(image, readers.classifier, { ...options, name: `${file} page ${n + 1}` });
      read.push({ page, image: await imageAsRead(page, image) });
    }
    if (read.every((r) => r.page.rows.length === 0)) throw new Error(`${file}: no handwriting found on its ${read.length} page(s)`);
    return { bytes: await renderPdfPages(read, format, file), pages: read.map((r) => r.page) };
  }
  const page = await recognizeFile(input, readers.classifier, { ...options, name: file });
  // A blank, uniform or tiny image reads as nothing: say so rather than give an empty result.
  if (page.rows.length === 0) throw new Error(noWriting(file, page));
  if (page.sheet) note(`${file}: found the sheet (corners ${page.sheet.map((p) => `${Math.round(p.x)},${Math.round(p.y)}`).join(' ')}); read it flattened`);
  if (page.skew) note(`${file}: the lines sloped ${Math.abs(page.skew)}° ${page.skew > 0 ? 'down' : 'up'} to the right; turned straight to read them`);
  if (page.turned) note(`${file}: the writing ran ${page.turned === 180 ? 'upside down' : 'sideways'}; turned ${page.turned}° clockwise to read it`);
  const out =
    format === 'pdf'
      ? Buffer.from(await searchablePdf([{ page, image: await imageAsRead(page, bytes()) }], basename(file)))
      : Buffer.from(render(page, format, file));
  return { bytes: out, pages: [page] };
}

const noWriting = (file: string, page: { width: number; height: number }) =>
  `${file}: no handwriting found in this ${page.width}×${page.height} image (blank, uniform or too small)`;

/**
 * Reads each file in turn; a file that fails is reported (naming it) and the others still run.
 * A progress bar is drawn where wanted: on a terminal, or in logs for many files, and not over
 * text going to the same terminal. Returns how many failed.
 */
async function eachFile(files: readonly string[], toFiles: boolean, read: (file: string, i: number) => Promise<void>): Promise<number> {
  const wanted = files.length > 1 && (process.stderr.isTTY || files.length >= PROGRESS_IN_LOGS) && (toFiles || !process.stdout.isTTY);
  const progress = wanted ? new ProgressBar('ocr', files.length) : null;
  let failed = 0;
  for (const [i, file] of files.entries()) {
    try {
      await read(file, i);
    } catch (err) {
      failed++;
      const message = err instanceof Error ? err.message : String(err);
      // Decode errors already name the file.
      console.error(`${progress && process.stderr.isTTY ? '\n' : ''}hwr ocr: ${message.includes(file) ? message : `${file}: ${message}`}`);
    }
    progress?.update(i + 1);
  }
  progress?.done(failed ? `${failed} failed` : '');
  return failed;
}

/** `--lines FILE.xml IMAGE`: the segmentation's lines read, the file written back in its own format (or --format alto|page). */
async function fillSegmentation(xmlPath: string, images: string[], values: { format?: string; out?: string; 'line-model'?: string }): Promise<number> {
  if (images.length !== 1) throw new UsageError(`--lines reads one image's segmentation: give exactly one image, not ${images.length}\nusage: hwr ${usage}`);
  if (values.format && values.format !== 'alto' && values.format !== 'page') {
    throw new UsageError(`--lines writes ALTO or PAGE XML: --format must be alto or page, got '${values.format}'\nusage: hwr ${usage}`);
  }
  const image = images[0]!;
  let xml: string;
  try {
    xml = readFileSync(xmlPath, 'utf8');
  } catch (err) {
    throw new Error(`${xmlPath}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`, { cause: err });
  }
  const reader = await LineReader.load(values['line-model'] ?? defaultLineModelPath());
  try {
    const done = await transcribeSegmentation(xmlPath, xml, image, reader);
    const format = (values.format as PageFormat | undefined) ?? done.format;
    const out = pageXml(done.page, format);
    if (values.out) {
      const path = join(resolve(values.out), `${basename(xmlPath, extname(xmlPath))}.xml`);
      writeFileAtomic(path, out);
      console.error(`hwr ocr: ${done.page.regions.reduce((n, r) => n + r.lines.length, 0)} lines read → ${path}`);
    } else process.stdout.write(out);
    return 0;
  } finally {
    await reader.close();
  }
}

/** The image the page's boxes are on: the file as given, or the image as read (a sheet flattened, a page turned). */
async function imageAsRead(page: Page, file: Buffer): Promise<Buffer> {
  return page.view ? encodeImage(page.view, 'jpeg', 85) : file;
}

const isPdfName = (file: string) => extname(file).toLowerCase() === '.pdf';

/** A PDF's pages as one output: a searchable PDF, their texts (pages apart by a form feed), JSON with a page list, or one page's XML. */
async function renderPdfPages(read: readonly PdfPage[], format: Format, file: string): Promise<Buffer> {
  switch (format) {
    case 'pdf':
      return Buffer.from(await searchablePdf(read, basename(file)));
    case 'text':
      return Buffer.from(read.map((r) => render(r.page, 'text', file)).join('\f'));
    case 'json':
      return Buffer.from(`{\n"source": ${JSON.stringify(file)},\n"pages": [\n${read.map((r) => pageJson(r.page).trimEnd()).join(',\n')}\n]\n}\n`);
    default:
      if (read.length > 1)
        throw new Error(`${file}: ${format} of a ${read.length}-page PDF is not written (one page a document); use --format text, json or pdf`);
      return Buffer.from(render(read[0]!.page, format, file));
  }
}

function render(page: Page, format: Exclude<Format, 'pdf'> | Format, file: string): string {
  switch (format) {
    case 'pdf':
      throw new Error('render: a PDF is written by searchablePdf');
    case 'alto':
    case 'page':
      return pageXml(pageDocument(page, basename(file)), format);
    case 'text': {
      const text = pageText(page);
      return text ? `${text}\n` : '';
    }
    case 'json':
      return pageJson(page);
    case 'hocr':
      return pageHocr(page);
  }
}

/**
 * Output file per input: <name without extension>.<ext> in the folder; when two inputs share
 * that name, the input's extension is kept (a.jpg → a.jpg.txt); inputs that still collide are
 * numbered.
 */
export function outputNames(files: readonly string[], outDir: string, ext: string): Map<string, string> {
  const stem = (f: string) => basename(f, extname(f));
  const count = new Map<string, number>();
  for (const f of files) count.set(stem(f), (count.get(stem(f)) ?? 0) + 1);
  const used = new Set<string>();
  const out = new Map<string, string>();
  for (const f of files) {
    let name = count.get(stem(f))! > 1 ? basename(f) : stem(f);
    for (let k = 2; used.has(name); k++) name = `${count.get(stem(f))! > 1 ? basename(f) : stem(f)}-${k}`;
    used.add(name);
    out.set(f, join(outDir, `${name}.${ext}`));
  }
  return out;
}

/**
 * Files from the command line: files as given, folders as the images directly in them, globs
 * (*, ?, [..], ** for any depth; quoted so the shell did not expand them) as the images they
 * match. Unreadable inputs and globs that match nothing are problems.
 */
export function expandInputs(inputs: readonly string[]): { files: string[]; problems: string[] } {
  const files: string[] = [];
  const problems: string[] = [];
  const seen = new Set<string>();
  const add = (f: string) => {
    const key = resolve(f);
    if (!seen.has(key)) {
      seen.add(key);
      files.push(f);
    }
  };
  for (const input of inputs) {
    if (!/[*?[]/.test(input)) {
      let isDir: boolean;
      try {
        isDir = statSync(input).isDirectory();
      } catch (err) {
        problems.push(`${input}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or folder' : (err as Error).message}`);
        continue;
      }
      if (!isDir) add(input);
      else {
        const images = listImages(input);
        if (images.length === 0) problems.push(`${input}: no images in this folder`);
        images.forEach(add);
      }
      continue;
    }
    const matches = glob(input).filter((f) => isOpenableImage(f) || isPdfName(f));
    if (matches.length === 0) problems.push(`${input}: no images match`);
    matches.forEach(add);
  }
  return { files, problems };
}

function listImages(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile() && (isOpenableImage(e.name) || isPdfName(e.name)) && !e.name.startsWith('.'))
    .map((e) => join(dir, e.name))
    .sort();
}

/** Minimal glob over the file system: *, ?, [...] within a path segment, ** across segments. */
export function glob(pattern: string): string[] {
  const parts = pattern.split(/[\\/]+/);
  const absolute = pattern.startsWith('/') || pattern.startsWith(sep);
  const first = parts.findIndex((p) => /[*?[]/.test(p));
  const baseParts = parts.slice(0, first);
  const base = baseParts.length ? baseParts.join('/') || '/' : '.';
  const rest = parts.slice(first);
  const out: string[] = [];
  const walk = (dir: string, i: number) => {
    if (i === rest.length) return;
    const seg = rest[i]!;
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    if (seg === '**') {
      walk(dir, i + 1);
      for (const e of entries) if (e.isDirectory() && !e.name.startsWith('.')) walk(join(dir, e.name), i);
      return;
    }
    const re = segmentRegex(seg);
    for (const e of entries) {
      if (!re.test(e.name) || (e.name.startsWith('.') && !seg.startsWith('.'))) continue;
      const path = dir === '.' && !absolute && baseParts.length === 0 ? e.name : join(dir, e.name);
      if (i === rest.length - 1) {
        if (e.isFile()) out.push(path);
      } else if (e.isDirectory()) walk(path, i + 1);
    }
  };
  walk(base, 0);
  return out.sort();
}

function segmentRegex(seg: string): RegExp {
  let re = '';
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = seg.indexOf(']', i + 1);
      if (end < 0) re += '\\[';
      else {
        re += `[${seg
          .slice(i + 1, end)
          .replace(/^!/, '^')
          .replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}
