import { loadIdx } from '../data/idx.ts';
import { defaultRecognizerPath, mixedCaseRecognizerPath } from '../base/model-files.ts';
import { OnnxModel } from '../onnx/runtime.ts';
import { classificationReport, formatReport } from '../train/metrics.ts';
import { runBatched } from '../train/predict.ts';
import { parseCli, UsageError } from './args.ts';
import { CLASSES_36, CLASSES_62, GLYPH_VALUES } from '../contract.ts';

export const usage =
  'eval [--model FILE] --images IDX --labels IDX [--charset CHARS]   per-class accuracy, confused pairs; last line "accuracy 0.xxxx" ' +
  '(with --charset, label k is its k-th character, a-z a range: "accuracy" case-sensitive, then "accuracy_caseless 0.xxxx"; ' +
  'lower-case letters are read by models/cnn62.onnx unless --model says otherwise)';

/**
 * The characters `spec` names, in order: each character as it is, `x-y` or `x…y` a run of
 * letters or digits (`a-z`, `A-Z0-9`). A `-` that does not join two such characters is itself.
 */
export function parseCharset(spec: string): string[] {
  const chars = [...spec];
  const out: string[] = [];
  const alnum = /^[\p{L}\p{N}]$/u;
  for (let i = 0; i < chars.length; i++) {
    const a = chars[i]!;
    const dash = chars[i + 1];
    const b = chars[i + 2];
    if ((dash === '-' || dash === '…') && b !== undefined && alnum.test(a) && alnum.test(b) && b.codePointAt(0)! > a.codePointAt(0)!) {
      for (let c = a.codePointAt(0)!; c <= b.codePointAt(0)!; c++) {
        const ch = String.fromCodePoint(c);
        if (alnum.test(ch)) out.push(ch);
      }
      i += 2;
    } else out.push(a);
  }
  const seen = new Set<string>();
  for (const c of out) {
    if (seen.has(c)) throw new UsageError(`--charset '${spec}' names '${c}' twice: label k is the k-th character, so each must be there once`);
    seen.add(c);
  }
  if (out.length === 0) throw new UsageError('--charset is empty');
  return out;
}

const fold = (c: string) => c.toLocaleLowerCase('en-US');

/**
 * The model's readings of labelled glyphs, when label k is the k-th character of `charset`: each
 * glyph is read as the model's most probable class among the charset's characters (as a reader
 * told what to expect does: lower-case letters are not read as digits or capitals), a character
 * the model lacks standing for its other case (a model of capitals reads a–z as A–Z).
 * `accuracy` counts case; `caseless` does not (c and C, alone, are often the same shape).
 */
export function charsetReadings(
  probs: Float32Array,
  labels: ArrayLike<number>,
  modelClasses: readonly string[],
  charset: readonly string[],
): { predicted: string[]; truth: string[]; accuracy: number; caseless: number; candidates: string[] } {
  // The charset's characters the model has; for one it lacks, its other case (a model of capitals reads a–z as A–Z).
  const has = new Set(charset.filter((c) => modelClasses.includes(c)));
  const wanted = new Set(charset.filter((c) => !has.has(c)).map(fold));
  const allowed = modelClasses.map((c, k) => (has.has(c) || wanted.has(fold(c)) ? k : -1)).filter((k) => k >= 0);
  if (allowed.length === 0) throw new Error(`the model reads none of the charset's characters (it reads ${modelClasses.join('')})`);
  const k = modelClasses.length;
  const predicted: string[] = [];
  const truth: string[] = [];
  let right = 0;
  let caseless = 0;
  for (let n = 0; n < labels.length; n++) {
    let best = allowed[0]!;
    for (const j of allowed) if (probs[n * k + j]! > probs[n * k + best]!) best = j;
    const p = modelClasses[best]!;
    const t = charset[labels[n]!]!;
    predicted.push(p);
    truth.push(t);
    if (p === t) right++;
    if (fold(p) === fold(t)) caseless++;
  }
  const count = Math.max(1, labels.length);
  return { predicted, truth, accuracy: right / count, caseless: caseless / count, candidates: allowed.map((j) => modelClasses[j]!) };
}

export async function run(args: string[]): Promise<number> {
  const { values } = parseCli(args, { model: { type: 'string' }, images: { type: 'string' }, labels: { type: 'string' }, charset: { type: 'string' } }, usage);
  if (!values.images || !values.labels) throw new UsageError(`--images and --labels are required\nusage: hwr ${usage}`);
  let charset = values.charset === undefined ? [...CLASSES_36] : parseCharset(values.charset);
  // Lower-case letters to judge: the mixed-case classifier, where it has shipped, reads them.
  const modelPath = values.model ?? ((charset.some((c) => /^[a-z]$/.test(c)) && mixedCaseRecognizerPath()) || defaultRecognizerPath());
  const model = await OnnxModel.load(modelPath);
  try {
    const modelClasses = model.classes ?? [...CLASSES_36];
    // Without --charset, labels are the 36 glyph classes for a glyph classifier (36 or 62 classes), else the model's own.
    if (values.charset === undefined && ![CLASSES_36, CLASSES_62].some((c) => c.join() === modelClasses.join())) charset = modelClasses;
    const set = loadIdx(values.images, values.labels, { classes: charset, glyphs: model.inputSize === GLYPH_VALUES });
    if (set.count === 0) throw new Error(`${values.images}: holds no images, so there is nothing to evaluate`);
    if (set.height * set.width * set.channels !== model.inputSize) {
      throw new Error(`${values.images}: images are ${set.height}×${set.width}×${set.channels}, the model ${modelPath} takes ${model.inputShape.join('×')}`);
    }
    const probs = await runBatched(model, set.pixels, set.count);
    const r = charsetReadings(probs, set.labels, modelClasses, charset);
    // The report's classes: the charset's, then whatever else the model answered.
    const names = [...charset, ...new Set(r.predicted.filter((c) => !charset.includes(c)))];
    const report = classificationReport(
      r.predicted.map((c) => names.indexOf(c)),
      r.truth.map((c) => names.indexOf(c)),
      names,
    );
    report.perClass = report.perClass.slice(0, charset.length);
    const m = model.metadata;
    const calibration = [
      m.temperature && `temperature ${Number(m.temperature).toFixed(3)}`,
      m.decision_offsets && `decision offsets ${m.decision_offsets}`,
    ].filter(Boolean);
    console.log(`model ${modelPath}${calibration.length ? ` (${calibration.join('; ')})` : ''}`);
    console.log(`images ${set.count} from ${values.images}, label k read as character k of ${charset.join('')}`);
    if (r.candidates.length < modelClasses.length)
      console.log(`answers among the model's classes that are in the charset (case aside): ${r.candidates.join('')}`);
    for (const line of formatReport(report)) console.log(line);
    console.log(`accuracy ${r.accuracy.toFixed(4)}`);
    if (values.charset !== undefined) console.log(`accuracy_caseless ${r.caseless.toFixed(4)}`);
    return 0;
  } finally {
    await model.close();
  }
}
