/**
 * `hwr worker`: reads the pages `hwr queue add` put on Redis, on any machine with the models and
 * the shared storage. Each page's result is written atomically to its path under the storage (a
 * page read twice, after a worker was killed or a retry, leaves one whole result). SIGTERM or
 * Ctrl+C finishes the pages in hand, then exits; a worker killed outright loses nothing: BullMQ
 * gives its page to another worker once its lock runs out.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { checkWritableFolder, makeDirectory, writeFileAtomic } from '../base/atomic.ts';
import { projectRoot } from '../base/paths.ts';
import { applyImageThreads } from '../image/decode.ts';
import { defaultLineModelPath } from '../base/model-files.ts';
import { checkRedis, startTrainWorker, startWorker } from '../queue/bull.ts';
import { launchNodeWorker } from '../services/node-worker.ts';
import { runTrainJob } from '../services/queue-training.ts';
import type { LaunchWorker } from '../services/worker-protocol.ts';
import { checkJob, DEFAULT_REDIS, redisProblem, showRedis, underRoot } from '../queue/jobs.ts';
import { LineReader } from '../recognize/line-reader.ts';
import { loadDefaultClassifier } from '../recognize/recognizer.ts';
import { numberOption, parseCli, UsageError } from './args.ts';
import { readDocument, type Readers } from './ocr.ts';

export const usage =
  'worker [--concurrency N] [--redis URL] [--storage DIR] [--model FILE] [--line-model FILE] [--train|--train-only] [--train-on-cpu] [--scratch DIR]   ' +
  'reads the pages of hwr queue add, writing each result under the shared storage (--storage or HWR_STORAGE); SIGTERM finishes the pages in hand first. ' +
  '--train: also runs the training jobs of hwr queue train (one at a time; needs @tensorflow/tfjs-node-gpu, or --train-on-cpu), ' +
  'in --scratch (default: the system temporary folder); SIGTERM gives a run in hand back to the queue';

export async function run(args: string[]): Promise<number> {
  const { values } = parseCli(
    args,
    {
      concurrency: { type: 'string' },
      redis: { type: 'string' },
      storage: { type: 'string' },
      model: { type: 'string' },
      'line-model': { type: 'string' },
      train: { type: 'boolean' },
      'train-only': { type: 'boolean' },
      'train-on-cpu': { type: 'boolean' },
      scratch: { type: 'string' },
    },
    usage,
  );
  const concurrency = numberOption(values.concurrency, '--concurrency', { min: 1, max: 64, integer: true }) ?? 1;
  const trains = values.train === true || values['train-only'] === true;
  const reads = values['train-only'] !== true;
  const storage = values.storage ?? process.env.HWR_STORAGE;
  if (!storage && reads) throw new UsageError('say which folder the workers share (--storage DIR or HWR_STORAGE): pages are read and written only there');
  const root = storage ? resolve(storage) : undefined;
  if (root && !existsSync(root)) throw new UsageError(`the shared storage ${root} does not exist`);
  const url = values.redis ?? process.env.HWR_REDIS ?? DEFAULT_REDIS;
  const lockMs = numberOption(process.env.HWR_QUEUE_LOCK_MS, 'HWR_QUEUE_LOCK_MS', { min: 500, integer: true });
  const stalledMs = numberOption(process.env.HWR_QUEUE_STALLED_MS, 'HWR_QUEUE_STALLED_MS', { min: 500, integer: true });
  await checkRedis(url);
  if (reads && !process.execArgv.includes(ONE_CORE)) return onOneCore(args);
  followSupervisor();
  const trainer = trains ? await startTraining(url, root, values.scratch, values['train-on-cpu'] === true, { lockMs, stalledMs }) : undefined;
  if (!reads) {
    await untilStopped(async (signal) => {
      console.error(`hwr worker: ${signal}: giving the run in hand back to the queue, then stopping`);
      await trainer!.stop();
    });
    console.error('hwr worker: stopped');
    return 0;
  }
  // One core a worker (run as many workers as cores): ONNX Runtime and libvips on one thread each, unless told otherwise.
  process.env.HWR_ORT_THREADS ??= '1';
  process.env.HWR_IMAGE_THREADS ??= '1';
  applyImageThreads();
  // The models once, for every page this worker reads.
  const linePath = values['line-model'] ?? defaultLineModelPath();
  const lines = existsSync(linePath) ? await LineReader.load(linePath) : undefined;
  const readers: Readers = { classifier: await loadDefaultClassifier(values.model), lines };

  const worker = startWorker(
    url,
    async (job, image) => {
      const page = checkJob(job.data);
      const input = page.inline ? await image() : readFileSync(underRoot(root!, page.path, 'path'));
      const output = underRoot(root!, page.output, 'output');
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
  worker.on('error', (err) => sayOnce(redisProblem(err, url)));
  await worker.waitUntilReady();
  console.error(`hwr worker: reading pages from ${showRedis(url)} (${concurrency} at a time, on one core: pid ${process.pid}), storage ${root}`);

  await untilStopped(async (signal) => {
    console.error(`hwr worker: ${signal}: finishing the pages in hand${trainer ? ' (and giving a run in hand back)' : ''}, then stopping`);
    await Promise.all([worker.close(), trainer?.stop()]);
  });
  await readers.classifier.close();
  await lines?.close();
  console.error('hwr worker: stopped');
  return 0;
}

/**
 * A page worker keeps to one core: Node's own helpers (the garbage collector's threads, the
 * compiler's) otherwise take a tenth of a second core, which a second worker on that core then
 * lacks (two workers read 1.6× the pages of one on this two-core machine with them, 1.85× without;
 * `npm run bench -- queue`). The flag must be given when Node starts, so the worker runs itself
 * again with it, and passes signals on; the process that started it dying ends it too.
 */
