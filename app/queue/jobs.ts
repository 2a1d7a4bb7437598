/**
 * Archive scale: pages read on many machines through BullMQ on Redis. This module holds what
 * the submitting command and the workers agree on: the queue's name, the connection from a
 * Redis URL, the one job kind a worker runs, and the checks a job must pass before a worker
 * touches a file (paths inside the shared storage root, the size an inline image may have).
 * The queue, its retries and stalled-job recovery are BullMQ's; nothing here schedules.
 */
import { existsSync, realpathSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { TRAIN_OPTIONS, type Arch, type TrainOptionName } from '../contract.ts';
import { OUTPUT_FORMATS as FORMATS, type OutputFormat as Format } from '../recognize/output-formats.ts';

export const OCR_QUEUE = 'hwr-ocr';
/** Where the image of a page job that carries one is kept: named by the job's id, never by its data. */
export const imageKey = (jobId: string) => `hwr:image:${jobId}`;
/** Training runs go on a queue of their own: only workers started with --train (on a GPU) take them. */
export const TRAIN_QUEUE = 'hwr-train';
/** A training job's files (dataset, model to start from) travel in it up to this size in all; larger ones go by a path on the shared storage. */
export const INLINE_TRAIN_BYTES = 64 * 1024 * 1024;
/** Redis when neither --redis nor HWR_REDIS names one. */
export const DEFAULT_REDIS = 'redis://127.0.0.1:6379';
/**
 * An image travels with its job, on Redis, up to this size; larger ones go by a path on the shared
 * storage. It is kept as bytes under a key of its own (imageKey), not in the job's JSON: a worker
 * then reads it without decoding text, and deletes it once its page is read.
 */
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
  /** The image travels with the job (under imageKey(the job's id)) ... */
  inline?: true;
  /** ... or its path relative to the storage root. */
  path?: string;
}

/** Where a training job's dataset (or model to start from) is: among the files it carries, or on the shared storage. */
export interface JobPath {
  in: 'job' | 'storage';
  /** Relative to the job's files, or to the storage root; several datasets are joined by commas, as `hwr train --data` takes them. */
  path: string;
}

/** The options of `hwr train` a job may set: numbers and switches only. Paths are JobPaths; where the run goes is the worker's. */
export const TRAIN_JOB_OPTIONS = (Object.keys(TRAIN_OPTIONS) as TrainOptionName[]).filter((name) => {
  const kind = TRAIN_OPTIONS[name].kind;
  return name !== 'resume' && (kind === 'integer' || kind === 'number' || kind === 'boolean');
});

/** One `hwr train` run on a worker with a GPU; its model and card come back in the job's result (TrainJobResult). */
export interface TrainJob {
  kind: 'train';
  /** What the run is called in messages (the command that sent it). */
  command: string;
  arch: Arch;
  /** Values of TRAIN_JOB_OPTIONS; ranges are checked by the trainer, as for `hwr train`. */
  options: Partial<Record<TrainOptionName, number | boolean>>;
  /** Files carried in the job, base64 by relative name. */
  files?: Record<string, string>;
  /** Absent: the worker's default data for the architecture. */
  data?: JobPath;
  labels?: JobPath;
  initFrom?: JobPath;
}

/** What a finished training job brings back. */
export interface TrainJobResult {
  /** The best model (ONNX), base64; absent when no epoch finished. */
  model?: string;
  /** The run's pictures and card, by file name (base64), as the trainer wrote them. */
  files: Record<string, string>;
  /** Role → file name in `files` (card, curves, confusion, ...). */
  artefacts: Record<string, string>;
  /** The trainer's result, paths left out. */
  bestEpoch: number;
  cancelled: boolean;
  seconds: number;
  backend: string;
  history: unknown[];
  validationAccuracy?: number;
  validationPsnr?: number;
  /** The machine that trained. */
  host: string;
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

/** What went wrong reaching Redis, in a sentence that says what to check. */
export function redisProblem(err: unknown, url: string): string {
  const text = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: string } | null)?.code ?? '';
  if (/WRONGPASS|NOAUTH|invalid password|invalid username/i.test(text))
    return `Redis at ${showRedis(url)} refused the login (${text.split('\n')[0]}): check the user and password in the URL (redis://user:password@host:port)`;
  if (/ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EHOSTUNREACH|ECONNRESET|connect/i.test(`${code} ${text}`))
    return `cannot reach Redis at ${showRedis(url)} (${code || text.split('\n')[0]}): is it running there, and are --redis or HWR_REDIS right?`;
  return `Redis at ${showRedis(url)}: ${text.split('\n')[0]}`;
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
  const path = resolve(root, relativeName(rel, what, 'the shared storage'));
  relativeToRoot(root, existsSync(path) ? path : resolve(path, '..'));
  return path;
}

