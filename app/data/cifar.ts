/**
 * CIFAR-10 binary batches (https://www.cs.toronto.edu/~kriz/cifar.html, "binary version"): each
 * record is 1 label byte then 3072 bytes, the red, green and blue 32×32 planes row-major. Read
 * into NHWC 32×32×3 in [0, 1]. Class names come from `batches.meta.txt` beside the batch, if any.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { LabelledImages } from './glyphs.ts';
import { DatasetError, checkLabelRange, isGzip, readWholeFile } from './files.ts';
import { writeFileAtomic } from '../base/atomic.ts';

export const CIFAR10_CLASSES: readonly string[] = Object.freeze(['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck']);

const SIDE = 32;
const PLANE = SIDE * SIDE;
const IMAGE_BYTES = 3 * PLANE;
const RECORD_BYTES = 1 + IMAGE_BYTES;

/** Reads one or more batch files (e.g. data_batch_1.bin … data_batch_5.bin) as one set. */
export function loadCifarBatches(paths: string | readonly string[]): LabelledImages {
  const files = typeof paths === 'string' ? [paths] : [...paths];
  if (files.length === 0) throw new RangeError('loadCifarBatches: no batch files given');
  const batches = files.map((path) => ({ path, bytes: readBatch(path) }));
  const classes = readClassNames(dirname(files[0]!));
  const count = batches.reduce((n, b) => n + b.bytes.length / RECORD_BYTES, 0);
  const pixels = new Float32Array(count * IMAGE_BYTES);
  const labels = new Int32Array(count);
  let n = 0;
  for (const { path, bytes } of batches) {
    const records = bytes.length / RECORD_BYTES;
    const batchLabels = new Int32Array(records);
    for (let r = 0; r < records; r++) batchLabels[r] = bytes[r * RECORD_BYTES]!;
    checkLabelRange(path, batchLabels, classes.length);
    labels.set(batchLabels, n);
    for (let r = 0; r < records; r++, n++) {
      const record = r * RECORD_BYTES + 1;
      const out = n * IMAGE_BYTES;
      for (let p = 0; p < PLANE; p++) {
        pixels[out + 3 * p] = bytes[record + p]! / 255;
        pixels[out + 3 * p + 1] = bytes[record + PLANE + p]! / 255;
        pixels[out + 3 * p + 2] = bytes[record + 2 * PLANE + p]! / 255;
      }
    }
  }
  const source = files.length === 1 ? files[0]! : `${dirname(files[0]!)} (${files.length} batches)`;
  return { count, height: SIDE, width: SIDE, channels: 3, pixels, labels, classes, source };
}

function readBatch(path: string): Buffer {
  const bytes = readWholeFile(path);
  if (isGzip(bytes)) throw new DatasetError(path, 'is gzip-compressed: extract the CIFAR-10 archive (cifar-10-binary.tar.gz) first');
  if (bytes.length === 0) throw new DatasetError(path, 'is empty (expected 3073-byte CIFAR-10 records)');
  const partial = bytes.length % RECORD_BYTES;
  if (partial !== 0) {
    throw new DatasetError(
      path,
      `truncated: ${bytes.length} bytes is not a whole number of ${RECORD_BYTES}-byte CIFAR-10 records (1 label + 32×32×3); ` +
        `the last record has ${partial} bytes`,
    );
  }
  return bytes;
}

/** Names from `batches.meta.txt` in `dir` (one per line), else the ten CIFAR-10 names. */
export function readClassNames(dir: string): readonly string[] {
  const meta = join(dir, 'batches.meta.txt');
  if (!existsSync(meta)) return CIFAR10_CLASSES;
  const names = readFileSync(meta, 'utf8')
    .split(/\r?\n/)
    .map((s) => s.trim())
    .filter(Boolean);
  if (names.length === 0) throw new DatasetError(meta, 'holds no class names (expected one per line)');
  return names;
}

/**
 * Writes a CIFAR-10 batch atomically from NHWC 32×32×3 bytes (0–255) and labels (0–255); used
 * to build fixtures.
 */
export function writeCifarBatch(path: string, pixels: Uint8Array, labels: ArrayLike<number>): void {
  writeFileAtomic(path, encodeCifarBatch(pixels, labels));
}

export function encodeCifarBatch(pixels: Uint8Array, labels: ArrayLike<number>): Buffer {
  if (pixels.length !== labels.length * IMAGE_BYTES) {
    throw new RangeError(`encodeCifarBatch: ${labels.length} labels need ${labels.length * IMAGE_BYTES} pixel bytes, got ${pixels.length}`);
  }
  const out = Buffer.alloc(labels.length * RECORD_BYTES);
  for (let n = 0; n < labels.length; n++) {
    const label = labels[n]!;
    if (!Number.isInteger(label) || label < 0 || label > 255) throw new RangeError(`encodeCifarBatch: label ${label} does not fit in a byte`);
    const record = n * RECORD_BYTES;
    out[record] = label;
    for (let p = 0; p < PLANE; p++) {
      for (let c = 0; c < 3; c++) out[record + 1 + c * PLANE + p] = pixels[n * IMAGE_BYTES + 3 * p + c]!;
    }
  }
  return out;
}
