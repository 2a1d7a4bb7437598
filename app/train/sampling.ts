/**
 * How training sees the data each epoch: a class-balanced draw (the pool is digit-heavy) and
 * augmented copies made chunk by chunk, so memory stays bounded whatever the epoch size.
 */
import { augmentBatch, type AugmentOptions } from '../data/augment.ts';
import type { Rng } from '../base/random.ts';

/**
 * Indices for one epoch. Balanced: every class gets the same number of draws (total / classes),
 * the rare ones repeated, the common ones sub-sampled, in shuffled order. Unbalanced: all
 * indices, shuffled.
 */
export function epochIndices(labels: Int32Array, indices: Int32Array, classCount: number, balanced: boolean, rng: Rng, total = indices.length): Int32Array {
  if (!balanced) return rng.shuffle(Int32Array.from(indices));
  const byClass: number[][] = Array.from({ length: classCount }, () => []);
  for (const i of indices) byClass[labels[i]!]!.push(i);
  const present = byClass.filter((members) => members.length > 0);
  const perClass = Math.max(1, Math.floor(total / present.length));
  const out = new Int32Array(perClass * present.length);
  let at = 0;
  for (const members of present) {
    rng.shuffle(members);
    // Whole passes over the class, then a random part of one more, so no image is favoured.
    for (let k = 0; k < perClass; k++) out[at++] = members[k % members.length]!;
  }
  return rng.shuffle(out);
}

/**
 * Yields the epoch's images in chunks: gathered, then augmented when `augment` is given.
 * `targets` are the labels for classifiers; the autoencoder uses the pixels themselves.
 */
export function* epochChunks(
  pixels: Float32Array,
  labels: Int32Array,
  imageSize: number,
  side: number,
  order: Int32Array,
  chunkSize: number,
  rng: Rng,
  augment?: AugmentOptions,
): Generator<{ inputs: Float32Array; labels: Int32Array; count: number; done: number }> {
  const gathered = new Float32Array(chunkSize * imageSize);
  const augmented = augment ? new Float32Array(chunkSize * imageSize) : gathered;
  const chunkLabels = new Int32Array(chunkSize);
  for (let start = 0; start < order.length; start += chunkSize) {
    const count = Math.min(chunkSize, order.length - start);
    for (let k = 0; k < count; k++) {
      const i = order[start + k]!;
      gathered.set(pixels.subarray(i * imageSize, (i + 1) * imageSize), k * imageSize);
      chunkLabels[k] = labels[i]!;
    }
    if (augment) augmentBatch(gathered, count, side, augmented, rng, augment);
    yield { inputs: augmented.subarray(0, count * imageSize), labels: chunkLabels.subarray(0, count), count, done: start + count };
  }
}
