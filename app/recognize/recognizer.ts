/**
 * The OCR predictor: segments a page image (app/image), classifies every crop in one batch,
 * settles proposed splits of touching characters by the classifier's confidence, decodes words
 * with context, and builds the document tree.
 */
import { cropGlyphs } from '../image/crop.ts';
import { candidateBlobs, resolveWord, splitAlternatives, type GlyphBlob } from '../image/glyphs.ts';
import { boxesUnion, overlap1d, scaleBox, type Box, type GrayImage, type Point } from '../image/gray.ts';
import { decodeImage } from '../image/decode.ts';
import { cutLine } from '../image/line-image.ts';
import { OCR_DECODE, segmentPage, type SegmentedPage, type SegmentOptions } from '../image/segment.ts';
import { findTextLines, looksPrinted, type FoundLine } from '../image/text-lines.ts';
import { turnImage, writingRunsVertically } from '../image/orientation.ts';
import { findSheet, warpQuad } from '../image/perspective.ts';
import { MIN_SKEW, rotateImage, skewAngle } from '../image/skew.ts';
import { lineWordList } from './word-list.ts';
import { defaultRecognizerPath } from '../base/model-files.ts';
import { decodeRow, settleListNumbers, type WordDecodeOptions } from './words.ts';
import { lineOf, type DecodedChar, type DecodedLine } from './ctc-decode.ts';
import { rowNode, type GlyphNode, type Page, type RowNode, type WordNode } from './document.ts';
import { foldToCapitals, oneClassPerWord, writtenInCapitals } from './line-case.ts';
import type { LineReader } from './line-reader.ts';
import { englishLexicon } from './lexicon.ts';
import { capitalsLexicon, correctWord, isPersonName, splitJoinedWord } from './lexicon-correct.ts';
import { fieldLabel } from './field-labels.ts';
import { wordCommonness } from './word-frequency.ts';
import { OnnxModel } from '../onnx/runtime.ts';
import { CLASSES_36, GLYPH_VALUES, type PageReader } from '../contract.ts';
import { caseFolding, chooseCase, foldProbabilities } from './letter-case.ts';

/** Anything that turns n framed 32×32 glyphs (ink = 1) into class probabilities. */
export interface GlyphClassifier {
  classes: readonly string[];
  /** glyphs: n × 1024; returns n × classes.length probabilities. */
  classify(glyphs: Float32Array, n: number): Promise<Float32Array>;
}

export interface RecognizeOptions {
  segment?: SegmentOptions;
  /** Decoding options; `lexicon: null` turns the lexicon off. */
  decode?: WordDecodeOptions;
  /** Names the image in the page (e.g. the file). */
  source?: string;
  /**
   * The line recogniser: each text line of the page is read by it too, and the reading its own
   * model finds likelier is kept (see readLines). Without it, every row is read glyph by glyph.
   */
  lines?: LineReader;
  /** Read every line with the line recogniser, or none ('glyphs'); default: the likelier per line. */
  reader?: PageReader;
  /** Turn a page whose writing runs sideways or upside down (default true). */
  orient?: boolean;
  /**
   * A photo of a sheet on a desk: find the sheet and flatten it (default true), or flatten the
   * sheet at these corners (top-left, top-right, bottom-right, bottom-left, in the original
   * image's pixels, as Page.sheet gives them).
   */
  sheet?: boolean | readonly Point[];
  /** Turn a page whose lines slope (up to ±20°) straight (default true). */
  straighten?: boolean;
  /** Internal: the page was turned this far (degrees clockwise) already, and is not turned again. */
  turned?: number;
}

/** Image as decoded: boxes are reported in the original file's pixels when its size is known. */
export type PageImage = GrayImage & { originalWidth?: number; originalHeight?: number; name?: string };

