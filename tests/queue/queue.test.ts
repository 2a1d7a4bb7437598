/**
 * Archive scale, end to end: Debian's redis-server on a loopback port, `hwr queue add` and real
 * `hwr worker` processes. Pages are generated (tests/ocr/synthetic.ts); the shipped models read them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../app/base/paths.ts';
import { addBatch, batchStatus, openQueue } from '../../app/queue/bull.ts';
import type { BatchProgress } from '../../app/contract.ts';
import { checkJob, imageKey, JobRefused, redisOptions, underRoot, type OcrJob } from '../../app/queue/jobs.ts';
import { encodeImage } from '../../app/image/decode.ts';
import { renderPage } from '../ocr/synthetic.ts';
import { runHwr } from '../helpers/fixtures.ts';
import { createServices } from '../../app/services/services.ts';
import { processAlive } from '../../app/services/home.ts';
import { launchNodeWorker } from '../../app/services/node-worker.ts';
import type { LaunchWorker } from '../../app/services/worker-protocol.ts';
import { redisAvailable, startRedis, type RedisServer } from '../helpers/redis.ts';

const HWR = join(projectRoot, 'bin', 'hwr.mjs');
const available = redisAvailable();
const WORDS = ['TO DO', 'LIST', 'MAKE A', 'CHECK', 'THE FIRST', 'THING', 'DEEP', 'HAIKU'];

let dir: string;
const workers: ChildProcess[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'hwr-queue-'));
});
afterEach(async () => {
  for (const w of workers.splice(0)) if (w.exitCode === null) w.kill('SIGKILL');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `count` small generated pages in `folder`; returns their paths. */
async function writePages(folder: string, count: number, rows = 1): Promise<string[]> {
  mkdirSync(folder, { recursive: true });
  const files: string[] = [];
  for (let i = 0; i < count; i++) {
    const page = renderPage({ rows: Array.from({ length: rows }, (_, r) => WORDS[(i + r) % WORDS.length]!), seed: i + 1, charHeight: 40 });
    const file = join(folder, `page-${String(i).padStart(3, '0')}.png`);
    writeFileSync(file, await encodeImage(page.image, 'png'));
    files.push(file);
  }
  return files;
}

function startWorker(redis: string, storage: string, env: NodeJS.ProcessEnv = {}): ChildProcess & { log: () => string } {
  const child = spawn(process.execPath, [HWR, 'worker', '--redis', redis, '--storage', storage], {
    cwd: projectRoot,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, ...env },
  });
  let log = '';
  child.stderr!.on('data', (chunk: Buffer) => (log += chunk.toString()));
  workers.push(child);
  return Object.assign(child, { log: () => log });
}

async function add(redis: string, storage: string, out: string, inputs: string[]): Promise<string> {
  const r = await runHwr(['queue', 'add', '--redis', redis, '--storage', storage, '--out', out, ...inputs]);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout.trim();
}

async function status(redis: string, batch: string): Promise<BatchProgress> {
  const pages = openQueue(redis);
  try {
    return (await batchStatus(pages, batch))!;
  } finally {
    await pages.close();
  }
}

