/**
 * One entry point for every dataset the project reads: picks the reader from what the path is.
 *
 * - a folder holding emnist36-pool-part* files → the EMNIST36 pool (emnist-pool.ts)
 * - a folder holding emnist-lower-pool-* files  → the lower-case pool, a–z (emnist-pool.ts)
 * - a folder holding data_batch_*.bin          → CIFAR-10 training batches (cifar.ts)
 * - a folder of class subfolders               → image folder (folder.ts)
 * - a `.mat` file                              → the course's NIST .mat format (mat.ts)
 * - a `.bin` file                              → one CIFAR-10 batch (cifar.ts)
 * - an IDX images file, with `labels`          → MNIST/EMNIST IDX (idx.ts)
 */
import { closeSync, existsSync, openSync, readSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { constants, gunzipSync } from 'node:zlib';
import { type LabelledImages } from './glyphs.ts';
import { DatasetError, isGzip } from './files.ts';
import { findLowerPool, findPoolParts, loadEmnistLower, loadEmnistPool } from './emnist-pool.ts';
import { loadCifarBatches } from './cifar.ts';
import { loadImageFolder } from './folder.ts';
import { loadCourseMat, type CourseSplit } from './mat.ts';
import { loadIdx, readIdxLabels } from './idx.ts';
import { CLASSES_36, CLASSES_62, CLASSES_LOWER } from '../contract.ts';

export type DatasetKind = 'emnist-pool' | 'emnist-lower' | 'cifar' | 'image-folder' | 'course-mat' | 'idx';

export interface DatasetSpec {
  /** A dataset folder, a .mat file, a CIFAR .bin batch or an IDX images file. */
  path: string;
  /** IDX: the labels file that goes with the images file. */
  labels?: string;
  /**
   * IDX: class names. Default: CLASSES_36 for files named emnist36*, else '0', '1', ... up to
   * the largest label.
   */
  classes?: readonly string[];
  /** IDX and image folders: make 32×32 glyphs (image folders default to glyphs when no size is given). */
  glyphs?: boolean;
  /** IDX: images are stored transposed (the original EMNIST files). */
  transposed?: boolean;
  /** Image folders: the size to resize to, when not glyphs. */
  height?: number;
  width?: number;
  channels?: 1 | 3;
  /** Course .mat: which pair to read (default: every pair present). */
  split?: CourseSplit;
  /** Course .mat: re-frame the glyphs as EMNIST is framed (see loadCourseMat). */
  reframe?: boolean;
}

export async function loadDataset(spec: DatasetSpec | string): Promise<LabelledImages> {
  const s = typeof spec === 'string' ? { path: spec } : spec;
  switch (detectDatasetKind(s.path)) {
    case 'emnist-pool':
      return loadEmnistPool(s.path);
    case 'emnist-lower':
      return loadEmnistLower(s.path);
    case 'cifar':
      return loadCifarBatches(statSync(s.path).isDirectory() ? cifarTrainingBatches(s.path) : s.path);
    case 'image-folder': {
      const sized = s.height !== undefined || s.width !== undefined || s.channels !== undefined;
      const glyphs = s.glyphs ?? !sized;
      return loadImageFolder(s.path, glyphs ? { glyphs } : { height: s.height, width: s.width, channels: s.channels });
    }
    case 'course-mat':
      return loadCourseMat(s.path, { split: s.split, reframe: s.reframe });
    case 'idx': {
      if (!s.labels) throw new DatasetError(s.path, 'is an IDX images file: give its labels file too (labels)');
      const classes = s.classes ?? defaultIdxClasses(s.path, s.labels);
      return loadIdx(s.path, s.labels, { classes, glyphs: s.glyphs, transposed: s.transposed });
    }
  }
}

/**
 * Several datasets of the same image size as one: the classes are the union (in CLASSES_62's
 * order when every class is one of those, else in order of first appearance) and each set's
 * labels are mapped onto it. `source` lists the sets. Used for `--data A,B` (the capitals and
 * digits pool with the lower-case pool make the 62 mixed-case classes).
 */
export function mergeDatasets(sets: readonly LabelledImages[]): LabelledImages {
  if (sets.length === 1) return sets[0]!;
  const first = sets[0]!;
  for (const s of sets) {
    if (s.height !== first.height || s.width !== first.width || s.channels !== first.channels)
      throw new DatasetError(
        s.source,
        `images are ${s.height}×${s.width}×${s.channels}, but ${first.source} has ${first.height}×${first.width}×${first.channels}: merged datasets must match`,
      );
  }
  const names = [...new Set(sets.flatMap((s) => s.classes))];
  const classes = names.every((c) => CLASSES_62.includes(c)) ? CLASSES_62.filter((c) => names.includes(c)) : names;
  const count = sets.reduce((n, s) => n + s.count, 0);
  const size = first.height * first.width * first.channels;
  const pixels = new Float32Array(count * size);
  const labels = new Int32Array(count);
  let at = 0;
  for (const s of sets) {
    const map = s.classes.map((c) => classes.indexOf(c));
    pixels.set(s.pixels.subarray(0, s.count * size), at * size);
    for (let i = 0; i < s.count; i++) labels[at + i] = map[s.labels[i]!]!;
    at += s.count;
  }
  return { count, height: first.height, width: first.width, channels: first.channels, pixels, labels, classes, source: sets.map((s) => s.source).join(',') };
}

/** Every dataset `path` names (datasetPaths), loaded with `spec` and merged (mergeDatasets). */
export async function loadDatasets(path: string, spec: Omit<DatasetSpec, 'path'> = {}): Promise<LabelledImages> {
  return mergeDatasets(await Promise.all(datasetPaths(path).map((p) => loadDataset({ ...spec, path: p }))));
}

/**
 * The datasets `path` names: one path, or several joined by commas (a path that exists as it is,
 * commas and all, is one path).
 */
export function datasetPaths(path: string): string[] {
  if (!path.includes(',') || existsSync(path)) return [path];
  const paths = path.split(',').filter((p) => p !== '');
  if (paths.length === 0) throw new DatasetError(path, 'names no dataset');
  return paths;
}

/** What kind of dataset a path holds, or a DatasetError saying why it is none. */
export function detectDatasetKind(path: string): DatasetKind {
  let isDirectory: boolean;
  try {
    isDirectory = statSync(path).isDirectory();
  } catch (err) {
    throw new DatasetError(path, 'not found', { cause: err });
  }
  if (isDirectory) {
    if (findPoolParts(path).length > 0) return 'emnist-pool';
    if (findLowerPool(path)) return 'emnist-lower';
    if (cifarTrainingBatches(path).length > 0) return 'cifar';
    if (readdirSync(path, { withFileTypes: true }).some((e) => e.isDirectory() && !e.name.startsWith('.'))) return 'image-folder';
    throw new DatasetError(
      path,
      'holds no dataset: expected emnist36-pool-part* or emnist-lower-pool-* IDX files, CIFAR-10 data_batch_*.bin files, or one subfolder of images per class',
    );
  }
  const name = basename(path).toLowerCase();
  if (name.endsWith('.mat')) return 'course-mat';
  if (name.endsWith('.bin')) return 'cifar';
  if (/idx\d-ubyte/.test(name) || looksLikeIdx(path)) return 'idx';
  throw new DatasetError(
    path,
    'is not a dataset this program reads: expected a .mat file, a CIFAR-10 .bin batch, an IDX images file (with its labels), or a folder',
  );
}

/** data_batch_N.bin in `dir`, in batch order. */
function cifarTrainingBatches(dir: string): string[] {
  return readdirSync(dir)
    .map((name) => ({ name, m: /^data_batch_(\d+)\.bin$/.exec(name) }))
    .filter((e) => e.m)
    .sort((a, b) => Number(a.m![1]) - Number(b.m![1]))
    .map((e) => join(dir, e.name));
}

/** Whether the file starts with an IDX magic number (after gunzip, if gzipped). */
function looksLikeIdx(path: string): boolean {
  const head = Buffer.alloc(1 << 12);
  const fd = openSync(path, 'r');
  let n: number;
  try {
    n = readSync(fd, head, 0, head.length, 0);
  } finally {
    closeSync(fd);
  }
  let bytes = head.subarray(0, n);
  if (isGzip(bytes)) {
    try {
      bytes = gunzipSync(bytes, { finishFlush: constants.Z_SYNC_FLUSH }); // a prefix: do not demand the end
    } catch {
      return false;
    }
  }
  return bytes.length >= 4 && bytes[0] === 0 && bytes[1] === 0 && bytes[2]! >= 0x08 && bytes[2]! <= 0x0e && bytes[3]! > 0;
}

function defaultIdxClasses(imagesPath: string, labelsPath: string): readonly string[] {
  if (/^emnist36/i.test(basename(imagesPath))) return CLASSES_36;
  if (/^emnist-lower/i.test(basename(imagesPath))) return CLASSES_LOWER;
  const labels = readIdxLabels(labelsPath);
  let max = 0;
  for (const label of labels) max = Math.max(max, label);
  return Array.from({ length: max + 1 }, (_, k) => String(k));
}

export type { LabelledImages } from './glyphs.ts';
