import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCheckpoint, runMismatch, writeCheckpoint } from './checkpoint.ts';

describe('checkpoints', () => {
  it('round-trip header and arrays', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hwr-ckpt-'));
    try {
      const path = join(dir, 'c', 'last.ckpt');
      const header = {
        run: { arch: 'cnn', classes: ['a', 'b'], trainCount: 3, seed: 1, batchSize: 2 },
        epoch: 2,
        history: [],
        bestEpoch: 1,
        bestScore: 0.5,
        schedule: { rate: 0.1, lastDecay: 0 },
        backend: { step: 7 },
        seconds: 3,
      };
      const weights = Float32Array.from([1, -2, 3.5]);
      writeCheckpoint(path, header, { weights, m: new Float32Array(3), v: Float32Array.from([0.25, 0, 1]) });
      const back = readCheckpoint(path);
      expect(back.header).toMatchObject(header);
      expect(back.arrays.weights).toEqual(weights);
      expect(back.arrays.v).toEqual(Float32Array.from([0.25, 0, 1]));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('name what differs between two runs', () => {
    expect(runMismatch({ seed: 1, batchSize: 32 }, { seed: 1, batchSize: 32 })).toBeNull();
    expect(runMismatch({ seed: 1, batchSize: 32 }, { seed: 1, batchSize: 16 })).toBe('the batchSize differs (32 then, 16 now)');
  });
});
