/**
 * Helpers of the TensorFlow.js trainer around its data (loaded by app/train/data.ts):
 * class-balancing weights, and the validation figures of a set of logits.
 */
import { classCounts, type LabelledImages } from '../../data/glyphs.ts';
import { argmaxRows, classificationReport, type ClassificationReport } from '../metrics.ts';
import { temperedNll } from './calibrate.ts';

/** Per image: 1 / (its class's count), so every class weighs the same. */
export function balancedWeights(set: LabelledImages): Float32Array {
  const counts = classCounts(set);
  const w = new Float32Array(set.count);
  for (let i = 0; i < set.count; i++) w[i] = 1 / counts[set.labels[i]!]!;
  return w;
}

/** Mean cross-entropy and the classification report of `logits` on `set`. */
export function evaluate(logits: Float32Array, set: LabelledImages): { loss: number; report: ClassificationReport } {
  const k = set.classes.length;
  const predicted = argmaxRows(logits, set.count, k);
  return { loss: temperedNll(logits, set.labels, k, 1), report: classificationReport(predicted, set.labels, set.classes) };
}
