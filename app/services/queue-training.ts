/**
 * Training on another machine through the queue: `hwr queue train` and the app's "Retrain on my
 * handwriting" hand a run to a worker started with `hwr worker --train` (one with a GPU), follow
 * its events as if it ran here, and write the model and its card back where a local run would.
 *
 * The client side (trainOnQueue) has the shape of trainModel, so every front end that trains
 * can train on the queue instead. The worker side (runTrainJob) runs the job in a training
 * process of its own, as the app does, so the worker keeps its queue lock however long an epoch.
 */
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { makeDirectory, writeFileAtomic } from '../base/atomic.ts';
import { trainDefault, type TrainOptionName } from '../contract.ts';
import { addTrainJob, cancelTrainJob, checkRedis, openTrainQueue, trainJobState, type TrainProgress, type TrainWork } from '../queue/bull.ts';
import {
  checkTrainJob,
  INLINE_TRAIN_BYTES,
  JobRefused,
  relativeToRoot,
  showRedis,
  TRAIN_JOB_OPTIONS,
  underRoot,
  type JobPath,
  type TrainJob,
  type TrainJobResult,
} from '../queue/jobs.ts';
import { checkpointPath, installModel } from '../train/fit.ts';
import { checkTrainOptions } from '../train/options.ts';
import type { TrainEvent, TrainHooks, TrainOptions, TrainResult } from '../train/types.ts';
import type { LaunchWorker } from './worker-protocol.ts';

/** How often the client asks how its run is going, and the worker tells (ms). */
const POLL_MS = 1000;
/** Events a job's progress keeps (the newest; batch events replace one another). */
const KEPT_EVENTS = 300;
/** A run's pictures and card come back up to this size in all (the model always does). */
const ARTEFACT_BYTES = 32 * 1024 * 1024;

export interface QueueTrainingOptions {
  /** The folder the workers share: data inside it travels as a path, not in the job. */
  storage?: string;
  /** Told when the job is added, and while it waits for a worker. */
  onQueued?(message: string): void;
}

// ---------------------------------------------------------------------------------------------
// The client: a run sent to the queue, followed, and its model written here.

/** Files and folders (recursively) under `path`, by their path relative to `path`'s folder. */
function filesOf(path: string): { rel: string; abs: string }[] {
  const base = dirname(path);
  const out: { rel: string; abs: string }[] = [];
  const walk = (p: string) => {
    if (statSync(p).isDirectory()) {
      for (const name of readdirSync(p).sort()) if (!name.startsWith('.')) walk(join(p, name));
    } else out.push({ rel: relative(base, p).split(sep).join('/'), abs: p });
  };
  walk(path);
  return out;
}

/**
 * The job's version of a dataset or model path (several joined by commas): on the shared storage
 * when every part is inside it, else carried in the job under `key`<i>/ (counted against the limit).
 */
function pathForJob(path: string | undefined, key: string, files: Record<string, string>, storage: string | undefined): JobPath | undefined {
  if (path === undefined) return undefined;
  const parts = path.split(',').filter((p) => p !== '');
  if (storage) {
    const inside = parts.map((p) => {
      try {
        return relativeToRoot(storage, p);
      } catch {
        return null;
      }
    });
    if (inside.every((p) => p !== null)) return { in: 'storage', path: inside.join(',') };
  }
  const carried: string[] = [];
  for (const [i, part] of parts.entries()) {
    if (!existsSync(part)) throw new Error(`${part}: no such file or folder`);
    const prefix = `${key}${i}`;
    for (const f of filesOf(resolve(part))) files[`${prefix}/${f.rel}`] = readFileSync(f.abs).toString('base64');
    carried.push(`${prefix}/${basename(resolve(part))}`);
  }
  const bytes = Object.values(files).reduce((n, b64) => n + (b64.length * 3) / 4, 0);
  if (bytes > INLINE_TRAIN_BYTES)
    throw new Error(
      `${path}: ${(bytes / 1048576).toFixed(0)} MB of files, more than travels in a job (${INLINE_TRAIN_BYTES / 1048576} MB): ` +
        `put the data inside the storage the workers share and name it with --storage`,
    );
  return { in: 'job', path: carried.join(',') };
}

