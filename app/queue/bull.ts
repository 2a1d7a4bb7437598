/**
 * The one adapter over BullMQ: a batch of page jobs added (each with its own id, so adding again
 * adds nothing twice), a worker started on them, a batch's progress counted and its failures
 * retried. Retries with backoff, locks and stalled-job recovery (a worker killed mid-page: the
 * page goes back to the queue) are BullMQ's own.
 */
import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { randomBytes } from 'node:crypto';
import type { BatchProgress, TrainEvent } from '../contract.ts';
import { ATTEMPTS, imageKey, JobRefused, OCR_QUEUE, redisOptions, redisProblem, TRAIN_QUEUE, type OcrJob, type TrainJob, type TrainJobResult } from './jobs.ts';

/** What a batch's record in Redis holds (its progress is counted from its jobs). */
export type BatchInfo = Pick<BatchProgress, 'batch' | 'total' | 'added' | 'format' | 'out'>;

const jobId = (batch: string, i: number) => `${batch}-${i}`;
const nameOf = (job: Job) => String((job.data as Partial<OcrJob>).name ?? job.id);
const batchKey = (batch: string) => `hwr:batch:${batch}`;

/** The page queue, and a connection of its own for the batches' records. */
export interface PageQueue {
  queue: Queue;
  records: Redis;
  close(): Promise<void>;
}

/**
 * Whether Redis answers at `url`, logged in: an Error in words (redisProblem) if not, within a few
 * seconds. Commands check first, so a wrong address or password is said at once, not waited on.
 */
export async function checkRedis(url: string): Promise<void> {
  const probe = new Redis({ ...redisOptions(url), maxRetriesPerRequest: 0, connectTimeout: 3000, retryStrategy: () => null, lazyConnect: true });
  // The connection's own error says more (refused, wrong password) than the closed connection that follows it.
  let first: unknown;
  probe.on('error', (err) => (first ??= err));
  try {
    await probe.connect();
    await probe.ping();
  } catch (err) {
    throw new Error(redisProblem(first ?? err, url), { cause: err });
  } finally {
    probe.disconnect();
  }
}

/**
 * `failFast`: for a status asked by the app, an unreachable Redis is an error at once, not a wait
 * for it to come back. Otherwise the connections wait for Redis to come back; `onError` hears
 * each problem once, in words, until the connection is back.
 */
export function openQueue(url: string, options: { failFast?: boolean; name?: string; onError?: (message: string) => void } = {}): PageQueue {
  const connection = {
    ...redisOptions(url),
    ...(options.failFast ? { maxRetriesPerRequest: 1, connectTimeout: 3000, retryStrategy: () => null, enableOfflineQueue: true } : {}),
  };
  const queue = new Queue(options.name ?? OCR_QUEUE, { connection });
  const records = new Redis(connection);
  // A failed command says what went wrong; the connections' own error events would only repeat it (with stacks) on stderr.
  let said = '';
  const heard = (err: unknown) => {
    const message = redisProblem(err, url);
    if (message !== said) options.onError?.((said = message));
  };
  queue.on('error', heard);
  records.on('error', heard);
  records.on('ready', () => (said = ''));
  return {
    queue,
    records,
    close: async () => {
      await queue.close();
      records.disconnect();
    },
  };
}

/** A page to add: its job, and its image where it travels with the job (job.inline), read when its chunk is added. */
export interface PageToAdd {
  job: OcrJob;
  image?: () => Uint8Array;
}

/**
 * Adds the batch's pages (and its record, for status); a page already there keeps its place.
 * Pages go in chunks, each chunk's images before its jobs, so workers start on the first pages
 * while the rest are added.
 */
