/**
 * The EMNIST36 training/validation pool (../shared/data/emnist36, see its README): IDX parts
 * `emnist36-pool-partK-{images-idx3,labels-idx1}-ubyte.gz`, 28×28 upright, white ink on black,
 * labels 0–25 = A–Z and 26–35 = 0–9. Loaded as one set of 32×32 glyphs.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { type LabelledImages } from './glyphs.ts';
import { DatasetError, checkLabelRange, readMaybeGzipped } from './files.ts';
import { bytesToGlyphs, checkGlyphSize, idxImagesOf, idxLabelsOf, idxPromisedBytes, loadIdx, parseIdx, type IdxImages } from './idx.ts';
import { createRng } from '../base/random.ts';
import { CLASSES_36, CLASSES_LOWER, GLYPH_VALUES, GLYPH_SIDE } from '../contract.ts';

const PART = /^emnist36-pool-part(\d+)-(images-idx3|labels-idx1)-ubyte(\.gz)?$/;

export interface PoolPart {
  index: number;
  images: string;
  labels: string;
}

/** The pool's parts in `dir`, in part order; empty when there are none. */
export function findPoolParts(dir: string): PoolPart[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    throw new DatasetError(dir, `cannot list the folder (${(err as Error).message})`, { cause: err });
  }
  const parts = new Map<number, Partial<PoolPart>>();
  for (const name of names) {
    const m = PART.exec(name);
    if (!m) continue;
    const index = Number(m[1]);
    const part = parts.get(index) ?? { index };
    const key = m[2] === 'images-idx3' ? 'images' : 'labels';
    if (part[key]) throw new DatasetError(dir, `part ${index} has two ${key} files: ${part[key]} and ${join(dir, name)}`);
    part[key] = join(dir, name);
    parts.set(index, part);
  }
  const sorted = [...parts.values()].sort((a, b) => a.index! - b.index!);
  sorted.forEach((part, i) => {
    if (part.index !== i) throw new DatasetError(dir, `pool part ${i} is missing (found parts ${sorted.map((p) => p.index).join(', ')})`);
    if (!part.images) throw new DatasetError(dir, `pool part ${i} has a labels file but no images file (emnist36-pool-part${i}-images-idx3-ubyte.gz)`);
    if (!part.labels) throw new DatasetError(dir, `pool part ${i} has an images file but no labels file (emnist36-pool-part${i}-labels-idx1-ubyte.gz)`);
  });
  return sorted as PoolPart[];
}

/** Loads all parts, concatenated in part order, as 32×32 glyphs with CLASSES_36. */
/** One pool part as bytes, checked: glyph-sized images, one label each, labels in 0..35. */
export function readPoolPart(part: PoolPart): { images: IdxImages; labels: Int32Array } {
  const images = idxImagesOf(part.images, parseIdx(part.images, readMaybeGzipped(part.images, idxPromisedBytes)));
  checkGlyphSize(part.images, images);
  const labels = idxLabelsOf(part.labels, parseIdx(part.labels, readMaybeGzipped(part.labels, idxPromisedBytes)));
  if (labels.length !== images.count) {
    throw new DatasetError(part.labels, `count mismatch: ${labels.length} labels for ${images.count} images in ${part.images}`);
  }
  checkLabelRange(part.labels, labels, CLASSES_36.length);
  return { images, labels };
}

export function loadEmnistPool(dir: string): LabelledImages {
  const parts = findPoolParts(dir);
  if (parts.length === 0) throw new DatasetError(dir, 'no EMNIST36 pool parts here (expected emnist36-pool-part0-images-idx3-ubyte.gz and its labels)');
  // Decode every part first (bytes only), so the float pixels are allocated once.
  const decoded = parts.map(readPoolPart);
  const count = decoded.reduce((n, d) => n + d.images.count, 0);
  const pixels = new Float32Array(count * GLYPH_VALUES);
  const labels = new Int32Array(count);
  let at = 0;
  for (const d of decoded) {
    bytesToGlyphs(d.images, false, pixels, at);
    labels.set(d.labels, at);
    at += d.images.count;
  }
  return { count, height: GLYPH_SIDE, width: GLYPH_SIDE, channels: 1, pixels, labels, classes: CLASSES_36, source: dir };
}

const LOWER = /^emnist-lower-pool-(images-idx3|labels-idx1)-ubyte(\.gz)?$/;

/** The lower-case pool's two files in `dir` (../shared/data/emnist-lower), or null when it holds none. */
export function findLowerPool(dir: string): { images: string; labels: string } | null {
  const found: { images?: string; labels?: string } = {};
  for (const name of readdirSync(dir)) {
    const m = LOWER.exec(name);
    if (m) found[m[1] === 'images-idx3' ? 'images' : 'labels'] = join(dir, name);
  }
  if (!found.images && !found.labels) return null;
  if (!found.images) throw new DatasetError(dir, `has the lower-case pool's labels but not its images (emnist-lower-pool-images-idx3-ubyte.gz)`);
  if (!found.labels) throw new DatasetError(dir, `has the lower-case pool's images but not its labels (emnist-lower-pool-labels-idx1-ubyte.gz)`);
  return found as { images: string; labels: string };
}

/** The lower-case pool (labels 0–25 = a–z) as 32×32 glyphs framed like the EMNIST36 pool. */
export function loadEmnistLower(dir: string): LabelledImages {
  const files = findLowerPool(dir);
  if (!files) throw new DatasetError(dir, 'no lower-case pool here (expected emnist-lower-pool-images-idx3-ubyte.gz and its labels)');
  return { ...loadIdx(files.images, files.labels, { classes: CLASSES_LOWER, glyphs: true }), source: dir };
}

export interface SplitOptions {
  /** Share of each class that goes to validation, in [0, 1). Default 0.1. */
  validationFraction?: number;
  /** Seed of the shuffle; the same seed gives the same split. Default 1. */
  seed?: number;
}

export interface Split {
  /** Indices into the set, ascending. */
  train: Int32Array;
  /** Indices into the set, ascending; disjoint from `train`, together they cover the set. */
  validation: Int32Array;
}

/**
 * A deterministic stratified split: each class's indices are shuffled with a seeded PRNG and
 * round(fraction × class size) of them go to validation, so every class keeps its share in both
 * parts. Returns index arrays (use `subset` from glyphs.ts to materialise the sets).
 */
export function splitTrainValidation(set: Pick<LabelledImages, 'count' | 'labels' | 'classes'>, options: SplitOptions = {}): Split {
  const fraction = options.validationFraction ?? 0.1;
  if (!(fraction >= 0 && fraction < 1)) throw new RangeError(`splitTrainValidation: validationFraction must be in [0, 1), got ${fraction}`);
  const rng = createRng(options.seed ?? 1);
  const byClass: number[][] = set.classes.map(() => []);
  for (let i = 0; i < set.count; i++) {
    const members = byClass[set.labels[i]!];
    if (!members) throw new RangeError(`splitTrainValidation: label ${set.labels[i]} at index ${i} is outside 0..${set.classes.length - 1}`);
    members.push(i);
  }
  const isValidation = new Uint8Array(set.count);
  let validationCount = 0;
  for (const members of byClass) {
    rng.shuffle(members);
    const take = Math.round(members.length * fraction);
    for (let k = 0; k < take; k++) isValidation[members[k]!] = 1;
    validationCount += take;
  }
  const train = new Int32Array(set.count - validationCount);
  const validation = new Int32Array(validationCount);
  for (let i = 0, t = 0, v = 0; i < set.count; i++) {
    if (isValidation[i]) validation[v++] = i;
    else train[t++] = i;
  }
  return { train, validation };
}
