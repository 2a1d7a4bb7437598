/**
 * The line recogniser's model card: the shared card (app/train/card.ts) with what only lines
 * have: the character table, the data's credit, CER and WER overall and per validation writer,
 * and a few lines as read.
 */
import { DEFAULT_LINE_AUGMENT } from '../../data/line-augment.ts';
import type { CerCount } from '../../recognize/cer.ts';
import type { TunedDecoding } from '../../recognize/tune-decoding.ts';
import type { Charset } from '../../recognize/charset.ts';
import type { FitRecord } from '../backend.ts';
import { modelCard, pct, type CardFacts } from '../card.ts';
import { describeSchedule } from '../schedule.ts';
import type { TrainOptions } from '../types.ts';
import { frameWidth, type LineArchitecture } from './line-model.ts';

export interface LineCardFacts {
  opts: TrainOptions;
  arch: LineArchitecture;
  parameters: number;
  charset: Charset;
  data: string;
  dataDir: string;
  train: number;
  /** Of the training lines, how many hwr's own line finding also found (read half the time cut along that outline). */
  found?: number;
  synthetic: number;
  /** Share of the synthetic lines in block capitals. */
  capitals: number;
  validation: number;
  backend: string;
  history: readonly FitRecord[];
  run: CardFacts['run'];
  cer: number;
  wer: number;
  writers: ReadonlyMap<string, { chars: CerCount; lines: number }>;
  examples: { truth: string; read: string }[];
  /** Beam search: the n-gram weights and character bonuses, then the word bonuses, tried on the validation writers, and those kept. */
  decoding?: Omit<TunedDecoding, 'lm'>;
}

/** The Copiste pages' licence asks for this wherever a model trained on them ships. */
const COPISTE_CREDIT = "Transcriptions and page images: « Copiste d'un jour », Bibliothèque et Archives nationales du Québec (BAnQ), CC-BY 4.0.";

export function lineCard(f: LineCardFacts): string {
  const a = f.arch;
  const d = DEFAULT_LINE_AUGMENT;
  const writerRows = [...f.writers]
    .map(([w, c]) => ({ w, lines: c.lines, cer: c.chars.length ? c.chars.distance / c.chars.length : 0 }))
    .sort((x, y) => x.cer - y.cer)
    .map((r) => `| ${r.w} | ${r.lines} | ${pct(r.cer)} |`);
  const escape = (t: string) => t.replace(/\|/g, '\\|');
  const convs = a.convs.map((c) => `3×3 conv ${c.filters} + ReLU + max-pool ${c.pool.join('×')}`).join(' → ');
  const seq = a.seq.map((s) => `1-D conv ${s.filters} (kernel ${s.kernel})`).join(' → ');
  const synthetic = f.synthetic
    ? ` and ${f.synthetic} synthetic lines each epoch (EMNIST glyphs composed into words: app/data/synthetic-lines.ts; Cohen et al. 2017; ` +
      `${Math.round(f.capitals * 100)}% of them in block capitals, from well apart to overlapping)`
    : '';
  return modelCard({
    title: 'Line recogniser (CNN + 1-D convolutions, CTC)',
    summary: 'Reads a whole handwritten line at a time — mixed case, joined-up and touching writing — from a line image cut along its baseline.',
    model: [
      `- Input: a line image ${a.height} px high, any width (ink, cut along the baseline and masked by the line's outline: app/image/line-image.ts).`,
      `- ${convs} → columns as frames → ${seq} (residual where widths match) → dropout ${a.dropout} → ` +
        `${a.classes} classes per frame (CTC blank + ${a.classes - 1} characters).`,
      `- ${f.parameters.toLocaleString('en-US')} parameters; one frame per ${frameWidth(a)} px of line.`,
      `- Characters: \`${f.charset.chars.join('').replace(/`/g, 'ˋ')}\``,
      '- Output of the ONNX file: per frame, the probabilities of the blank and of each character (softmax included); decode greedily or with beam search.',
    ],
    data: [
      `- ${f.data}.`,
      `- Training: ${f.train} real lines${synthetic}; validation: ${f.validation} lines.`,
      ...(f.found
        ? [
            `- ${f.found} of the real lines are also found by hwr's own line finding (app/image/text-lines.ts); each epoch, ` +
              'half of them are read cut along that outline, as `hwr ocr` cuts them, the rest along their given one.',
          ]
        : []),
      ...(/copiste/i.test(f.dataDir) ? [`- ${COPISTE_CREDIT}`] : []),
    ],
    options: f.opts,
    split: 'by writer (no writer on both sides), about 10% of the writers held out, chosen by a hash of their names',
    colour: false,
    balance: 'none (each line once per epoch)',
    augmentation: f.opts.augment
      ? `(app/data/line-augment.ts, every line, fresh each epoch): elastic stretch up to ±${d.elastic} line heights, slant ±${d.slant}, ` +
        `stroke thickening/thinning p=${d.thickness} each, contrast −${d.contrast * 100}% at most, shift ±${d.shift * 100}%, scale ±${d.scale * 100}%.`
      : 'none.',
    backend: f.backend,
    optimizer: 'Adam (decoupled weight decay 1e-4), CTC loss',
    schedule: describeSchedule('cosine', f.opts.learningRate, f.opts.epochs),
    selection: 'validation CER',
    run: f.run,
    validation: [
      `- Character error rate (CER) ${pct(f.cer)}, word error rate (WER) ${pct(f.wer)}, greedy decoding, ` +
        `on ${f.validation} lines by ${f.writers.size} writers it never trained on ` +
        "(Levenshtein distance over the truth's length; case and accents count, whitespace runs are one space).",
      ...(f.decoding ? decodingLines(f.decoding) : []),
      '',
      '### Per writer',
      '',
      '| writer | lines | CER |',
      '|---|---:|---:|',
      ...writerRows,
      '',
      '### Lines as read',
      '',
      '| truth | read |',
      '|---|---|',
      ...f.examples.map((e) => `| ${escape(e.truth)} | ${escape(e.read)} |`),
    ],
    history: f.history,
  });
}