/** Recognises a brightness image (0 black .. 1 white): rows of words of glyphs. */
export async function recognizePage(input: PageImage, classifier: GlyphClassifier, options: RecognizeOptions = {}): Promise<Page> {
  const started = performance.now();
  const orient = options.orient !== false && options.turned === undefined;
  // A sheet on a desk is flattened first: what follows reads the sheet alone, and boxes are on it.
  const flat = options.turned === undefined ? flattenSheet(input, options.sheet) : null;
  let image = flat?.image ?? input;
  let seg = segmentPage(image, options.segment);
  let turned = options.turned ?? 0;
  // Writing that runs up or down the page: a page on its side, turned a quarter (upside down is settled below).
  if (orient && seg.scale && writingRunsVertically(seg.labelling.components, seg.scale.charHeight)) {
    image = turnImage(image, 1);
    turned = 90;
    seg = segmentPage(image, options.segment);
  }
  // Lines of writing that slope (a page scanned or photographed at a slant): the page is turned straight.
  let skew = 0;
  if (options.turned === undefined && options.straighten !== false && seg.scale) {
    const angle = skewAngle(seg.labelling.components, seg.scale.charHeight);
    if (Math.abs(angle) >= MIN_SKEW) {
      const toOriginal = (image.originalWidth ?? image.width) / image.width;
      // The corners the turn adds continue the page's border, so that they make no edge of their own.
      const straight = rotateImage(image, -angle, 'edge');
      image = { ...image, ...straight, originalWidth: Math.round(straight.width * toOriginal), originalHeight: Math.round(straight.height * toOriginal) };
      skew = angle;
      seg = segmentPage(image, options.segment);
    }
  }
  const outWidth = image.originalWidth ?? image.width;
  const outHeight = image.originalHeight ?? image.height;
  const outScale = seg.factor * (outWidth / image.width);
  const toOut = (b: Box): Box => scaleBox(b, outScale);

  // The line recogniser reads the page's text lines first: touching capitals get a lattice of
  // cuts to try (glyphs.ts), which on lines of joined-up writing would be hundreds of crops
  // classified for nothing.
  const mode = options.reader ?? 'auto';
  const lineReader = options.lines && mode !== 'glyphs' && seg.scale ? options.lines : null;
  const foundLines = lineReader ? await readFoundLines(seg, lineReader) : null;
  if (foundLines) latticesOnlyForCapitals(seg, foundLines);

  // Every blob of the page, and the pieces of blobs that might be touching characters.
  const blobs: GlyphBlob[] = [];
  const indexOf = new Map<GlyphBlob, number>();
  const add = (b: GlyphBlob) => {
    indexOf.set(b, blobs.length);
    blobs.push(b);
  };
  for (const row of seg.rows) for (const word of row.words) for (const b of candidateBlobs(word.glyphs)) add(b);
  const k = classifier.classes.length;
  const classProbs = blobs.length
    ? await classifyChecked(classifier, cropGlyphs(seg.ink, seg.labelling, blobs, seg.scale?.stroke ?? 1), blobs.length)
    : new Float32Array(0);
  // A mixed-case classifier is read case-free first (letter-case.ts), its case chosen after.
  const folding = caseFolding(classifier.classes);
  const keys = folding?.keys ?? classifier.classes;
  const probs = folding ? foldProbabilities(classProbs, blobs.length, folding) : classProbs;
  const probsOf = (b: GlyphBlob) => probs.subarray(indexOf.get(b)! * keys.length, (indexOf.get(b)! + 1) * keys.length);
  const score = (b: GlyphBlob) => Math.log(Math.max(1e-6, Math.max(...probsOf(b))));

  const decodeOptions: WordDecodeOptions = { lexicon: englishLexicon(), ...options.decode };
  const wideKeys = new Set(['W', 'M', 'w', 'm'].map((c) => keys.indexOf(c)).filter((i) => i >= 0));
  const wide = (b: GlyphBlob) => {
    const p = probsOf(b);
    let best = 0;
    for (let i = 1; i < p.length; i++) if (p[i]! > p[best]!) best = i;
    return wideKeys.has(best);
  };
  // Touching letters cut another way, where the cut read best makes no word and another one does.
  const lexicon = decodeOptions.lexicon;
  const readAlone = (layout: GlyphBlob[]) => decodeRow([layout.map(probsOf)], keys, decodeOptions)[0]!.text;
  const preferWord = (glyphs: readonly GlyphBlob[], chosen: GlyphBlob[]): GlyphBlob[] => {
    const cut = glyphs.filter((g) => g.split?.lattice);
    if (!lexicon || cut.length === 0 || cut.length > 2 || lexicon.has(readAlone(chosen))) return chosen;
    let overrides: Map<GlyphBlob, GlyphBlob[]>[] = [new Map()];
    for (const g of cut)
      overrides = overrides.flatMap((o) =>
        splitAlternatives(g, score, wide, 1.5)
          .slice(0, 3)
          .map((a) => new Map([...o, [g, a]])),
      );
    for (const o of overrides) {
      const layout = resolveWord(glyphs, score, wide, o);
      if (lexicon.has(readAlone(layout))) return layout;
    }
    return chosen;
  };
  const layouts = seg.rows.map((row) => row.words.map((word) => preferWord(word.glyphs, resolveWord(word.glyphs, score, wide))));
  const decoded = seg.rows.map((row, r) =>
    decodeRow(
      layouts[r]!.map((w) => w.map(probsOf)),
      keys,
      decodeOptions,
      row.words.map((w) => ({ dotAfter: w.dotAfter })),
    ),
  );
  // The page's list numbers ("1.", "2.", ... opening rows) count up.
  const listRows = seg.rows
    .map((row, r) => r)
    .filter((r) => seg.rows[r]!.words.length > 1 && seg.rows[r]!.words[0]!.dotAfter && decoded[r]![0]!.reading === 'digits');
  settleListNumbers(listRows.map((r) => decoded[r]![0]!)).forEach((w, k) => (decoded[listRows[k]!]![0] = w));
  if (folding) {
    decoded.forEach((words, r) => {
      const cased = chooseCase(
        words.map((d, i) =>
          d.glyphs.map((g, j) => {
            const b = layouts[r]![i]![j]!;
            return { label: g.label, probs: classProbs.subarray(indexOf.get(b)! * k, (indexOf.get(b)! + 1) * k), box: b };
          }),
        ),
        classifier.classes,
      );
      words.forEach((d, i) => {
        d.glyphs = d.glyphs.map((g, j) => ({ ...g, label: cased[i]![j]! }));
        d.text = d.glyphs.map((g) => g.label).join('');
      });
    });
  }
  const rows = decoded.map((words, r) => {
    const wordNodes: WordNode[] = words.map((d, i) => {
      const glyphs: GlyphNode[] = d.glyphs.map((g, j) => ({ ...g, box: toOut(layouts[r]![i]![j]!) }));
      return { box: boxesUnion(glyphs.map((g) => g.box)), text: d.text, confidence: d.confidence, reading: d.reading, glyphs };
    });
    return rowNode(boxesUnion(wordNodes.map((w) => w.box)), wordNodes);
  });
  const chosen = lineReader && foundLines && mode !== 'glyphs' ? await readLines(seg, rows, outScale, lineReader, mode, foundLines) : rows;
  const page: Page = {
    source: options.source ?? image.name,
    width: outWidth,
    height: outHeight,
    rows: chosen,
    seconds: (performance.now() - started) / 1000,
    ...(turned ? { turned } : {}),
    ...(flat ? { sheet: flat.corners } : {}),
    ...(skew ? { skew } : {}),
    ...(flat || skew || turned ? { view: { width: image.width, height: image.height, data: image.data } } : {}),
  };
  // Upside down, letters still read as letters (E as 3, L as 7), but not as words, and less
  // surely: where too few of the page's letters make words, the page turned half round is read
  // too, and kept if far more of its letters do and they read no less surely. A page with no words
  // to tell either way (an alphabet, a list of numbers) is kept turned where its glyphs read far
  // more surely.
  if (orient) {
    const upright = wordShare(page);
    const sure = glyphSureness(page);
    if ((upright !== null && upright < 0.5) || (upright === null && sure !== null)) {
      const half = await recognizePage(turnImage(image, 2), classifier, { ...options, turned: (turned + 180) % 360 });
      const other = wordShare(half);
      const gain = sure === null ? null : (glyphSureness(half) ?? -Infinity) - sure;
      const wordier = upright !== null && other !== null && other >= upright + 0.25 && (gain === null || gain >= 0);
      // Neither way makes words (an alphabet, numbers, names): the surer way up, by a clear margin.
      const surer = Math.max(upright ?? 0, other ?? 0) < 0.25 && gain !== null && gain >= SURER_TURNED;
      if (wordier || surer)
        return { ...half, ...(flat ? { sheet: flat.corners } : {}), ...(skew ? { skew } : {}), seconds: (performance.now() - started) / 1000 };
    }
  }
  return page;
}

