/**
 * `hwr worker`: reads the pages `hwr queue add` put on Redis, on any machine with the models and
 * the shared storage. Each page's result is written atomically to its path under the storage (a
 * page read twice, after a worker was killed or a retry, leaves one whole result). SIGTERM or
 * Ctrl+C finishes the pages in hand, then exits; a worker killed outright loses nothing: BullMQ
 * gives its page to another worker once its lock runs out.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { makeDirectory, writeFileAtomic } from '../base/atomic.ts';
import { applyImageThreads } from '../image/decode.ts';
import { defaultLineModelPath } from '../base/model-files.ts';
import { startWorker } from '../queue/bull.ts';
import { checkJob, DEFAULT_REDIS, showRedis, underRoot } from '../queue/jobs.ts';
import { LineReader } from '../recognize/line-reader.ts';
import { loadDefaultClassifier } from '../recognize/recognizer.ts';
import { numberOption, parseCli, UsageError } from './args.ts';
import { readDocument, type Readers } from './ocr.ts';

export const usage =
  'worker [--concurrency N] [--redis URL] [--storage DIR] [--model FILE] [--line-model FILE]   reads the pages of hwr queue add, ' +
  'writing each result under the shared storage (--storage or HWR_STORAGE); SIGTERM finishes the pages in hand first';

export async function run(args: string[]): Promise<number> {
  const { values } = parseCli(
    args,
    { concurrency: { type: 'string' }, redis: { type: 'string' }, storage: { type: 'string' }, model: { type: 'string' }, 'line-model': { type: 'string' } },
    usage,
  );
  const concurrency = numberOption(values.concurrency, '--concurrency', { min: 1, max: 64, integer: true }) ?? 1;
  const storage = values.storage ?? process.env.HWR_STORAGE;
  if (!storage) throw new UsageError('say which folder the workers share (--storage DIR or HWR_STORAGE): pages are read and written only there');
  const root = resolve(storage);
  if (!existsSync(root)) throw new UsageError(`the shared storage ${root} does not exist`);
  const url = values.redis ?? process.env.HWR_REDIS ?? DEFAULT_REDIS;
  // One core a worker (run as many workers as cores): ONNX Runtime and libvips on one thread each, unless told otherwise.
  process.env.HWR_ORT_THREADS ??= '1';
  process.env.HWR_IMAGE_THREADS ??= '1';
  applyImageThreads();
  // The models once, for every page this worker reads.
  const linePath = values['line-model'] ?? defaultLineModelPath();
  const lines = existsSync(linePath) ? await LineReader.load(linePath) : undefined;
  const readers: Readers = { classifier: await loadDefaultClassifier(values.model), lines };
  // For tests and impatient operators: how soon a killed worker's page is taken up again.
  const lockMs = numberOption(process.env.HWR_QUEUE_LOCK_MS, 'HWR_QUEUE_LOCK_MS', { min: 500, integer: true });
  const stalledMs = numberOption(process.env.HWR_QUEUE_STALLED_MS, 'HWR_QUEUE_STALLED_MS', { min: 500, integer: true });

  const worker = startWorker(
    url,
    async (job) => {
      const page = checkJob(job.data);
      const input = page.image !== undefined ? Buffer.from(page.image, 'base64') : readFileSync(underRoot(root, page.path, 'path'));
      const output = underRoot(root, page.output, 'output');
      const started = performance.now();
      const { bytes, pages } = await readDocument(input, page.name, page.format, readers, (note) => console.error(`hwr worker: ${note}`));
      makeDirectory(dirname(output));
      writeFileAtomic(output, bytes);
      return { output: page.output, rows: pages.reduce((n, p) => n + p.rows.length, 0), seconds: (performance.now() - started) / 1000 };
    },
    { concurrency, lockMs, stalledMs },
  );
  worker.on('completed', (job) => console.error(`hwr worker: ${nameOf(job)} read (${job.id})`));
  const nameOf = (job: { id?: string; data: unknown } | undefined) => String((job?.data as { name?: string } | undefined)?.name ?? job?.id);
  worker.on('failed', (job, err) => console.error(`hwr worker: ${nameOf(job)} failed: ${err.message}`));
  worker.on('error', (err) => console.error(`hwr worker: ${err.message}`));
  await worker.waitUntilReady();
  console.error(`hwr worker: reading pages from ${showRedis(url)} (${concurrency} at a time), storage ${root}`);

  await new Promise<void>((done) => {
    const stop = (signal: string) => {
      console.error(`hwr worker: ${signal}: finishing the pages in hand, then stopping`);
      void worker.close().then(done, done);
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  await readers.classifier.close();
  await lines?.close();
  console.error('hwr worker: stopped');
  return 0;
}
