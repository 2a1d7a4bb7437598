import { describe, expect, it } from 'vitest';
import { writeShapesIdx } from '../helpers/fixtures.ts';
import { loadTrainingData } from '../../app/train/data.ts';

describe('the training data of a run (both trainers)', () => {
  const shapes = writeShapesIdx(400);
  const load = (arch: 'mlp' | 'cnn' | 'ae', limit: number, seed = 1) => loadTrainingData({ arch, data: shapes.images, labels: shapes.labels, limit, seed });

  it('holds out the same 10% of every class for validation, whatever the trainer or --limit', async () => {
    const full = await load('mlp', 0);
    expect(full.validation.length).toBe(40);
    for (const run of [await load('cnn', 0), await load('mlp', 60), await load('cnn', 60, 7)])
      expect(Array.from(run.validation)).toEqual(Array.from(full.validation));
    const overlap = new Set(full.validation);
    expect(Array.from(full.train).some((i) => overlap.has(i))).toBe(false);
    expect(full.train.length + full.validation.length).toBe(400);
  });

  it('--limit keeps a stratified share of training: every class, in its proportion, chosen by the seed', async () => {
    const a = await load('cnn', 60);
    expect(a.train.length).toBe(60);
    const perClass = [0, 0, 0, 0];
    for (const i of a.train) perClass[a.set.labels[i]!]!++;
    expect(perClass).toEqual([15, 15, 15, 15]);
    const b = await load('cnn', 60, 2);
    expect(Array.from(b.train)).not.toEqual(Array.from(a.train));
    expect(Array.from(a.train)).toEqual(Array.from(a.train).sort((x, y) => x - y));
  });

  it('gives the autoencoder 32×32 glyphs and the classifiers the images as stored', async () => {
    expect((await load('ae', 0)).set.height).toBe(32);
    expect((await load('cnn', 0)).set.height).toBe(28);
  });
});