/** The job's data checked field by field: a JobRefused says what is wrong; nothing else is ever run. */
export function checkJob(data: unknown): OcrJob {
  const d = record(data, 'the job holds no data object');
  if (d.kind !== 'ocr') throw new JobRefused(`unknown job kind ${JSON.stringify(d.kind)}: a worker reads pages ('ocr') and nothing else`);
  const text = (field: string, max = 1024) => {
    const v = d[field];
    if (typeof v !== 'string' || v === '' || v.length > max) throw new JobRefused(`the job's ${field} must be a string of 1 to ${max} characters`);
    return v;
  };
  const job: OcrJob = { kind: 'ocr', batch: text('batch', 64), name: text('name'), format: d.format as Format, output: text('output') };
  if (!(typeof d.format === 'string' && d.format in FORMATS)) throw new JobRefused(`the job's format must be one of ${Object.keys(FORMATS).join(', ')}`);
  if ((d.inline === undefined) === (d.path === undefined)) throw new JobRefused('the job must carry its image, or a path to it, and not both');
  if (d.inline !== undefined) {
    if (d.inline !== true) throw new JobRefused("the job's inline must be true (its image travels with it) or absent");
    job.inline = true;
  } else job.path = text('path');
  return job;
}

/** `value` as an object of fields, or a JobRefused saying `refusal`. */
function record(value: unknown, refusal: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new JobRefused(refusal);
  return value as Record<string, unknown>;
}

/** A relative path a job names (no absolute path, no `..`, no NUL): refused otherwise. */
function relativeName(value: unknown, what: string, folder = 'its folder'): string {
  if (typeof value !== 'string' || value === '' || value.length > 1024 || value.includes('\0')) throw new JobRefused(`the job's ${what} is not a path`);
  if (isAbsolute(value) || /^[a-zA-Z]:/.test(value) || value.split(/[\\/]/).includes('..'))
    throw new JobRefused(`the job's ${what} '${value}' leaves ${folder} (absolute, or with ..)`);
  return value;
}

function jobPath(value: unknown, what: string, files: Record<string, string> | undefined): JobPath | undefined {
  if (value === undefined) return undefined;
  const v = record(value, `the job's ${what} must be { in: 'job' | 'storage', path }`);
  if (v.in !== 'job' && v.in !== 'storage') throw new JobRefused(`the job's ${what} must be in 'job' or 'storage', not ${JSON.stringify(v.in)}`);
  if (typeof v.path !== 'string') throw new JobRefused(`the job's ${what} is not a path`);
  const path = v.path
    .split(',')
    .map((part) => relativeName(part, what))
    .join(',');
  if (v.in === 'job') {
    const names = Object.keys(files ?? {});
    for (const part of path.split(','))
      if (!names.some((n) => n === part || n.startsWith(`${part}/`))) throw new JobRefused(`the job's ${what} '${part}' is not among the files it carries`);
  }
  return { in: v.in, path };
}

/** A training job's data checked field by field, as checkJob does for pages; the options' ranges are the trainer's to check. */
export function checkTrainJob(data: unknown): TrainJob {
  const d = record(data, 'the job holds no data object');
  if (d.kind !== 'train') throw new JobRefused(`unknown job kind ${JSON.stringify(d.kind)}: the training queue takes training runs ('train') and nothing else`);
  if (!(TRAIN_OPTIONS.arch.values as readonly unknown[]).includes(d.arch))
    throw new JobRefused(`the job's arch must be one of ${TRAIN_OPTIONS.arch.values.join(', ')}, not ${JSON.stringify(d.arch)}`);
  if (typeof d.command !== 'string' || d.command.length > 4096) throw new JobRefused("the job's command must be a string of at most 4096 characters");
  const options: TrainJob['options'] = {};
  for (const [name, value] of Object.entries(record(d.options, "the job's options must be an object"))) {
    if (!(TRAIN_JOB_OPTIONS as string[]).includes(name))
      throw new JobRefused(`the job sets '${name}', which is not a training option it may set (${TRAIN_JOB_OPTIONS.join(', ')})`);
    const wanted = TRAIN_OPTIONS[name as TrainOptionName].kind === 'boolean' ? 'boolean' : 'number';
    if (typeof value !== wanted || (wanted === 'number' && !Number.isFinite(value))) throw new JobRefused(`the job's option ${name} must be a ${wanted}`);
    options[name as TrainOptionName] = value as number | boolean;
  }
  let files: Record<string, string> | undefined;
  if (d.files !== undefined) {
    files = {};
    let bytes = 0;
    for (const [name, content] of Object.entries(record(d.files, "the job's files must be an object of base64 by name"))) {
      relativeName(name, `file name`);
      if (typeof content !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(content)) throw new JobRefused(`the job's file ${name} is not base64`);
      bytes += (content.length * 3) / 4;
      files[name] = content;
    }
    if (bytes > INLINE_TRAIN_BYTES * 1.01) throw new JobRefused(`the job's files are larger than ${INLINE_TRAIN_BYTES / 1048576} MB in all`);
  }
  return {
    kind: 'train',
    command: d.command,
    arch: d.arch as Arch,
    options,
    ...(files ? { files } : {}),
    ...Object.fromEntries(
      (['data', 'labels', 'initFrom'] as const).flatMap((k) => {
        const p = jobPath(d[k], k, files);
        return p ? [[k, p]] : [];
      }),
    ),
  };
}
