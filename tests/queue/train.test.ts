/**
 * Training on the queue, end to end: Debian's redis-server on a loopback port, real
 * `hwr worker --train` processes, `hwr queue train` as a user runs it, and the app's "Retrain on
 * my handwriting" sent to the queue. There is no GPU here, so the workers are told --train-on-cpu;
 * without it a worker refuses to train, and says what it found.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../app/base/paths.ts';
import { GLYPH_VALUES } from '../../app/contract.ts';
import { readOnnxInfo } from '../../app/onnx/import.ts';
import { openTrainQueue, trainJobState } from '../../app/queue/bull.ts';
import { checkTrainJob, JobRefused, showRedis, type TrainJob } from '../../app/queue/jobs.ts';
import { launchNodeWorker } from '../../app/services/node-worker.ts';
import { optionsForJob, trainJobFor } from '../../app/services/queue-training.ts';
import { createServices } from '../../app/services/services.ts';
import type { LaunchWorker } from '../../app/services/worker-protocol.ts';
import type { TrainingStatus } from '../../app/contract.ts';
import { runHwr, writeShapesIdx } from '../helpers/fixtures.ts';
import { styledSamples } from '../helpers/hand-style.ts';
import { redisAvailable, startRedis, type RedisServer } from '../helpers/redis.ts';
import { sharedDataForTests } from '../helpers/shared-data.ts';

const HWR = join(projectRoot, 'bin', 'hwr.mjs');
const available = redisAvailable();
const shared = sharedDataForTests();

let dir: string;
let shapes: ReturnType<typeof writeShapesIdx>;
const children: ChildProcess[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'hwr-queue-train-'));
  shapes = writeShapesIdx(800, 3, mkdtempSync(join(dir, 'shapes-')));
});
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Proc = ChildProcess & { out: () => string; exited: Promise<number | null> };

function hwr(args: string[], env: NodeJS.ProcessEnv = {}): Proc {
  const child = spawn(process.execPath, [HWR, ...args], { cwd: projectRoot, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let out = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  children.push(child);
  return Object.assign(child, { out: () => out, exited });
}

async function waitFor(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what}: not seen in ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const trainWorker = (redis: string, env: NodeJS.ProcessEnv = {}): Proc =>
  hwr(['worker', '--train-only', '--train-on-cpu', '--redis', redis, '--scratch', join(dir, 'scratch')], env);

const shapeArgs = () => ['--arch', 'mlp', '--data', shapes.images, '--labels', shapes.labels];

describe('training job checks (no Redis needed)', () => {
  const job: TrainJob = {
    kind: 'train',
    command: 'hwr queue train --arch mlp',
    arch: 'mlp',
    options: { epochs: 3, learningRate: 0.05, augment: false },
    files: { 'data0/a-images-idx3-ubyte': 'AAAA', 'labels0/a-labels-idx1-ubyte': 'AAAA' },
    data: { in: 'job', path: 'data0/a-images-idx3-ubyte' },
    labels: { in: 'job', path: 'labels0/a-labels-idx1-ubyte' },
  };

  it('take numbers and switches of hwr train, and files that stay in their folder; nothing else', () => {
    expect(checkTrainJob(job)).toEqual(job);
    const refused = (data: unknown, why: RegExp) => expect(() => checkTrainJob(data)).toThrow(why);
    refused({ ...job, kind: 'shell' }, /unknown job kind "shell": the training queue takes training runs/);
    refused({ ...job, options: { outDir: '/etc' } }, /sets 'outDir', which is not a training option it may set/);
    refused({ ...job, options: { save: '/usr/lib/x.onnx' } }, /sets 'save'/);
    refused({ ...job, options: { epochs: '3; rm -rf /' } }, /option epochs must be a number/);
    refused({ ...job, files: { '../../.bashrc': 'AAAA' } }, /file name '..\/..\/.bashrc' leaves its folder/);
    refused({ ...job, data: { in: 'job', path: 'data0/other' } }, /data 'data0\/other' is not among the files it carries/);
    refused({ ...job, data: { in: 'storage', path: '/etc/passwd' } }, /data '\/etc\/passwd' leaves its folder/);
    refused({ ...job, arch: 'rootkit' }, /arch must be one of mlp, ae, cnn, tfmlp, crnn/);
  });

  it("check the run's options as hwr train does, and keep storage paths inside the storage", () => {
    const storage = mkdtempSync(join(dir, 'storage-'));
    symlinkSync('/etc', join(storage, 'escape'));
    const folder = join(dir, 'job-folder');
    expect(optionsForJob(job, folder, storage)).toMatchObject({ epochs: 3, learningRate: 0.05, batchSize: 32, outDir: join(folder, 'run'), resume: false });
    expect(() => optionsForJob({ ...job, options: { epochs: 0 } }, folder, storage)).toThrow(/epochs \(--epochs\) must be/);
    const onStorage = { ...job, files: undefined, data: { in: 'storage' as const, path: 'sets/a' }, labels: undefined };
    expect(() => optionsForJob(onStorage, folder, undefined)).toThrow(/started without --storage/);
    expect(optionsForJob(onStorage, folder, storage).data).toBe(join(storage, 'sets/a'));
    const linked = { ...onStorage, data: { in: 'storage' as const, path: 'escape/passwd' } };
    expect(() => optionsForJob(linked, folder, storage)).toThrow(JobRefused);
  });

  it('send data on the shared storage as a path, other data in the job, and refuse what is too big to carry', () => {
    const storage = mkdtempSync(join(dir, 'storage-'));
    const inside = writeShapesIdx(8, 1, storage);
    const opts = {
      arch: 'mlp' as const,
      epochs: 2,
      learningRate: 0.1,
      batchSize: 32,
      momentum: 0.9,
      seed: 1,
      augment: false,
      balance: true,
      patience: 0,
      limit: 0,
    };
    const onStorage = trainJobFor({ ...opts, outDir: '/x', data: inside.images, labels: inside.labels }, storage);
    expect(onStorage.data).toEqual({ in: 'storage', path: 'shapes-images-idx3-ubyte.gz' });
    expect(onStorage.files).toBeUndefined();
    const carried = trainJobFor({ ...opts, outDir: '/x', data: inside.images, labels: inside.labels });
    expect(carried.data).toEqual({ in: 'job', path: 'data0/shapes-images-idx3-ubyte.gz' });
    expect(Buffer.from(carried.files!['data0/shapes-images-idx3-ubyte.gz']!, 'base64')).toEqual(readFileSync(inside.images));
    expect(checkTrainJob(carried)).toEqual(carried);
    const big = join(dir, 'big-images-idx3-ubyte');
    writeFileSync(big, '');
    truncateSync(big, 65 * 1024 * 1024);
    expect(() => trainJobFor({ ...opts, outDir: '/x', data: big, labels: inside.labels }, storage)).toThrow(
      /65 MB of files, more than travels in a job \(64 MB\): put the data inside the storage the workers share/,
    );
  });
});

describe.skipIf(!available)('hwr queue train and hwr worker --train on Redis', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedis(mkdtempSync(join(dir, 'redis-')));
  });
  afterAll(async () => redis?.stop());

  it('a worker without a GPU will not take training jobs unless told to, and says what it found', { timeout: 60_000 }, async () => {
    const worker = hwr(['worker', '--train-only', '--redis', redis.url]);
    expect(await worker.exited).toBe(2);
    expect(worker.out()).toMatch(/--train: this machine has no GPU backend for TensorFlow\.js: it would train on @tensorflow\/tfjs-backend-wasm/);
    expect(worker.out()).toMatch(/tfjs-node-gpu: not installed.*Install @tensorflow\/tfjs-node-gpu with CUDA, or pass --train-on-cpu/);
  });

  it('trains on the worker and brings back the model and its card, as hwr train writes them', { timeout: 180_000 }, async () => {
    const worker = trainWorker(redis.url);
    const run = join(dir, 'run-ok');
    const save = join(dir, 'models', 'shapes.onnx');
    const r = await runHwr(['queue', 'train', '--redis', redis.url, ...shapeArgs(), '--epochs', '4', '--out', run, '--save', save, '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/sent to redis:\/\/127\.0\.0\.1:\d+\/? as training job t[a-z0-9]+/);
    // The run reads as a local one, with the machine that trained named.
    expect(r.stdout).toMatch(/^training mlp on \d+ images \(validation \d+\), backend from-scratch engine.* on \S+, into /m);
    const done = /done in \d+ s: best epoch (\d), validation accuracy ([01]\.\d+)/.exec(r.stdout);
    expect(done, r.stdout).not.toBeNull();
    expect(Number(done![2])).toBeGreaterThan(0.6); // four shapes: chance is 0.25
    const info = readOnnxInfo(readFileSync(save));
    expect(info.classes).toEqual(shapes.classes);
    const card = readFileSync(save.replace(/\.onnx$/, '.md'), 'utf8');
    expect(card).toMatch(/hwr queue train --arch mlp/);
    // It names the data by the path it was sent from, and the machine that trained; nothing of the worker's folders.
    expect(card).toContain(`\`${shapes.images}\``);
    expect(card).toMatch(/Backend: .*, on \S+ \(a queue worker\)/);
    expect(card).not.toContain(join(dir, 'scratch'));
    for (const f of ['model.onnx', 'card.md', 'curves-loss.png', 'confusion.png']) expect(existsSync(join(run, f)), f).toBe(true);
    expect(readFileSync(join(run, 'model.onnx'))).toEqual(readFileSync(save));
    // The worker keeps nothing of a run it sent back.
    expect(readdirSync(join(dir, 'scratch'))).toEqual([]);
    const id = /training job (t[a-z0-9]+)/.exec(r.stderr)![1]!;
    const status = await runHwr(['queue', 'status', '--redis', redis.url, id]);
    expect(status.stdout).toMatch(new RegExp(`training job ${id}: completed, mlp on .*\\n.*\\ndone on \\S+: best epoch ${done![1]}, val acc`));
    expect(worker.out()).toMatch(new RegExp(`training job ${id}: done`));
    // The data it carried does not stay in Redis with the finished job.
    const held = openTrainQueue(redis.url);
    try {
      const job = await held.queue.getJob(id);
      expect(job?.data).toMatchObject({ kind: 'train', data: { in: 'job' } });
      expect((job?.data as TrainJob).files).toBeUndefined();
    } finally {
      await held.close();
    }
  });

  it('Ctrl+C stops the run on its worker, and its best model so far comes back', { timeout: 180_000 }, async () => {
    trainWorker(redis.url);
    const run = join(dir, 'run-cancelled');
    const client = hwr(['queue', 'train', '--redis', redis.url, ...shapeArgs(), '--epochs', '1000', '--patience', '0', '--out', run]);
    await waitFor('epoch 3', () => /epoch 3\/1000/.test(client.out()), 120_000);
    client.kill('SIGINT');
    expect(await client.exited).toBe(130);
    expect(client.out()).toMatch(/stopping after this batch/);
    const stopped = /cancelled in \d+ s: best epoch (\d+)/.exec(client.out());
    expect(stopped, client.out()).not.toBeNull();
    expect(Number(stopped![1])).toBeLessThan(1000);
    expect(readOnnxInfo(readFileSync(join(run, 'model.onnx'))).classes).toEqual(shapes.classes);
  });

  it('a worker stopped with SIGTERM gives its run back, and another worker finishes it', { timeout: 240_000 }, async () => {
    const fast = { HWR_QUEUE_LOCK_MS: '2000', HWR_QUEUE_STALLED_MS: '1000' };
    const first = trainWorker(redis.url, fast);
    const run = join(dir, 'run-handed-over');
    const client = hwr(['queue', 'train', '--redis', redis.url, ...shapeArgs(), '--epochs', '150', '--patience', '0', '--out', run]);
    await waitFor('epoch 2 on the first worker', () => /epoch 2\/150/.test(client.out()), 120_000);
    first.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    expect(first.out()).toMatch(/SIGTERM: giving the run in hand back to the queue/);
    const second = trainWorker(redis.url, fast);
    expect(await client.exited, client.out()).toBe(0);
    expect(second.out()).toMatch(/training job t[a-z0-9]+: .*\n.*training job t[a-z0-9]+: done, best epoch \d+/);
    expect(client.out()).toMatch(/done in \d+ s: best epoch \d+, validation accuracy [01]\.\d+/);
    expect(existsSync(join(run, 'model.onnx'))).toBe(true);
  });

  it('refuses malformed training jobs without running them, saying why', { timeout: 60_000 }, async () => {
    trainWorker(redis.url);
    const bad = [
      { kind: 'shell', cmd: 'touch /tmp/hwr-owned' },
      { kind: 'train', arch: 'mlp', command: 'x', options: { outDir: '/etc' } },
      { kind: 'train', arch: 'mlp', command: 'x', options: {}, files: { '../../hwr-owned': 'AAAA' } },
      { kind: 'train', arch: 'mlp', command: 'x', options: { epochs: 100000 } },
    ];
    const queue = openTrainQueue(redis.url);
    try {
      const ids: string[] = [];
      for (const [i, data] of bad.entries()) ids.push((await queue.queue.add('train', data, { jobId: `tbad${i}`, attempts: 2 })).id!);
      const reasons: string[] = [];
      for (const id of ids) {
        const deadline = Date.now() + 50_000;
        for (;;) {
          const s = await trainJobState(queue, id);
          if (Date.now() > deadline) throw new Error(`job ${id} still ${s?.state}`);
          if (s?.state === 'failed') {
            reasons.push(s.failedReason ?? '');
            expect((await queue.queue.getJob(id))?.attemptsMade).toBe(1); // refused at once, not tried again
            break;
          }
          await new Promise((r) => setTimeout(r, 200));
        }
      }
      expect(reasons).toEqual([
        expect.stringMatching(/^refused: unknown job kind "shell"/),
        expect.stringMatching(/^refused: the job sets 'outDir'/),
        expect.stringMatching(/^refused: the job's file name '..\/..\/hwr-owned' leaves its folder/),
        expect.stringMatching(/^refused: epochs \(--epochs\) must be/),
      ]);
      expect(existsSync('/tmp/hwr-owned')).toBe(false);
    } finally {
      await queue.close();
    }
  });

  it.skipIf(!shared)("the app's Retrain on my handwriting runs on the queue's worker, and is judged here", { timeout: 300_000 }, async () => {
    const worker = trainWorker(redis.url);
    const services = createServices({
      transport: 'http',
      home: join(dir, 'home'),
      sharedData: shared!,
      redis: redis.url,
      launchWorker: launchNodeWorker as LaunchWorker,
    });
    try {
      expect((await services.appInfo({})).trainQueue).toBe(showRedis(redis.url));
      const { glyphs, labels } = styledSamples(shared!, 'ABCDE01234'.split(''), 3);
      for (const [i, label] of labels.entries())
        await services.saveSample({ label, glyph: glyphs.subarray(i * GLYPH_VALUES, (i + 1) * GLYPH_VALUES), source: 'draw' });
      await services.startPersonalization({ epochs: 1, seed: 1, onQueue: true });
      let status: TrainingStatus = await services.trainingStatus({});
      const deadline = Date.now() + 280_000;
      while (status.state === 'starting' || status.state === 'running') {
        if (Date.now() > deadline) throw new Error(`retraining still ${status.state}`);
        await new Promise((r) => setTimeout(r, 500));
        status = await services.trainingStatus({});
      }
      expect(status.error).toBeNull();
      expect(status.state).toBe('done');
      expect(status.backend).toMatch(/ on \S+$/);
      expect(status.history).toHaveLength(1);
      expect(status.personalization).toMatchObject({ userHeldOut: expect.any(Number), after: { user: expect.any(Number) } });
      expect(worker.out()).toMatch(/training job t[a-z0-9]+: hwr app: retrain shipped:\S+ on my handwriting/);
    } finally {
      await services.close();
    }
    // Without a queue named, the app says so instead of training here.
    const alone = createServices({ transport: 'http', home: join(dir, 'home-alone'), sharedData: shared!, launchWorker: launchNodeWorker as LaunchWorker });
    try {
      expect((await alone.appInfo({})).trainQueue).toBeNull();
      const { glyphs, labels } = styledSamples(shared!, 'ABCDE01234'.split(''), 1);
      for (const [i, label] of labels.entries())
        await alone.saveSample({ label, glyph: glyphs.subarray(i * GLYPH_VALUES, (i + 1) * GLYPH_VALUES), source: 'draw' });
      await expect(alone.startPersonalization({ epochs: 1, seed: 1, onQueue: true })).rejects.toMatchObject({
        code: 'unavailable',
        message: expect.stringMatching(/no training queue is set: start hwr with HWR_REDIS/),
      });
    } finally {
      await alone.close();
    }
  });
});