const ONE_CORE = '--single-threaded';
const SUPERVISED = 'HWR_WORKER_SUPERVISED';

async function onOneCore(args: string[]): Promise<number> {
  const child = spawn(process.execPath, [ONE_CORE, ...process.execArgv, join(projectRoot, 'bin', 'hwr.mjs'), 'worker', ...args], {
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
    // A process group of its own: Ctrl+C reaches it once, passed on from here.
    detached: true,
    env: { ...process.env, [SUPERVISED]: '1' },
  });
  const pass = (signal: NodeJS.Signals) => () => child.kill(signal);
  process.on('SIGTERM', pass('SIGTERM'));
  process.on('SIGINT', pass('SIGINT'));
  const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
  return code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0);
}

/** In the worker run by onOneCore: when the process that started it is gone (even killed outright), stop at once, as it did. */
function followSupervisor(): void {
  if (process.env[SUPERVISED] !== '1' || !process.connected) return;
  process.channel?.unref();
  process.once('disconnect', () => process.kill(process.pid, 'SIGKILL'));
}

/** Says a problem once, not at every reconnection attempt (a new problem, or the same after others, is said again). */
let lastSaid = '';
function sayOnce(message: string): void {
  if (message !== lastSaid) console.error(`hwr worker: ${(lastSaid = message)}`);
}

/** Waits for SIGTERM or Ctrl+C, then runs `stop` (errors or not) before returning. */
async function untilStopped(stop: (signal: string) => Promise<unknown>): Promise<void> {
  await new Promise<void>((done) => {
    const once = (signal: string) =>
      void stop(signal).then(
        () => done(),
        () => done(),
      );
    process.once('SIGTERM', () => once('SIGTERM'));
    process.once('SIGINT', () => once('SIGINT'));
  });
}

/**
 * The training side of a worker: checks that it has a GPU (or was told to train without one),
 * then takes training jobs one at a time. `stop` ends the run in hand at once and leaves its job
 * to the queue, which gives it to the next worker when its lock runs out (or to this one, which
 * resumes it from its checkpoint in --scratch).
 */
async function startTraining(
  url: string,
  storage: string | undefined,
  scratchOption: string | undefined,
  cpuOk: boolean,
  timing: { lockMs?: number; stalledMs?: number },
): Promise<{ stop(): Promise<void> }> {
  const { selectBackend } = await import('../train/tfjs/backend.ts');
  const backend = await selectBackend();
  const gpu = backend.package === '@tensorflow/tfjs-node-gpu';
  if (!gpu && !cpuOk)
    throw new UsageError(
      `--train: this machine has no GPU backend for TensorFlow.js: it would train on ${backend.label}` +
        `${backend.skipped.length ? ` (${backend.skipped.join('; ')})` : ''}. Install @tensorflow/tfjs-node-gpu with CUDA, or pass --train-on-cpu`,
    );
  const scratch = resolve(scratchOption ?? join(tmpdir(), 'hwr-worker'));
  makeDirectory(scratch);
  checkWritableFolder(scratch);
  const children = new Set<{ kill(): void }>();
  const launch: LaunchWorker = (kind) => {
    const child = launchNodeWorker(kind);
    children.add(child);
    child.onExit(() => children.delete(child));
    return child;
  };
  const worker = startTrainWorker(url, (work) => runTrainJob(work, { storage, scratch, launch, log: (m) => console.error(`hwr worker: ${m}`) }), timing);
  worker.on('failed', (job, err) => console.error(`hwr worker: training job ${job?.id} failed: ${err.message}`));
  worker.on('error', (err) => sayOnce(redisProblem(err, url)));
  await worker.waitUntilReady();
  console.error(`hwr worker: taking training jobs from ${showRedis(url)} on ${backend.label}, runs in ${scratch}`);
  return {
    stop: async () => {
      // Closed first, so the run's end is not recorded as a failure: its lock runs out and the queue gives it to the next worker.
      await worker.close(true);
      for (const child of children) child.kill();
    },
  };
}