/** Mean log confidence of the glyphs a page turned half round must gain to be kept turned without words to tell. */
const SURER_TURNED = 0.1;
/** Glyphs a page needs for their sureness to say which way up it is. */
const SURENESS_GLYPHS = 20;

/** The mean log confidence of a page's glyphs (upside-down letters read less surely), or null for a page of few glyphs. */
function glyphSureness(page: Page): number | null {
  const glyphs = page.rows.flatMap((r) => r.words.flatMap((w) => w.glyphs));
  if (glyphs.length < SURENESS_GLYPHS) return null;
  return glyphs.reduce((s, g) => s + Math.log(Math.max(1e-6, g.confidence)), 0) / glyphs.length;
}

/**
 * The share of a page's letters that are in words of the word list (French and English, three
 * letters and more), or null for a page of fewer than three such words.
 */
function wordShare(page: Page): number | null {
  const words = page.rows.flatMap((r) => r.words.map((w) => w.text.replace(/^[^\p{L}]+|[^\p{L}]+$/gu, ''))).filter((w) => w.length >= 3);
  if (words.length < 3) return null;
  const list = lineWordList();
  const letters = words.reduce((n, w) => n + w.length, 0);
  return words.reduce((n, w) => n + (list.has(w.toLowerCase()) ? w.length : 0), 0) / letters;
}

/** A line cut from the page and read by the line recogniser. */
interface LineCut {
  image: GrayImage;
  probs: Float32Array;
  frames: number;
  read: DecodedLine;
}

async function readCut(reader: LineReader, image: GrayImage): Promise<LineCut> {
  const { probs, frames } = await reader.probabilities(image);
  return { image, probs, frames, read: reader.settleCase(image, reader.decode(probs, frames, reader.defaultDecoding), frames) };
}

/** The page's text lines (image/text-lines.ts), each but lines of print read by the line recogniser. */
interface FoundLinesRead {
  found: FoundLine[];
  /** By line; none for a line of print. */
  cuts: (LineCut | undefined)[];
}

async function readFoundLines(seg: SegmentedPage, reader: LineReader): Promise<FoundLinesRead> {
  const found = findTextLines(seg.labelling, seg.scale!.charHeight);
  const cuts: (LineCut | undefined)[] = [];
  for (const line of found) cuts.push(line.printed ? undefined : await readCut(reader, cutLine(seg.ink, line, reader.height)));
  return { found, cuts };
}

/**
 * On a page the line recogniser reads in lower case (fewer than half of its lines, of three and
 * more with letters, read at least partly in capitals: PARTLY_CAPITALS), drops the lattices of
 * cuts (glyphs.ts splitLattice) of blobs on lines read so; those blobs, words of joined-up
 * writing, are split as without a lattice, in two or three. Lines it reads partly in capitals,
 * reads no letters of or does not read (print, ink on no line found) keep theirs, as do pages of
 * capitals (it reads some lines of touching capitals, cut with room, all in lower case) and
 * pages of a line or two (a name). On a Copiste page of joined-up writing, 94 words had
 * lattices: 6,515 crops to classify, three times the time of the rest of the glyph reading.
 */
function latticesOnlyForCapitals(seg: SegmentedPage, { found, cuts }: FoundLinesRead): void {
  const lower = (text: string | undefined) => text !== undefined && hasLetters(text) && capitalShare(text) < PARTLY_CAPITALS;
  const withLetters = cuts.filter((c) => c && hasLetters(c.read.text));
  if (withLetters.length < 3 || withLetters.filter((c) => !lower(c!.read.text)).length >= 0.5 * withLetters.length) return;
  const lineOf = new Map<number, number>();
  found.forEach((line, k) => line.labels.forEach((label) => lineOf.set(label, k)));
  for (const row of seg.rows)
    for (const word of row.words)
      for (const g of word.glyphs) {
        if (!g.split?.lattice) continue;
        const k = g.parts.map((p) => lineOf.get(p)).find((k) => k !== undefined);
        if (k !== undefined && lower(cuts[k]?.read.text)) delete g.split.lattice;
      }
}

