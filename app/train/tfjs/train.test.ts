import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeCifarBatch } from '../../data/cifar.ts';
import { createRng } from '../../base/random.ts';
import { OnnxModel } from '../../onnx/runtime.ts';
import { importOnnx } from '../../onnx/import.ts';
import type { TrainEvent, TrainOptions } from '../types.ts';
import { readCheckpoint } from '../checkpoint.ts';
import { trainTfjs } from './train.ts';

/**
 * trainTfjs end to end on tiny CIFAR-format fixtures written here (32×32×3, three shape
 * classes with their own names): the loss falls, the outputs exist and say what they are,
 * a resumed run ends where an uninterrupted one does, fine-tuning swaps the output layer and
 * can freeze the rest, cancelling keeps the last good model, early stopping stops.
 */

let dir: string;
const SHAPES = ['bar', 'column', 'frame'];

/** Coloured bars, columns and frames at random places on a noisy background. */
function writeShapes(folder: string, count: number, names: readonly string[], seed: number): void {
  const rng = createRng(seed);
  const pixels = new Uint8Array(count * 32 * 32 * 3);
  const labels = new Int32Array(count);
  for (let n = 0; n < count; n++) {
    const label = n % names.length;
    labels[n] = label;
    const colour = [rng.int(156) + 100, rng.int(156) + 100, rng.int(156) + 100];
    const x0 = 4 + rng.int(12);
    const y0 = 4 + rng.int(12);
    for (let y = 0; y < 32; y++) {
      for (let x = 0; x < 32; x++) {
        const inBox = x >= x0 && x < x0 + 12 && y >= y0 && y < y0 + 12;
        const on =
          inBox &&
          ((label % 3 === 0 && y - y0 >= 4 && y - y0 < 8) ||
            (label % 3 === 1 && x - x0 >= 4 && x - x0 < 8) ||
            (label % 3 === 2 && (x - x0 < 2 || x - x0 >= 10 || y - y0 < 2 || y - y0 >= 10)));
        for (let c = 0; c < 3; c++) pixels[((n * 32 + y) * 32 + x) * 3 + c] = on ? colour[c]! : rng.int(60);
      }
    }
  }
  writeCifarBatch(join(folder, 'data_batch_1.bin'), pixels, labels);
  writeFileSync(join(folder, 'batches.meta.txt'), names.join('\n') + '\n');
}

function options(over: Partial<TrainOptions>): TrainOptions {
  return {
    arch: 'cnn',
    data: join(dir, 'shapes'),
    epochs: 3,
    learningRate: 3e-3,
    batchSize: 32,
    momentum: 0.9,
    outDir: join(dir, 'run'),
    seed: 5,
    augment: true,
    balance: true,
    patience: 0,
    limit: 0,
    ...over,
  };
}

function layerWeights(path: string): Float32Array[] {
  return importOnnx(readFileSync(path)).layers.flatMap((l) => (l.kind === 'dense' || l.kind === 'conv2d' ? [l.weights, l.bias] : []));
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'hwr-tfjs-train-'));
  writeShapes(join(dir, 'shapes'), 240, SHAPES, 1);
  writeShapes(join(dir, 'two'), 120, ['left', 'right'], 2);
});

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await tf.setBackend('cpu');
});

