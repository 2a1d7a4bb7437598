import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export interface AtomicOptions {
  /**
   * Also flush the data and the folder entry to the disk before returning, so that a power cut
   * (not only a crash of the process) leaves the old content or the new. Costs a few
   * milliseconds; worth it for what the user made by hand (samples, settings).
   */
  durable?: boolean;
}

/** Prefix and suffix of the temp files writeFileAtomic leaves only if the process dies mid-write. */
export const TEMP_PREFIX = '.';
export const TEMP_SUFFIX = '.tmp';

/**
 * Writes a file so that readers see either the old content or the new, never a part: the data
 * goes to a temp file in the same folder, which is then renamed over the target.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array, options: AtomicOptions = {}): void {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true });
  const tmp = join(dir, `${TEMP_PREFIX}${basename(path)}.${process.pid}.${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}${TEMP_SUFFIX}`);
  try {
    const fd = openSync(tmp, 'w');
    try {
      const bytes = typeof data === 'string' ? Buffer.from(data) : data;
      for (let at = 0; at < bytes.length;) at += writeSync(fd, bytes, at, bytes.length - at);
      if (options.durable) fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
  if (options.durable) syncFolder(dir);
}

/** Flushes a folder's entries (a rename or an unlink in it) to the disk; a no-op where folders cannot be opened (Windows). */
export function syncFolder(dir: string): void {
  let fd: number;
  try {
    fd = openSync(dir, 'r');
  } catch {
    return;
  }
  try {
    fsyncSync(fd);
  } catch {
    // Some file systems refuse fsync on folders; the rename is still atomic.
  } finally {
    closeSync(fd);
  }
}

/** Whether a file name is one of writeFileAtomic's temp files (left behind only by a killed process). */
export function isAtomicTemp(name: string): boolean {
  return name.startsWith(TEMP_PREFIX) && name.endsWith(TEMP_SUFFIX);
}