/** A text's letters (characters that have a case). */
const lettersOf = (text: string) => [...text].filter((c) => c.toLowerCase() !== c.toUpperCase());
const hasLetters = (text: string) => lettersOf(text).length > 0;

/**
 * Beside the glyph rows, the page's text lines (image/text-lines.ts) read by the line
 * recogniser. Per line, the glyph rows over it and the line reading are compared by the line
 * model itself: how likely it finds each text, letters only (block capitals far apart make it
 * add spaces between letters, which is no reason to doubt them). Where it finds the glyphs'
 * letters nearly as likely as its own (within LINE_MARGIN a character, in log-probability), the
 * glyph rows stay: they read isolated capitals best. Where it finds them far less likely
 * (joined-up writing read as capitals: 5 to 15 nats a character on the Copiste pages, against 0
 * to 3 on block capitals), its own reading replaces them; on a page where it does so for two
 * lines in three and more, a page of joined-up writing, only where it finds the glyphs' letters
 * no likelier than its own. Lines of print (text-lines.ts looksPrinted) are left out, with the
 * glyph rows over them.
 */
async function readLines(
  seg: SegmentedPage,
  glyphRows: RowNode[],
  outScale: number,
  reader: LineReader,
  mode: Exclude<PageReader, 'glyphs'>,
  { found, cuts: foundCuts }: FoundLinesRead,
): Promise<RowNode[]> {
  const toOut = (b: Box): Box => scaleBox(b, outScale);
  const pointsOut = (ps: readonly Point[]) => ps.map((p) => ({ x: p.x * outScale, y: p.y * outScale }));
  // Rows with blobs wide enough to be letters that touch (glyphs.ts: their cuts are guesses).
  const touching = new Set(glyphRows.filter((_, r) => seg.rows[r]?.words.some((w) => w.glyphs.some((g) => g.split))));
  const owner = glyphRows.map((r) => {
    let best = -1;
    let bestOverlap = 0;
    found.forEach((l, k) => {
      const box = toOut(l.box);
      const v = overlap1d(r.box.y0, r.box.y1, box.y0, box.y1);
      // Shared height over joint height: a line as tall as the row beats one that spans the page.
      const share = v / (Math.max(r.box.y1, box.y1) - Math.min(r.box.y0, box.y0));
      if (v >= 0.5 * (r.box.y1 - r.box.y0) && overlap1d(r.box.x0, r.box.x1, box.x0, box.x1) > 0 && share > bestOverlap) {
        bestOverlap = share;
        best = k;
      }
    });
    return best;
  });
  // Print (a notice above a handwritten page) is not what either reader reads: its lines are left out.
  const charHeight = seg.scale!.charHeight * outScale;
  const printedRow = (r: RowNode) =>
    looksPrinted(
      r.words.flatMap((w) => w.glyphs.map((g) => g.box)),
      charHeight,
    );
  // Each line found with the glyph rows over it; a glyph row over no line found is a line of its own (its box).
  const groups: { line: Pick<FoundLine, 'box' | 'polygon' | 'baseline'> & { inkOutline?: Point[] }; rows: RowNode[]; cut?: LineCut }[] = found
    .map((line, k) => ({ line, rows: glyphRows.filter((_, i) => owner[i] === k).sort((a, b) => a.box.x0 - b.box.x0), cut: foundCuts[k] }))
    .filter((g) => !g.line.printed);
  glyphRows.forEach((r, i) => {
    if (owner[i] !== -1 || printedRow(r)) return;
    const b = scaleBox(r.box, 1 / outScale);
    const corners = [
      { x: b.x0, y: b.y0 },
      { x: b.x1, y: b.y0 },
      { x: b.x1, y: b.y1 },
      { x: b.x0, y: b.y1 },
    ];
    groups.push({ line: { box: b, polygon: corners, baseline: [corners[3]!, corners[2]!] }, rows: [r] });
  });
  const letters = (t: string) => t.replace(/\s+/g, '');
  const readings = [];
  const cuts: LineCut[] = [];
  for (const { line, cut } of groups) cuts.push(cut ?? (await readCut(reader, cutLine(seg.ink, line, reader.height))));
  // Cut with room around the ink (text-lines.ts OUTLINE_PAD), block capitals look like small
  // letters to the line model (their height is how it tells case): a line that the glyphs read in
  // capitals and it partly so, or any such line on a page where most are, is cut along its ink
  // instead, as before that room was added.
  const inCapitals = groups.map(({ rows }) => rows.length === 0 || writtenInCapitals(rows.map((r) => r.text).join(' ')));
  const partly = cuts.map((c, i) => inCapitals[i]! && capitalShare(c.read.text) >= PARTLY_CAPITALS);
  const capitalsPage = partly.filter(Boolean).length >= 0.5 * groups.length;
  for (const [i, { line, rows }] of groups.entries()) {
    const glyphText = rows.map((r) => r.text).join(' ');
    let cut = cuts[i]!;
    // (A lone line is cut along its ink already: text-lines.ts.)
    if (line.inkOutline && line.inkOutline !== line.polygon && (partly[i] || (capitalsPage && inCapitals[i]))) {
      cut = await readCut(reader, cutLine(seg.ink, { polygon: line.inkOutline, baseline: line.baseline }, reader.height));
    }
    const { image } = cut;
    let { probs, frames, read } = cut;
    // A line of block capitals (so both readers find) is read again by the capitals model
    // (line-reader.ts), which then judges it: case-free (line-case.ts), greedily (the language
    // model knows running text, not capitals: it cost a fifth more errors on them), with its word
    // gaps where the glyph rows have theirs, and each word letters or digits.
    let judge = reader;
    const capitals = writtenInCapitals(read.text) && (rows.length === 0 || writtenInCapitals(glyphText));
    if (capitals) {
      if (reader.capitals && reader.capitals.height === reader.height) {
        judge = reader.capitals;
        ({ probs, frames } = await judge.probabilities(image));
      }
      const spaced = (p: Float32Array) => spacedAsRows(judge.decode(p, frames, { decoder: 'greedy' }), frames, toOut(line.box), rows);
      probs = foldToCapitals(probs, frames, judge.charset.chars);
      probs = oneClassPerWord(probs, frames, judge.charset.chars, spaced(probs));
      read = spaced(probs);
    }
    // How much likelier the line model finds its own reading than the glyphs' (nats a letter);
    // -Infinity where it cannot judge (it cannot write the glyphs' characters): the glyphs stay.
    const judged = rows.length > 0 && read.text !== '' && judge.charset.encode(glyphText).unknown.length === 0;
    const margin = judged ? judge.score(probs, frames, letters(read.text)) - judge.score(probs, frames, letters(glyphText)) : -Infinity;
    // Over a stretch of the line (out pixels), the total log-likelihood of a text by the model that judged it.
    const lineBox = toOut(line.box);
    const C = judge.charset.size;
    const fit = (x0: number, x1: number) => (word: string) => {
      const frameAt = (x: number) => ((x - lineBox.x0) / Math.max(1, lineBox.x1 - lineBox.x0)) * frames;
      const f0 = Math.max(0, Math.floor(frameAt(x0)) - 1);
      const f1 = Math.min(frames, Math.ceil(frameAt(x1)) + 1);
      return judge.score(probs.subarray(f0 * C, f1 * C), f1 - f0, word) * word.length;
    };
    readings.push({ line, rows, read, frames, margin, capitals, cut: rows.some((r) => touching.has(r)), fit });
  }
  // A page the line model reads best nearly throughout (two thirds of its lines and more) is
  // handwriting of its kind: a line there stays with the glyphs only if the line model itself
  // finds their letters at least as likely.
  const judgedLines = readings.filter((r) => r.rows.length > 0);
  const lineKind = judgedLines.filter((r) => r.margin >= LINE_MARGIN).length >= (2 / 3) * judgedLines.length;
  // Several lines are running text, where the commoner word is the likelier; one line may be a name on a form.
  const runningText = readings.length >= 2;
  const out: RowNode[] = [];
  for (const { line, rows, read, frames, margin, capitals, cut, fit } of readings) {
    const useGlyphs = mode === 'auto' && rows.length > 0 && margin < (lineKind ? 0 : capitals && cut ? CAPITALS_MARGIN : LINE_MARGIN);
    const whole = read.text
      ? [{ ...lineRow(read, frames, toOut(line.box)), outline: { polygon: pointsOut(line.polygon), baseline: pointsOut(line.baseline) } }]
      : [];
    const glyphRows = rows.map((r) => ({ ...r, reader: 'glyphs' as const }));
    const [chosen, other] = useGlyphs ? [glyphRows, whole] : [whole, glyphRows];
    // Block capitals: where the readers disagree on a word, the one that reads a word wins it.
    const fused = mode === 'auto' && capitals ? fuseWords(chosen, other, lineWordList()) : chosen;
    // One line alone is a form's field as often as not: a label printed as large as the name passes the label finder.
    const named = runningText ? fused : fused.map(withoutFieldLabel);
    out.push(...(capitals ? named.map((row) => correctRow(row, fit, runningText)) : named));
  }
  return out.sort((a, b) => (a.box.y0 + a.box.y1) / 2 - (b.box.y0 + b.box.y1) / 2 || a.box.x0 - b.box.x0);
}

