/**
 * The model card (markdown) of every training run: what the model is, what it was trained on
 * and how, how well it does on validation, and the command that reproduces it. fit.ts knows the
 * run; the backend adds what only it knows (the network, calibration, PSNR) as lines.
 */
import { DEFAULT_AUGMENT } from '../data/augment.ts';
import { displayPath } from './data.ts';
import type { ClassificationReport } from './metrics.ts';
import type { EpochRecord, TrainOptions } from './types.ts';

export interface CardFacts {
  title: string;
  /** An opening sentence: what the model is for. */
  summary?: string;
  /** "Model" lines: architecture, parameters, input, output, what is baked in. */
  model: string[];
  /** "Data" lines on the dataset; split, balance and augmentation follow from the fields below. */
  data: string[];
  options: TrainOptions;
  /** How validation was held out, with the counts. */
  split: string;
  /** Colour images are shifted and flipped rather than warped like glyphs. */
  colour: boolean;
  /** Replaces the glyph classifiers' balance and augmentation lines (the line recogniser has its own). */
  balance?: string;
  augmentation?: string;
  /** What ran (library, kernels, threads). */
  backend: string;
  optimizer: string;
  /** The learning-rate schedule (schedule.ts describeSchedule). */
  schedule: string;
  /** What picks the best epoch, e.g. "balanced validation accuracy". */
  selection: string;
  run: {
    epochsRun: number;
    bestEpoch: number;
    stoppedEarly: boolean;
    cancelled: boolean;
    resumedFrom?: number;
    seconds: number;
    date: string;
    command: string;
  };
  /** "Validation" lines beyond accuracy: loss, calibration, decision offsets, PSNR. */
  validation: string[];
  report?: ClassificationReport;
  history: readonly (EpochRecord & { balancedAccuracy?: number; learningRate?: number; cer?: number; wer?: number })[];
}

export const pct = (x: number) => (Number.isFinite(x) ? `${(x * 100).toFixed(2)}%` : '–');

export function modelCard(f: CardFacts): string {
  const lines = [`# ${f.title}`, ''];
  if (f.summary) lines.push(f.summary, '');
  lines.push('## Model', '', ...f.model, '');
  lines.push(
    '## Data',
    '',
    ...f.data,
    `- Split: ${f.split}.`,
    `- Class balance: ${f.balance ?? balanceLine(f.options.balance)}.`,
    f.augmentation ? `- Augmentation: ${f.augmentation}` : `- Augmentation${augmentLine(f.options.augment, f.colour)}`,
    '',
  );
  lines.push(...trainingLines(f), '');
  lines.push('## Validation', '');
  const r = f.report;
  if (r)
    lines.push(
      `- Accuracy ${pct(r.accuracy)}; balanced accuracy (mean of per-class accuracies, what a balanced test set measures) ${pct(r.balancedAccuracy)}.`,
    );
  lines.push(...f.validation);
  if (r) lines.push(...reportLines(r));
  lines.push(...curveLines(f.history), '');
  return lines.join('\n');
}

function balanceLine(balance: boolean): string {
  return balance
    ? 'balanced sampling — every epoch draws each class equally often (digits ~15× more common than K in the pool), ' +
        'walking each class through seeded permutations'
    : 'none (each image once per epoch)';
}

function augmentLine(augment: boolean, colour: boolean): string {
  if (!augment) return ': none.';
  if (colour) return ': random shift up to ±2 px and horizontal flip.';
  const d = DEFAULT_AUGMENT;
  return (
    ' (app/data/augment.ts, every training image, fresh each time): ' +
    `rotation ±${d.rotate}°, scale ±${d.scale * 100}%, shear ±${d.shear}, shift ±${d.shift} px ` +
    `(one bilinear affine warp), stroke thickening/thinning p=${d.thickness}, blur p=${d.blur}, noise σ=${d.noise}.`
  );
}

function trainingLines(f: CardFacts): string[] {
  const o = f.options;
  const r = f.run;
  const lines = [
    '## Training',
    '',
    `- Backend: ${f.backend}.`,
    `- Optimiser: ${f.optimizer}; learning rate ${f.schedule}; batch ${o.batchSize}; seed ${o.seed}.`,
  ];
  const stop = r.stoppedEarly ? ` (early stop: no validation improvement for ${o.patience} epochs)` : '';
  lines.push(
    `- Epochs: ${r.epochsRun} of ${o.epochs} planned${stop}${r.cancelled ? ' (cancelled)' : ''}; best epoch ${r.bestEpoch} (by ${f.selection}) is the model.`,
  );
  if (o.initFrom) lines.push(`- Fine-tuned from \`${displayPath(o.initFrom)}\`${o.freezeFeatures ? ' with the feature layers frozen' : ''}.`);
  if (r.resumedFrom) lines.push(`- Resumed from the checkpoint after epoch ${r.resumedFrom}.`);
  lines.push(`- Wall time: ${formatDuration(r.seconds)} (${r.date}).`, '- Command:', '', '```', r.command, '```');
  return lines;
}

