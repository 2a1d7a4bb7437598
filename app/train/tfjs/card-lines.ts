/**
 * What a TensorFlow.js run adds to the model card (app/train/card.ts): the network, its
 * calibration and the decision offsets with what they do to each class they move.
 */
import { pct } from '../card.ts';
import { meanPresent } from './decision.ts';
import { describeArchitecture, type Architecture } from './model.ts';

export interface Calibration {
  temperature: number;
  nllBefore: number;
  nllAfter: number;
  eceBefore: number;
  eceAfter: number;
}

/** Decision offsets (app/train/tfjs/decision.ts), when any class needed one. */
export interface DecisionFacts {
  list: string;
  floor: number;
  before: ArrayLike<number>;
  after: ArrayLike<number>;
  crossFitted: ArrayLike<number>;
}

export function summaryLine(a: Architecture): string {
  return (
    `${a.arch === 'cnn' ? 'Convolutional network' : 'Multilayer perceptron'} for ${a.classes}-class image classification, ` +
    'trained with TensorFlow.js and exported to ONNX (opset 13) with calibrated probabilities.'
  );
}

export function modelLines(
  a: Architecture,
  f: { parameters: number; modelBytes: number; classes: readonly string[]; emnist: boolean; calibration: Calibration; decision: DecisionFacts | null },
): string[] {
  const glyphs = f.emnist ? ' — 32×32 glyphs, white ink (1) on black (0), centred by bounding box, longer side ≈ 22 px (app/data/glyphs.ts)' : '';
  const lines = [
    `- Architecture: ${describeArchitecture(a)}`,
    `- Parameters: ${f.parameters.toLocaleString('en-US')} (file ${(f.modelBytes / 1024).toFixed(0)} KiB)`,
    `- Input: N × ${a.inputShape.join(' × ')} float32 in [0, 1]${a.arch === 'cnn' ? ', NHWC' : ''}${glyphs}`,
    `- Output: N × ${a.classes} probabilities (softmax), classes in order: ${f.classes.join(' ')}`,
    `- Calibration: temperature T = ${f.calibration.temperature.toFixed(4)} fitted on the validation set (minimum NLL) ` +
      'and baked into the last layer (weights and bias ÷ T)',
  ];
  if (f.decision) lines.push(`- Decision offsets (added to the last layer's bias after ÷ T): ${f.decision.list} — see Validation`);
  return lines;
}

export function validationLines(c: Calibration, decision: DecisionFacts | null, classes: readonly string[], balanced: boolean): string[] {
  const lines = [
    `- Calibration: NLL ${c.nllBefore.toFixed(4)} → ${c.nllAfter.toFixed(4)}, expected calibration error ${pct(c.eceBefore)} → ${pct(c.eceAfter)} ` +
      `(T = ${c.temperature.toFixed(4)}${balanced ? '; both weighted so every class counts equally, as on a balanced test set' : ''}).`,
  ];
  if (decision) lines.push(...decisionLines(decision, classes));
  return lines;
}

function decisionLines(d: DecisionFacts, classes: readonly string[]): string[] {
  const moved = classes.map((_, k) => k).filter((k) => Math.abs(d.after[k]! - d.before[k]!) > 1e-9);
  return [
    `- Decision offsets ${d.list}: classes below ${+(d.floor * 100).toFixed(1)}% are moved towards an even split with their look-alike ` +
      '(app/train/tfjs/decision.ts), fitted on this validation set; the per-class figures below include them. ' +
      '"Cross-fitted" fits on one half of the validation set and measures on the other, as unseen data would see them:',
    '',
    '| class | without offsets | with offsets | cross-fitted |',
    '|---|---:|---:|---:|',
    ...moved.map((k) => `| ${classes[k]} | ${pct(d.before[k]!)} | ${pct(d.after[k]!)} | ${pct(d.crossFitted[k]!)} |`),
    `| balanced accuracy | ${pct(meanPresent(d.before))} | ${pct(meanPresent(d.after))} | ${pct(meanPresent(d.crossFitted))} |`,
    '',
  ];
}
