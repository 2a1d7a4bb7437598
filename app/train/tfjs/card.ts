/**
 * The model card of a TensorFlow.js training run (markdown): what the model is, what it was
 * trained on and how, how well it does on validation, and the command that reproduces it.
 */
import { DEFAULT_AUGMENT } from '../../data/augment.ts';
import type { ClassificationReport } from '../metrics.ts';
import type { EpochRecord } from '../types.ts';
import { meanPresent } from './decision.ts';
import { describeArchitecture, type Architecture } from './model.ts';

export interface CardFacts {
  title: string;
  architecture: Architecture;
  parameters: number;
  modelBytes: number;
  dataset: { source: string; kind: string; classes: readonly string[]; total: number; train: number; validation: number; limit: number; emnist: boolean };
  split: string;
  training: {
    epochsPlanned: number;
    epochsRun: number;
    bestEpoch: number;
    batchSize: number;
    optimizer: string;
    learningRate: string;
    balance: boolean;
    augment: boolean;
    patience: number;
    stoppedEarly: boolean;
    cancelled: boolean;
    seed: number;
    initFrom?: string;
    freezeFeatures?: boolean;
    resumedFrom?: number;
  };
  backend: string;
  threads: number;
  wallSeconds: number;
  command: string;
  calibration: { temperature: number; nllBefore: number; nllAfter: number; eceBefore: number; eceAfter: number };
  /** Decision offsets (app/train/tfjs/decision.ts), when any class needed one. */
  decision?: { list: string; floor: number; before: ArrayLike<number>; after: ArrayLike<number>; crossFitted: ArrayLike<number> } | null;
  report: ClassificationReport;
  history: (EpochRecord & { balancedAccuracy?: number; learningRate?: number })[];
  date: string;
}

const pct = (x: number) => (Number.isFinite(x) ? `${(x * 100).toFixed(2)}%` : '–');

