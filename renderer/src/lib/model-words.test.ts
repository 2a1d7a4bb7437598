import { describe, expect, it } from 'vitest';
import type { ModelInfo } from '../../../app/contract.ts';
import { backendWords, comparedWithActive, figures } from './model-words.ts';

const ALNUM36 = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'];
const model = (id: string, over: Partial<ModelInfo>): ModelInfo => ({
  id,
  name: id,
  kind: 'classifier',
  origin: 'shipped',
  path: `/models/${id}.onnx`,
  sizeBytes: 1000,
  modified: '2026-11-29T04:31:29.055Z',
  figures: {},
  active: false,
  classes: ALNUM36,
  ...over,
});

describe('models in words', () => {
  it('gives accuracy as a percentage and the training date as a date, not metadata keys', () => {
    const cnn = model('cnn', {
      figures: { accuracy: 0.9128, balancedAccuracy: 0.9432, trained: '2026-11-29T04:31:29.055Z', backend: '@tensorflow/tfjs-backend-wasm 4.22.0 (SIMD)' },
    });
    const shown = figures(cnn);
    expect(shown.find((f) => f.label === 'Validation accuracy')?.value).toBe('91.3%');
    expect(shown.find((f) => f.label === 'Balanced accuracy')?.value).toBe('94.3%');
    const trained = shown.find((f) => f.label === 'Trained')!.value;
    expect(trained).not.toMatch(/T\d\d:|Z$/);
    expect(trained).toMatch(/2026/);
    expect(shown.find((f) => f.label === 'Trained with')).toEqual({
      label: 'Trained with',
      value: 'TensorFlow.js in WebAssembly',
      title: '@tensorflow/tfjs-backend-wasm 4.22.0 (SIMD)',
    });
    expect(shown.map((f) => f.label).join(' ')).not.toMatch(/_/);
  });

  it('marks a much weaker model before it is activated, and not one that is about as good', () => {
    const active = model('cnn', { active: true, figures: { balancedAccuracy: 0.9432 } });
    expect(comparedWithActive(model('mlp', { figures: { balancedAccuracy: 0.8785 } }), active)).toEqual({
      weaker: true,
      text: 'Much weaker than the active classifier: 87.8% of characters right against 94.3%.',
    });
    expect(comparedWithActive(model('run:1', { figures: { balancedAccuracy: 0.93 } }), active)).toBeNull();
    expect(comparedWithActive(active, active)).toBeNull();
    // Another character set: the figures say nothing about which is better.
    const lower = model('cnn62', { classes: [...ALNUM36, ...'abcdefghijklmnopqrstuvwxyz'], figures: { balancedAccuracy: 0.77 } });
    expect(comparedWithActive(lower, active)).toMatchObject({
      weaker: false,
      text: expect.stringMatching(/^Reads 62 characters \(capitals, lower case, digits\).*do not compare/),
    });
  });

  it('compares autoencoders by reconstruction quality', () => {
    const active = model('ae', { kind: 'autoencoder', classes: undefined, active: true, figures: { psnr: 21.0 } });
    expect(comparedWithActive(model('run:ae', { kind: 'autoencoder', classes: undefined, figures: { psnr: 17.5 } }), active)?.weaker).toBe(true);
    expect(comparedWithActive(model('run:ae2', { kind: 'autoencoder', classes: undefined, figures: { psnr: 20.6 } }), active)).toBeNull();
  });

  it('names backends in words', () => {
    expect(backendWords('from-scratch engine, wasm-relaxed-simd kernels, 1 thread')).toBe("hwr's own network engine");
    expect(backendWords('@tensorflow/tfjs-node 4.22.0')).toBe('TensorFlow.js, native CPU');
    expect(backendWords('@tensorflow/tfjs-node-gpu 4.22.0')).toBe('TensorFlow.js on the GPU');
  });
});
