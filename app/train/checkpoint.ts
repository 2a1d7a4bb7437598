/**
 * Checkpoints of a training run, for every backend: one file per checkpoint, written atomically
 * (temp file + rename, app/base/atomic.ts), so an interrupted run leaves either the previous
 * checkpoint or the new one, never a torn one. Layout:
 *   "HWRCKPT2" | u32 header bytes | header JSON (UTF-8, space-padded to 4 bytes) | float32 arrays
 * The header names the arrays (weights, optimiser state, best weights) and their lengths; the
 * arrays are the backend's state as it gives it (fit.ts), so a resumed run continues exactly.
 */
import { existsSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../base/atomic.ts';
import type { ScheduleState } from './schedule.ts';
import type { EpochRecord } from './types.ts';

const MAGIC = 'HWRCKPT2';

/** What identifies a run: resume refuses a checkpoint whose run differs in any of these. */
export type RunKey = Record<string, unknown>;

export interface CheckpointHeader {
  run: RunKey;
  /** Epochs completed. */
  epoch: number;
  history: EpochRecord[];
  bestEpoch: number;
  bestScore: number;
  schedule: ScheduleState;
  /** The backend's scalars beside its arrays (e.g. the optimiser's step count). */
  backend: Record<string, number>;
  /** Training seconds so far (wall time of the epochs). */
  seconds: number;
  arrays: Record<string, number>;
}

export interface Checkpoint {
  header: CheckpointHeader;
  arrays: Record<string, Float32Array>;
}

export function writeCheckpoint(path: string, header: Omit<CheckpointHeader, 'arrays'>, arrays: Record<string, Float32Array>): void {
  const full: CheckpointHeader = { ...header, arrays: Object.fromEntries(Object.entries(arrays).map(([k, a]) => [k, a.length])) };
  let json = Buffer.from(JSON.stringify(full), 'utf8');
  const padded = Math.ceil(json.length / 4) * 4;
  if (padded !== json.length) json = Buffer.concat([json, Buffer.alloc(padded - json.length, 0x20)]);
  const floats = Object.values(arrays).reduce((n, a) => n + a.length, 0);
  const bytes = Buffer.alloc(MAGIC.length + 4 + json.length + floats * 4);
  bytes.write(MAGIC, 0, 'ascii');
  bytes.writeUInt32LE(json.length, MAGIC.length);
  json.copy(bytes, MAGIC.length + 4);
  let at = MAGIC.length + 4 + json.length;
  for (const a of Object.values(arrays)) {
    Buffer.from(a.buffer, a.byteOffset, a.byteLength).copy(bytes, at);
    at += a.byteLength;
  }
  writeFileAtomic(path, bytes);
}

export function readCheckpoint(path: string): Checkpoint {
  const bytes = readFileSync(path);
  const fail = (why: string): never => {
    throw new Error(`checkpoint ${path}: ${why}`);
  };
  if (bytes.length < MAGIC.length + 4 || bytes.toString('ascii', 0, MAGIC.length) !== MAGIC)
    fail('not a hwr training checkpoint (or one from an older version)');
  const headerBytes = bytes.readUInt32LE(MAGIC.length);
  const start = MAGIC.length + 4;
  if (start + headerBytes > bytes.length) fail('truncated header');
  let header: CheckpointHeader;
  try {
    header = JSON.parse(bytes.toString('utf8', start, start + headerBytes)) as CheckpointHeader;
  } catch (err) {
    return fail(`bad header (${(err as Error).message})`);
  }
  const arrays: Record<string, Float32Array> = {};
  let at = start + headerBytes;
  for (const [name, length] of Object.entries(header.arrays)) {
    if (at + length * 4 > bytes.length) fail(`truncated array ${name}`);
    const copy = new Float32Array(length);
    new Uint8Array(copy.buffer).set(bytes.subarray(at, at + length * 4));
    arrays[name] = copy;
    at += length * 4;
  }
  return { header, arrays };
}

export function checkpointExists(path: string): boolean {
  return existsSync(path);
}

/** Why a checkpoint of run `then` cannot continue as run `now`, or null when it can. */
export function runMismatch(then: RunKey, now: RunKey): string | null {
  for (const key of new Set([...Object.keys(then), ...Object.keys(now)])) {
    const a = JSON.stringify(then[key] ?? null);
    const b = JSON.stringify(now[key] ?? null);
    if (a !== b) return `the ${key} differs (${short(a)} then, ${short(b)} now)`;
  }
  return null;
}

const short = (json: string) => (json.length > 60 ? `${json.slice(0, 57)}...` : json);
