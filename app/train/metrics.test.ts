import { describe, expect, it } from 'vitest';
import { argmaxRows, classBalancedMean, classificationReport, psnrPerImage } from './metrics.ts';

describe('classification report', () => {
  it('counts accuracy, per-class accuracy and the most confused pair', () => {
    const classes = ['O', '0', 'I'];
    const truth = [0, 0, 0, 0, 1, 1, 2, 2];
    const pred = [0, 1, 1, 0, 1, 1, 2, 2];
    const r = classificationReport(pred, truth, classes);
    expect(r.accuracy).toBeCloseTo(6 / 8);
    expect(r.perClass[0]).toMatchObject({ label: 'O', count: 4, accuracy: 0.5 });
    expect(r.balancedAccuracy).toBeCloseTo((0.5 + 1 + 1) / 3);
    expect(r.confused[0]).toMatchObject({ truth: 'O', predicted: '0', count: 2, rate: 0.5 });
    expect(r.confusion[0]).toEqual([2, 2, 0]);
  });

  it('picks the highest score per row', () => {
    expect(Array.from(argmaxRows(new Float32Array([0.1, 0.7, 0.2, 0.9, 0.05, 0.05]), 2, 3))).toEqual([1, 0]);
  });
});

describe('psnr', () => {
  it('is 20 dB for a uniform error of 0.1 and capped for identical images', () => {
    const a = new Float32Array([0.5, 0.5, 0.2, 0.2]);
    const b = new Float32Array([0.6, 0.4, 0.2, 0.2]);
    const p = psnrPerImage(a, b, 2, 2);
    expect(p[0]).toBeCloseTo(20, 4);
    expect(p[1]).toBe(100);
  });
});

describe('class-balanced mean', () => {
  it('weighs every class the same, however many values each has, and skips absent classes', () => {
    // Class 0: four values of 10, class 1: one of 20, class 2: none.
    expect(classBalancedMean([10, 10, 10, 10, 20], [0, 0, 0, 0, 1], 3)).toBe(15);
    expect(classBalancedMean([], [], 2)).toBeNaN();
  });
});
