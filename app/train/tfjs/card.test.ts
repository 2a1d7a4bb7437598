import { describe, expect, it } from 'vitest';
import { modelCard, type CardFacts } from '../card.ts';
import { classificationReport } from '../metrics.ts';
import type { TrainOptions } from '../types.ts';
import { modelLines, validationLines, type DecisionFacts } from './card-lines.ts';
import { defaultArchitecture } from './model.ts';

const options: TrainOptions = {
  arch: 'cnn',
  epochs: 2,
  learningRate: 0.001,
  batchSize: 8,
  momentum: 0.9,
  outDir: 'run',
  seed: 1,
  augment: true,
  balance: true,
  patience: 0,
  limit: 0,
};

function facts(decision: DecisionFacts | null): CardFacts {
  const classes = ['I', 'O', '0', '1'];
  const architecture = defaultArchitecture('cnn', [32, 32, 1], 4);
  const calibration = { temperature: 1.5, nllBefore: 0.5, nllAfter: 0.4, eceBefore: 0.05, eceAfter: 0.02 };
  return {
    title: 'CNN — test.onnx',
    model: modelLines(architecture, { parameters: 1000, modelBytes: 4096, classes, emnist: false, calibration, decision }),
    data: ['- IDX dataset `pool`: 100 images, 4 classes.'],
    options,
    split: 'stratified',
    colour: false,
    backend: 'wasm; one thread',
    optimizer: 'Adam',
    schedule: '0.001',
    selection: 'balanced validation accuracy',
    run: { epochsRun: 2, bestEpoch: 2, stoppedEarly: false, cancelled: false, seconds: 5, date: '2026-11-29', command: 'hwr train --arch cnn' },
    validation: validationLines(calibration, decision, classes, true),
    report: classificationReport([0, 1, 2, 3], [0, 1, 2, 3], classes),
    history: [],
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

  it('tells the run: epochs, early stop, resume, command', () => {
    const f = facts(null);
    const card = modelCard({ ...f, options: { ...options, patience: 3 }, run: { ...f.run, epochsRun: 5, stoppedEarly: true, resumedFrom: 2 } });
    expect(card).toMatch(/Epochs: 5 of 2 planned \(early stop: no validation improvement for 3 epochs\); best epoch 2 \(by balanced validation accuracy\)/);
    expect(card).toMatch(/Resumed from the checkpoint after epoch 2/);
    expect(card).toContain('```\nhwr train --arch cnn\n```');
    expect(card).toMatch(/temperature T = 1\.5000/);
  });
});