/** The job for a run of these options: its numbers and switches, its data carried or named on the storage. */
export function trainJobFor(opts: TrainOptions, storage?: string): TrainJob {
  const options: TrainJob['options'] = {};
  for (const name of TRAIN_JOB_OPTIONS) {
    const value = opts[name as keyof TrainOptions];
    if (typeof value === 'number' || typeof value === 'boolean') options[name] = value;
  }
  const files: Record<string, string> = {};
  const root = storage && resolve(storage);
  const data = pathForJob(opts.data, 'data', files, root);
  const labels = pathForJob(opts.labels, 'labels', files, root);
  const initFrom = pathForJob(opts.initFrom, 'init', files, root);
  return {
    kind: 'train',
    command: opts.command ?? `hwr train --arch ${opts.arch}`,
    arch: opts.arch,
    options,
    ...(Object.keys(files).length ? { files } : {}),
    ...(data ? { data } : {}),
    ...(labels ? { labels } : {}),
    ...(initFrom ? { initFrom } : {}),
  };
}

/** A file name the worker sent back, kept to a plain name in the run's folder. */
function plainName(name: string): string {
  const base = basename(name);
  if (base === '' || base.startsWith('.') || base !== name) throw new Error(`the worker sent back a file named '${name}', which is not a plain file name`);
  return base;
}

/**
 * Trains on a queue worker, with trainModel's shape: events come to `hooks.onEvent` as the worker
 * reports them, `hooks.signal` stops the run (it brings back its best model so far), and the
 * model, card and pictures are written into `opts.outDir` (and installed at `opts.save`).
 * `opts.resume` is not sent: the checkpoint is here, and a queued run starts afresh (a worker
 * resumes its own run when it is taken up again after a kill).
 */
