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
import { addBatch, batchStatus, openQueue, retryFailed } from '../queue/bull.ts';
import type { BatchProgress } from '../contract.ts';
import { DEFAULT_REDIS, INLINE_IMAGE_BYTES, JobRefused, relativeToRoot, showRedis, type OcrJob } from '../queue/jobs.ts';
import { OUTPUT_FORMATS, type OutputFormat } from '../recognize/output-formats.ts';
import { parseCli, UsageError } from './args.ts';
import { formatSeconds } from './progress.ts';
import { expandInputs, outputNames } from './ocr.ts';

export const usage =
  'queue add [--format text|json|hocr|alto|page|pdf] [--redis URL] [--storage DIR] --out DIR INPUT... | queue status BATCH | queue retry BATCH   ' +
  `pages read by workers on other machines (hwr worker) through Redis (--redis or HWR_REDIS, default ${DEFAULT_REDIS}); ` +
  `--storage (or HWR_STORAGE): the folder the workers share, --out inside it; images over ${INLINE_IMAGE_BYTES / 1048576} MB must be inside it too`;

export async function run(args: string[]): Promise<number> {
  const [action, ...rest] = args;
  const { values, positionals } = parseCli(
    rest,
    { format: { type: 'string' }, redis: { type: 'string' }, storage: { type: 'string' }, out: { type: 'string' }, json: { type: 'boolean' } },
    usage,
  );
  const url = values.redis ?? process.env.HWR_REDIS ?? DEFAULT_REDIS;
  if (action === 'add') return add(url, values, positionals);
  if (action !== 'status' && action !== 'retry') throw new UsageError(`say what to do: add, status or retry, not '${action ?? ''}'\nusage: hwr ${usage}`);
  const [batch] = positionals;
  if (!batch || positionals.length > 1) throw new UsageError(`queue ${action} takes one batch id (printed by queue add)\nusage: hwr ${usage}`);
  const pages = openQueue(url);
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
  const jobs: OcrJob[] = files.map((file) => {
    const output = refuse(() => relativeToRoot(root, names.get(file)!));
    const job: OcrJob = { kind: 'ocr', batch, name: basename(file), format, output };
    const size = statSync(file).size;
    if (size <= INLINE_IMAGE_BYTES) job.image = readFileSync(file).toString('base64');
    else
      job.path = refuse(
        () => relativeToRoot(root, file),
        `${file} is ${(size / 1048576).toFixed(1)} MB, more than travels in a job (${INLINE_IMAGE_BYTES / 1048576} MB): ` +
          `put it inside the shared storage ${root}`,
      );
    return job;
  });
  const pages = openQueue(url);
  try {
    await addBatch(pages, { batch, total: jobs.length, added: new Date().toISOString(), format, out }, jobs);
  } finally {
    await pages.close();
  }
  console.error(`hwr queue: ${jobs.length} page(s) added to ${showRedis(url)}; results in ${resolve(values.out)}`);
  console.log(batch);
  return problems.length ? 1 : 0;
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
