import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { dispose } from '../../app/nn/index.ts';
import { trainModel } from '../../app/train/train.ts';
import type { EpochRecord, TrainOptions } from '../../app/train/types.ts';
import { runHwr, writeShapesIdx } from '../helpers/fixtures.ts';

const shapes = writeShapesIdx(800);
const tmp = () => mkdtempSync(join(tmpdir(), 'hwr-train-'));
const options = (over: Partial<TrainOptions>): TrainOptions => ({
  arch: 'mlp',
  data: shapes.images,
  labels: shapes.labels,
  epochs: 3,
  learningRate: 0.1,
  batchSize: 16,
  momentum: 0.9,
  outDir: tmp(),
  seed: 3,
  augment: false,
  balance: true,
  patience: 0,
  limit: 0,
  ...over,
});

afterAll(() => dispose());

describe('hwr train --arch mlp', () => {
  it('trains, writes the model, curves, weight tiles, confusion matrix and card, and hwr eval reads the model back', async () => {
    const out = tmp();
    const save = join(out, 'shipped', 'mlp.onnx');
    const r = await runHwr([
      'train',
      '--arch',
      'mlp',
      '--data',
      shapes.images,
      '--labels',
      shapes.labels,
      '--epochs',
      '4',
      '--batch',
      '16',
      '--no-augment',
      '--out',
      out,
      '--save',
      save,
      '--quiet',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const history = JSON.parse(readFileSync(join(out, 'curves.json'), 'utf8')) as EpochRecord[];
    expect(history).toHaveLength(4);
    expect(history[3]!.trainLoss).toBeLessThan(history[0]!.trainLoss);
    expect(history.at(-1)!.validationAccuracy).toBeGreaterThan(0.9);
    for (const png of ['curves-loss.png', 'curves-accuracy.png', 'weights-before.png', 'weights-after.png', 'confusion.png']) {
      const meta = await sharp(join(out, png)).metadata();
      expect(meta.format, png).toBe('png');
      expect(meta.width!, png).toBeGreaterThan(100);
    }
    const confusion = JSON.parse(readFileSync(join(out, 'confusion.json'), 'utf8'));
    expect(confusion.matrix).toHaveLength(4);
    expect(readFileSync(join(out, 'card.md'), 'utf8')).toMatch(/hwr train --arch mlp/);
    expect(existsSync(save) && existsSync(join(out, 'shipped', 'mlp.md'))).toBe(true);

    const ev = await runHwr(['eval', '--model', save, '--images', shapes.images, '--labels', shapes.labels]);
    expect(ev.code, ev.stderr).toBe(0);
    const last = ev.stdout.trim().split('\n').at(-1)!;
    expect(last).toMatch(/^accuracy [01]\.\d{4}$/);
    expect(Number(last.split(' ')[1])).toBeGreaterThan(0.9);
    expect(ev.stdout).toMatch(/most confused/);
  });

  it('runs a learning-rate sweep and keeps one folder and curve per rate', async () => {
    const out = tmp();
    const r = await runHwr([
      'train',
      '--arch',
      'mlp',
      '--data',
      shapes.images,
      '--labels',
      shapes.labels,
      '--epochs',
      '1',
      '--lr',
      '0.3,0.003',
      '--no-augment',
      '--out',
      out,
      '--quiet',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const sweep = JSON.parse(readFileSync(join(out, 'sweep.json'), 'utf8')) as { lr: number; validationAccuracy: number }[];
    expect(sweep.map((s) => s.lr)).toEqual([0.3, 0.003]);
    expect(sweep[0]!.validationAccuracy).toBeGreaterThan(sweep[1]!.validationAccuracy);
    expect(existsSync(join(out, 'sweep.png'))).toBe(true);
    expect(r.stdout).toMatch(/best learning rate 0.3/);
  });

  it('rejects bad parameters with a message naming them', async () => {
    const r = await runHwr(['train', '--arch', 'mlp', '--lr=-1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--lr must be a number/);
    await expect(trainModel(options({ momentum: 1.5 }))).rejects.toThrow(/momentum \(--momentum\) must be a number within 0\.\.0\.999, got 1\.5/);
    await expect(trainModel(options({ data: join(tmp(), 'missing.idx') }))).rejects.toThrow(/missing\.idx/);
  });
});

describe('cancel and resume', () => {
  it('cancelled mid-run keeps the best finished epoch on disk and leaves an installed model alone', async () => {
    const o = options({ epochs: 5 });
    const installed = join(o.outDir, 'installed.onnx');
    writeFileSync(installed, 'previous model');
    const controller = new AbortController();
    const result = await trainModel(
      { ...o, save: installed },
      {
        signal: controller.signal,
        onEvent: (e) => {
          if (e.type === 'epoch' && e.record.epoch === 2) controller.abort();
        },
      },
    );
    expect(result.cancelled).toBe(true);
    expect(result.history).toHaveLength(2);
    expect(existsSync(result.modelPath)).toBe(true);
    expect(readFileSync(installed, 'utf8')).toBe('previous model');
  });

  it('resumes from the checkpoint and continues the epoch count', async () => {
    const o = options({ epochs: 2 });
    await trainModel(o);
    const resumed = await trainModel({ ...o, epochs: 4, resume: true });
    expect(resumed.history.map((h) => h.epoch)).toEqual([1, 2, 3, 4]);
  });
});

describe('hwr train --arch ae', () => {
  it('trains the autoencoder: PSNR rises, reconstructions are drawn, hwr eval-ae ends with psnr', async () => {
    const out = tmp();
    const r = await runHwr([
      'train',
      '--arch',
      'ae',
      '--data',
      shapes.images,
      '--labels',
      shapes.labels,
      '--epochs',
      '4',
      '--lr',
      '0.05',
      '--out',
      out,
      '--quiet',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const history = JSON.parse(readFileSync(join(out, 'curves.json'), 'utf8')) as EpochRecord[];
    expect(history.at(-1)!.validationPsnr!).toBeGreaterThan(history[0]!.validationPsnr! - 1e-9);
    expect(history.at(-1)!.validationLoss).toBeLessThan(history[0]!.trainLoss);
    expect((await sharp(join(out, 'reconstructions.png')).metadata()).format).toBe('png');
    // Sampled and chosen class-balanced, as a test set with as many of each class judges it; the card says so.
    const card = readFileSync(join(out, 'card.md'), 'utf8');
    expect(card).toMatch(/^- Class-balanced PSNR .* \d+\.\d\d dB$/m);
    expect(card).toContain('(by class-balanced validation PSNR)');
    expect(card).toContain('Class balance: balanced sampling');
    const ev = await runHwr(['eval-ae', '--model', join(out, 'model.onnx'), '--images', shapes.images]);
    expect(ev.code, ev.stderr).toBe(0);
    const last = ev.stdout.trim().split('\n').at(-1)!;
    expect(last).toMatch(/^psnr \d+\.\d{2}$/);
    expect(Number(last.split(' ')[1])).toBeCloseTo(history.find((h) => h.epoch === Math.max(...history.map((x) => x.epoch)))!.validationPsnr!, -1);
  });
});
