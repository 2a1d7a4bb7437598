import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FromTrainer } from './worker-protocol.ts';
import { launchNodeWorker } from './node-worker.ts';

describe('Node worker processes', () => {
  it('starts from any working folder and reports a bad dataset as a failure', async () => {
    const elsewhere = mkdtempSync(join(tmpdir(), 'hwr-cwd-'));
    const cwd = process.cwd();
    process.chdir(elsewhere);
    try {
      const proc = launchNodeWorker('train');
      const messages: FromTrainer[] = [];
      proc.onMessage((m) => messages.push(m));
      const exit = new Promise<number | null>((resolve) => proc.onExit((code) => resolve(code)));
      proc.send({
        type: 'start',
        options: {
          arch: 'mlp',
          data: join(elsewhere, 'missing'),
          epochs: 1,
          learningRate: 0.1,
          batchSize: 8,
          momentum: 0,
          outDir: join(elsewhere, 'run'),
          seed: 1,
          augment: false,
          balance: false,
          patience: 0,
          limit: 0,
        },
      });
      expect(await exit).toBe(1);
      expect(messages.at(-1)).toMatchObject({ type: 'failed', message: expect.stringContaining('missing') });
    } finally {
      process.chdir(cwd);
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });
});
