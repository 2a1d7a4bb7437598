/**
 * Training killed mid-epoch with SIGKILL — the training process alone, or the whole app with it —
 * leaves the last good model active and the sample store intact, and the next start offers to
 * resume the run, which then finishes from its checkpoint.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeWire, encodeWire, GLYPH_VALUES, type RequestName, type RequestOf, type ResponseOf, type TrainRequest } from '../../app/contract.ts';
import { createServices } from '../../app/services/services.ts';
import { processAlive } from '../../app/services/home.ts';
import { launchNodeWorker } from '../../app/services/node-worker.ts';
import type { LaunchWorker, WorkerProcess } from '../../app/services/worker-protocol.ts';
import { importOnnx } from '../../app/onnx/import.ts';
import { writeOnnx } from '../../app/onnx/export.ts';
import { mlpSpec } from '../onnx/specs.ts';
import { writeShapesIdx } from '../helpers/fixtures.ts';
import { spawnServe } from '../helpers/serve.ts';

const root = mkdtempSync(join(tmpdir(), 'hwr-killed-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const modelsDir = join(root, 'models');
writeOnnx(join(modelsDir, 'mlp.onnx'), mlpSpec());
// An epoch of these takes about 0.2 s; ten of them leave time to be killed in the middle of one.
mkdirSync(join(root, 'shapes'));
const shapes = writeShapesIdx(24_000, 3, join(root, 'shapes'));
const dataset = join(root, 'shapes-data');
mkdirSync(dataset);
copyFileSync(shapes.images, join(dataset, 'emnist36-pool-part0-images-idx3-ubyte.gz'));
copyFileSync(shapes.labels, join(dataset, 'emnist36-pool-part0-labels-idx1-ubyte.gz'));

const EPOCHS = 10;
const request: TrainRequest = {
  arch: 'mlp',
  dataset,
  epochs: EPOCHS,
  learningRate: 0.1,
  batchSize: 32,
  momentum: 0.9,
  limit: 0,
  augment: false,
  balance: false,
  patience: 0,
  seed: 1,
};

function glyph(column: number): Float32Array {
  const g = new Float32Array(GLYPH_VALUES);
  for (let y = 4; y < 28; y++) g[y * 32 + column] = 1;
  return g;
}

/** What must survive: the samples (files and all) and the active model. */
function snapshot(home: string) {
  const samples = join(home, 'samples');
  const files = existsSync(samples) ? readdirSync(samples, { recursive: true }).map(String).sort() : [];
  return { files, settings: existsSync(join(home, 'settings.json')) ? readFileSync(join(home, 'settings.json'), 'utf8') : null };
}