describe('trainTfjs', () => {
  it('trains a CNN on a CIFAR-format dataset with its own classes and size: the loss falls', async () => {
    const events: TrainEvent[] = [];
    const outDir = join(dir, 'cifar');
    const save = join(dir, 'installed', 'shapes.onnx');
    const result = await trainTfjs(options({ outDir, save }), { onEvent: (e) => events.push(e) }, { replicas: 0, backend: 'wasm' });

    const start = events.find((e) => e.type === 'start')!;
    expect(start).toMatchObject({ type: 'start', arch: 'cnn', epochs: 3, trainCount: 216, validationCount: 24 });
    const losses = events.flatMap((e) => (e.type === 'batch' ? [e.loss] : []));
    expect(losses).toHaveLength(3 * 7);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(losses.slice(-4))).toBeLessThan(mean(losses.slice(0, 4)) * 0.8);
    expect(result.history[2]!.trainLoss).toBeLessThan(result.history[0]!.trainLoss);
    expect(events.filter((e) => e.type === 'epoch')).toHaveLength(3);
    expect(events.at(-1)).toEqual({ type: 'done', result });

    expect(result.cancelled).toBe(false);
    expect(result.backend).toMatch(/tfjs-backend-wasm/);
    const model = await OnnxModel.load(result.modelPath);
    expect(model.classes).toEqual(SHAPES);
    expect(model.inputShape).toEqual([32, 32, 3]);
    expect(Number(model.metadata.temperature)).toBeGreaterThan(0);
    await model.close();
    expect(readCheckpoint(join(outDir, 'checkpoint', 'last.ckpt')).header.epoch).toBe(3);
    const curves = JSON.parse(readFileSync(join(outDir, 'curves.json'), 'utf8'));
    expect(curves.history).toHaveLength(3);
    const card = readFileSync(save.replace(/\.onnx$/, '.md'), 'utf8');
    expect(card).toMatch(/temperature T = \d/);
    expect(card).toMatch(/tfjs-backend-wasm/);
    expect(card).toMatch(/\| bar \| \d+ \|/);
    expect(readFileSync(save)).toEqual(readFileSync(result.modelPath));
  });

  it('trains the course MLP on the same data with data-parallel replicas', async () => {
    const result = await trainTfjs(options({ arch: 'tfmlp', learningRate: 0.05, epochs: 3, outDir: join(dir, 'mlp') }), {}, { replicas: 2, backend: 'wasm' });
    expect(result.history[2]!.trainLoss).toBeLessThan(result.history[0]!.trainLoss);
    const model = await OnnxModel.load(result.modelPath);
    expect(model.inputShape).toEqual([3072]);
    await model.close();
  });

  it('resumes an interrupted run and ends exactly where an uninterrupted one ends', async () => {
    const whole = await trainTfjs(options({ outDir: join(dir, 'whole'), limit: 96 }), {}, { replicas: 0, backend: 'wasm' });
    const controller = new AbortController();
    const first = await trainTfjs(
      options({ outDir: join(dir, 'parts'), limit: 96 }),
      { signal: controller.signal, onEvent: (e) => e.type === 'epoch' && e.record.epoch === 2 && controller.abort() },
      { replicas: 0, backend: 'wasm' },
    );
    expect(first.cancelled).toBe(true);
    expect(first.history).toHaveLength(2);
    const events: string[] = [];
    const rest = await trainTfjs(
      options({ outDir: join(dir, 'parts'), limit: 96, resume: true }),
      { onEvent: (e) => e.type === 'log' && events.push(e.message) },
      { replicas: 0, backend: 'wasm' },
    );
    expect(events.some((m) => /resuming after epoch 2/.test(m))).toBe(true);
    expect(rest.history.map((h) => h.epoch)).toEqual([1, 2, 3]);
    expect(rest.history[2]!.trainLoss).toBe(whole.history[2]!.trainLoss);
    const a = layerWeights(whole.modelPath);
    const b = layerWeights(rest.modelPath);
    a.forEach((w, i) => expect(b[i]).toEqual(w));
  });

  it('refuses to resume a checkpoint of a different run', async () => {
    await expect(
      trainTfjs(options({ outDir: join(dir, 'parts'), limit: 96, resume: true, batchSize: 16 }), {}, { replicas: 0, backend: 'wasm' }),
    ).rejects.toThrow(/cannot resume .*the batchSize differs \(32 then, 16 now\)/);
  });

  it('fine-tunes an exported model on new classes: new output layer, features frozen', async () => {
    const base = join(dir, 'cifar', 'model.onnx');
    const logs: string[] = [];
    const result = await trainTfjs(
      options({ data: join(dir, 'two'), initFrom: base, freezeFeatures: true, epochs: 2, outDir: join(dir, 'tuned') }),
      { onEvent: (e) => e.type === 'log' && logs.push(e.message) },
      { replicas: 0, backend: 'wasm' },
    );
    expect(logs.some((m) => /3 → 2 classes, new output layer/.test(m))).toBe(true);
    const before = layerWeights(base);
    const after = layerWeights(result.modelPath);
    // Everything but the output layer (its weights and bias) is unchanged.
    for (let i = 0; i < before.length - 2; i++) expect(after[i]).toEqual(before[i]);
    expect(after.at(-1)).toHaveLength(2);
    const model = await OnnxModel.load(result.modelPath);
    expect(model.classes).toEqual(['left', 'right']);
    await model.close();
  });

  it('refuses to fine-tune a network of another architecture', async () => {
    await expect(
      trainTfjs(options({ arch: 'tfmlp', initFrom: join(dir, 'cifar', 'model.onnx'), outDir: join(dir, 'bad') }), {}, { replicas: 0, backend: 'wasm' }),
    ).rejects.toThrow(/is a cnn network, but --arch is tfmlp/);
  });

  it('cancelling keeps the last good model and installs nothing', async () => {
    const controller = new AbortController();
    const save = join(dir, 'cancel-installed.onnx');
    const result = await trainTfjs(
      options({ outDir: join(dir, 'cancel'), save, epochs: 5 }),
      { signal: controller.signal, onEvent: (e) => e.type === 'batch' && e.epoch === 2 && e.batch === 1 && controller.abort() },
      { replicas: 0, backend: 'wasm' },
    );
    expect(result).toMatchObject({ cancelled: true, bestEpoch: 1 });
    expect(result.history).toHaveLength(1);
    expect(existsSync(result.modelPath)).toBe(true);
    expect(existsSync(save)).toBe(false);
  });

  it('stops early when validation stops improving', async () => {
    const result = await trainTfjs(
      options({ outDir: join(dir, 'patience'), learningRate: 1e-6, epochs: 6, patience: 2 }),
      {},
      { replicas: 0, backend: 'wasm' },
    );
    expect(result.history).toHaveLength(3);
    expect(result.bestEpoch).toBe(1);
    expect(readFileSync(join(dir, 'patience', 'model.md'), 'utf8')).toMatch(/early stop: no validation improvement for 2 epochs/);
  });
});
