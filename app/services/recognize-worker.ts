/**
 * The body of the page-reading process: decodes the image, runs the recogniser with the given
 * model, and sends back the page with the crops the classifier saw. One page at a time, in
 * order; models stay loaded between pages (reloaded when their file changes).
 */
import { existsSync, statSync } from 'node:fs';
import { defaultLineModelPath } from '../base/model-files.ts';
import { LineReader } from '../recognize/line-reader.ts';
import { GLYPH_VALUES, type PageReader } from '../contract.ts';
import { frameGlyph } from '../image/frame.ts';
import { decodeImage, encodeImage, ImageDecodeError } from '../image/decode.ts';
import { OCR_DECODE } from '../image/segment.ts';
import { downscale, type Box, type GrayImage } from '../image/gray.ts';
import type { GlyphNode, Page } from '../recognize/document.ts';
import { OnnxModel } from '../onnx/runtime.ts';
import { onnxClassifier, recognizePage, type GlyphClassifier } from '../recognize/recognizer.ts';
import type { FromRecognizer, ToRecognizer, WorkerPort } from './worker-protocol.ts';

/** Predictions kept per glyph for the hover card. */
const PAGE_TOP_K = 5;

export function serveRecognizer(port: WorkerPort<ToRecognizer, FromRecognizer>): void {
  const classifierFor = reloading((path) => OnnxModel.load(path).then(onnxClassifier));
  // The line recogniser the services name (the shipped one by default), when there is one: without it, glyphs only.
  const lineReaderAt = reloading((path) => LineReader.load(path));
  const lineReader = (path = defaultLineModelPath()): Promise<LineReader | undefined> =>
    existsSync(path) ? lineReaderAt(path).catch(() => undefined) : Promise.resolve(undefined);
  let queue = Promise.resolve();
  port.onMessage((message) => {
    if (message.type !== 'recognize') return;
    queue = queue.then(async () => {
      const progress = (stage: string, fraction: number) => port.post({ type: 'progress', id: message.id, stage, fraction });
      try {
        const lines = message.reader === 'glyphs' ? undefined : await lineReader(message.lineModelPath);
        const { page, crops, view } = await readPage(
          message.name,
          message.image,
          await classifierFor(message.modelPath),
          lines,
          message.reader ?? 'auto',
          progress,
          message.sheet,
        );
        port.post({ type: 'page', id: message.id, page, crops, ...(view ? { view } : {}) });
      } catch (err) {
        const code = err instanceof ImageDecodeError ? 'unprocessable' : 'internal';
        port.post({ type: 'error', id: message.id, code, message: err instanceof Error ? err.message : String(err) });
      }
    });
  });
}

/**
 * A model file loaded once and kept, loaded again when the file changes (its size or time); a
 * load that failed is tried again next time.
 */
function reloading<T>(load: (path: string) => Promise<T>): (path: string) => Promise<T> {
  const loaded = new Map<string, { version: string; model: Promise<T> }>();
  return (path) => {
    const info = statSync(path);
    const version = `${info.size}:${info.mtimeMs}`;
    const cached = loaded.get(path);
    if (cached?.version === version) return cached.model;
    const model = load(path);
    loaded.set(path, { version, model });
    model.catch(() => loaded.delete(path));
    return model;
  };
}

