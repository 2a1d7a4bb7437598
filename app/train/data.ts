/**
 * The data of a training run, for both trainers (the from-scratch engine and TensorFlow.js):
 * the dataset (anything loadDataset reads; default the EMNIST pool in ../shared/data), its fixed
 * stratified train/validation split, and a description for the model card.
 */
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { splitTrainValidation } from '../data/emnist-pool.ts';
import { classCounts, type LabelledImages } from '../data/glyphs.ts';
import { datasetPaths, detectDatasetKind, loadDatasets } from '../data/index.ts';
import { projectRoot, sharedDataDir } from '../base/paths.ts';
import type { TrainOptions } from './types.ts';
import { CLASSES_36, CLASSES_LOWER } from '../contract.ts';

export const EMNIST_CITATION =
  'Cohen, Afshar, Tapson, van Schaik (2017), "EMNIST: an extension of MNIST to handwritten letters", arXiv:1702.05373 — derived from NIST Special Database 19';

/** Share of each class held out for validation, and the split's seed (fixed, so figures compare across runs). */
export const VALIDATION_FRACTION = 0.1;
export const SPLIT_SEED = 1;

export interface TrainingData {
  set: LabelledImages;
  /** Indices into `set`. */
  train: Int32Array;
  validation: Int32Array;
  /** The dataset path as given. */
  source: string;
  /** What detectDatasetKind calls it (emnist-pool, idx, mat, cifar, folder). */
  kind: string;
  /** The 36-class EMNIST pool (or IDX files of it): the card cites the source. */
  emnist: boolean;
  /** One paragraph for the model card. */
  description: string;
}

export function defaultDataPath(): string {
  const dir = sharedDataDir();
  const pool = dir && join(dir, 'emnist36');
  if (!pool || !existsSync(pool))
    throw new Error('no --data given and the EMNIST pool (../shared/data/emnist36) is not there: pass --data PATH (or set HWR_DATA)');
  return pool;
}

/**
 * Loads the dataset and splits it: VALIDATION_FRACTION of every class (seed SPLIT_SEED) is
 * validation, whatever `limit` says. With `limit` > 0, training keeps a stratified share of that
 * many images (seeded by `seed`), so a quick run still sees every class.
 */
export async function loadTrainingData(opts: Pick<TrainOptions, 'arch' | 'data' | 'labels' | 'limit' | 'seed'>): Promise<TrainingData> {
  const path = opts.data ?? defaultDataPath();
  const paths = datasetPaths(path);
  if (paths.length > 1 && opts.labels) throw new Error(`--labels goes with one IDX images file, not with several datasets (${path})`);
  const kinds = paths.map(detectDatasetKind);
  const kind = [...new Set(kinds)].join('+');
  // The autoencoder works on 32×32 glyphs: 28×28 IDX images get their 2-pixel border.
  const glyphs = opts.arch === 'ae' ? true : undefined;
  const set = await loadDatasets(path, { labels: opts.labels, glyphs });
  if (set.count < 2) throw new Error(`${path}: a training set needs at least 2 images, found ${set.count}`);
  const split = splitTrainValidation(set, { validationFraction: VALIDATION_FRACTION, seed: SPLIT_SEED });
  let train = split.train;
  if (opts.limit > 0 && opts.limit < train.length) {
    const keep = splitTrainValidation(
      { count: train.length, labels: Int32Array.from(train, (i) => set.labels[i]!), classes: set.classes },
      { validationFraction: opts.limit / train.length, seed: opts.seed },
    );
    train = Int32Array.from(keep.validation, (k) => train[k]!).sort();
  }
  if (train.length === 0) throw new Error(`${path}: no training images after the split`);
  if (split.validation.length === 0) throw new Error(`${path}: too few images for a validation split (${set.count})`);
  const emnist = kinds.every(
    (k) =>
      k === 'emnist-pool' ||
      k === 'emnist-lower' ||
      (k === 'idx' && [CLASSES_36, CLASSES_LOWER].some((c) => set.classes.join() === c.join()) && /emnist/i.test(path)),
  );
  const counts = classCounts(set);
  const pools = kinds.map((k) => (k === 'emnist-lower' ? 'lower-case letters' : 'upper-case letters and digits')).join(' and ');
  const what = emnist ? (paths.length > 1 ? 'EMNIST pools' : kinds[0] === 'emnist-lower' ? 'EMNIST lower-case pool' : 'EMNIST36 pool') : 'Dataset';
  const description = [
    `${what} at ${paths.map((p) => `\`${p}\``).join(' and ')}: ` +
      `${set.count} images of ${set.height}×${set.width}×${set.channels}, ${set.classes.length} classes (${set.classes.join(' ')}).`,
    `Class sizes from ${Math.min(...counts)} to ${Math.max(...counts)}.`,
    emnist ? `Source: EMNIST ByClass test split, ${pools} only. ${EMNIST_CITATION}.` : '',
  ]
    .filter(Boolean)
    .join(' ');
  return { set, train, validation: split.validation, source: path, kind, emnist, description };
}

/** The card's lines on the dataset. */
export function dataLines(data: TrainingData): string[] {
  return [`- ${data.description}`, ...(data.emnist ? ['- The pool is not shipped; its 28×28 images are framed as 32×32 glyphs.'] : [])];
}

/** How the split was made, for the model card. */
export function splitDescription(data: TrainingData, limit: number): string {
  const n = (x: number) => x.toLocaleString('en-US');
  return (
    `stratified, ${VALIDATION_FRACTION * 100}% of every class held out for validation (splitTrainValidation, seed ${SPLIT_SEED}): ` +
    `${n(data.train.length)} training, ${n(data.validation.length)} validation images${limit ? ` (training limited to ${limit})` : ''}`
  );
}

/** A path as the card and metadata show it: relative to the project when below its parent. */
export function displayPath(path: string): string {
  if (path.includes(',') && !existsSync(path)) return datasetPaths(path).map(displayPath).join(',');
  const rel = relative(projectRoot, path);
  return rel.startsWith('../../') || rel === '' ? path : rel;
}
