/**
 * `hwr queue add|status|retry`: a collection read on many machines. `add` turns files, folders
 * and scanned PDFs into one page job each on Redis (BullMQ) and prints the batch id; workers
 * (`hwr worker`) read them and write each result, atomically, into --out on the storage they
 * share. An image up to INLINE_IMAGE_BYTES travels in its job; a larger one must be on that
 * storage, and travels as a path.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { checkWritableFolder } from '../base/atomic.ts';
import {
  addBatch,
  batchStatus,
  checkRedis,
  type PageToAdd,
  cancelTrainJob,
  openQueue,
  openTrainQueue,
  retryFailed,
  trainJobState,
  type TrainJobState,
} from '../queue/bull.ts';
import { trainOnQueue } from '../services/queue-training.ts';
import { run as trainCli, usage as trainUsage } from './train.ts';
import type { BatchProgress, EpochRecord } from '../contract.ts';
import { DEFAULT_REDIS, INLINE_IMAGE_BYTES, JobRefused, relativeToRoot, showRedis, type OcrJob } from '../queue/jobs.ts';
import { OUTPUT_FORMATS, type OutputFormat } from '../recognize/output-formats.ts';
import { parseCli, UsageError } from './args.ts';
import { formatSeconds } from './progress.ts';
import { expandInputs, outputNames } from './ocr.ts';

export const usage =
  'queue add [--format text|json|hocr|alto|page|pdf] [--redis URL] [--storage DIR] --out DIR INPUT... | ' +
  'queue train [--redis URL] [--storage DIR] TRAIN-OPTIONS | queue status|retry BATCH|JOB | queue cancel JOB   ' +
  `pages read by workers on other machines (hwr worker) through Redis (--redis or HWR_REDIS, default ${DEFAULT_REDIS}); ` +
  `--storage (or HWR_STORAGE): the folder the workers share, --out inside it; images over ${INLINE_IMAGE_BYTES / 1048576} MB must be inside it too. ` +
  'queue train: hwr train (its options, --out and --save) run on a worker started with hwr worker --train, its model and card written here';

export async function run(args: string[]): Promise<number> {
  const [action, ...rest] = args;
  if (action === 'train') return train(rest);
  const { values, positionals } = parseCli(
    rest,
    { format: { type: 'string' }, redis: { type: 'string' }, storage: { type: 'string' }, out: { type: 'string' }, json: { type: 'boolean' } },
    usage,
  );
  const url = values.redis ?? process.env.HWR_REDIS ?? DEFAULT_REDIS;
  if (action === 'add') return add(url, values, positionals);
  if (action !== 'status' && action !== 'retry' && action !== 'cancel')
    throw new UsageError(`say what to do: add, train, status, retry or cancel, not '${action ?? ''}'\nusage: hwr ${usage}`);
  const [batch] = positionals;
  if (!batch || positionals.length > 1)
    throw new UsageError(`queue ${action} takes one batch id (printed by queue add) or training job id\nusage: hwr ${usage}`);
  if (action === 'cancel' && !isTrainJobId(batch)) throw new UsageError(`queue cancel takes a training job id (t…), not '${batch}'`);
  await checkRedis(url);
  if (isTrainJobId(batch)) return trainJobAction(url, action, batch, values.json === true);
  const pages = openQueue(url, { onError: say });
  try {
    if (action === 'retry') {
      const n = await retryFailed(pages, batch);
      console.log(`${n} failed page(s) of ${batch} sent round again`);
      return 0;
    }
    const status = await batchStatus(pages, batch);
    if (!status) throw new Error(`no batch '${batch}' on ${showRedis(url)}`);
    if (values.json) console.log(JSON.stringify(status));
    else console.log(describe(status));
    return status.failed ? 1 : 0;
  } finally {
    await pages.close();
  }
}

async function add(url: string, values: { format?: string; storage?: string; out?: string }, inputs: string[]): Promise<number> {
  const format = (values.format ?? 'text') as OutputFormat;
  if (!(format in OUTPUT_FORMATS)) throw new UsageError(`--format must be one of ${Object.keys(OUTPUT_FORMATS).join(', ')}, got '${values.format}'`);
  const storage = values.storage ?? process.env.HWR_STORAGE;
  if (!storage) throw new UsageError('say which folder the workers share (--storage DIR or HWR_STORAGE): results are written there, under --out');
  if (!values.out) throw new UsageError('give --out DIR, a folder inside the shared storage, for the results');
  if (inputs.length === 0) throw new UsageError(`no pages given\nusage: hwr ${usage}`);
  const root = resolve(storage);
  const out = refuse(() => relativeToRoot(root, values.out!));
  checkWritableFolder(resolve(values.out));
  const { files, problems } = expandInputs(inputs);
  for (const p of problems) console.error(`hwr queue: ${p}`);
  if (files.length === 0) return 1;
  const batch = `b${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  const names = outputNames(files, resolve(values.out), OUTPUT_FORMATS[format]);
  const jobs: PageToAdd[] = files.map((file) => {
    const output = refuse(() => relativeToRoot(root, names.get(file)!));
    const job: OcrJob = { kind: 'ocr', batch, name: basename(file), format, output };
    const size = statSync(file).size;
    if (size <= INLINE_IMAGE_BYTES) {
      job.inline = true;
      return { job, image: () => readFileSync(file) };
    }
    job.path = refuse(
      () => relativeToRoot(root, file),
      `${file} is ${(size / 1048576).toFixed(1)} MB, more than travels in a job (${INLINE_IMAGE_BYTES / 1048576} MB): ` +
        `put it inside the shared storage ${root}`,
    );
    return { job };
  });
  await checkRedis(url);
  const pages = openQueue(url, { onError: say });
  try {
    await addBatch(pages, { batch, total: jobs.length, added: new Date().toISOString(), format, out }, jobs);
  } finally {
    await pages.close();
  }
  console.error(`hwr queue: ${jobs.length} page(s) added to ${showRedis(url)}; results in ${resolve(values.out)}`);
  console.log(batch);
  return problems.length ? 1 : 0;
}

/** A problem with Redis met while working, said once. */
const say = (message: string) => console.error(`hwr queue: ${message}`);

