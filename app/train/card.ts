/** The model card: what a shipped model was trained on, how, and how well it does. */
import type { ClassificationReport } from './metrics.ts';
import type { EpochRecord, TrainOptions } from './types.ts';

export const EMNIST_CITATION =
  'Cohen, Afshar, Tapson, van Schaik (2017), "EMNIST: an extension of MNIST to handwritten letters", arXiv:1702.05373 — derived from NIST Special Database 19';

export interface CardFacts {
  title: string;
  architecture: string;
  options: TrainOptions;
  command: string;
  dataDescription: string;
  trainCount: number;
  validationCount: number;
  backend: string;
  history: EpochRecord[];
  bestEpoch: number;
  seconds: number;
  report?: ClassificationReport;
  psnr?: number;
  /** The learning-rate schedule, as schedule.ts describes it. */
  schedule: string;
  extra?: string[];
}

export function modelCard(f: CardFacts): string {
  const o = f.options;
  const best = f.history.find((h) => h.epoch === f.bestEpoch);
  const lines = [
    `# ${f.title}`,
    '',
    `- Architecture: ${f.architecture}`,
    `- Trained by: \`${f.command}\``,
    `- Backend: ${f.backend}`,
    `- Wall time: ${(f.seconds / 60).toFixed(1)} min, ${f.history.length} epochs run, best epoch ${f.bestEpoch}`,
    `- Optimiser: mini-batch SGD, learning rate ${f.schedule}, momentum ${o.momentum}, batch ${o.batchSize}, seed ${o.seed}`,
    `- Augmentation: ${o.augment ? 'rotation ±10°, scale ±12%, shear ±0.25, shift ±2 px, stroke thickness, blur, noise' : 'none'}`,
    `- Class balance: ${o.balance ? 'balanced sampling (each class drawn equally often per epoch)' : 'natural frequencies'}`,
    '',
    '## Data',
    '',
    f.dataDescription,
    '',
    `Split: deterministic stratified split (seed 1), ${f.trainCount} training and ${f.validationCount} validation images.`,
    '',
    '## Validation',
    '',
  ];
  if (f.report && best) {
    lines.push(
      `- Accuracy ${(f.report.accuracy * 100).toFixed(2)}% (natural class mix), balanced accuracy ${(f.report.balancedAccuracy * 100).toFixed(2)}% (each class weighted equally, as a balanced test set weighs them)`,
      `- Validation loss ${best.validationLoss.toFixed(4)}`,
      '',
      '| class | images | accuracy |',
      '| --- | ---: | ---: |',
      ...f.report.perClass.map((p) => `| ${p.label} | ${p.count} | ${(p.accuracy * 100).toFixed(1)}% |`),
      '',
      'Most confused pairs (true → predicted):',
      '',
      ...f.report.confused.map((c) => `- ${c.truth} → ${c.predicted}: ${c.count} (${(c.rate * 100).toFixed(1)}% of ${c.truth})`),
    );
  }
  if (f.psnr !== undefined && best) lines.push(`- Mean per-image PSNR ${f.psnr.toFixed(2)} dB (peak 1), validation loss ${best.validationLoss.toFixed(5)}`);
  lines.push('', '## Curves', '', '| epoch | train loss | validation loss | train acc | validation acc | seconds |', '| ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const h of f.history) {
    const acc = (v?: number) => (v === undefined ? '' : `${(v * 100).toFixed(2)}%`);
    lines.push(`| ${h.epoch} | ${h.trainLoss.toFixed(4)} | ${h.validationLoss.toFixed(4)} | ${acc(h.trainAccuracy)} | ${h.validationPsnr !== undefined ? `${h.validationPsnr.toFixed(2)} dB` : acc(h.validationAccuracy)} | ${h.seconds.toFixed(1)} |`);
  }
  if (f.extra?.length) lines.push('', ...f.extra);
  return lines.join('\n') + '\n';
}
