/**
 * The data of a personalisation run: the user's samples split into trained-on and held back, a
 * share of the base data to replay (so fine-tuning does not forget it) and base validation images
 * the model never trained on, all as 32×32 byte glyphs (ink = 255) labelled by the model's classes.
 */
import { makeDirectory } from '../base/atomic.ts';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { findPoolParts, readPoolPart, splitTrainValidation } from '../data/emnist-pool.ts';
import { subset, type LabelledImages } from '../data/glyphs.ts';
import { datasetPaths, loadDatasets } from '../data/index.ts';
import { writeIdx } from '../data/idx.ts';
import { createRng, type Rng } from '../base/random.ts';
import { SPLIT_SEED, VALIDATION_FRACTION } from './data.ts';
import { CLASSES_36, CLASSES_62, CLASSES_LOWER, GLYPH_VALUES, GLYPH_SIDE } from '../contract.ts';

/** count glyphs of GLYPH_VALUES bytes, with their labels (indices into the model's classes). */
export interface ByteGlyphs {
  count: number;
  pixels: Uint8Array;
  labels: Int32Array;
}

export interface BaseSubset {
  /** Images from the base data's training part, replayed while fine-tuning. */
  replay: ByteGlyphs;
  /** Images from its validation part (seed 1, 10%, as every training run splits it), to report on. */
  validation: ByteGlyphs;
  /** Other images from the validation part, to tune on (never reported). */
  check: ByteGlyphs;
  description: string;
}

export interface BaseCounts {
  replay: number;
  validation: number;
  check: number;
}

export function glyphsToBytes(glyphs: Float32Array, labels: Int32Array): ByteGlyphs {
  const pixels = new Uint8Array(glyphs.length);
  for (let i = 0; i < glyphs.length; i++) pixels[i] = Math.round(255 * Math.min(1, Math.max(0, glyphs[i]!)));
  return { count: labels.length, pixels, labels };
}

export function concatGlyphs(parts: readonly ByteGlyphs[]): ByteGlyphs {
  const count = parts.reduce((n, p) => n + p.count, 0);
  const pixels = new Uint8Array(count * GLYPH_VALUES);
  const labels = new Int32Array(count);
  let at = 0;
  for (const p of parts) {
    pixels.set(p.pixels, at * GLYPH_VALUES);
    labels.set(p.labels, at);
    at += p.count;
  }
  return { count, pixels, labels };
}

/** The same glyphs `times` times over. */
export function repeatGlyphs(g: ByteGlyphs, times: number): ByteGlyphs {
  return concatGlyphs(Array.from({ length: times }, () => g));
}

/**
 * Splits sample indices by class: of each class with two or more samples, `fraction` (at least
 * one) is held back; a class's only sample is trained on.
 */
export function holdOut(labels: ArrayLike<number>, fraction: number, rng: Rng): { train: number[]; heldOut: number[] } {
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) byClass.set(labels[i]!, [...(byClass.get(labels[i]!) ?? []), i]);
  const train: number[] = [];
  const heldOut: number[] = [];
  for (const members of [...byClass.entries()].sort((a, b) => a[0] - b[0]).map(([, m]) => m)) {
    rng.shuffle(members);
    const take = members.length < 2 ? 0 : Math.min(members.length - 1, Math.max(1, Math.round(members.length * fraction)));
    heldOut.push(...members.slice(0, take));
    train.push(...members.slice(take));
  }
  return { train: train.sort((a, b) => a - b), heldOut: heldOut.sort((a, b) => a - b) };
}

/** A subset of glyphs by index. */
export function pickGlyphs(g: ByteGlyphs, indices: readonly number[]): ByteGlyphs {
  const pixels = new Uint8Array(indices.length * GLYPH_VALUES);
  const labels = new Int32Array(indices.length);
  indices.forEach((i, k) => {
    pixels.set(g.pixels.subarray(i * GLYPH_VALUES, (i + 1) * GLYPH_VALUES), k * GLYPH_VALUES);
    labels[k] = g.labels[i]!;
  });
  return { count: indices.length, pixels, labels };
}

