/**
 * "Retrain on my handwriting" sent to the training queue from the Samples view in Chromium:
 * `hwr serve` started with HWR_REDIS offers the queue, a worker started with --train (on the CPU
 * here: no GPU) runs the fine-tuning, and the view shows the run as it shows a local one, with
 * the machine that trained named.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../app/base/paths.ts';
import { showRedis } from '../../app/queue/jobs.ts';
import { SampleStore } from '../../app/services/samples.ts';
import { styledSamples } from '../helpers/hand-style.ts';
import { redisAvailable, startRedis, type RedisServer } from '../helpers/redis.ts';
import { sharedDataForTests } from '../helpers/shared-data.ts';
import { openBrowser, screenshot, serveForUi, type Browser, type Served } from './harness.ts';

const shared = sharedDataForTests();
const available = redisAvailable();
const dir = mkdtempSync(join(tmpdir(), 'hwr-ui-queue-'));
let redis: RedisServer;
let worker: ChildProcess;
let workerLog = '';
let served: Served;
let browser: Browser;

describe.skipIf(!available || !shared)('retraining on the queue from the Samples view', () => {
  beforeAll(async () => {
    redis = await startRedis(mkdtempSync(join(dir, 'redis-')));
    worker = spawn(
      process.execPath,
      [join(projectRoot, 'bin', 'hwr.mjs'), 'worker', '--train-only', '--train-on-cpu', '--redis', redis.url, '--scratch', join(dir, 'scratch')],
      {
        cwd: projectRoot,
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    worker.stderr!.on('data', (chunk: Buffer) => (workerLog += chunk.toString()));
    served = await serveForUi({ env: { HWR_REDIS: redis.url } });
    const store = new SampleStore(join(served.home, 'samples'));
    const { glyphs, labels } = styledSamples(shared!, 'ABCDE01234'.split(''), 3);
    for (let i = 0; i < labels.length; i++) await store.save(labels[i]!, glyphs.subarray(i * 1024, (i + 1) * 1024), { source: 'draw' });
    browser = await openBrowser(served.url);
  });

  afterAll(async () => {
    await browser?.close();
    await served?.stop();
    if (worker && worker.exitCode === null) worker.kill('SIGKILL');
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('offers the queue, and the run there reads like a local one, naming its machine', { timeout: 240_000 }, async () => {
    const { page } = browser;
    await page.keyboard.press('6');
    const onQueue = page.getByTestId('retrain-on-queue');
    await expect.poll(() => onQueue.isVisible(), { timeout: 30_000 }).toBe(true);
    expect(await page.getByText(showRedis(redis.url)).isVisible()).toBe(true);
    await onQueue.check();
    await page.getByLabel('Epochs').fill('1');
    await page.getByTestId('retrain').click();
    await expect.poll(() => page.getByTestId('retrain-state').textContent(), { timeout: 200_000, interval: 500 }).toBe('done');
    await expect.poll(() => page.getByText(/^Epoch 1 of 1 · .* on \S+$/).isVisible()).toBe(true);
    expect(await page.getByRole('table', { name: 'Accuracy before and after' }).isVisible()).toBe(true);
    await screenshot(page, '23-samples-retrained-on-queue');
    expect(workerLog).toMatch(/training job t[a-z0-9]+: done/);
    expect(browser.errors).toEqual([]);
  });
});
