/** The data a training run uses: the dataset, its train/validation split, and a description for the card. */
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { splitTrainValidation } from '../data/emnist-pool.ts';
import { loadDataset } from '../data/index.ts';
import { classCounts, type LabelledImages } from '../data/glyphs.ts';
import { sharedDataDir } from '../paths.ts';
import { EMNIST_CITATION } from './card.ts';
import type { TrainOptions } from './types.ts';

export interface TrainingData {
  set: LabelledImages;
  train: Int32Array;
  validation: Int32Array;
  description: string;
}

export function defaultDataPath(): string {
  const dir = sharedDataDir();
  const pool = dir && join(dir, 'emnist36');
  if (!pool || !existsSync(pool)) throw new Error('no --data given and the EMNIST pool (../shared/data/emnist36) is not there: pass --data PATH (or set HWR_DATA)');
  return pool;
}

export async function loadTrainingData(opts: Pick<TrainOptions, 'arch' | 'data' | 'labels' | 'limit' | 'seed'>): Promise<TrainingData> {
  const path = opts.data ?? defaultDataPath();
  // The autoencoder works on 32×32 glyphs: 28×28 IDX images get their 2-pixel border.
  const set = await loadDataset({ path, labels: opts.labels, glyphs: opts.arch === 'ae' ? true : undefined });
  if (set.count < 2) throw new Error(`${path}: a training set needs at least 2 images, found ${set.count}`);
  const split = splitTrainValidation(set, { validationFraction: 0.1, seed: 1 });
  let train = split.train;
  if (opts.limit > 0 && opts.limit < train.length) {
    // A quick run keeps a stratified share of every class: take a split of the training part.
    const keep = splitTrainValidation({ count: train.length, labels: Int32Array.from(train, (i) => set.labels[i]!), classes: set.classes }, { validationFraction: opts.limit / train.length, seed: opts.seed });
    train = Int32Array.from(keep.validation, (k) => train[k]!);
  }
  let validation = split.validation;
  if (opts.limit > 0) validation = validation.subarray(0, Math.max(Math.min(validation.length, Math.ceil(opts.limit / 4)), Math.min(validation.length, set.classes.length * 4)));
  const counts = classCounts(set);
  const isPool = basename(path) === 'emnist36' || set.source.includes('emnist36');
  const description = [
    `${isPool ? 'EMNIST36 pool' : 'Dataset'} at \`${path}\`: ${set.count} images of ${set.height}×${set.width}×${set.channels}, ${set.classes.length} classes (${set.classes.join(' ')}).`,
    `Class sizes from ${Math.min(...counts)} to ${Math.max(...counts)}.`,
    isPool ? `Source: EMNIST ByClass test split, upper-case letters and digits only. ${EMNIST_CITATION}.` : '',
  ]
    .filter(Boolean)
    .join(' ');
  return { set, train, validation, description };
}
