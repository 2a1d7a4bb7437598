import { readFileSync } from 'node:fs';
import { constants, gunzipSync } from 'node:zlib';

/**
 * A dataset file (or folder) that cannot be read as what it claims to be. The message always
 * starts with the path, then says what is wrong, so a user can tell which file to fix.
 */
export class DatasetError extends Error {
  override name = 'DatasetError';
  constructor(
    readonly file: string,
    readonly problem: string,
    options?: { cause?: unknown },
  ) {
    super(`${file}: ${problem}`, options);
  }
}

const GZIP_MAGIC_0 = 0x1f;
const GZIP_MAGIC_1 = 0x8b;

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === GZIP_MAGIC_0 && bytes[1] === GZIP_MAGIC_1;
}

/** Reads a whole file, turning "no such file" and "is a folder" into a DatasetError. */
export function readWholeFile(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const problem = code === 'ENOENT' ? 'file not found' : code === 'EISDIR' ? 'is a folder, expected a file' : `cannot read (${(err as Error).message})`;
    throw new DatasetError(path, problem, { cause: err });
  }
}

/**
 * Reads a file that may be gzipped. Compression is detected by the magic bytes 1f 8b, not by the
 * name; but a file named `.gz` that is not gzip is rejected, since it is surely not what the
 * user meant to give.
 */
/**
 * The file's bytes, gunzipped where it is gzip. `promised`, given the first bytes of the content,
 * says how long the whole content must be (an IDX header does): the inflation stops past that,
 * so a small file that inflates to gigabytes (a zip bomb, a corrupt header) is refused before it
 * fills the memory.
 */
export function readMaybeGzipped(path: string, promised?: (head: Uint8Array) => number | null): Buffer {
  const raw = readWholeFile(path);
  if (!isGzip(raw)) {
    if (/\.gz$/i.test(path)) throw new DatasetError(path, `is named .gz but is not gzip (starts with ${hexHead(raw)}, expected 1f 8b)`);
    return raw;
  }
  let limit: number | null = null;
  if (promised) {
    try {
      limit = promised(gunzipSync(raw.subarray(0, 4096), { finishFlush: constants.Z_SYNC_FLUSH }));
    } catch {
      limit = null; // the prefix does not inflate: gunzipOrExplain says why
    }
  }
  return gunzipOrExplain(path, raw, limit);
}

export function gunzipOrExplain(path: string, raw: Uint8Array, limit: number | null = null): Buffer {
  try {
    return limit === null ? gunzipSync(raw) : gunzipSync(raw, { maxOutputLength: Math.max(1, limit + 1) });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ERR_BUFFER_TOO_LARGE')
      throw new DatasetError(path, `inflates to more than the ${limit!.toLocaleString('en-US')} bytes its header promises (stopped there)`, { cause: err });
    const problem = e.code === 'Z_BUF_ERROR' ? 'gzip data is truncated' : 'gzip data is corrupt';
    throw new DatasetError(path, `${problem} (${e.message})`, { cause: err });
  }
}

/** The first bytes of a buffer as hex, for "wrong magic" messages. */
export function hexHead(bytes: Uint8Array, n = 4): string {
  if (bytes.length === 0) return 'nothing (the file is empty)';
  return Array.from(bytes.subarray(0, n), (b) => b.toString(16).padStart(2, '0')).join(' ');
}

/** Rejects labels outside [0, classCount), naming the first offender. */
export function checkLabelRange(file: string, labels: ArrayLike<number>, classCount: number): void {
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i]!;
    if (!(label >= 0 && label < classCount)) {
      throw new DatasetError(file, `label ${label} at index ${i} is out of range: expected 0..${classCount - 1} (${classCount} classes)`);
    }
  }
}