export async function addBatch({ queue, records }: PageQueue, info: BatchInfo, pages: readonly PageToAdd[]): Promise<void> {
  await records.hset(batchKey(info.batch), { ...info, total: String(info.total) });
  const CHUNK = 16;
  for (let start = 0; start < pages.length; start += CHUNK) {
    const chunk = pages.slice(start, start + CHUNK);
    const images = records.pipeline();
    for (const [k, page] of chunk.entries()) {
      if (page.job.inline && !page.image) throw new Error(`${page.job.name}: an inline page needs its image`);
      const bytes = page.image?.();
      if (bytes) images.set(imageKey(jobId(info.batch, start + k)), Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    }
    await images.exec();
    await queue.addBulk(
      chunk.map(({ job: data }, k) => ({
        name: 'ocr',
        data,
        opts: {
          jobId: jobId(info.batch, start + k),
          attempts: ATTEMPTS,
          backoff: { type: 'exponential', delay: 2000 },
          removeOnComplete: false,
          removeOnFail: false,
        },
      })),
    );
  }
}

export async function batchInfo({ records }: PageQueue, batch: string): Promise<BatchInfo | null> {
  const record = await records.hgetall(batchKey(batch));
  if (!record || !record.total) return null;
  return { batch, total: Number(record.total), added: record.added ?? '', format: record.format ?? '', out: record.out ?? '' };
}

const batchIds = (info: BatchInfo) => Array.from({ length: info.total }, (_, i) => jobId(info.batch, i));

/** Each page's state, asked by id (the jobs' data, images included, stay in Redis). */
async function batchStates(queue: Queue, info: BatchInfo): Promise<string[]> {
  const states: string[] = [];
  const ids = batchIds(info);
  const CHUNK = 500;
  for (let start = 0; start < ids.length; start += CHUNK)
    states.push(...(await Promise.all(ids.slice(start, start + CHUNK).map((id) => queue.getJobState(id)))));
  return states;
}

export async function batchStatus(pages: PageQueue, batch: string): Promise<BatchProgress | null> {
  const info = await batchInfo(pages, batch);
  if (!info) return null;
  const states = await batchStates(pages.queue, info);
  const count = (...wanted: string[]) => states.filter((s) => wanted.includes(s)).length;
  const done = count('completed');
  // The pace from the first page started to the last finished, as the workers noted them.
  const times = await pages.records.hmget(batchKey(batch), 'started', 'finished');
  const [started, finished] = times.map(Number) as [number, number];
  const perMinute = done >= 2 && finished > started ? (done / (finished - started)) * 60_000 : null;
  const left = count('waiting', 'active', 'delayed', 'prioritized', 'waiting-children');
  const failedIds = batchIds(info).filter((_, i) => states[i] === 'failed');
  const failed = await Promise.all(failedIds.map((id) => pages.queue.getJob(id)));
  return {
    ...info,
    done,
    failed: failedIds.length,
    active: count('active'),
    waiting: count('waiting', 'delayed', 'prioritized', 'waiting-children'),
    perMinute,
    etaSeconds: perMinute ? Math.round((left / perMinute) * 60) : null,
    failures: failed.flatMap((j) => (j ? [{ name: nameOf(j), reason: j.failedReason }] : [])),
  };
}

/** Sends the batch's failed pages round again; returns how many. */
export async function retryFailed(pages: PageQueue, batch: string): Promise<number> {
  const info = await batchInfo(pages, batch);
  if (!info) return 0;
  const states = await batchStates(pages.queue, info);
  let retried = 0;
  for (const [i, id] of batchIds(info).entries()) {
    const job = states[i] === 'failed' ? await pages.queue.getJob(id) : undefined;
    if (job) {
      await job.retry('failed');
      retried++;
    }
  }
  return retried;
}

export interface WorkerOptions {
  concurrency: number;
  /**
   * How long a page's lock lasts without renewal, and how often stalled pages are looked for
   * (ms): a killed worker's page is taken up again after about this long.
   */
  lockMs?: number;
  stalledMs?: number;
}

/**
 * A worker on the page queue; `read` does one page (fetching its image with `image` where the image
 * travels with the job) and returns what to keep as its result.
 */
export function startWorker(url: string, read: (job: Job, image: () => Promise<Buffer>) => Promise<unknown>, options: WorkerOptions): Worker {
  const records = new Redis(redisOptions(url));
  // The worker's own 'error' event says what is wrong with Redis; this connection would only repeat it.
  records.on('error', () => {});
  const run = async (job: Job) => {
    try {
      const data = job.data as Partial<OcrJob>;
      const key = imageKey(String(job.id));
      let loaded = false;
      const image = async () => {
        const bytes = await records.getBuffer(key);
        if (bytes === null) throw new UnrecoverableError("the page's image is no longer on the queue (its batch was cleared?): add the page again");
        loaded = true;
        return bytes;
      };
      const result = await read(job, image);
      // Read and written: the image goes; the batch's pace, for status, is when its first page started and its last finished.
      const done = records.multi();
      if (loaded) done.del(key);
      if (data.batch)
        done.hsetnx(batchKey(data.batch), 'started', String(job.processedOn ?? Date.now())).hset(batchKey(data.batch), 'finished', String(Date.now()));
      await done.exec();
      return result;
    } catch (err) {
      // A job that will never run (outside the storage, not a page job) fails at once, not after its retries.
      if (err instanceof JobRefused) throw new UnrecoverableError(`refused: ${err.message}`);
      throw err;
    }
  };
  const worker = new Worker(OCR_QUEUE, run, {
    connection: redisOptions(url),
    concurrency: options.concurrency,
    ...(options.lockMs ? { lockDuration: options.lockMs } : {}),
    ...(options.stalledMs ? { stalledInterval: options.stalledMs } : {}),
    // A page whose worker died mid-page goes back to the queue (up to this many times), then fails.
    maxStalledCount: 2,
  });
  worker.on('closed', () => records.disconnect());
  return worker;
}

// ---------------------------------------------------------------------------------------------
// Training runs: one job each on TRAIN_QUEUE, taken by workers started with --train.

/** A training job's progress, as its worker last reported it: its events, numbered, the oldest dropped past a few hundred. */
export interface TrainProgress {
  events: { n: number; event: TrainEvent }[];
}

/** Where a training job stands, as `hwr queue` and the app follow it. */
export interface TrainJobState {
  id: string;
  state: string;
  progress: TrainProgress;
  result?: TrainJobResult;
  failedReason?: string;
  /** A waiting job: how many runs wait (itself included) and how many are training. */
  queued?: { waiting: number; active: number };
}

const cancelKey = (id: string) => `hwr:train-cancel:${id}`;

export const openTrainQueue = (url: string, options: { failFast?: boolean; onError?: (message: string) => void } = {}) =>
  openQueue(url, { ...options, name: TRAIN_QUEUE });

/** Adds one training run; returns its job id (t…). A run that failed is tried once more; a killed worker's run is taken up again by another. */
export async function addTrainJob({ queue }: PageQueue, job: TrainJob): Promise<string> {
  const id = `t${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  await queue.add('train', job, { jobId: id, attempts: 2, backoff: { type: 'fixed', delay: 5000 }, removeOnComplete: false, removeOnFail: false });
  return id;
}

export async function trainJobState({ queue, records }: PageQueue, id: string): Promise<TrainJobState | null> {
  const state = await queue.getJobState(id);
  if (state === 'unknown') return null;
  // The fields followed, not the whole job: a job's data may hold many megabytes of training files, and this is asked every second.
  const [progressText, resultText, failedReason] = await records.hmget(queue.toKey(id), 'progress', 'returnvalue', 'failedReason');
  const reported: unknown = progressText ? JSON.parse(progressText) : null;
  const progress = (typeof reported === 'object' && reported !== null && 'events' in reported ? reported : { events: [] }) as TrainProgress;
  // Counted, not listed, for the same reason.
  const queued = state === 'waiting' ? ((await queue.getJobCounts('waiting', 'active')) as { waiting: number; active: number }) : undefined;
  return {
    id,
    state,
    progress,
    ...(state === 'completed' && resultText ? { result: JSON.parse(resultText) as TrainJobResult } : {}),
    ...(state === 'failed' ? { failedReason: failedReason ?? undefined } : {}),
    ...(queued ? { queued } : {}),
  };
}

/** Stops a run: a waiting one leaves the queue; a running one stops after its batch, bringing back its best model so far. */
export async function cancelTrainJob({ queue, records }: PageQueue, id: string): Promise<'removed' | 'stopping' | 'finished' | 'unknown'> {
  const job = await queue.getJob(id);
  if (!job) return 'unknown';
  const state = await job.getState();
  if (state === 'completed' || state === 'failed') return 'finished';
  if (state !== 'active') {
    try {
      await job.remove();
      return 'removed';
    } catch {
      // Taken by a worker meanwhile: stop it as a running one.
    }
  }
  await records.set(cancelKey(id), '1', 'EX', 7 * 24 * 3600);
  return 'stopping';
}

/** What a training worker is given for each run: the job, a way to report events, and whether it was asked to stop. */
export interface TrainWork {
  job: Job;
  report(progress: TrainProgress): Promise<void>;
  cancelled(): Promise<boolean>;
}

/** A worker on the training queue, one run at a time. */
export function startTrainWorker(url: string, train: (work: TrainWork) => Promise<TrainJobResult>, options: Omit<WorkerOptions, 'concurrency'>): Worker {
  const records = new Redis(redisOptions(url));
  records.on('error', () => {});
  const run = async (job: Job) => {
    try {
      const result = await train({
        job,
        report: (progress) => job.updateProgress(progress as unknown as object),
        cancelled: async () => (await records.exists(cancelKey(String(job.id)))) === 1,
      });
      // Trained: the files the job carried need not stay in Redis with the finished job.
      const data = job.data as Partial<TrainJob>;
      if (data.files) await job.updateData({ ...data, files: undefined });
      return result;
    } catch (err) {
      if (err instanceof JobRefused) throw new UnrecoverableError(`refused: ${err.message}`);
      throw err;
    }
  };
  const worker = new Worker(TRAIN_QUEUE, run, {
    connection: redisOptions(url),
    concurrency: 1,
    ...(options.lockMs ? { lockDuration: options.lockMs } : {}),
    ...(options.stalledMs ? { stalledInterval: options.stalledMs } : {}),
    maxStalledCount: 2,
  });
  worker.on('closed', () => records.disconnect());
  return worker;
}
