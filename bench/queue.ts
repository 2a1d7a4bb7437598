/**
 * `npm run bench -- queue`: pages a second through BullMQ on a local redis-server with one and
 * with two `hwr worker` processes (the same generated pages each time), and the queue's own cost
 * per page: one worker's time per page less `hwr ocr`'s time per page on the same files, measured
 * in this run. Three rounds of the three, medians reported (this machine is shared: a slow spell
 * falls on one round, not on one figure). Needs Debian's redis-server.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../app/base/paths.ts';
import { batchStatus, openQueue } from '../app/queue/bull.ts';
import { applyImageThreads, encodeImage } from '../app/image/decode.ts';
import { renderPage } from '../tests/ocr/synthetic.ts';
import { runHwr } from '../tests/helpers/fixtures.ts';
import { startRedis } from '../tests/helpers/redis.ts';

type Figure = { name: string; value: number; unit: string };
const PAGES = 80;
const ROUNDS = 3;
const HWR = join(projectRoot, 'bin', 'hwr.mjs');

/** Adds `inputs` as a batch with results in `out`, and waits until every result is written (counted in the folder: watching costs Redis nothing). */
async function readThrough(redis: string, storage: string, out: string, inputs: string[], count: number): Promise<string> {
  const added = await runHwr(['queue', 'add', '--redis', redis, '--storage', storage, '--out', out, ...inputs]);
  if (added.code !== 0) throw new Error(added.stderr);
  while (readdirSync(out).filter((f) => f.endsWith('.txt')).length < count) await new Promise((r) => setTimeout(r, 20));
  return added.stdout.trim();
}

async function pagesPerSecond(redis: string, storage: string, workers: number, files: string[], round: number): Promise<number> {
  const procs: ChildProcess[] = [];
  try {
    for (let i = 0; i < workers; i++) {
      const child = spawn(process.execPath, [HWR, 'worker', '--redis', redis, '--storage', storage], { stdio: ['ignore', 'ignore', 'pipe'] });
      procs.push(child);
      // Ready when it says so: model loading is not the queue's time.
      await new Promise<void>((resolve) => child.stderr!.on('data', (c: Buffer) => /reading pages from/.test(c.toString()) && resolve()));
    }
    // A few pages first, as the in-process reference had its warm-up read.
    await readThrough(redis, storage, join(storage, `warm-${workers}-${round}`), files.slice(0, 4 * workers), 4 * workers);
    const t0 = performance.now();
    const batch = await readThrough(redis, storage, join(storage, `out-${workers}-${round}`), [join(storage, 'in')], PAGES);
    const seconds = (performance.now() - t0) / 1000;
    const pages = openQueue(redis);
    try {
      const s = (await batchStatus(pages, batch))!;
      if (s.failed || s.done !== PAGES) throw new Error(`queue bench: ${s.done} of ${PAGES} done, ${s.failed} failed: ${s.failures[0]?.reason ?? ''}`);
    } finally {
      await pages.close();
    }
    return PAGES / seconds;
  } finally {
    for (const p of procs) p.kill('SIGKILL');
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function benchQueue(): Promise<Figure[]> {
  const dir = mkdtempSync(join(tmpdir(), 'hwr-bench-queue-'));
  const redis = await startRedis(dir);
  try {
    const storage = join(dir, 'store');
    mkdirSync(join(storage, 'in'), { recursive: true });
    const files: string[] = [];
    for (let i = 0; i < PAGES; i++) {
      const file = join(storage, 'in', `p${i}.png`);
      writeFileSync(file, await encodeImage(renderPage({ rows: ['TO DO LIST', 'MAKE A TODO'], seed: i + 1, charHeight: 48 }).image, 'png'));
      files.push(file);
    }
    // The same pages read in this process, models loaded once, one thread as a worker runs: the work without the queue.
    process.env.HWR_ORT_THREADS = '1';
    process.env.HWR_IMAGE_THREADS = '1';
    applyImageThreads();
    await runHwr(['ocr', '--out', join(dir, 'warm'), files[0]!]);
    // Rounds of all three, one after the other, so a slow spell of this shared machine falls on all of them; medians reported.
    const rounds: { local: number; one: number; two: number }[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const t0 = performance.now();
      const local = await runHwr(['ocr', '--out', join(dir, `local-${round}`), ...files]);
      if (local.code !== 0) throw new Error(local.stderr);
      const localPerPage = (performance.now() - t0) / PAGES;
      const one = await pagesPerSecond(redis.url, storage, 1, files, round);
      const two = await pagesPerSecond(redis.url, storage, 2, files, round);
      rounds.push({ local: localPerPage, one, two });
      const workers = `1 worker ${one.toFixed(2)} pages/s, 2 workers ${two.toFixed(2)} (${(two / one).toFixed(2)}×)`;
      console.error(`  round ${round + 1}: hwr ocr ${localPerPage.toFixed(1)} ms/page; ${workers}`);
    }
    const one = median(rounds.map((r) => r.one));
    const two = median(rounds.map((r) => r.two));
    const local = median(rounds.map((r) => r.local));
    return [
      { name: 'queue_pages_per_s_1_worker', value: one, unit: `pages/s (${PAGES} generated pages, redis-server on loopback; median of ${ROUNDS} rounds)` },
      { name: 'queue_pages_per_s_2_workers', value: two, unit: 'pages/s (two worker processes, this machine)' },
      { name: 'queue_workers_ratio', value: median(rounds.map((r) => r.two / r.one)), unit: '× (2 workers over 1, same round; goal ≥ 1.7 on two cores)' },
      {
        name: 'queue_overhead_ms_per_page',
        value: median(rounds.map((r) => 1000 / r.one - r.local)),
        unit: `ms (one worker's time per page less hwr ocr's, same round, ${local.toFixed(1)} ms; goal ≤ 5)`,
      },
    ];
  } finally {
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