/**
 * A line reading with its spaces where the glyph rows over the line have their word gaps: the
 * line model puts spaces between block capitals set well apart, while the gaps between words are
 * geometry, which the glyph rows measure (rows.ts splitWords). Without glyph rows, as it is.
 */
function spacedAsRows(read: DecodedLine, frames: number, box: Box, rows: readonly RowNode[]): DecodedLine {
  const words = rows.flatMap((r) => r.words).sort((a, b) => a.box.x0 - b.box.x0);
  if (words.length === 0) return read;
  const xOf = (frame: number) => box.x0 + ((frame + 0.5) / frames) * (box.x1 - box.x0);
  // Word k reaches to midway between it and the next.
  const bounds = words.slice(1).map((w, k) => (words[k]!.box.x1 + w.box.x0) / 2);
  const wordOf = (c: DecodedChar) => {
    const x = xOf((c.frames[0] + c.frames[1]) / 2);
    let k = 0;
    while (k < bounds.length && x > bounds[k]!) k++;
    return k;
  };
  const letters = read.chars.filter((c) => c.char !== ' ');
  const out: DecodedChar[] = [];
  letters.forEach((c, i) => {
    if (i > 0 && wordOf(c) !== wordOf(letters[i - 1]!)) out.push({ char: ' ', confidence: c.confidence, frames: [c.frames[0], c.frames[0]] });
    out.push(c);
  });
  return lineOf(out);
}

/**
 * `rows` with each word that is no word (in `words`, lower case; two letters and more) replaced
 * by the word the other reader read in its place that is one: the word of `other` that overlaps
 * it along the line by half the shorter, alone. Both readers misread touching capitals, but
 * seldom into a word, and seldom the same letters.
 */