/** Training job ids start with t (addTrainJob); batch ids with b. */
const isTrainJobId = (id: string) => /^t[a-z0-9]+$/.test(id);

/** Flags of `hwr queue train` that are the queue's, not the run's: taken out before `hwr train` parses the rest. */
function takeQueueFlags(args: string[]): { rest: string[]; redis?: string; storage?: string } {
  const rest: string[] = [];
  const found: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const m = /^--(redis|storage)(?:=(.*))?$/.exec(args[i]!);
    if (!m) {
      rest.push(args[i]!);
      continue;
    }
    const value = m[2] ?? args[++i];
    if (value === undefined || value === '') throw new UsageError(`--${m[1]} needs a value`);
    found[m[1]!] = value;
  }
  return { rest, ...found };
}

/**
 * `hwr queue train [--redis URL] [--storage DIR] TRAIN-OPTIONS`: `hwr train` on a worker started
 * with --train, followed here as if it ran here; its model and card are written where
 * `hwr train` would write them (--out, --save). Ctrl+C stops the run, bringing back its best model.
 */
async function train(args: string[]): Promise<number> {
  const { rest, redis, storage } = takeQueueFlags(args);
  if (rest.includes('--resume'))
    throw new UsageError('--resume continues a run on this machine; a queued run is resumed by its worker if the worker is killed');
  if (rest.includes('--help')) {
    console.log(
      `usage: hwr queue train [--redis URL] [--storage DIR] ${trainUsage.replace(/^train /, '')}\n\nthe run's options are those of hwr train (hwr train --help)`,
    );
    return 0;
  }
  const url = redis ?? process.env.HWR_REDIS ?? DEFAULT_REDIS;
  const root = storage ?? process.env.HWR_STORAGE;
  const onQueued = (message: string) => console.error(`hwr queue: ${message}`);
  return trainCli(rest, (opts, hooks) => trainOnQueue(url, opts, hooks, { ...(root ? { storage: root } : {}), onQueued }), 'queue train');
}