export function modelCard(f: CardFacts): string {
  const a = f.architecture;
  const r = f.report;
  const lines: string[] = [];
  lines.push(`# ${f.title}`, '');
  lines.push(
    `${a.arch === 'cnn' ? 'Convolutional network' : 'Multilayer perceptron'} for ${a.classes}-class image classification, trained with TensorFlow.js and exported to ONNX (opset 13) with calibrated probabilities.`,
    '',
  );
  lines.push('## Model', '');
  lines.push(`- Architecture: ${describeArchitecture(a)}`);
  lines.push(`- Parameters: ${f.parameters.toLocaleString('en-US')} (file ${(f.modelBytes / 1024).toFixed(0)} KiB)`);
  lines.push(`- Input: N × ${a.inputShape.join(' × ')} float32 in [0, 1]${a.arch === 'cnn' ? ', NHWC' : ''}${f.dataset.emnist ? ' — 32×32 glyphs, white ink (1) on black (0), centred by bounding box, longer side ≈ 22 px (app/data/glyphs.ts)' : ''}`);
  lines.push(`- Output: N × ${a.classes} probabilities (softmax), classes in order: ${f.dataset.classes.join(' ')}`);
  lines.push(`- Calibration: temperature T = ${f.calibration.temperature.toFixed(4)} fitted on the validation set (minimum NLL) and baked into the last layer (weights and bias ÷ T)`);
  if (f.decision) lines.push(`- Decision offsets (added to the last layer's bias after ÷ T): ${f.decision.list} — see Validation`);
  lines.push('');

  lines.push('## Data', '');
  if (f.dataset.emnist) {
    lines.push(
      '- EMNIST36 pool: the 36 classes A–Z and 0–9 of the EMNIST ByClass test split (Cohen, Afshar, Tapson, van Schaik 2017, "EMNIST: an extension of MNIST to handwritten letters", arXiv:1702.05373), derived from NIST Special Database 19.',
      `- ${f.dataset.total.toLocaleString('en-US')} images from \`${f.dataset.source}\` (not shipped); 28×28 framed as 32×32 glyphs.`,
    );
  } else {
    lines.push(`- ${f.dataset.kind} dataset \`${f.dataset.source}\`: ${f.dataset.total.toLocaleString('en-US')} images, ${a.classes} classes.`);
  }
  lines.push(`- Split: ${f.split}: ${f.dataset.train.toLocaleString('en-US')} training, ${f.dataset.validation.toLocaleString('en-US')} validation images${f.dataset.limit ? ` (training limited to ${f.dataset.limit})` : ''}.`);
  lines.push(
    `- Class balance: ${f.training.balance ? 'balanced sampling — every epoch draws each class equally often (digits ~15× more common than K in the pool), walking each class through seeded permutations' : 'none (each image once per epoch)'}.`,
  );
  if (f.training.augment) {
    const d = DEFAULT_AUGMENT;
    lines.push(
      a.inputShape.length === 3 && a.inputShape[2] !== 1
        ? '- Augmentation: random shift up to ±2 px and horizontal flip.'
        : `- Augmentation (app/data/augment.ts, every training image, fresh each time): rotation ±${d.rotate}°, scale ±${d.scale * 100}%, shear ±${d.shear}, shift ±${d.shift} px (one bilinear affine warp), stroke thickening/thinning p=${d.thickness}, blur p=${d.blur}, noise σ=${d.noise}.`,
    );
  } else {
    lines.push('- Augmentation: none.');
  }
  lines.push('');

  const t = f.training;
  lines.push('## Training', '');
  lines.push(`- Backend: ${f.backend}; ${f.threads > 1 ? `${f.threads} data-parallel replicas` : 'one thread'}.`);
  lines.push(`- Optimiser: ${t.optimizer}; learning rate ${t.learningRate}; batch ${t.batchSize}; seed ${t.seed}.`);
  lines.push(
    `- Epochs: ${t.epochsRun} of ${t.epochsPlanned} planned${t.stoppedEarly ? ` (early stop: no validation improvement for ${t.patience} epochs)` : ''}${t.cancelled ? ' (cancelled)' : ''}; best epoch ${t.bestEpoch} (by ${t.balance ? 'balanced ' : ''}validation accuracy) is the model.`,
  );
  if (t.initFrom) lines.push(`- Fine-tuned from \`${t.initFrom}\`${t.freezeFeatures ? ' with the feature layers frozen' : ''}.`);
  if (t.resumedFrom) lines.push(`- Resumed from the checkpoint after epoch ${t.resumedFrom}.`);
  lines.push(`- Wall time: ${formatDuration(f.wallSeconds)} (${f.date}).`);
  lines.push('- Command:', '', '```', f.command, '```', '');

  lines.push('## Validation', '');
  lines.push(`- Accuracy ${pct(r.accuracy)}; balanced accuracy (mean of per-class accuracies, what a balanced test set measures) ${pct(r.balancedAccuracy)}.`);
  lines.push(
    `- Calibration: NLL ${f.calibration.nllBefore.toFixed(4)} → ${f.calibration.nllAfter.toFixed(4)}, expected calibration error ${pct(f.calibration.eceBefore)} → ${pct(f.calibration.eceAfter)} (T = ${f.calibration.temperature.toFixed(4)}${f.training.balance ? '; both weighted so every class counts equally, as on a balanced test set' : ''}).`,
  );
  if (f.decision) lines.push(...decisionLines(f.decision, f.dataset.classes));
  const worst = [...r.perClass].filter((p) => p.count > 0).sort((x, y) => x.accuracy - y.accuracy)[0];
  if (worst) lines.push(`- Weakest class: ${worst.label} ${pct(worst.accuracy)}.`);
  lines.push('', '### Per-class accuracy', '', '| class | images | accuracy | class | images | accuracy | class | images | accuracy |', '|---|---:|---:|---|---:|---:|---|---:|---:|');
  for (let i = 0; i < r.perClass.length; i += 3) {
    const cells = r.perClass.slice(i, i + 3).map((p) => `${p.label} | ${p.count} | ${pct(p.accuracy)}`);
    while (cells.length < 3) cells.push(' | | ');
    lines.push(`| ${cells.join(' | ')} |`);
  }
  lines.push('', '### Most confused pairs (true → predicted)', '', '| true | predicted | count | share of true class |', '|---|---|---:|---:|');
  for (const c of r.confused) lines.push(`| ${c.truth} | ${c.predicted} | ${c.count} | ${pct(c.rate)} |`);
  lines.push('', '### Curve', '', '| epoch | train loss | validation loss | validation accuracy | balanced | lr | seconds |', '|---:|---:|---:|---:|---:|---:|---:|');
  for (const h of f.history) {
    lines.push(`| ${h.epoch} | ${h.trainLoss.toFixed(4)} | ${h.validationLoss.toFixed(4)} | ${pct(h.validationAccuracy ?? NaN)} | ${pct(h.balancedAccuracy ?? NaN)} | ${h.learningRate?.toExponential(2) ?? ''} | ${h.seconds.toFixed(0)} |`);
  }
  lines.push('');
  return lines.join('\n');
}

function decisionLines(d: NonNullable<CardFacts['decision']>, classes: readonly string[]): string[] {
  const moved = classes.map((_, k) => k).filter((k) => Math.abs(d.after[k]! - d.before[k]!) > 1e-9);
  return [
    `- Decision offsets ${d.list}: classes below ${+(d.floor * 100).toFixed(1)}% are moved towards an even split with their look-alike (app/train/tfjs/decision.ts), fitted on this validation set; the per-class figures below include them. "Cross-fitted" fits on one half of the validation set and measures on the other, as unseen data would see them:`,
    '',
    '| class | without offsets | with offsets | cross-fitted |',
    '|---|---:|---:|---:|',
    ...moved.map((k) => `| ${classes[k]} | ${pct(d.before[k]!)} | ${pct(d.after[k]!)} | ${pct(d.crossFitted[k]!)} |`),
    `| balanced accuracy | ${pct(meanPresent(d.before))} | ${pct(meanPresent(d.after))} | ${pct(meanPresent(d.crossFitted))} |`,
    '',
  ];
}

export function formatDuration(seconds: number): string {
  if (seconds < 120) return `${seconds.toFixed(0)} s`;
  const m = Math.round(seconds / 60);
  return m < 120 ? `${m} min` : `${Math.floor(m / 60)} h ${m % 60} min`;
}
