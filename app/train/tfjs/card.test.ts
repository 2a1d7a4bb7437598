import { describe, expect, it } from 'vitest';
import { classificationReport } from '../metrics.ts';
import { modelCard, type CardFacts } from './card.ts';
import { defaultArchitecture } from './model.ts';

function facts(decision: CardFacts['decision']): CardFacts {
  const classes = ['I', 'O', '0', '1'];
  return {
    title: 'CNN — test.onnx',
    architecture: defaultArchitecture('cnn', [32, 32, 1], 4),
    parameters: 1000,
    modelBytes: 4096,
    dataset: { source: 'pool', kind: 'IDX', classes, total: 100, train: 90, validation: 10, limit: 0, emnist: false },
    split: 'stratified',
    training: { epochsPlanned: 2, epochsRun: 2, bestEpoch: 2, batchSize: 8, optimizer: 'Adam', learningRate: '0.001', balance: true, augment: true, patience: 0, stoppedEarly: false, cancelled: false, seed: 1 },
    backend: 'wasm',
    threads: 1,
    wallSeconds: 5,
    command: 'hwr train --arch cnn',
    calibration: { temperature: 1.5, nllBefore: 0.5, nllAfter: 0.4, eceBefore: 0.05, eceAfter: 0.02 },
    decision,
    report: classificationReport([0, 1, 2, 3], [0, 1, 2, 3], classes),
    history: [],
    date: '2026-11-29',
  };
}

describe('the TensorFlow.js model card', () => {
  it('lists decision offsets and what they do to each moved class, cross-fitted too', () => {
    const card = modelCard(
      facts({ list: 'I +0.30, O +0.15', floor: 0.7, before: [0.56, 0.56, 0.77, 0.9], after: [0.75, 0.64, 0.66, 0.75], crossFitted: [0.73, 0.64, 0.66, 0.77] }),
    );
    expect(card).toMatch(/Decision offsets \(added to the last layer's bias after ÷ T\): I \+0\.30, O \+0\.15/);
    expect(card).toMatch(/classes below 70% are moved/);
    expect(card).toContain('| I | 56.00% | 75.00% | 73.00% |');
    expect(card).toContain('| 1 | 90.00% | 75.00% | 77.00% |');
    expect(card).toContain('| balanced accuracy | 69.75% | 70.00% | 70.00% |');
  });

  it('says nothing of offsets when none were needed', () => {
    expect(modelCard(facts(null))).not.toMatch(/[Dd]ecision offsets/);
  });
});