function fuseWords(rows: RowNode[], other: readonly RowNode[], words: ReadonlySet<string>): RowNode[] {
  const isWord = (w: WordNode) => w.text.length >= 2 && words.has(w.text.toLowerCase());
  const candidates = other.flatMap((r) => r.words);
  return rows.map((row) => {
    let changed = false;
    const fused = row.words.map((w) => {
      if (isWord(w)) return w;
      const over = candidates.filter((o) => {
        const shared = overlap1d(w.box.x0, w.box.x1, o.box.x0, o.box.x1);
        return shared >= 0.5 * Math.min(w.box.x1 - w.box.x0, o.box.x1 - o.box.x0) && overlap1d(w.box.y0, w.box.y1, o.box.y0, o.box.y1) > 0;
      });
      if (over.length !== 1 || !isWord(over[0]!)) return w;
      changed = true;
      return over[0]!;
    });
    return changed ? { ...row, ...rowNode(row.box, fused) } : row;
  });
}

/**
 * A row of block capitals with each word that is no word put right by the word list and the
 * line model (lexicon-correct.ts); `fit(x0, x1)` judges texts over a stretch of the line. In
 * running text (`runningText`), how common words are counts too, and a word may become a commoner one.
 */
function correctRow(row: RowNode, fit: (x0: number, x1: number) => (word: string) => number, runningText: boolean): RowNode {
  let changed = false;
  const words = row.words.flatMap((w, i, all) => {
    // Over the word and half the gaps beside it, to the row's ends: a letter neither reader kept (a last L read as the
    // underline) still counts against the word without it ("MICHE", a word, for "MICHEL").
    const fits = fit(
      i > 0 ? (all[i - 1]!.box.x1 + w.box.x0) / 2 : Math.min(w.box.x0, row.box.x0),
      i < all.length - 1 ? (w.box.x1 + all[i + 1]!.box.x0) / 2 : Math.max(w.box.x1, row.box.x1),
    );
    const allowed = (word: string) => glyphsAllow(w, word);
    const text = correctWord(w.text, fits, capitalsLexicon(), {
      margin: runningText ? LEXICON_MARGIN : LONE_LINE_MARGIN,
      allowed,
      ...(runningText
        ? { commonness: wordCommonness, weight: COMMONNESS_WEIGHT, switchMargin: SWITCH_MARGIN }
        : { commonness: (word: string) => (isPersonName(word) ? 1 : 0), weight: NAME_WEIGHT, switchMargin: 0, longerCompete: true }),
    });
    if (text !== w.text) {
      changed = true;
      return [relabelled(w, text)];
    }
    const parts = splitJoinedWord(w.text, fits, capitalsLexicon(), { margin: SPLIT_MARGIN, allowed, gapBefore: (at) => clearGapBefore(w, at) });
    if (!parts) return [w];
    changed = true;
    return splitWord(w, parts);
  });
  // A name on a form ends in no full stop: after a word of four letters and more, a dot is what is left of a dotted line
  // ("QUEMENER."). Initials and abbreviations keep theirs ("J.", "STE.").
  const last = words[words.length - 1];
  const stop = !runningText && last ? /^(\p{Lu}{4,})[.,]$/u.exec(last.text) : null;
  if (stop && last) {
    words[words.length - 1] = withoutLastMark(last, stop[1]!);
    changed = true;
  }
  return changed ? { ...row, ...rowNode(row.box, words) } : row;
}

/** A row without the field label read into it (field-labels.ts): its leading words, or the start of its first word. */
function withoutFieldLabel(row: RowNode): RowNode {
  const label = fieldLabel(row.words.map((w) => w.text));
  if (label.words === 0 && label.chars === 0) return row;
  const words = row.words.slice(label.words);
  if (label.chars > 0) {
    const w = words[0]!;
    words[0] = splitWord(w, [w.text.slice(0, label.chars), w.text.slice(label.chars)])[1]!;
  }
  // The row's box starts where the name does.
  return { ...row, ...rowNode({ ...row.box, x0: Math.max(row.box.x0, words[0]!.box.x0) }, words) };
}

/** A word without its last character (a mark after its letters, `letters`). */
function withoutLastMark(w: WordNode, letters: string): WordNode {
  return w.glyphs.length === [...w.text].length ? partOf(w, w.glyphs.slice(0, -1)) : relabelled(w, letters);
}

/** The part of a word made of these of its glyphs: their text, and their box across the word's height. */
function partOf(w: WordNode, glyphs: GlyphNode[]): WordNode {
  return { ...w, text: glyphs.map((g) => g.label).join(''), glyphs, box: { ...boxesUnion(glyphs.map((g) => g.box)), y0: w.box.y0, y1: w.box.y1 } };
}

/**
 * Whether a word of the glyph reader may become `word`: each letter it changes is one of the
 * classifier's few best readings of that glyph (it read "STU" on a page of the alphabet, and no
 * T there looked like the I of a name "SIU"). A word of another length, or of the line reader,
 * is for the line model alone to judge.
 */
function glyphsAllow(w: WordNode, word: string): boolean {
  if (w.reading === 'line' || w.glyphs.length !== word.length) return true;
  return w.glyphs.every((g, i) => g.label.toUpperCase() === word[i] || g.topK.some((c) => c.label.toUpperCase() === word[i]));
}

/**
 * How much less likely (nats, the whole word) the line model may find a word of the list than
 * the word as read, for the word to take its place, on a page of several lines. Chosen when
 * names on form crops (EMNIST capitals, 80 of each kind on seeds the bench does not use) had it
 * too: read exactly right, bare 71 → 75, beside a label 59 → 68 at 4 (68 at 3, 69 at 6; at 0,
 * 74 and 63); 75 and 66 since glyphsAllow.
 */
