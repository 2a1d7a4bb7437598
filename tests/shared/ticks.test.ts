import { describe, expect, it } from 'vitest';
import { niceTicks } from '../../app/shared/ticks.ts';

describe('niceTicks', () => {
  it('labels an accuracy axis 0, 0.2, …, 1', () => {
    expect(niceTicks(0, 1)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
  });

  it('labels a loss range with round numbers inside it', () => {
    expect(niceTicks(0.37, 2.31, 4)).toEqual([0.5, 1, 1.5, 2]);
    expect(niceTicks(0.0123, 0.0468, 4)).toEqual([0.02, 0.03, 0.04]);
  });

  it('labels epochs with whole steps and prints tenths without float noise', () => {
    expect(niceTicks(0, 12, 6)).toEqual([0, 2, 4, 6, 8, 10, 12]);
    expect(niceTicks(0, 0.3, 3)).toEqual([0, 0.1, 0.2, 0.3]);
    expect(niceTicks(-1.5, 1.5, 3)).toEqual([-1, 0, 1]);
  });

  it('gives one tick for an empty range and none for a non-finite one', () => {
    expect(niceTicks(2, 2)).toEqual([2]);
    expect(niceTicks(0, Infinity)).toEqual([]);
  });
});