/** The model card's account of how its beam search was set (also printed by `hwr tune-lines`). */
export function decodingLines(d: Omit<TunedDecoding, 'lm'>): string[] {
  return [
    `- Beam search (width ${d.beam}) with a character ${d.order}-gram of the training transcriptions, at the weight and ` +
      `the bonus per character read that read the validation writers best: weight ${d.best.weight}, ` +
      `character bonus ${d.best.charBonus}, CER ${pct(d.best.cer)}. Tried (CER):`,
    '',
    ...decodingGrid(d.tried),
    '',
    `- Then a bonus for each word found in the French and English word list (an-array-of-french-words, an-array-of-english-words; ` +
      `app/recognize/word-list.ts), at those: bonus ${d.bestBonus.bonus}, ` +
      `**CER ${pct(d.bestBonus.cer)}, WER ${pct(d.bestBonus.wer)}** ` +
      `(tried: ${d.bonuses.map((t) => `${t.bonus} → ${pct(t.cer)}`).join(', ')}). ` +
      'The model file carries the n-gram, its weight and both bonuses; `hwr eval-lines` and the app decode with them.',
  ];
}

/** The n-gram weights (rows) by character bonuses (columns) tried, as a table of CER. */
function decodingGrid(tried: readonly { weight: number; charBonus: number; cer: number }[]): string[] {
  const weights = [...new Set(tried.map((t) => t.weight))];
  const bonuses = [...new Set(tried.map((t) => t.charBonus))];
  const at = (w: number, b: number) => tried.find((t) => t.weight === w && t.charBonus === b);
  return [
    `| n-gram weight | ${bonuses.map((b) => `character bonus ${b}`).join(' | ')} |`,
    `| --- | ${bonuses.map(() => '---:').join(' | ')} |`,
    ...weights.map((w) => `| ${w} | ${bonuses.map((b) => (at(w, b) ? pct(at(w, b)!.cer) : '—')).join(' | ')} |`),
  ];
}