/**
 * Images of the base data in the model's classes: `replay` from its training part, `validation`
 * and `check` (disjoint) from its validation part. The split is the one every training run
 * makes of the same data (app/train/data.ts: seed 1, 10% per class), so a model trained on it
 * has never seen the validation images.
 */
export async function loadBaseSubset(path: string, classes: readonly string[], counts: BaseCounts, seed: number): Promise<BaseSubset> {
  const rng = createRng(seed);
  const paths = datasetPaths(path);
  if (paths.length === 1 && statSync(path).isDirectory() && findPoolParts(path).length > 0) return poolSubset(path, classes, counts, rng);
  // Several datasets are split as one, as a training run on them splits them (data.ts).
  const set = await loadDatasets(path, { glyphs: true });
  if (set.height !== GLYPH_SIDE || set.width !== GLYPH_SIDE || set.channels !== 1)
    throw new Error(`${path}: base data must be 32×32 glyphs, got ${set.height}×${set.width}×${set.channels}`);
  const toModel = set.classes.map((c) => classes.indexOf(c));
  const split = splitTrainValidation(set, { validationFraction: VALIDATION_FRACTION, seed: SPLIT_SEED });
  const usable = (indices: Int32Array) => Int32Array.from(Array.from(indices).filter((i) => toModel[set.labels[i]!]! >= 0));
  const chosen = choose(usable(split.train), usable(split.validation), counts, rng);
  const take = (indices: number[]): ByteGlyphs => {
    const picked = subset(set, indices);
    return glyphsToBytes(
      picked.pixels,
      picked.labels.map((l) => toModel[l]!),
    );
  };
  return { replay: take(chosen.replay), validation: take(chosen.validation), check: take(chosen.check), description: `${path} (${set.count} images)` };
}

type Role = keyof BaseCounts;
const ROLES: readonly Role[] = ['replay', 'validation', 'check'];

/** Random indices for each role, each list ascending. */
function choose(train: Int32Array, validation: Int32Array, counts: BaseCounts, rng: Rng): Record<Role, number[]> {
  const sorted = (a: number[]) => a.sort((x, y) => x - y);
  const replay = rng.shuffle(Array.from(train)).slice(0, counts.replay);
  const held = rng.shuffle(Array.from(validation));
  return {
    replay: sorted(replay),
    validation: sorted(held.slice(0, counts.validation)),
    check: sorted(held.slice(counts.validation, counts.validation + counts.check)),
  };
}

function poolSubset(dir: string, classes: readonly string[], counts: BaseCounts, rng: Rng): BaseSubset {
  if (classes.join() !== CLASSES_36.join())
    throw new Error(`the EMNIST pool has the 36 classes A–Z 0–9; the model has ${classes.length} (${classes.join(' ')})`);
  // Bytes only: the whole pool as floats would be about 350 MB.
  const parts = findPoolParts(dir).map(readPoolPart);
  const count = parts.reduce((n, p) => n + p.labels.length, 0);
  const labels = new Int32Array(count);
  const partOf = new Int32Array(count);
  const starts: number[] = [];
  let at = 0;
  parts.forEach((p, k) => {
    starts.push(at);
    labels.set(p.labels, at);
    partOf.fill(k, at, at + p.labels.length);
    at += p.labels.length;
  });
  const split = splitTrainValidation({ count, labels, classes: CLASSES_36 }, { validationFraction: VALIDATION_FRACTION, seed: SPLIT_SEED });
  const chosen = choose(split.train, split.validation, counts, rng);
  const out = { replay: allocate(chosen.replay.length), validation: allocate(chosen.validation.length), check: allocate(chosen.check.length) };
  for (const [k, { images }] of parts.entries()) {
    const border = (GLYPH_SIDE - images.height) / 2;
    for (const role of ROLES) {
      chosen[role].forEach((i, slot) => {
        if (partOf[i] !== k) return;
        const local = i - starts[k]!;
        const o = slot * GLYPH_VALUES;
        for (let y = 0; y < images.height; y++) {
          const src = (local * images.height + y) * images.width;
          out[role].pixels.set(images.pixels.subarray(src, src + images.width), o + (y + border) * GLYPH_SIDE + border);
        }
        out[role].labels[slot] = labels[i]!;
      });
    }
  }
  return { ...out, description: `EMNIST36 pool at ${dir} (${count} images)` };
}