const LEXICON_MARGIN = 4;
/**
 * The same for a page of one line (a name cut from a form), where a word of the list is far
 * likelier: the glyph reader's misread letter ("TAXLOR", "SDMON") fitted the line model 6–7 nats
 * better than the name. Names on form crops (80 of each kind on three sets of seeds, 2026-12-05):
 * bare 2.9 / 1.1 / 2.5% CER at 4 → 2.5 / 0.6 / 1.6% at 7 (2.4 / 0.8 / 1.6% at 10), beside a
 * label 5.6 / 5.6 / 6.3% → 5.6 / 4.9 / 5.9% (5.1 / 5.1 / 6.3%). On pages of touching and
 * overlapping capitals 7 read worse than 4 (overlapping: 7.1% → 7.7% over three sets). With names
 * preferred (NAME_WEIGHT), 10 read two more names of the list exactly (224 → 226 bare), but names
 * of no list worse (FOURNEL → FOURNIER twice; 155 → 153 of 240 bare, before splits needed a gap),
 * and 13 no better.
 */
const LONE_LINE_MARGIN = 7;
/**
 * In running text: how much a nat of commonness (word-frequency.ts) counts against a nat of the
 * line model's fit, and how much better a commoner word must score to replace a word of the list.
 * Touching capitals (10 pages on the bench's seeds, 12 and 10 on two other sets): 5.9 / 6.7 / 4.7%
 * CER without → 4.1 / 5.1 / 4.9% at weight 1; overlapping by 8%,
 * 9.7 / 12.4 / 17.9% → 7.2 / 10.2 / 16.4%. Margins of 0 and 2 read about the same.
 */
const COMMONNESS_WEIGHT = 1;
const SWITCH_MARGIN = 1;
/**
 * On a page of one line (a name cut from a form): how many nats a person's name (cspell's
 * dict-people-names) counts above another word of the list, so that a word becomes a name one
 * letter away that the line model finds at most this much less likely ("GLAIRE", a French word,
 * → "CLAIRE"; "LUG" → "LUC"). Names on form crops (80 of each kind on three sets of seeds,
 * 2026-12-05): read exactly right, bare 73 / 73 / 75 → 74 / 73 / 76 at 3 (the same at 6), beside
 * a label 64 / 66 / 63 → 67 / 68 / 63.
 */
const NAME_WEIGHT = 3;

/**
 * How much less likely (nats) the line model may find two words of the list than one word that is
 * no word, for them to take its place (lexicon-correct.ts splitJoinedWord).
 */
const SPLIT_MARGIN = 0;

/**
 * Whether the gap before letter `i` of a word (its glyphs, one a letter) stands out as a gap between
 * words: its widest, half as wide again as its median gap and a fifth of its height at least. The
 * line model alone is no judge of that: it reads spaces between capitals set apart, and
 * split names of no list ("BRISEBOIS", "KERBRAT") into words of it ("BRISE BOIS", "KER BRAT").
 */
function clearGapBefore(w: WordNode, i: number): boolean {
  const g = w.glyphs;
  if (g.length !== [...w.text].length || i < 1 || i >= g.length) return false;
  const gaps = g.slice(1).map((b, k) => b.box.x0 - g[k]!.box.x1);
  const gap = gaps[i - 1]!;
  const others = gaps.filter((_, k) => k !== i - 1).sort((a, b) => a - b);
  const median = others[others.length >> 1]!;
  return others.every((o) => o < gap) && gap >= 1.5 * median && gap >= 0.2 * (w.box.y1 - w.box.y0);
}

/** A word read as two (`parts`, of its length together): its glyphs shared out, or its box by length. */
function splitWord(w: WordNode, [left, right]: [string, string]): WordNode[] {
  const whole = relabelled(w, left + right);
  return [partOf(whole, whole.glyphs.slice(0, left.length)), partOf(whole, whole.glyphs.slice(left.length))];
}

/** A word given another text: its glyphs relabelled, or laid evenly over its box where the length changed. */
function relabelled(w: WordNode, text: string): WordNode {
  const chars = [...text];
  const same = chars.length === w.glyphs.length;
  const width = (w.box.x1 - w.box.x0) / chars.length;
  const glyphs: GlyphNode[] = chars.map((label, i) =>
    same
      ? { ...w.glyphs[i]!, label }
      : { box: { ...w.box, x0: w.box.x0 + i * width, x1: w.box.x0 + (i + 1) * width }, label, confidence: w.confidence, topK: [{ label, p: w.confidence }] },
  );
  return { ...w, text, reading: 'lexicon', glyphs };
}

/**
 * See readLines: a line read with at least this share of its letters in capitals may be block
 * capitals that the room around them made look small. Touching capitals (tests/ocr/touching.test.ts):
 * 10.9% CER with every line cut with room, 7.3% with such lines cut along their ink, 5.6% with
 * every line of a page where most are such; the Copiste validation pages read as before.
 */
const PARTLY_CAPITALS = 0.25;

/** The share of a text's letters that are capitals (0 for no letters). */
function capitalShare(text: string): number {
  const letters = lettersOf(text);
  return letters.length ? letters.filter((c) => c === c.toUpperCase()).length / letters.length : 0;
}