export async function trainOnQueue(url: string, opts: TrainOptions, hooks: TrainHooks = {}, options: QueueTrainingOptions = {}): Promise<TrainResult> {
  const job = trainJobFor(opts, options.storage);
  await checkRedis(url);
  // Once added, the run goes on whatever happens to this connection: a Redis that goes away is waited for.
  const queue = openTrainQueue(url, { onError: (message) => options.onQueued?.(`${message}; waiting for it to come back`) });
  const emit = (event: TrainEvent) => hooks.onEvent?.(event);
  try {
    const id = await addTrainJob(queue, job);
    options.onQueued?.(`sent to ${showRedis(url)} as training job ${id}; waiting for a worker started with --train`);
    let cursor = 0;
    let cancel: Promise<unknown> | null = null;
    let said = '';
    for (;;) {
      if (hooks.signal?.aborted && !cancel) cancel = cancelTrainJob(queue, id);
      const state = await trainJobState(queue, id);
      if (!state) {
        if (cancel) return emptyResult(opts, 'removed from the queue before it started');
        throw new Error(`training job ${id} is no longer on ${showRedis(url)}`);
      }
      for (const { n, event } of state.progress.events) {
        if (n < cursor || event.type === 'done') continue;
        cursor = n + 1;
        emit(event);
      }
      const q = state.queued;
      const waiting = q ? `waiting for a worker: ${q.waiting} run(s) waiting, ${q.active} training` : '';
      if (waiting && waiting !== said) options.onQueued?.((said = waiting));
      if (state.state === 'completed' && state.result) return bringBack(opts, state.result, emit, (card) => cardHere(card, job, opts));
      if (state.state === 'failed') throw new Error(`training job ${id} failed on its worker: ${state.failedReason ?? 'no reason given'}`);
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  } finally {
    await queue.close();
  }
}

function emptyResult(opts: TrainOptions, why: string): TrainResult {
  return {
    arch: opts.arch,
    modelPath: '',
    outDir: opts.outDir,
    backend: `none (${why})`,
    history: [],
    bestEpoch: 0,
    cancelled: true,
    seconds: 0,
    artefacts: {},
  };
}

/** The worker's model, card and pictures written into the run's folder here (and the model installed at --save). */
function bringBack(opts: TrainOptions, r: TrainJobResult, emit: (e: TrainEvent) => void, card: (text: string) => string): TrainResult {
  makeDirectory(opts.outDir);
  const artefacts: Record<string, string> = {};
  for (const [name, b64] of Object.entries(r.files)) {
    const bytes = Buffer.from(b64, 'base64');
    writeFileAtomic(join(opts.outDir, plainName(name)), name === r.artefacts.card ? card(bytes.toString('utf8')) : bytes);
  }
  for (const [role, name] of Object.entries(r.artefacts)) if (name in r.files) artefacts[role] = join(opts.outDir, plainName(name));
  let modelPath = '';
  if (r.model) {
    modelPath = join(opts.outDir, plainName(r.artefacts.model ?? 'model.onnx'));
    writeFileAtomic(modelPath, Buffer.from(r.model, 'base64'), { durable: true });
    artefacts.model = modelPath;
    if (opts.save && !r.cancelled && artefacts.card) installModel(modelPath, readFileSync(artefacts.card, 'utf8'), opts.save, artefacts);
  }
  const result: TrainResult = {
    arch: opts.arch,
    modelPath,
    outDir: opts.outDir,
    backend: `${r.backend} on ${r.host}`,
    history: r.history as TrainResult['history'],
    bestEpoch: r.bestEpoch,
    cancelled: r.cancelled,
    seconds: r.seconds,
    artefacts,
    ...(r.validationAccuracy !== undefined ? { validationAccuracy: r.validationAccuracy } : {}),
    ...(r.validationPsnr !== undefined ? { validationPsnr: r.validationPsnr } : {}),
  };
  emit({ type: 'done', result });
  return result;
}

// ---------------------------------------------------------------------------------------------
// The worker: one job run in a training process, its events reported, its files sent back.

/** A run's card as it goes back: paths relative to the job's files or the storage, the backend with this machine's name. */
function cardFromWorker(card: string, backend: string, filesDir: string, storage: string | undefined): string {
  let out = card.replaceAll(`${filesDir}${sep}`, '');
  if (storage) out = out.replaceAll(`${resolve(storage)}${sep}`, '');
  return out.replaceAll(backend, `${backend}, on ${hostname()} (a queue worker)`);
}

/** The card as written here: the data the job carried named by the paths it was sent from. */
function cardHere(card: string, job: TrainJob, opts: TrainOptions): string {
  let out = card;
  for (const [key, local] of [
    ['data', opts.data],
    ['labels', opts.labels],
    ['initFrom', opts.initFrom],
  ] as const) {
    const sent = job[key];
    if (!sent || sent.in !== 'job' || !local) continue;
    const localParts = local.split(',');
    sent.path.split(',').forEach((part, i) => {
      if (localParts[i]) out = out.replaceAll(part, resolve(localParts[i]!));
    });
  }
  return out;
}

export interface TrainJobContext {
  /** The shared storage, if this worker has one: data named there is read from it. */
  storage?: string;
  /** Where runs are kept while they train (a run taken up again here resumes from its checkpoint). */
  scratch: string;
  launch: LaunchWorker;
  /** Told of each run's start and end (the worker's log). */
  log?(message: string): void;
}

/** The run's options from the job: the architecture's defaults, the job's values, paths under the job's folder or the storage. */
export function optionsForJob(job: TrainJob, folder: string, storage: string | undefined): TrainOptions {
  const filesDir = join(folder, 'in');
  const where = (p: JobPath | undefined, what: string) =>
    p &&
    p.path
      .split(',')
      .map((part) => {
        if (p.in === 'job') return underRoot(filesDir, part, what);
        if (!storage) throw new JobRefused(`the job's ${what} is on the shared storage, and this worker was started without --storage`);
        return underRoot(storage, part, what);
      })
      .join(',');
  const fallback = (name: TrainOptionName) => trainDefault(name, job.arch) as never;
  const outDir = join(folder, 'run');
  const opts: TrainOptions = {
    arch: job.arch,
    epochs: fallback('epochs'),
    learningRate: fallback('learningRate'),
    batchSize: fallback('batchSize'),
    momentum: fallback('momentum'),
    seed: fallback('seed'),
    augment: fallback('augment'),
    balance: fallback('balance'),
    patience: fallback('patience'),
    limit: fallback('limit'),
    // Typed by checkTrainJob as numbers and switches; checkTrainOptions below says which is out of its range.
    ...(job.options as Partial<TrainOptions>),
    ...(job.data ? { data: where(job.data, 'data') } : {}),
    ...(job.labels ? { labels: where(job.labels, 'labels') } : {}),
    ...(job.initFrom ? { initFrom: where(job.initFrom, 'initFrom') } : {}),
    outDir,
    resume: existsSync(checkpointPath(outDir)),
    command: job.command,
  };
  try {
    checkTrainOptions(opts);
  } catch (err) {
    throw new JobRefused((err as Error).message);
  }
  return opts;
}

/** Runs one training job to its end (or its cancel) and returns what goes back to the client. */
export async function runTrainJob(work: TrainWork, ctx: TrainJobContext): Promise<TrainJobResult> {
  const job = checkTrainJob(work.job.data);
  const id = String(work.job.id).replace(/[^A-Za-z0-9_-]/g, '_');
  const folder = join(ctx.scratch, `hwr-train-${id}`);
  const filesDir = join(folder, 'in');
  makeDirectory(filesDir);
  for (const [name, b64] of Object.entries(job.files ?? {})) {
    const path = underRoot(filesDir, name, 'file name');
    makeDirectory(dirname(path));
    if (!existsSync(path)) writeFileAtomic(path, Buffer.from(b64, 'base64'));
  }
  const opts = optionsForJob(job, folder, ctx.storage);
  ctx.log?.(`training job ${work.job.id}: ${job.command}${opts.resume ? ' (resuming from its checkpoint)' : ''}`);

  const events: TrainProgress['events'] = [];
  let n = 0;
  const keep = (sent: TrainEvent) => {
    // The client shows the run as its own: the backend line says which machine trains.
    const event: TrainEvent = sent.type === 'start' ? { ...sent, backend: `${sent.backend} on ${hostname()}` } : sent;
    const last = events.at(-1);
    if (event.type === 'batch' && last?.event.type === 'batch') events.pop();
    events.push({ n: n++, event });
    if (events.length > KEPT_EVENTS) events.splice(0, events.length - KEPT_EVENTS);
  };
  const child = ctx.launch('train');
  const result = await new Promise<TrainResult>((done, fail) => {
    let finished = false;
    let dirty = false;
    const timer = setInterval(() => {
      void (async () => {
        if (dirty) {
          dirty = false;
          await work.report({ events: [...events] });
        }
        if (await work.cancelled()) child.send({ type: 'cancel' });
      })().catch(() => {});
    }, POLL_MS);
    child.onMessage((message) => {
      if (message.type === 'event') {
        keep(message.event);
        dirty = true;
      } else if (message.type === 'finished') {
        finished = true;
        clearInterval(timer);
        done(message.result);
      } else {
        finished = true;
        clearInterval(timer);
        fail(new Error(message.message));
      }
    });
    child.onExit((code, output) => {
      clearInterval(timer);
      if (!finished)
        fail(new Error(`the training process ended (exit code ${code}) before its run did${output ? `: ${output.trim().split('\n').at(-1)}` : ''}`));
    });
    child.send({ type: 'start', options: opts });
  });
  await work.report({ events: [...events] });

  const files: Record<string, string> = {};
  const artefacts: Record<string, string> = {};
  let total = 0;
  for (const [role, path] of Object.entries(result.artefacts)) {
    if (role === 'model' || !path || !existsSync(path) || !statSync(path).isFile()) continue;
    const size = statSync(path).size;
    if (total + size > ARTEFACT_BYTES) continue;
    total += size;
    // The card names the data as the job named it, not by this worker's folders, and says which machine trained.
    const bytes = role === 'card' ? Buffer.from(cardFromWorker(readFileSync(path, 'utf8'), result.backend, filesDir, ctx.storage)) : readFileSync(path);
    files[basename(path)] = bytes.toString('base64');
    artefacts[role] = basename(path);
  }
  const model = result.bestEpoch > 0 && result.modelPath && existsSync(result.modelPath) ? readFileSync(result.modelPath) : undefined;
  if (model) artefacts.model = basename(result.modelPath);
  ctx.log?.(`training job ${work.job.id}: ${result.cancelled ? 'stopped' : 'done'}, best epoch ${result.bestEpoch}`);
  // Sent back: the run's folder here is no longer needed (a failed run keeps it, to resume).
  rmSync(folder, { recursive: true, force: true });
  return {
    ...(model ? { model: model.toString('base64') } : {}),
    files,
    artefacts,
    bestEpoch: result.bestEpoch,
    cancelled: result.cancelled,
    seconds: result.seconds,
    backend: result.backend,
    history: result.history,
    ...(result.validationAccuracy !== undefined ? { validationAccuracy: result.validationAccuracy } : {}),
    ...(result.validationPsnr !== undefined ? { validationPsnr: result.validationPsnr } : {}),
    host: hostname(),
  };
}
