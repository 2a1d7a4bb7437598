import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Every file under a folder (relative paths, sorted); [] when the folder does not exist. */
export function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();
}

/** Temp files a write cut short would leave (app/base/atomic.ts names them .<name>.<pid>.<stamp>.tmp). */
export function strayTempFiles(dir: string): string[] {
  return filesUnder(dir).filter((f) => /(^|[/\\])\.[^/\\]*\.tmp$|\.tmp(-|$)/.test(f));
}