describe('training killed mid-epoch', () => {
  it('SIGKILL of the training process: the run fails resumable, the model and samples stay, resume finishes it', async () => {
    const home = join(root, 'home-child');
    const trainers: WorkerProcess<unknown, unknown>[] = [];
    const launchWorker = ((kind) => {
      const w = launchNodeWorker(kind);
      if (kind === 'train') trainers.push(w as WorkerProcess<unknown, unknown>);
      return w;
    }) as LaunchWorker;
    const services = createServices({ transport: 'http', home, modelsDir, sharedData: null, datasetRoots: [root], launchWorker });
    try {
      for (const c of [8, 12, 16]) await services.saveSample({ label: '1', glyph: glyph(c), source: 'draw' });
      await services.activateModel({ id: 'shipped:mlp' });
      const before = snapshot(home);

      const { runId } = await services.startTraining(request);
      await expect
        .poll(
          async () => {
            const s = await services.trainingStatus({});
            return s.history.length >= 1 && s.batch > 0 && s.state === 'running';
          },
          { timeout: 60_000, interval: 20 },
        )
        .toBe(true);
      process.kill(trainers[0]!.pid!, 'SIGKILL');
      await expect.poll(async () => (await services.trainingStatus({})).state, { timeout: 10_000 }).toBe('failed');

      const status = await services.trainingStatus({});
      expect(status.error?.message).toMatch(/ended unexpectedly/);
      expect(status.resumable).toBe(true);
      expect((await services.listModels({})).active.classifier).toBe('shipped:mlp');
      expect(snapshot(home)).toEqual(before);
      // The run's best model so far is whole.
      expect(importOnnx(readFileSync(join(home, 'runs', runId!, 'model.onnx'))).layers.length).toBeGreaterThan(0);

      await services.resumeTraining({ runId: runId! });
      await expect.poll(async () => (await services.trainingStatus({})).state, { timeout: 60_000, interval: 50 }).toBe('done');
      expect((await services.trainingStatus({})).history.map((h) => h.epoch)).toEqual(allEpochs);
      expect((await services.listModels({})).active.classifier).toBe('shipped:mlp');
    } finally {
      await services.close();
    }
  });

  it('SIGKILL of the whole app (hwr serve and its worker): the next start offers to resume, and resuming finishes the run', async () => {
    const home = join(root, 'home-app');
    const ui = join(root, 'ui');
    mkdirSync(ui, { recursive: true });
    writeFileSync(join(ui, 'index.html'), '<!doctype html><title>ui</title>');
    const serve = await startServe(home, ui);
    let runId: string;
    let before: ReturnType<typeof snapshot>;
    try {
      for (const c of [8, 12]) await serve.call('saveSample', { label: '7', glyph: glyph(c), source: 'draw' });
      await serve.call('activateModel', { id: 'shipped:mlp' });
      before = snapshot(home);
      runId = (await serve.call('startTraining', request)).runId!;
      await expect
        .poll(
          async () => {
            const s = await serve.call('trainingStatus', {});
            return s.history.length >= 1 && s.batch > 0 && s.state === 'running';
          },
          { timeout: 60_000, interval: 20 },
        )
        .toBe(true);
    } finally {
      serve.kill();
    }
    await serve.exited;
    // The worker notices its parent is gone and stops: wait until it has.
    await expect.poll(() => serve.workers().some(processAlive), { timeout: 20_000, interval: 50 }).toBe(false);

    const services = createServices({ transport: 'http', home, modelsDir, sharedData: null, datasetRoots: [root], launchWorker: launchNodeWorker });
    try {
      const status = await services.trainingStatus({});
      expect(status).toMatchObject({ state: 'failed', runId, resumable: true });
      expect(status.history.length).toBeGreaterThanOrEqual(1);
      expect(status.error?.message).toContain(`interrupted: the app stopped during epoch ${status.history.length + 1} of ${EPOCHS}`);
      expect((await services.listModels({})).active.classifier).toBe('shipped:mlp');
      expect(snapshot(home)).toEqual(before);

      await services.resumeTraining({ runId });
      await expect.poll(async () => (await services.trainingStatus({})).state, { timeout: 60_000, interval: 50 }).toBe('done');
      expect((await services.trainingStatus({})).history.map((h) => h.epoch)).toEqual(allEpochs);
    } finally {
      await services.close();
    }
  });
});

const allEpochs = Array.from({ length: EPOCHS }, (_, i) => i + 1);

/** The processes whose parent is `pid` (Linux: from /proc). */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(join('/proc', entry, 'stat'), 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) out.push(Number(entry));
    } catch {
      // the process ended meanwhile
    }
  }
  return out;
}

/** `hwr serve` in its own process, and a typed client for its API. */
async function startServe(home: string, ui: string) {
  const served = await spawnServe(['--home', home, '--models', modelsDir, '--ui', ui], { HWR_DATA: join(root, 'no-shared-data'), HWR_DATASETS: root }, 60_000);
  const child = served.child;
  const url = new URL(served.url);
  const exited = new Promise<void>((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', () => resolve())));
  const token = url.hash.replace('#token=', '');
  let workers: number[] = [];
  return {
    exited,
    kill: () => {
      // Its worker processes, recorded first: they outlive a SIGKILL of their parent for a moment.
      workers = childrenOf(child.pid!);
      child.kill('SIGKILL');
    },
    workers: () => workers,
    async call<K extends RequestName>(name: K, body: RequestOf<K>): Promise<ResponseOf<K>> {
      const res = await fetch(new URL(`/api/${name}`, url), {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-hwr-token': token },
        body: encodeWire(body),
      });
      const outcome = decodeWire(await res.text()) as { ok: boolean; value: ResponseOf<K>; error?: { message: string } };
      if (!outcome.ok) throw new Error(outcome.error?.message);
      return outcome.value;
    },
  };
}
