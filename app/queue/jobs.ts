/**
 * Archive scale: pages read on many machines through BullMQ on Redis. This module holds what
 * the submitting command and the workers agree on: the queue's name, the connection from a
 * Redis URL, the one job kind a worker runs, and the checks a job must pass before a worker
 * touches a file (paths inside the shared storage root, the size an inline image may have).
 * The queue, its retries and stalled-job recovery are BullMQ's; nothing here schedules.
 */
import { existsSync, realpathSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { OUTPUT_FORMATS as FORMATS, type OutputFormat as Format } from '../recognize/output-formats.ts';

export const OCR_QUEUE = 'hwr-ocr';
/** Redis when neither --redis nor HWR_REDIS names one. */
export const DEFAULT_REDIS = 'redis://127.0.0.1:6379';
/** An image travels inside its job up to this size; larger ones go by a path on the shared storage. */
export const INLINE_IMAGE_BYTES = 4 * 1024 * 1024;
/** Tries per page before it is listed as failed (a worker killed mid-page is not a try: BullMQ moves it back). */
export const ATTEMPTS = 3;

/** One page (or scanned PDF) to read: where its image is, where its result goes, in which format. */
export interface OcrJob {
  kind: 'ocr';
  batch: string;
  /** The input's file name (messages, the output's XML). */
  name: string;
  format: Format;
  /** The result's path, relative to the storage root. */
  output: string;
  /** The image, base64, when it travels in the job ... */
  image?: string;
  /** ... or its path relative to the storage root. */
  path?: string;
}

/** A job a worker will not run, with why (a path outside the storage, data that is not a job). */
export class JobRefused extends Error {}

/** How to reach Redis: what BullMQ and ioredis both take. */
export interface RedisConnection {
  host: string;
  port: number;
  username?: string;
  password?: string;
  db?: number;
  tls?: { servername: string };
  maxRetriesPerRequest: null;
}

/** Connection options from a redis:// or rediss:// (TLS) URL, with its user, password and database. */
export function redisOptions(url: string): RedisConnection {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`'${url}' is not a Redis URL (redis://[user:password@]host:port[/db], rediss:// for TLS)`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new Error(`'${url}': a Redis URL starts redis:// or rediss:// (TLS), not ${u.protocol}//`);
  const db = u.pathname.replace(/^\//, '');
  if (db && !/^\d+$/.test(db)) throw new Error(`'${url}': the database after the host must be a number, not '${db}'`);
  return {
    host: u.hostname || '127.0.0.1',
    port: u.port ? Number(u.port) : 6379,
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(db ? { db: Number(db) } : {}),
    ...(u.protocol === 'rediss:' ? { tls: { servername: u.hostname } } : {}),
    // BullMQ's workers block on Redis: a request must wait for a reconnection, never give up.
    maxRetriesPerRequest: null,
  };
}

/** The URL with its password hidden, for messages and logs. */
export function showRedis(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}

/**
 * `path` (absolute, or relative to the working folder) as a path inside the storage root, or a
 * JobRefused naming both. Symbolic links are followed where the path exists, so a link cannot
 * lead out either.
 */
export function relativeToRoot(root: string, path: string): string {
  const real = (p: string) => (existsSync(p) ? realpathSync(p) : p);
  const base = real(resolve(root));
  const rel = relative(base, real(resolve(path)));
  if (rel === '' || rel.startsWith(`..${sep}`) || rel === '..' || isAbsolute(rel))
    throw new JobRefused(`${path} is not inside the shared storage ${root}: workers read and write only there`);
  return rel.split(sep).join('/');
}

/** A job's relative path as a path under the root; refuses absolute paths, `..` and links that leave it. */
export function underRoot(root: string, rel: unknown, what: string): string {
  if (typeof rel !== 'string' || rel === '' || rel.includes('\0')) throw new JobRefused(`the job's ${what} is not a path`);
  if (isAbsolute(rel) || /^[a-zA-Z]:/.test(rel) || rel.split(/[\\/]/).includes('..'))
    throw new JobRefused(`the job's ${what} '${rel}' leaves the shared storage (absolute, or with ..)`);
  const path = resolve(root, rel);
  relativeToRoot(root, existsSync(path) ? path : resolve(path, '..'));
  return path;
}

/** The job's data checked field by field: a JobRefused says what is wrong; nothing else is ever run. */
export function checkJob(data: unknown): OcrJob {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new JobRefused('the job holds no data object');
  const d = data as Record<string, unknown>;
  if (d.kind !== 'ocr') throw new JobRefused(`unknown job kind ${JSON.stringify(d.kind)}: a worker reads pages ('ocr') and nothing else`);
  const text = (field: string, max = 1024) => {
    const v = d[field];
    if (typeof v !== 'string' || v === '' || v.length > max) throw new JobRefused(`the job's ${field} must be a string of 1 to ${max} characters`);
    return v;
  };
  const job: OcrJob = { kind: 'ocr', batch: text('batch', 64), name: text('name'), format: d.format as Format, output: text('output') };
  if (!(typeof d.format === 'string' && d.format in FORMATS)) throw new JobRefused(`the job's format must be one of ${Object.keys(FORMATS).join(', ')}`);
  if ((d.image === undefined) === (d.path === undefined)) throw new JobRefused('the job must carry its image, or a path to it, and not both');
  if (d.image !== undefined) {
    if (typeof d.image !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(d.image)) throw new JobRefused("the job's image is not base64");
    if ((d.image.length * 3) / 4 > INLINE_IMAGE_BYTES * 1.01) throw new JobRefused(`the job's image is larger than ${INLINE_IMAGE_BYTES / 1048576} MB`);
    job.image = d.image;
  } else job.path = text('path');
  return job;
}
