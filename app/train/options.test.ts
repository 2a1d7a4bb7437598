import { describe, expect, it } from 'vitest';
import { archDefaults, TRAIN_OPTIONS } from '../contract.ts';
import { ARCH_DEFAULTS } from './archs.ts';
import { checkTrainOptions } from './options.ts';
import type { TrainOptions } from './types.ts';

const ok: TrainOptions = { arch: 'mlp', ...ARCH_DEFAULTS.mlp, outDir: 'run', seed: 1, limit: 0 };

describe('checkTrainOptions', () => {
  it('accepts every architecture with its own defaults', () => {
    for (const arch of TRAIN_OPTIONS.arch.values) expect(() => checkTrainOptions({ ...ok, arch, ...ARCH_DEFAULTS[arch] })).not.toThrow();
  });

  it('refuses a value outside the table, naming the option, its flag and the range', () => {
    expect(() => checkTrainOptions({ ...ok, epochs: 1001 })).toThrow(new RangeError('epochs (--epochs) must be an integer within 1..1000, got 1001'));
    expect(() => checkTrainOptions({ ...ok, batchSize: 2.5 })).toThrow(/batchSize \(--batch\) must be an integer within 1\.\.4096, got 2\.5/);
    expect(() => checkTrainOptions({ ...ok, momentum: 1 })).toThrow(/momentum \(--momentum\) must be a number within 0\.\.0\.999, got 1/);
    expect(() => checkTrainOptions({ ...ok, learningRate: NaN })).toThrow(/learningRate \(--lr\) must be a number within 0\.000001\.\.10, got NaN/);
  });

  it('refuses an option the architecture has no use for', () => {
    expect(() => checkTrainOptions({ ...ok, width: 2 })).toThrow(/width \(--width\) applies to arch cnn or crnn, not mlp/);
    expect(() => checkTrainOptions({ ...ok, arch: 'cnn', depth: 4 })).toThrow(/depth \(--depth\) applies to arch crnn, not cnn/);
    expect(() => checkTrainOptions({ ...ok, arch: 'cnn', width: 2, floor: 0.5 })).not.toThrow();
    expect(() => checkTrainOptions({ ...ok, arch: 'ae', floor: 0.5 })).toThrow(/floor \(--floor\) applies to arch cnn or tfmlp, not ae/);
    expect(() => checkTrainOptions({ ...ok, freezeFeatures: true })).toThrow(/needs initFrom/);
    expect(() => checkTrainOptions({ ...ok, arch: 'rnn' as never })).toThrow(/arch must be one of mlp, ae, cnn, tfmlp, crnn, got 'rnn'/);
  });

  it('ARCH_DEFAULTS is the table read per architecture', () => {
    expect(ARCH_DEFAULTS.cnn).toEqual({ epochs: 30, learningRate: 0.001, batchSize: 64, momentum: 0.9, augment: true, balance: true, patience: 6 });
    expect(ARCH_DEFAULTS.ae).toEqual(archDefaults('ae'));
  });
});
