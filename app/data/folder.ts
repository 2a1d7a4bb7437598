/**
 * A folder of images with one subfolder per class (class name = subfolder name, sorted), decoded
 * by the same decoder as the pages hwr reads (app/image/decode.ts). Either resized to a fixed size, or, for handwriting, framed as 32×32 glyphs.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { type LabelledImages } from './glyphs.ts';
import { DatasetError } from './files.ts';
import { decodePixels, ImageDecodeError, type PixelImage } from '../image/decode.ts';
import { frameGlyph } from '../image/frame.ts';
import { GLYPH_SIDE, IMAGE_EXTENSIONS, isOpenableImage } from '../contract.ts';

export interface FolderOptions {
  height?: number;
  width?: number;
  channels?: 1 | 3;
  /**
   * Handwritten characters, one per image: made 32×32×1 glyphs with ink = 1, framed by
   * frameGlyph. The paper is whatever the image border mostly is (light or dark), so both dark
   * ink on paper and white-on-black images come out with ink = 1.
   */
  glyphs?: boolean;
}

interface ClassFiles {
  name: string;
  files: string[];
}

/** How many images are decoded at once (sharp also uses its own threads). */
const CONCURRENCY = 4;

export async function loadImageFolder(dir: string, options: FolderOptions): Promise<LabelledImages> {
  const { height, width, channels } = resolveSize(dir, options);
  const classes = listClasses(dir);
  const files = classes.flatMap((c, label) => c.files.map((file) => ({ file, label })));
  const size = height * width * channels;
  const pixels = new Float32Array(files.length * size);
  const labels = new Int32Array(files.length);
  let nextFile = 0;
  // On a failure no new file is started, the ones in flight finish, and the failure of the first
  // file in sorted order is reported: every file before it has been started, so the message
  // does not depend on which decode finished first.
  let failedAt = files.length;
  let failure: unknown = null;
  const decoder = async (): Promise<void> => {
    while (nextFile < files.length && failedAt === files.length) {
      const i = nextFile++;
      const { file, label } = files[i]!;
      try {
        const image = options.glyphs ? await decodeGlyph(file) : await decodeResized(file, height, width, channels);
        pixels.set(image, i * size);
        labels[i] = label;
      } catch (error) {
        if (i < failedAt) [failedAt, failure] = [i, error];
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, files.length) }, decoder));
  if (failedAt < files.length) throw failure;
  return { count: files.length, height, width, channels, pixels, labels, classes: classes.map((c) => folderLabel(c.name)), source: dir };
}

function resolveSize(dir: string, options: FolderOptions): { height: number; width: number; channels: 1 | 3 } {
  if (options.glyphs) {
    const { height = GLYPH_SIDE, width = GLYPH_SIDE, channels = 1 } = options;
    if (height !== GLYPH_SIDE || width !== GLYPH_SIDE || channels !== 1) {
      throw new RangeError(`loadImageFolder ${dir}: glyphs are ${GLYPH_SIDE}×${GLYPH_SIDE}×1, but ${height}×${width}×${channels} was asked`);
    }
    return { height, width, channels };
  }
  const { height, width, channels } = options;
  if (height === undefined || width === undefined || channels === undefined) {
    throw new RangeError(`loadImageFolder ${dir}: give height, width and channels, or glyphs: true`);
  }
  for (const [name, v] of [
    ['height', height],
    ['width', width],
  ] as const) {
    if (!Number.isInteger(v) || v < 1 || v > 4096) throw new RangeError(`loadImageFolder ${dir}: ${name} must be an integer in 1..4096, got ${v}`);
  }
  if (channels !== 1 && channels !== 3) throw new RangeError(`loadImageFolder ${dir}: channels must be 1 or 3, got ${channels}`);
  return { height, width, channels };
}

/**
 * The folder name of a class label: a lower-case letter goes in `_a`, so that `a` and `A` get
 * two folders where file names ignore case (macOS, Windows). folderLabel reads it back; any
 * other folder is its own label.
 */
export function labelFolder(label: string): string {
  return /^[a-z]$/.test(label) ? `_${label}` : label;
}

export function folderLabel(folder: string): string {
  return /^_[a-z]$/.test(folder) ? folder.slice(1) : folder;
}

/** Class subfolders, sorted by name, each with its image files sorted by name. */
export function listClasses(dir: string): ClassFiles[] {
  const entries = readFolder(dir);
  const classNames = entries
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort(byCodeUnits);
  if (classNames.length === 0) throw new DatasetError(dir, 'has no class subfolders (expected one subfolder of images per class)');
  return classNames.map((name) => {
    const classDir = join(dir, name);
    const files = readFolder(classDir)
      .filter((e) => !e.name.startsWith('.') && isOpenableImage(e.name) && isFile(join(classDir, e.name)))
      .map((e) => join(classDir, e.name))
      .sort(byCodeUnits);
    if (files.length === 0) throw new DatasetError(classDir, `class folder '${name}' holds no images (${IMAGE_EXTENSIONS.join(' ')})`);
    return { name, files };
  });
}

function readFolder(dir: string) {
  try {
    return readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const problem =
      code === 'ENOENT' ? 'folder not found' : code === 'ENOTDIR' ? 'is a file, expected a folder' : `cannot list the folder (${(err as Error).message})`;
    throw new DatasetError(dir, problem, { cause: err });
  }
}

function isFile(path: string): boolean {
  return statSync(path).isFile(); // follows symbolic links
}

function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

async function decodeResized(file: string, height: number, width: number, channels: 1 | 3): Promise<Float32Array> {
  const { data } = await decode(file, { channels, width, height });
  const out = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = data[i]! / 255;
  return out;
}

async function decodeGlyph(file: string): Promise<Float32Array> {
  const { data, width, height } = await decode(file, { channels: 1 });
  return frameGlyph(inkOf(data, width, height), width, height);
}

async function decode(file: string, options: { channels: 1 | 3; width?: number; height?: number }): Promise<PixelImage> {
  try {
    return await decodePixels(file, options);
  } catch (err) {
    if (!(err instanceof ImageDecodeError)) throw err;
    throw new DatasetError(file, `cannot decode the image (${err.reason})`, { cause: err });
  }
}

/**
 * Grey levels (0–255) to ink in [0, 1]. The paper level is the median of the border pixels; ink
 * is the distance from it, stretched so the strongest ink is 1 (a grey page or a faint pen frames
 * like black on white). Pixels on the far side of the paper level are paper.
 */
export function inkOf(gray: Uint8Array, width: number, height: number): Float32Array {
  const border: number[] = [];
  for (let x = 0; x < width; x++) border.push(gray[x]!, gray[(height - 1) * width + x]!);
  for (let y = 1; y < height - 1; y++) border.push(gray[y * width]!, gray[y * width + width - 1]!);
  border.sort((a, b) => a - b);
  const paper = border[border.length >> 1]!;
  const lightPaper = paper >= 128;
  let strongest = 0;
  for (let i = 0; i < gray.length; i++) strongest = Math.max(strongest, lightPaper ? paper - gray[i]! : gray[i]! - paper);
  const ink = new Float32Array(gray.length);
  if (strongest <= 0) return ink;
  for (let i = 0; i < gray.length; i++) {
    const v = (lightPaper ? paper - gray[i]! : gray[i]! - paper) / strongest;
    ink[i] = v > 0 ? v : 0;
  }
  return ink;
}
