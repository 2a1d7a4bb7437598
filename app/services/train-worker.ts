/**
 * The body of the training process, whatever starts it: waits for 'start', runs trainModel with
 * an abort signal that 'cancel' trips, and reports events, then the result or the failure.
 * Batch events are thinned to a few per second: the curve needs no more, and IPC stays light.
 */
import type { TrainEvent, TrainHooks, TrainOptions, TrainResult } from '../train/types.ts';
import type { FromTrainer, ToTrainer, WorkerPort } from './worker-protocol.ts';

export type TrainerPort = WorkerPort<ToTrainer, FromTrainer>;

export type TrainFunction = (options: TrainOptions, hooks: TrainHooks) => Promise<TrainResult>;

const BATCH_EVENT_INTERVAL_MS = 100;

export function serveTrainer(port: TrainerPort, loadTrain: () => Promise<TrainFunction>, now = () => Date.now()): void {
  const controller = new AbortController();
  let started = false;
  port.onMessage((message) => {
    if (message.type === 'cancel') {
      controller.abort();
      return;
    }
    if (message.type !== 'start' || started) return;
    started = true;
    let lastBatch = -Infinity;
    const onEvent = (event: TrainEvent) => {
      if (event.type === 'batch') {
        const t = now();
        // The last batch of an epoch always goes through, so the progress bar reaches the end.
        if (t - lastBatch < BATCH_EVENT_INTERVAL_MS && event.batch < event.batches) return;
        lastBatch = t;
      }
      port.post({ type: 'event', event });
    };
    void (async () => {
      try {
        const train = await loadTrain();
        const result = await train(message.options, { onEvent, signal: controller.signal });
        port.post({ type: 'finished', result });
        port.exit(0);
      } catch (err) {
        port.post({ type: 'failed', message: err instanceof Error ? err.message : String(err) });
        port.exit(1);
      }
    })();
  });
}

/** trainModel from app/train, loaded when the first run starts (it pulls in TensorFlow.js). */
export const loadTrainModel = async (): Promise<TrainFunction> => (await import('../train/train.ts')).trainModel;
