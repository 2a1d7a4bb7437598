/**
 * The body of the training process, whatever starts it: waits for 'start' (or 'personalize'),
 * runs trainModel (or retrainOnSamples) with an abort signal that 'cancel' trips, and reports
 * events, then the result or the failure. Batch events are thinned to a few per second: the
 * curve needs no more, and IPC stays light.
 */
import type { PersonalizationReport } from '../contract.ts';
import type { PersonalizeOptions } from '../train/personalize.ts';
import type { TrainEvent, TrainHooks, TrainOptions, TrainResult } from '../train/types.ts';
import type { FromTrainer, ToTrainer, WorkerPort } from './worker-protocol.ts';

export type TrainerPort = WorkerPort<ToTrainer, FromTrainer>;

export type TrainFunction = (options: TrainOptions, hooks: TrainHooks) => Promise<TrainResult>;
export type PersonalizeFunction = (
  options: PersonalizeOptions,
  samplesDir: string,
  hooks: TrainHooks,
  queue?: string,
) => Promise<{ train: TrainResult; report: PersonalizationReport }>;

const BATCH_EVENT_INTERVAL_MS = 100;

export function serveTrainer(
  port: TrainerPort,
  loadTrain: () => Promise<TrainFunction>,
  now = () => Date.now(),
  loadPersonalize: () => Promise<PersonalizeFunction> = loadRetrain,
): void {
  const controller = new AbortController();
  let started = false;
  port.onMessage((message) => {
    if (message.type === 'cancel') {
      controller.abort();
      return;
    }
    if ((message.type !== 'start' && message.type !== 'personalize') || started) return;
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
        const hooks = { onEvent, signal: controller.signal };
        if (message.type === 'personalize') {
          const { train, report } = await (await loadPersonalize())(message.options, message.samplesDir, hooks, message.queue);
          port.post({ type: 'finished', result: train, personalization: report });
        } else {
          const result = await (await loadTrain())(message.options, hooks);
          port.post({ type: 'finished', result });
        }
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

/**
 * retrainOnSamples over the sample store as it is now (a resumed run uses the data its folder keeps,
 * if it got that far); with `queue`, its training step runs on a worker of that queue.
 */
async function loadRetrain(): Promise<PersonalizeFunction> {
  const [{ retrainOnSamples }, { SampleStore }, { trainOnQueue }] = await Promise.all([
    import('../train/personalize.ts'),
    import('./samples.ts'),
    import('./queue-training.ts'),
  ]);
  return async (options, samplesDir, hooks, queue) => {
    // Read even to resume: a run killed before its data was written starts over from them.
    const all = await new SampleStore(samplesDir).readAll();
    const remote = queue
      ? (opts: TrainOptions, h: TrainHooks) => trainOnQueue(queue, opts, h, { onQueued: (message) => h.onEvent?.({ type: 'log', message }) })
      : undefined;
    return retrainOnSamples({ glyphs: all.glyphs, labels: all.samples.map((s) => s.label) }, options, hooks, remote);
  };
}