function reportLines(r: ClassificationReport): string[] {
  const lines: string[] = [];
  const worst = [...r.perClass].filter((p) => p.count > 0).sort((x, y) => x.accuracy - y.accuracy)[0];
  if (worst) lines.push(`- Weakest class: ${worst.label} ${pct(worst.accuracy)}.`);
  lines.push(
    '',
    '### Per-class accuracy',
    '',
    '| class | images | accuracy | class | images | accuracy | class | images | accuracy |',
    '|---|---:|---:|---|---:|---:|---|---:|---:|',
  );
  for (let i = 0; i < r.perClass.length; i += 3) {
    const cells = r.perClass.slice(i, i + 3).map((p) => `${p.label} | ${p.count} | ${pct(p.accuracy)}`);
    while (cells.length < 3) cells.push(' | | ');
    lines.push(`| ${cells.join(' | ')} |`);
  }
  lines.push('', '### Most confused pairs (true → predicted)', '', '| true | predicted | count | share of true class |', '|---|---|---:|---:|');
  for (const c of r.confused) lines.push(`| ${c.truth} | ${c.predicted} | ${c.count} | ${pct(c.rate)} |`);
  return lines;
}

/** One row per epoch, with the columns the run's records have. */
function curveLines(history: CardFacts['history']): string[] {
  const has = (key: 'trainAccuracy' | 'validationAccuracy' | 'validationPsnr' | 'balancedAccuracy' | 'learningRate' | 'cer' | 'wer') =>
    history.some((h) => h[key] !== undefined);
  const columns: Array<[string, (h: CardFacts['history'][number]) => string]> = [
    ['epoch', (h) => String(h.epoch)],
    ['train loss', (h) => h.trainLoss.toFixed(4)],
    ['validation loss', (h) => h.validationLoss.toFixed(4)],
  ];
  if (has('trainAccuracy')) columns.push(['train accuracy', (h) => pct(h.trainAccuracy ?? NaN)]);
  if (has('validationAccuracy')) columns.push(['validation accuracy', (h) => pct(h.validationAccuracy ?? NaN)]);
  if (has('balancedAccuracy')) columns.push(['balanced', (h) => pct(h.balancedAccuracy ?? NaN)]);
  if (has('cer')) columns.push(['validation CER', (h) => pct(h.cer ?? NaN)]);
  if (has('wer')) columns.push(['validation WER', (h) => pct(h.wer ?? NaN)]);
  if (has('validationPsnr')) columns.push(['validation PSNR', (h) => (h.validationPsnr === undefined ? '' : `${h.validationPsnr.toFixed(2)} dB`)]);
  if (has('learningRate')) columns.push(['lr', (h) => h.learningRate?.toExponential(2) ?? '']);
  columns.push(['seconds', (h) => h.seconds.toFixed(1)]);
  const row = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [
    '',
    '## Curves',
    '',
    row(columns.map(([name]) => name)),
    row(columns.map(() => '---:')),
    ...history.map((h) => row(columns.map(([, cell]) => cell(h)))),
  ];
}

export function formatDuration(seconds: number): string {
  if (seconds < 120) return `${seconds.toFixed(0)} s`;
  const m = Math.round(seconds / 60);
  return m < 120 ? `${m} min` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** The command line that reproduces the run (the CLI passes its own; else rebuilt from the options). */
export function commandOf(opts: TrainOptions): string {
  if (opts.command) return opts.command;
  const parts = ['hwr train', `--arch ${opts.arch}`];
  if (opts.data) parts.push(`--data ${displayPath(opts.data)}`);
  if (opts.labels) parts.push(`--labels ${displayPath(opts.labels)}`);
  parts.push(`--epochs ${opts.epochs}`, `--lr ${opts.learningRate}`, `--batch ${opts.batchSize}`, `--momentum ${opts.momentum}`);
  if (!opts.augment) parts.push('--no-augment');
  if (!opts.balance) parts.push('--no-balance');
  parts.push(`--patience ${opts.patience}`, `--seed ${opts.seed}`);
  if (opts.limit) parts.push(`--limit ${opts.limit}`);
  if (opts.width !== undefined && opts.width !== 1) parts.push(`--width ${opts.width}`);
  if (opts.depth !== undefined) parts.push(`--depth ${opts.depth}`);
  if (opts.synthetic !== undefined) parts.push(`--synthetic ${opts.synthetic}`);
  if (opts.capitals !== undefined) parts.push(`--capitals ${opts.capitals}`);
  if (opts.floor !== undefined) parts.push(`--floor ${opts.floor}`);
  if (opts.initFrom) parts.push(`--init-from ${displayPath(opts.initFrom)}`);
  if (opts.freezeFeatures) parts.push('--freeze');
  if (opts.save) parts.push(`--save ${displayPath(opts.save)}`);
  return parts.join(' ');
}
