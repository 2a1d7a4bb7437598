/**
 * What each epoch trains on, and how a batch is assembled: one sampler for every trainer.
 *
 * Balanced epochs: every class gets the same number of draws (the EMNIST pool holds ~15× more
 * of each digit than of K). A class is walked through a seeded permutation of its images, one
 * cycle after another, so the big classes show all their images over a few epochs and the small
 * ones repeat (with fresh augmentation). Everything follows from (seed, epoch): a resumed run
 * draws the same epochs as an uninterrupted one, with no sampler state to save.
 */
import { augmentBatch, DEFAULT_AUGMENT, type AugmentOptions } from '../data/augment.ts';
import { createRng, type Rng } from '../base/random.ts';

/** A seed for one purpose, mixed from several integers (so nearby inputs give unrelated seeds). */
export function mixSeed(...parts: number[]): number {
  let h = 0x811c9dc5;
  for (const p of parts) {
    h = Math.imul(h ^ (p | 0), 0x01000193);
    h = Math.imul(h ^ Math.floor(p / 2 ** 32), 0x01000193);
    h ^= h >>> 15;
  }
  return h | 0;
}

/**
 * Epoch `epoch` (counted from 1) of `size` draws with every present class drawn equally often
 * (remainder to the first classes), shuffled.
 */
export function balancedEpoch(labels: Int32Array, classCount: number, size: number, seed: number, epoch: number): Int32Array {
  const members: number[][] = Array.from({ length: classCount }, () => []);
  for (let i = 0; i < labels.length; i++) members[labels[i]!]!.push(i);
  const present = members.map((m, c) => (m.length > 0 ? c : -1)).filter((c) => c >= 0);
  if (present.length === 0) throw new Error('balancedEpoch: the training set is empty');
  const per = Math.floor(size / present.length);
  const extra = size - per * present.length;
  const order = new Int32Array(size);
  let at = 0;
  present.forEach((c, k) => {
    const pool = members[c]!;
    const draws = per + (k < extra ? 1 : 0);
    // Epoch e (from 1) takes positions (e−1)·draws … e·draws − 1 along the endless sequence of cycles.
    const first = Math.max(0, epoch - 1) * draws;
    let cycle = -1;
    let perm: Int32Array = new Int32Array(0);
    for (let j = 0; j < draws; j++) {
      const position = first + j;
      const thisCycle = Math.floor(position / pool.length);
      if (thisCycle !== cycle) {
        cycle = thisCycle;
        perm = createRng(mixSeed(seed, c, cycle, 0x5eed)).shuffle(Int32Array.from(pool));
      }
      order[at++] = perm[position % pool.length]!;
    }
  });
  createRng(mixSeed(seed, epoch, 0xba1)).shuffle(order);
  return order;
}

/** Every training image once, shuffled. */
export function shuffledEpoch(count: number, seed: number, epoch: number): Int32Array {
  const order = new Int32Array(count);
  for (let i = 0; i < count; i++) order[i] = i;
  return createRng(mixSeed(seed, epoch, 0x5f1)).shuffle(order);
}

/** The order of epoch `epoch` over the training images (labels[i] is image i's class). */
export function epochOrder(labels: Int32Array, classCount: number, balanced: boolean, seed: number, epoch: number): Int32Array {
  return balanced ? balancedEpoch(labels, classCount, labels.length, seed, epoch) : shuffledEpoch(labels.length, seed, epoch);
}

export interface ImageSet {
  /** count × height × width × channels, NHWC (may live in a SharedArrayBuffer). */
  pixels: Float32Array;
  labels: Int32Array;
  height: number;
  width: number;
  channels: number;
}

/**
 * Gathers images `indices` into `out` (NHWC). With `rng`: augmented — glyph augmentation
 * (rotation, scale, shear, shift, stroke thickness, blur, noise; app/data/augment.ts) for
 * single-channel square images, a random shift of up to 2 pixels and a horizontal flip for
 * colour images.
 */
export function fillBatch(set: ImageSet, indices: ArrayLike<number>, out: Float32Array, rng: Rng | null, augment: AugmentOptions = DEFAULT_AUGMENT): void {
  const size = set.height * set.width * set.channels;
  const glyphs = rng !== null && set.channels === 1 && set.height === set.width;
  // Glyphs are augmented from a clean copy into `out`; everything else is gathered into `out`.
  const gathered = glyphs ? scratch(indices.length * size) : out;
  for (let i = 0; i < indices.length; i++) {
    const j = indices[i]!;
    gathered.set(set.pixels.subarray(j * size, (j + 1) * size), i * size);
  }
  if (!rng) return;
  const used = out.subarray(0, indices.length * size);
  if (glyphs) augmentBatch(gathered, indices.length, set.height, used, rng, augment);
  else for (let i = 0; i < indices.length; i++) shiftFlip(used.subarray(i * size, (i + 1) * size), set, rng);
}

/** A scratch array of at least n floats, reused across calls (training steps allocate nothing). */
let scratchBuffer = new Float32Array(0);
function scratch(n: number): Float32Array {
  if (scratchBuffer.length < n) scratchBuffer = new Float32Array(n);
  return scratchBuffer.subarray(0, n);
}

function shiftFlip(image: Float32Array, set: ImageSet, rng: Rng): void {
  const { height: h, width: w, channels: c } = set;
  const dy = rng.int(5) - 2;
  const dx = rng.int(5) - 2;
  const flip = rng.next() < 0.5;
  const src = scratch(image.length);
  src.set(image);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const sy = y - dy;
      const sxRaw = x - dx;
      const sx = flip ? w - 1 - sxRaw : sxRaw;
      const to = (y * w + x) * c;
      if (sy < 0 || sy >= h || sx < 0 || sx >= w) {
        image.fill(0, to, to + c);
      } else {
        const from = (sy * w + sx) * c;
        for (let k = 0; k < c; k++) image[to + k] = src[from + k]!;
      }
    }
  }
}

export function batchLabels(set: ImageSet, indices: ArrayLike<number>): Int32Array {
  const labels = new Int32Array(indices.length);
  for (let i = 0; i < indices.length; i++) labels[i] = set.labels[indices[i]!]!;
  return labels;
}
