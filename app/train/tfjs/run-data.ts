/**
 * The data of a training run: the dataset (any loadDataset reads; default the EMNIST pool in
 * ../shared/data), its fixed stratified split, and the validation figures of a set of logits.
 */
import { relative } from 'node:path';
import { CLASSES_36, classCounts, type LabelledImages } from '../../data/glyphs.ts';
import { detectDatasetKind, loadDataset } from '../../data/index.ts';
import { splitTrainValidation } from '../../data/emnist-pool.ts';
import { createRng } from '../../data/random.ts';
import { projectRoot } from '../../paths.ts';
import { defaultDataPath } from '../data.ts';
import { argmaxRows, classificationReport, type ClassificationReport } from '../metrics.ts';
import type { EpochRecord, TrainOptions } from '../types.ts';
import { mixSeed } from './sampling.ts';

/** Share of each class held out for validation, and the split's seed (fixed, so figures compare across runs). */
export const VALIDATION_FRACTION = 0.1;
export const SPLIT_SEED = 1;

/** An epoch's record with what this trainer adds to the common one (curves.json, the card). */
export type EpochRecordPlus = EpochRecord & { balancedAccuracy: number; learningRate: number };

export interface RunData {
  set: LabelledImages;
  trainIndices: Int32Array;
  validationIndices: Int32Array;
  /** The dataset path as given (the card shows it relative to the project). */
  source: string;
  kind: string;
  emnist: boolean;
}

export async function loadRunData(opts: Pick<TrainOptions, 'data' | 'labels' | 'limit' | 'seed'>): Promise<RunData> {
  const path = opts.data ?? defaultDataPath();
  const kind = detectDatasetKind(path);
  const set = await loadDataset({ path, labels: opts.labels });
  const split = splitTrainValidation(set, { validationFraction: VALIDATION_FRACTION, seed: SPLIT_SEED });
  let trainIndices = split.train;
  if (opts.limit > 0 && opts.limit < trainIndices.length) {
    trainIndices = createRng(mixSeed(opts.seed, 0x11)).shuffle(trainIndices.slice()).subarray(0, opts.limit).sort();
  }
  if (trainIndices.length === 0) throw new Error(`${path}: no training images after the split`);
  if (split.validation.length === 0) throw new Error(`${path}: too few images for a validation split (${set.count})`);
  const emnist = kind === 'emnist-pool' || (kind === 'idx' && set.classes.join() === CLASSES_36.join() && /emnist/i.test(path));
  return { set, trainIndices, validationIndices: split.validation, source: path, kind, emnist };
}

/** A path as the card and metadata show it: relative to the project when below its parent. */
export function displayPath(path: string): string {
  const rel = relative(projectRoot, path);
  return rel.startsWith('../../') || rel === '' ? path : rel;
}

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
  let loss = 0;
  for (let i = 0; i < set.count; i++) {
    const row = i * k;
    let max = -Infinity;
    for (let j = 0; j < k; j++) max = Math.max(max, logits[row + j]!);
    let sum = 0;
    for (let j = 0; j < k; j++) sum += Math.exp(logits[row + j]! - max);
    loss += Math.log(sum) + max - logits[row + set.labels[i]!]!;
  }
  return { loss: loss / set.count, report: classificationReport(predicted, set.labels, set.classes) };
}