/** Reads one page. */
async function readPage(
  name: string,
  image: Uint8Array,
  classifier: GlyphClassifier,
  lines: LineReader | undefined,
  reader: PageReader,
  progress: (stage: string, fraction: number) => void,
  sheet?: { x: number; y: number }[],
): Promise<{ page: Page; crops: Float32Array; view?: Uint8Array }> {
  progress('decoding', 0.05);
  // Large photos are decoded small first, then at the size the writing needs (as hwr ocr does).
  const decoded = await decodeImage(Buffer.from(image.buffer, image.byteOffset, image.byteLength), { ...OCR_DECODE, name });
  progress('finding characters', 0.25);
  // The recogniser batches every crop into one classify call; keep the crops and scores it used.
  let seen: { inputs: Float32Array; outputs: Float32Array; n: number } | null = null;
  const capturing: GlyphClassifier = {
    classes: classifier.classes,
    classify: async (glyphs, n) => {
      progress('classifying', 0.6);
      const outputs = await classifier.classify(glyphs, n);
      seen = { inputs: glyphs, outputs, n };
      return outputs;
    },
  };
  const read = await recognizePage(decoded, capturing, {
    source: name,
    decode: { topK: PAGE_TOP_K },
    lines,
    reader,
    ...(sheet ? { sheet: sheet.length === 4 ? sheet : false } : {}),
  });
  // A line the line recogniser read has no glyphs to correct: its characters are not crops the classifier saw.
  const page: Page = { ...read, rows: read.rows.map((r) => (r.reader === 'lines' ? { ...r, words: r.words.map((w) => ({ ...w, glyphs: [] })) } : r)) };
  const nodes = page.rows.flatMap((r) => r.words.flatMap((w) => w.glyphs));
  const crops = new Float32Array(nodes.length * GLYPH_VALUES);
  const cropOf = matchCrops(seen, classifier.classes);
  const source = read.view ?? decoded;
  nodes.forEach((node, i) => crops.set(cropOf(node) ?? cropFromImage(source, node.box, page.width), i * GLYPH_VALUES));
  // The image as read, when it is not the file as given, goes to the UI as a JPEG (not as floats).
  const { view, ...rest } = page;
  const viewJpeg = view ? await encodeImage(downscale(view, Math.max(1, Math.max(view.width, view.height) / VIEW_SIDE)), 'jpeg', 82) : undefined;
  progress('done', 1);
  return { page: rest, crops, ...(viewJpeg ? { view: new Uint8Array(viewJpeg) } : {}) };
}

/** Longer side of the image as read that the UI is sent. */
const VIEW_SIDE = 1600;

/**
 * The crop a glyph node came from: the recogniser classifies blobs in reading order (split
 * pieces right after their blob) and keeps each chosen one's probabilities in its top-k, so the
 * first crop from the last match on with exactly those probabilities is the one.
 */
function matchCrops(
  seen: { inputs: Float32Array; outputs: Float32Array; n: number } | null,
  classes: readonly string[],
): (node: GlyphNode) => Float32Array | null {
  const classIndex = new Map(classes.map((c, i) => [c, i]));
  const k = classes.length;
  let next = 0;
  return (node) => {
    if (!seen) return null;
    for (let j = next; j < seen.n; j++) {
      const row = seen.outputs.subarray(j * k, (j + 1) * k);
      if (node.topK.every((c) => row[classIndex.get(c.label) ?? -1] === c.p)) {
        next = j + 1;
        return seen.inputs.subarray(j * GLYPH_VALUES, (j + 1) * GLYPH_VALUES);
      }
    }
    return null;
  };
}

/** A plain crop of the decoded image, framed like a glyph: only when the recogniser's own crop cannot be found. */
function cropFromImage(image: GrayImage, box: Box, pageWidth: number): Float32Array {
  const s = image.width / pageWidth;
  const x0 = Math.max(0, Math.floor(box.x0 * s));
  const y0 = Math.max(0, Math.floor(box.y0 * s));
  const x1 = Math.min(image.width, Math.ceil(box.x1 * s));
  const y1 = Math.min(image.height, Math.ceil(box.y1 * s));
  const w = x1 - x0;
  const h = y1 - y0;
  if (w < 1 || h < 1) return new Float32Array(GLYPH_VALUES);
  const ink = new Float32Array(w * h);
  let paper = 0;
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) paper = Math.max(paper, image.data[(y0 + y) * image.width + x0 + x]!);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) ink[y * w + x] = Math.max(0, paper - image.data[(y0 + y) * image.width + x0 + x]!);
  const glyph = frameGlyph(ink, w, h);
  let max = 0;
  for (const v of glyph) max = Math.max(max, v);
  if (max > 0) for (let i = 0; i < glyph.length; i++) glyph[i] = Math.min(1, glyph[i]! / max);
  return glyph;
}
