/**
 * The one training loop with both backends (the from-scratch engine's mlp, TensorFlow.js's
 * tfmlp): a run cut after k epochs and resumed ends exactly where an uninterrupted run ends
 * (same losses, same weights, same optimiser state), a cancel keeps the last good model, and a
 * resume with other options is refused, naming the option.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dispose } from '../../app/nn/index.ts';
import { importOnnx } from '../../app/onnx/import.ts';
import { readCheckpoint } from '../../app/train/checkpoint.ts';
import { checkpointPath } from '../../app/train/fit.ts';
import { trainTfjs } from '../../app/train/tfjs/train.ts';
import { trainModel } from '../../app/train/train.ts';
import type { TrainHooks, TrainOptions, TrainResult } from '../../app/train/types.ts';
import { writeShapesIdx } from '../helpers/fixtures.ts';

const shapes = writeShapesIdx(600, 7);
const root = mkdtempSync(join(tmpdir(), 'hwr-fit-'));
afterAll(() => {
  dispose();
  rmSync(root, { recursive: true, force: true });
  rmSync(shapes.dir, { recursive: true, force: true });
});

type Train = (o: TrainOptions, hooks?: TrainHooks) => Promise<TrainResult>;
/** `train` for the exact-resume test; `quick` for the rest (no replica threads to start). */
const BACKENDS: Array<{ arch: 'mlp' | 'tfmlp'; train: Train; quick: Train; learningRate: number }> = [
  { arch: 'mlp', train: trainModel, quick: trainModel, learningRate: 0.1 },
  // Two replicas: their gradients are summed in a fixed order, so threads do not change the sums.
  {
    arch: 'tfmlp',
    train: (o, hooks) => trainTfjs(o, hooks, { replicas: 2, backend: 'wasm' }),
    quick: (o, hooks) => trainTfjs(o, hooks, { replicas: 0, backend: 'wasm' }),
    learningRate: 0.1,
  },
];

const EPOCHS = 4;

function options(arch: 'mlp' | 'tfmlp', outDir: string, over: Partial<TrainOptions> = {}): TrainOptions {
  return {
    arch,
    data: shapes.images,
    labels: shapes.labels,
    epochs: EPOCHS,
    learningRate: 0.1,
    batchSize: 16,
    momentum: 0.9,
    outDir,
    seed: 11,
    augment: true,
    balance: true,
    patience: 0,
    limit: 200,
    ...over,
  };
}

/** Aborts when epoch `k` has ended (its checkpoint is on disk). */
function cancelAfter(k: number): TrainHooks {
  const controller = new AbortController();
  return { signal: controller.signal, onEvent: (e) => e.type === 'epoch' && e.record.epoch === k && controller.abort() };
}

const losses = (r: TrainResult) => r.history.map((h) => [h.trainLoss, h.validationLoss]);

describe.each(BACKENDS)('fit with the $arch backend', ({ arch, train, quick, learningRate }) => {
  const dir = join(root, arch);

  it('resumes exactly: k epochs + resume to N equal N epochs (losses, weights, optimiser state)', async () => {
    const whole = await train(options(arch, join(dir, 'whole'), { learningRate }));
    const first = await train(options(arch, join(dir, 'parts'), { learningRate }), cancelAfter(2));
    expect(first.cancelled).toBe(true);
    expect(first.history.map((h) => h.epoch)).toEqual([1, 2]);
    const logs: string[] = [];
    const rest = await train(options(arch, join(dir, 'parts'), { learningRate, resume: true }), { onEvent: (e) => e.type === 'log' && logs.push(e.message) });
    expect(logs.some((m) => /resuming after epoch 2/.test(m))).toBe(true);
    expect(rest.history.map((h) => h.epoch)).toEqual([1, 2, 3, 4]);
    expect(losses(rest)).toEqual(losses(whole));
    expect(rest.bestEpoch).toBe(whole.bestEpoch);

    const a = readCheckpoint(checkpointPath(whole.outDir)).arrays;
    const b = readCheckpoint(checkpointPath(rest.outDir)).arrays;
    expect(Object.keys(b).sort()).toEqual(Object.keys(a).sort());
    for (const name of Object.keys(a)) expect(b[name], name).toEqual(a[name]);
    const layers = (path: string) => importOnnx(readFileSync(path)).layers.flatMap((l) => (l.kind === 'dense' ? [l.weights, l.bias] : []));
    expect(layers(rest.modelPath)).toEqual(layers(whole.modelPath));
  });

  it('keeps the last good model when cancelled mid-epoch, and installs nothing', async () => {
    const outDir = join(dir, 'cancel');
    const save = join(dir, 'installed.onnx');
    writeFileSync(save, 'previous model');
    const controller = new AbortController();
    const result = await quick(options(arch, outDir, { learningRate, save }), {
      signal: controller.signal,
      onEvent: (e) => e.type === 'batch' && e.epoch === 3 && controller.abort(),
    });
    expect(result).toMatchObject({ cancelled: true });
    expect(result.history.map((h) => h.epoch)).toEqual([1, 2]);
    expect(result.bestEpoch).toBeGreaterThan(0);
    expect(readCheckpoint(checkpointPath(outDir)).header.epoch).toBe(2);
    const model = importOnnx(readFileSync(result.modelPath));
    expect(model.classes).toEqual(shapes.classes);
    expect(readFileSync(save, 'utf8')).toBe('previous model');
    expect(existsSync(join(outDir, arch === 'mlp' ? 'card.md' : 'model.md'))).toBe(true);
  });

  it('refuses to resume with options that change the run, naming the option', async () => {
    const outDir = join(dir, 'parts');
    await expect(quick(options(arch, outDir, { learningRate: learningRate / 2, resume: true }))).rejects.toThrow(
      /cannot resume from .*last\.ckpt: the learningRate differs \(0\.1 then, 0\.05 now\); start a new run/,
    );
    await expect(quick(options(arch, outDir, { learningRate, seed: 12, resume: true }))).rejects.toThrow(/the seed differs \(11 then, 12 now\)/);
  });
});