/** See readLines: how much less likely (nats a character) the line model may find the glyphs' letters than its own. */
export const LINE_MARGIN = 4;
/**
 * The same where the line model reads block capitals that touch (glyph rows with blobs to cut):
 * the capitals model reads them better than the glyphs' cuts do (touching EMNIST capitals, ten
 * pages the tests do not use, read by it alone: 10.2% CER at LINE_MARGIN, 7.9% at 1, 7.4% at
 * 0.5). Capitals set apart are the glyphs' to read, as before (below 1, the line model's spaces
 * between letters set apart made 1.5% of them wrong and more).
 */
const CAPITALS_MARGIN = 1;

/** A row read by the line recogniser: its words placed along the line by the frames that wrote them. */
function lineRow(read: DecodedLine, frames: number, box: Box): RowNode {
  const xOf = (frame: number) => box.x0 + ((frame + 0.5) / frames) * (box.x1 - box.x0);
  const words: WordNode[] = [];
  let chars: DecodedLine['chars'] = [];
  const flush = () => {
    if (!chars.length) return;
    const glyphs: GlyphNode[] = chars.map((c) => ({
      box: { x0: xOf(c.frames[0] - 0.5), y0: box.y0, x1: xOf(c.frames[1] + 0.5), y1: box.y1 },
      label: c.char,
      confidence: c.confidence,
      topK: [{ label: c.char, p: c.confidence }],
    }));
    words.push({
      box: boxesUnion(glyphs.map((g) => g.box)),
      text: chars.map((c) => c.char).join(''),
      confidence: Math.min(...chars.map((c) => c.confidence)),
      reading: 'line',
      glyphs,
    });
    chars = [];
  };
  for (const c of read.chars) {
    if (c.char === ' ') flush();
    else chars.push(c);
  }
  flush();
  return { ...rowNode(box, words), reader: 'lines' };
}

/**
 * The sheet of paper in a photo flattened (perspective undone, desk cropped), with its corners in
 * the original image's pixels; null where no sheet stands out from its background (a scan, a page
 * that fills the photo) or `sheet` is false. Given corners are used as they are.
 */
export function flattenSheet(input: PageImage, sheet: RecognizeOptions['sheet'] = true): { image: PageImage; corners: Point[] } | null {
  if (sheet === false) return null;
  const toOriginal = (input.originalWidth ?? input.width) / input.width;
  const corners = sheet === true ? findSheet(input)?.corners : sheet.map((p) => ({ x: p.x / toOriginal, y: p.y / toOriginal }));
  if (!corners) return null;
  if (corners.length !== 4) throw new RangeError(`a sheet has 4 corners, got ${corners.length}`);
  const flat = warpQuad(input, corners);
  const image: PageImage = {
    ...flat,
    originalWidth: Math.round(flat.width * toOriginal),
    originalHeight: Math.round(flat.height * toOriginal),
    ...(input.name !== undefined ? { name: input.name } : {}),
  };
  return { image, corners: corners.map((p) => ({ x: Math.round(p.x * toOriginal * 10) / 10, y: Math.round(p.y * toOriginal * 10) / 10 })) };
}

/**
 * Reads and recognises an image file (or its bytes): large JPEGs are decoded coarse to fine, at
 * the size their writing needs.
 */
export async function recognizeFile(input: string | Buffer, classifier: GlyphClassifier, options: RecognizeOptions & { name?: string } = {}): Promise<Page> {
  const name = options.name ?? (typeof input === 'string' ? input : undefined);
  const image = await decodeImage(input, { ...OCR_DECODE, name });
  return recognizePage(image, classifier, { ...options, source: options.source ?? name });
}

/** Runs the classifier and checks what comes back; scores that are not probabilities are softmaxed. */
async function classifyChecked(classifier: GlyphClassifier, glyphs: Float32Array, n: number): Promise<Float32Array> {
  const k = classifier.classes.length;
  const out = await classifier.classify(glyphs, n);
  if (out.length !== n * k) throw new Error(`classifier returned ${out.length} scores for ${n} glyphs × ${k} classes`);
  for (let i = 0; i < n; i++) {
    const row = out.subarray(i * k, (i + 1) * k);
    let sum = 0;
    let min = Infinity;
    for (const v of row) {
      sum += v;
      min = Math.min(min, v);
    }
    if (min < 0 || Math.abs(sum - 1) > 1e-3) softmaxInPlace(row);
  }
  return out;
}

function softmaxInPlace(row: Float32Array): void {
  const max = Math.max(...row);
  let sum = 0;
  for (let i = 0; i < row.length; i++) {
    row[i] = Math.exp(row[i]! - max);
    sum += row[i]!;
  }
  for (let i = 0; i < row.length; i++) row[i]! /= sum;
}

/** A classifier over an ONNX model that takes one 32×32 glyph per sample ([1024], [32,32,1], [1,32,32], ...). */
export function onnxClassifier(model: OnnxModel): GlyphClassifier & { close(): Promise<void>; source: string } {
  if (model.inputSize !== GLYPH_VALUES) {
    throw new Error(`${model.source}: the model takes inputs of shape [${model.inputShape.join(', ')}] (${model.inputSize} values), not 32×32 glyphs`);
  }
  const classes = model.classes ?? CLASSES_36;
  return {
    classes,
    source: model.source,
    // One channel: a row-major 32×32 glyph is the same memory as [32, 32, 1] or [1, 32, 32].
    classify: (glyphs, n) => model.run(glyphs, n),
    close: () => model.close(),
  };
}

/** The shipped recogniser: models/cnn.onnx when it exists, else models/mlp.onnx (or the given file). */
export async function loadDefaultClassifier(path?: string): Promise<GlyphClassifier & { close(): Promise<void>; source: string }> {
  return onnxClassifier(await OnnxModel.load(path ?? defaultRecognizerPath()));
}