async function trainJobAction(url: string, action: 'status' | 'retry' | 'cancel', id: string, json: boolean): Promise<number> {
  const queue = openTrainQueue(url, { onError: say });
  try {
    if (action === 'cancel') {
      const outcome = await cancelTrainJob(queue, id);
      const said = {
        removed: `${id} left the queue before it started`,
        stopping: `${id} stops after its current batch; its best model so far comes back to whoever sent it`,
        finished: `${id} had already finished`,
        unknown: `no training job '${id}' on ${showRedis(url)}`,
      }[outcome];
      console.log(said);
      return outcome === 'unknown' ? 1 : 0;
    }
    const state = await trainJobState(queue, id);
    if (!state) throw new Error(`no training job '${id}' on ${showRedis(url)}`);
    if (action === 'retry') {
      if (state.state !== 'failed') throw new Error(`${id} has not failed (it is ${state.state}): nothing to retry`);
      const job = await queue.queue.getJob(id);
      await job?.retry('failed');
      console.log(`${id} sent round again`);
      return 0;
    }
    if (json) console.log(JSON.stringify({ ...state, result: state.result && { ...state.result, model: undefined, files: Object.keys(state.result.files) } }));
    else console.log(describeTraining(state));
    return state.state === 'failed' ? 1 : 0;
  } finally {
    await queue.close();
  }
}

/** A training job in a few lines: where it stands, its last epoch, and its outcome. */
export function describeTraining(s: TrainJobState): string {
  const events = s.progress.events.map((e) => e.event);
  const start = events.find((e) => e.type === 'start');
  const last = events.filter((e) => e.type === 'epoch').at(-1);
  const figure = (r: { validationAccuracy?: number; validationPsnr?: number; validationLoss?: number }) =>
    r.validationAccuracy !== undefined
      ? `val acc ${(r.validationAccuracy * 100).toFixed(2)}%`
      : r.validationPsnr !== undefined
        ? `val psnr ${r.validationPsnr.toFixed(2)} dB`
        : `val loss ${(r.validationLoss ?? NaN).toFixed(4)}`;
  const queued = s.queued ? ` (${s.queued.waiting} run(s) waiting, ${s.queued.active} training)` : '';
  const lines = [`training job ${s.id}: ${s.state}${queued}${start?.type === 'start' ? `, ${start.arch} on ${start.backend}` : ''}`];
  if (last?.type === 'epoch' && start?.type === 'start') {
    const eta = s.state === 'active' && last.etaSeconds ? `, about ${formatSeconds(last.etaSeconds)} to go` : '';
    lines.push(`epoch ${last.record.epoch}/${start.epochs}: ${figure(last.record)}${eta}`);
  }
  if (s.result) {
    const best = (s.result.history as EpochRecord[]).find((h) => h.epoch === s.result!.bestEpoch);
    lines.push(`${s.result.cancelled ? 'stopped' : 'done'} on ${s.result.host}: best epoch ${s.result.bestEpoch}${best ? `, ${figure(best)}` : ''}`);
  }
  if (s.failedReason) lines.push(`failed: ${s.failedReason}`);
  return lines.join('\n');
}

/** A path check's refusal as a usage error (said before anything is queued). */
function refuse<T>(check: () => T, message?: string): T {
  try {
    return check();
  } catch (err) {
    if (err instanceof JobRefused) throw new UsageError(message ?? err.message);
    throw err;
  }
}

export function describe(s: BatchProgress): string {
  const lines = [
    `batch ${s.batch}: ${s.done} done, ${s.failed} failed, ${s.active} reading, ${s.waiting} waiting, of ${s.total}`,
    s.perMinute ? `${s.perMinute.toFixed(1)} pages a minute${s.etaSeconds ? `, about ${formatSeconds(s.etaSeconds)} to go` : ''}` : 'pace: not yet known',
    ...s.failures.map((f) => `  failed: ${f.name}: ${f.reason}`),
  ];
  return lines.join('\n');
}
