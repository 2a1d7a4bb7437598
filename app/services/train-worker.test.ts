import { describe, expect, it } from 'vitest';
import type { TrainHooks, TrainOptions, TrainResult } from '../train/types.ts';
import type { FromTrainer, ToTrainer } from './worker-protocol.ts';
import { serveTrainer, type TrainFunction } from './train-worker.ts';

function port() {
  let listener: (m: ToTrainer) => void = () => {};
  const posted: FromTrainer[] = [];
  const exits: number[] = [];
  return {
    posted,
    exits,
    send: (m: ToTrainer) => listener(m),
    port: { onMessage: (l: (m: ToTrainer) => void) => (listener = l), post: (m: FromTrainer) => posted.push(m), exit: (code: number) => exits.push(code) },
  };
}

const options = { arch: 'mlp', epochs: 1 } as TrainOptions;
const result = { arch: 'mlp', cancelled: false } as TrainResult;

describe('serveTrainer', () => {
  it('runs trainModel on start and reports events, then the result', async () => {
    const p = port();
    const train: TrainFunction = async (_o, hooks) => {
      hooks.onEvent?.({ type: 'log', message: 'hello' });
      return result;
    };
    serveTrainer(p.port, async () => train);
    p.send({ type: 'start', options });
    await expect.poll(() => p.exits).toEqual([0]);
    expect(p.posted).toEqual([
      { type: 'event', event: { type: 'log', message: 'hello' } },
      { type: 'finished', result },
    ]);
  });

  it('trips the abort signal on cancel, so the loop stops between batches', async () => {
    const p = port();
    let signal: AbortSignal | undefined;
    const train: TrainFunction = (_o: TrainOptions, hooks: TrainHooks) =>
      new Promise((resolve) => {
        signal = hooks.signal;
        hooks.signal!.addEventListener('abort', () => resolve({ ...result, cancelled: true }));
      });
    serveTrainer(p.port, async () => train);
    p.send({ type: 'start', options });
    await expect.poll(() => signal).toBeDefined();
    p.send({ type: 'cancel' });
    await expect.poll(() => p.posted.at(-1)).toEqual({ type: 'finished', result: { ...result, cancelled: true } });
  });

  it('thins batch events but keeps every epoch end', async () => {
    const p = port();
    let now = 0;
    const train: TrainFunction = async (_o, hooks) => {
      for (let b = 1; b <= 10; b++) {
        now += 10;
        hooks.onEvent?.({ type: 'batch', epoch: 1, batch: b, batches: 10, loss: 1 });
      }
      return result;
    };
    serveTrainer(
      p.port,
      async () => train,
      () => now,
    );
    p.send({ type: 'start', options });
    await expect.poll(() => p.exits).toEqual([0]);
    const batches = p.posted.flatMap((m) => (m.type === 'event' && m.event.type === 'batch' ? [m.event.batch] : []));
    expect(batches).toEqual([1, 10]);
  });

  it('reports a failure with its message and exits non-zero', async () => {
    const p = port();
    serveTrainer(p.port, async () => async () => {
      throw new Error('no such dataset');
    });
    p.send({ type: 'start', options });
    await expect.poll(() => p.exits).toEqual([1]);
    expect(p.posted).toEqual([{ type: 'failed', message: 'no such dataset' }]);
  });
});