function allocate(count: number): ByteGlyphs {
  return { count, pixels: new Uint8Array(count * GLYPH_VALUES), labels: new Int32Array(count) };
}

/**
 * Writes glyphs (labelled by `classes`, the 36 or the 62 glyph classes) as pool files every
 * trainer reads back with those classes: the capitals and digits as an EMNIST36 pool part; for
 * 62 classes, in `dir/upper`, with the lower-case letters as the lower-case pool in `dir/lower`
 * (read together as `dir/upper,dir/lower`: glyphDataPath).
 */
export function writePoolFolder(dir: string, g: ByteGlyphs, classes: readonly string[] = CLASSES_36): void {
  if (!mixedCase(classes)) {
    writeIdx(join(dir, 'emnist36-pool-part0-labels-idx1-ubyte'), [g.count], Uint8Array.from(g.labels));
    writeIdx(join(dir, 'emnist36-pool-part0-images-idx3-ubyte'), [g.count, GLYPH_SIDE, GLYPH_SIDE], g.pixels);
    return;
  }
  const upper: number[] = [];
  const lower: number[] = [];
  for (let i = 0; i < g.count; i++) (CLASSES_LOWER.includes(classes[g.labels[i]!]!) ? lower : upper).push(i);
  const write = (sub: string, prefix: string, part: ByteGlyphs, names: readonly string[]) => {
    makeDirectory(join(dir, sub));
    writeIdx(
      join(dir, sub, `${prefix}-labels-idx1-ubyte`),
      [part.count],
      Uint8Array.from(part.labels, (l) => names.indexOf(classes[l]!)),
    );
    writeIdx(join(dir, sub, `${prefix}-images-idx3-ubyte`), [part.count, GLYPH_SIDE, GLYPH_SIDE], part.pixels);
  };
  write('upper', 'emnist36-pool-part0', pickGlyphs(g, upper), CLASSES_36);
  write('lower', 'emnist-lower-pool', pickGlyphs(g, lower), CLASSES_LOWER);
}

/** The classes are the 62 of mixed case (checked: only the 36 and the 62 are written here). */
function mixedCase(classes: readonly string[]): boolean {
  if (classes.join() === CLASSES_62.join()) return true;
  if (classes.join() === CLASSES_36.join()) return false;
  throw new Error(`only models of the 36 classes A–Z 0–9 or the 62 classes A–Z a–z 0–9 can be retrained here; this one has ${classes.length}`);
}

/** The `--data` path of a folder writePoolFolder wrote. */
export function glyphDataPath(dir: string, classes: readonly string[]): string {
  return mixedCase(classes) ? `${join(dir, 'upper')},${join(dir, 'lower')}` : dir;
}

/** A folder writePoolFolder wrote, as glyphs labelled by `classes`. */
export async function loadPoolFolder(dir: string, classes: readonly string[]): Promise<LabelledImages> {
  const set = await loadDatasets(glyphDataPath(dir, classes));
  if (set.classes.join() !== classes.join()) throw new Error(`${dir}: holds the classes ${set.classes.join('')}, expected ${classes.join('')}`);
  return set;
}

export function poolFolderWritten(dir: string): boolean {
  const pool = (d: string) => existsSync(join(d, 'emnist36-pool-part0-images-idx3-ubyte')) && existsSync(join(d, 'emnist36-pool-part0-labels-idx1-ubyte'));
  return pool(dir) || (pool(join(dir, 'upper')) && existsSync(join(dir, 'lower', 'emnist-lower-pool-labels-idx1-ubyte')));
}
