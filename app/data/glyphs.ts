/**
 * The one in-memory format for labelled images, used by every model, by the dataset readers and
 * by the OCR crops.
 *
 * Glyphs (the 36-class handwriting sets) are 32×32, one channel, float32 in [0, 1], with
 * INK = 1 and PAPER = 0 (white ink on black, as in EMNIST). Framing follows the EMNIST pool:
 * the character is centred by its bounding box at (15.5, 15.5) and its longer side is about
 * 22 px, strokes about 3 px wide with soft edges. EMNIST's 28×28 images become glyphs by a
 * 2-pixel zero border; crops cut from photos are framed the same way (see app/image).
 *
 * Other image-classification sets (CIFAR-10, Fashion-MNIST, folders) use the same struct with
 * their own size, channel count and class names. Pixels are stored row-major, channels last
 * (NHWC): pixel (n, y, x, c) is at ((n * height + y) * width + x) * channels + c.
 */

export interface LabelledImages {
  count: number;
  height: number;
  width: number;
  channels: number;
  /** count × height × width × channels, NHWC, values in [0, 1]. */
  pixels: Float32Array;
  /** count labels, each in [0, classes.length). */
  labels: Int32Array;
  classes: readonly string[];
  /** Where the images came from (file or folder), for error messages and model cards. */
  source: string;
}

export function imageSize(set: Pick<LabelledImages, 'height' | 'width' | 'channels'>): number {
  return set.height * set.width * set.channels;
}

/** The images at the given indices, as a new set (pixels and labels copied). */
export function subset(set: LabelledImages, indices: ArrayLike<number>): LabelledImages {
  const size = imageSize(set);
  const pixels = new Float32Array(indices.length * size);
  const labels = new Int32Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const j = indices[i]!;
    if (j < 0 || j >= set.count) throw new RangeError(`subset: index ${j} is outside 0..${set.count - 1}`);
    pixels.set(set.pixels.subarray(j * size, (j + 1) * size), i * size);
    labels[i] = set.labels[j]!;
  }
  return { ...set, count: indices.length, pixels, labels };
}

/** Concatenates sets of the same shape and classes. */
export function concat(sets: readonly LabelledImages[], source = sets.map((s) => s.source).join(' + ')): LabelledImages {
  if (sets.length === 0) throw new Error('concat: no sets given');
  const first = sets[0]!;
  const size = imageSize(first);
  for (const s of sets) {
    if (imageSize(s) !== size || s.height !== first.height || s.channels !== first.channels) {
      throw new Error(`concat: ${s.source} is ${s.height}×${s.width}×${s.channels}, expected ${first.height}×${first.width}×${first.channels}`);
    }
    if (s.classes.join() !== first.classes.join()) throw new Error(`concat: ${s.source} has different classes from ${first.source}`);
  }
  const count = sets.reduce((n, s) => n + s.count, 0);
  const pixels = new Float32Array(count * size);
  const labels = new Int32Array(count);
  let at = 0;
  for (const s of sets) {
    pixels.set(s.pixels.subarray(0, s.count * size), at * size);
    labels.set(s.labels.subarray(0, s.count), at);
    at += s.count;
  }
  return { ...first, count, pixels, labels, source };
}

/** Number of images per class. */
export function classCounts(set: LabelledImages): Int32Array {
  const counts = new Int32Array(set.classes.length);
  for (let i = 0; i < set.count; i++) counts[set.labels[i]!]!++;
  return counts;
}