async function until(redis: string, batch: string, done: (s: BatchProgress) => boolean, timeoutMs: number): Promise<BatchProgress> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await status(redis, batch);
    if (done(s)) return s;
    if (Date.now() > deadline)
      throw new Error(`batch ${batch} not there in ${timeoutMs / 1000} s: ${JSON.stringify({ ...s, failures: s.failures.slice(0, 3) })}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The results folder: every page's file, and nothing half-written. */
function results(out: string): string[] {
  return existsSync(out) ? readdirSync(out).sort() : [];
}

describe('job checks (no Redis needed)', () => {
  const root = '/srv/store';
  it('keep jobs to pages inside the shared storage, and to the one job kind', () => {
    expect(underRoot(root, 'out/a.txt', 'output')).toBe('/srv/store/out/a.txt');
    for (const bad of ['../etc/passwd', '/etc/passwd', 'out/../../x', 'C:\\x']) expect(() => underRoot(root, bad, 'path')).toThrow(JobRefused);
    const ok = { kind: 'ocr', batch: 'b1', name: 'a.png', format: 'text', output: 'out/a.txt', inline: true };
    expect(checkJob(ok)).toEqual(ok);
    expect(() => checkJob({ ...ok, kind: 'shell', cmd: 'rm -rf /' })).toThrow(/unknown job kind "shell": a worker reads pages/);
    expect(() => checkJob({ ...ok, format: 'exe' })).toThrow(/format must be one of/);
    expect(() => checkJob({ ...ok, path: 'in/a.png' })).toThrow(/its image, or a path to it, and not both/);
    expect(() => checkJob({ ...ok, inline: 'rm -rf /' })).toThrow(/inline must be true/);
    expect(() => checkJob('hello')).toThrow(/no data object/);
  });

  it('read user, password, database and TLS from the Redis URL', () => {
    expect(redisOptions('rediss://worker:s%40cret@queue.example:6380/2')).toEqual({
      host: 'queue.example',
      port: 6380,
      username: 'worker',
      password: 's@cret',
      db: 2,
      tls: { servername: 'queue.example' },
      maxRetriesPerRequest: null,
    });
    expect(() => redisOptions('http://queue.example')).toThrow(/starts redis:\/\/ or rediss:\/\//);
  });
});

describe.skipIf(!available)('hwr queue and hwr worker on Redis', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedis(mkdtempSync(join(dir, 'redis-')), { appendOnly: true });
  });
  afterAll(async () => redis?.stop());

  it('reads 200 pages with 3 workers: every result there, as hwr ocr reads it', { timeout: 600_000 }, async () => {
    const storage = join(dir, 'many');
    const files = await writePages(join(storage, 'in'), 200);
    const out = join(storage, 'out');
    const batch = await add(redis.url, storage, out, [join(storage, 'in')]);
    for (let i = 0; i < 3; i++) startWorker(redis.url, storage);
    const s = await until(redis.url, batch, (x) => x.done + x.failed === 200, 540_000);
    expect(s).toMatchObject({ done: 200, failed: 0, total: 200 });
    expect(s.perMinute).toBeGreaterThan(0);
    // A finished page's image does not stay in Redis.
    const held = openQueue(redis.url);
    try {
      const job = await held.queue.getJob(`${batch}-0`);
      expect(job?.data).toMatchObject({ name: 'page-000.png', inline: true });
      expect(await held.records.exists(imageKey(`${batch}-0`), imageKey(`${batch}-199`))).toBe(0);
    } finally {
      await held.close();
    }
    expect(results(out)).toEqual(files.map((f) => f.replace(/^.*\//, '').replace('.png', '.txt')).sort());
    // As `hwr ocr` reads the same files.
    const sample = [0, 57, 123, 199].map((i) => files[i]!);
    const local = await runHwr(['ocr', '--out', join(storage, 'local'), ...sample]);
    expect(local.code, local.stderr).toBe(0);
    for (const f of sample) {
      const name = f.replace(/^.*\//, '').replace('.png', '.txt');
      expect(readFileSync(join(out, name), 'utf8')).toBe(readFileSync(join(storage, 'local', name), 'utf8'));
    }
  });

  it('a worker killed mid-page: another takes the page up, and each page has one result', { timeout: 240_000 }, async () => {
    const storage = join(dir, 'killed');
    const files = await writePages(join(storage, 'in'), 4, 12);
    const out = join(storage, 'out');
    const fast = { HWR_QUEUE_LOCK_MS: '3000', HWR_QUEUE_STALLED_MS: '1000' };
    const batch = await add(redis.url, storage, out, [join(storage, 'in')]);
    const first = startWorker(redis.url, storage, fast);
    await until(redis.url, batch, (x) => x.active > 0, 60_000);
    first.kill('SIGKILL');
    // The worker it runs on one core goes with it.
    const reader = Number(/on one core: pid (\d+)/.exec(first.log())![1]);
    await expect.poll(() => processAlive(reader), { timeout: 5000 }).toBe(false);
    const second = startWorker(redis.url, storage, fast);
    const s = await until(redis.url, batch, (x) => x.done + x.failed === files.length, 180_000);
    expect(s).toMatchObject({ done: files.length, failed: 0 });
    expect(results(out)).toEqual(files.map((f) => f.replace(/^.*\//, '').replace('.png', '.txt')).sort());
    expect(second.log()).toMatch(/read \(/);
  });

  it('SIGTERM: the page in hand is finished and written, then the worker stops; the rest wait', { timeout: 240_000 }, async () => {
    const storage = join(dir, 'stopped');
    const files = await writePages(join(storage, 'in'), 3, 12);
    const out = join(storage, 'out');
    const batch = await add(redis.url, storage, out, [join(storage, 'in')]);
    const worker = startWorker(redis.url, storage);
    await until(redis.url, batch, (x) => x.active > 0, 60_000);
    const exited = new Promise<number | null>((resolve) => worker.once('exit', resolve));
    worker.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(worker.log()).toMatch(/SIGTERM: finishing the pages in hand, then stopping\n(.*\n)*hwr worker: stopped/);
    const s = await status(redis.url, batch);
    expect(s).toMatchObject({ done: 1, failed: 0, active: 0, waiting: files.length - 1 });
    expect(results(out)).toHaveLength(1);
  });

  it('Redis restarted mid-batch (append-only file on): the batch completes', { timeout: 300_000 }, async () => {
    const storage = join(dir, 'restart');
    const files = await writePages(join(storage, 'in'), 40);
    const out = join(storage, 'out');
    const batch = await add(redis.url, storage, out, [join(storage, 'in')]);
    startWorker(redis.url, storage);
    startWorker(redis.url, storage);
    await until(redis.url, batch, (x) => x.done >= 5, 120_000);
    await redis.stop();
    await new Promise((r) => setTimeout(r, 1000));
    await redis.start();
    const s = await until(redis.url, batch, (x) => x.done + x.failed === files.length, 240_000);
    expect(s).toMatchObject({ done: files.length, failed: 0 });
    expect(results(out)).toHaveLength(files.length);
  });

  it('a Redis with a password: the right one works; a wrong one, or no Redis there, is said at once in one line', { timeout: 120_000 }, async () => {
    const guarded = await startRedis(mkdtempSync(join(dir, 'redis-pw-')), { password: 's3cret/pw' });
    try {
      const storage = join(dir, 'guarded');
      const [file] = await writePages(join(storage, 'in'), 1);
      const batch = await add(guarded.url, storage, join(storage, 'out'), [file!]);
      const worker = startWorker(guarded.url, storage);
      expect(await until(guarded.url, batch, (x) => x.done === 1, 60_000)).toMatchObject({ done: 1, failed: 0 });
      worker.kill('SIGTERM');
      const wrong = guarded.url.replace('s3cret%2Fpw', 'guess');
      const refused = await runHwr(['queue', 'add', '--redis', wrong, '--storage', storage, '--out', join(storage, 'out'), file!]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(
        /^hwr queue: Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+\/? refused the login \(WRONGPASS[^\n]*\): check the user and password in the URL \(redis:\/\/user:password@host:port\)$/,
      );
      const started = Date.now();
      const away = await runHwr(['queue', 'status', '--redis', 'redis://127.0.0.1:1', batch]);
      expect(away.code).toBe(1);
      expect(away.stderr).toMatch(/^hwr queue: cannot reach Redis at redis:\/\/127\.0\.0\.1:1\/? \(ECONNREFUSED\): is it running there/);
      expect(Date.now() - started).toBeLessThan(10_000);
      const lost = startWorker(wrong, storage);
      expect(await new Promise((resolve) => lost.once('exit', resolve))).toBe(1);
      expect(lost.log().trim()).toMatch(/^hwr worker: Redis at .* refused the login \(WRONGPASS[^\n]*$/);
    } finally {
      await guarded.stop();
    }
  });

  it('refuses malformed jobs and paths outside the storage, saying why; queue add refuses them up front', { timeout: 120_000 }, async () => {
    const storage = join(dir, 'refused');
    mkdirSync(storage, { recursive: true });
    const jobs = [
      { kind: 'shell', batch: 'bad1', cmd: 'touch /tmp/owned' },
      { kind: 'ocr', batch: 'bad1', name: 'passwd', format: 'text', output: 'out/p.txt', path: '../../../../etc/passwd' },
      { kind: 'ocr', batch: 'bad1', name: 'x.png', format: 'text', output: '/tmp/x.txt', inline: true },
    ].map((job) => ({ job: job as unknown as OcrJob, ...('inline' in job ? { image: () => new Uint8Array(4) } : {}) }));
    const pages = openQueue(redis.url);
    try {
      await addBatch(pages, { batch: 'bad1', total: jobs.length, added: new Date().toISOString(), format: 'text', out: 'out' }, jobs);
    } finally {
      await pages.close();
    }
    startWorker(redis.url, storage);
    const s = await until(redis.url, 'bad1', (x) => x.failed === 3, 60_000);
    expect(s.failures.map((f) => f.reason)).toEqual([
      expect.stringMatching(/^refused: unknown job kind "shell"/),
      expect.stringMatching(/^refused: the job's path '.*' leaves the shared storage/),
      expect.stringMatching(/^refused: the job's output '\/tmp\/x.txt' leaves the shared storage/),
    ]);
    expect(existsSync('/tmp/owned')).toBe(false);
    // The app asks the server for the same progress (the Scan view's Batch panel).
    const services = createServices({
      transport: 'http',
      home: join(dir, 'home'),
      sharedData: null,
      redis: redis.url,
      launchWorker: launchNodeWorker as LaunchWorker,
    });
    try {
      expect(await services.queueStatus({ batch: 'bad1' })).toMatchObject({ total: 3, failed: 3, failures: s.failures });
      await expect(services.queueStatus({ batch: 'bnone' })).rejects.toMatchObject({ code: 'not-found', message: expect.stringMatching(/no batch 'bnone'/) });
    } finally {
      await services.close();
    }
    const away = createServices({
      transport: 'http',
      home: join(dir, 'home-away'),
      sharedData: null,
      redis: 'redis://127.0.0.1:1',
      launchWorker: launchNodeWorker as LaunchWorker,
    });
    try {
      await expect(away.queueStatus({ batch: 'bad1' })).rejects.toMatchObject({
        code: 'unavailable',
        message: expect.stringMatching(/cannot reach Redis at redis:\/\/127\.0\.0\.1:1\/? \(.+\): is it running there/),
      });
    } finally {
      await away.close();
    }
    // Up front: results outside the storage, or no storage at all.
    const outside = await runHwr(['queue', 'add', '--redis', redis.url, '--storage', storage, '--out', join(dir, 'elsewhere'), storage]);
    expect(outside.code).toBe(2);
    expect(outside.stderr).toMatch(/is not inside the shared storage/);
    const none = await runHwr(['queue', 'add', '--redis', redis.url, '--out', storage, storage]);
    expect(none.stderr).toMatch(/say which folder the workers share/);
  });
});
