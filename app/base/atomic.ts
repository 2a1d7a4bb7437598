import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

/**
 * `mkdir -p` that fails instead of hanging: Node 20's recursive mkdirSync loops for ever under
 * /proc (`hwr ocr --out /proc/x` sat at 100% CPU). Makes each missing folder from the nearest one
 * that exists, one at a time; an Error names the folder it could not make, and why.
 */
export function makeDirectory(dir: string): void {
  const missing: string[] = [];
  let at = resolve(dir);
  while (!existsSync(at)) {
    missing.push(at);
    const up = dirname(at);
    if (up === at) break;
    at = up;
  }
  if (existsSync(at) && !statSync(at).isDirectory()) throw new Error(`cannot make the folder ${resolve(dir)}: ${at} is a file`);
  for (const d of missing.reverse()) {
    try {
      mkdirSync(d);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST') throw new Error(`cannot make the folder ${d} (${code ?? (err as Error).message})`, { cause: err });
    }
  }
}

/**
 * Checks, before any work, that files can be written in `dir` (made if missing): makes it and
 * writes and removes a small file there. An Error says which folder and why.
 */
export function checkWritableFolder(dir: string): void {
  makeDirectory(dir);
  const probe = join(dir, `${TEMP_PREFIX}hwr-write-check.${process.pid}${TEMP_SUFFIX}`);
  try {
    closeSync(openSync(probe, 'w'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(`cannot write in the folder ${resolve(dir)} (${code ?? (err as Error).message})`, { cause: err });
  } finally {
    rmSync(probe, { force: true });
  }
}

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
  makeDirectory(dir);
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
