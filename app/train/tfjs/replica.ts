/**
 * A data-parallel training replica (see engine.ts), on its own thread: selects the main thread's backend, builds
 * the network, then answers 'step' (gradient of its share of a batch, written into its shared
 * slot) and 'logits' requests until 'close'.
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from './backend.ts';
import type { ReplicaInit, ReplicaReply, ReplicaRequest } from './engine.ts';
import { TfNetwork } from './model.ts';
import { computeLogits, GradientStep } from './step.ts';

const port = parentPort!;
const init = workerData as ReplicaInit;
const reply = (msg: ReplicaReply, transfer: ArrayBuffer[] = []) => port.postMessage(msg, transfer);

try {
  const backend = await selectBackend({ start: init.backend });
  if (backend.name !== init.backend) throw new Error(`backend ${init.backend} is not available here (got ${backend.name})`);
  const net = new TfNetwork(tf, init.architecture, init.layout, init.weights);
  const step = new GradientStep(tf, net, init.train, init.trainable);
  let version = 0;
  const sync = (wanted: number) => {
    if (wanted !== version) {
      net.setWeights(init.weights);
      version = wanted;
    }
  };
  port.on('message', (msg: ReplicaRequest) => {
    if (msg.type === 'close') {
      net.dispose();
      port.close();
      return;
    }
    try {
      sync(msg.version);
      if (msg.type === 'step') {
        const loss = step.run(msg.indices, msg.seed, msg.augment, init.gradient);
        reply({ id: msg.id, loss });
      } else {
        const logits = computeLogits(tf, net, msg.pixels, msg.count);
        reply({ id: msg.id, logits }, [logits.buffer as ArrayBuffer]);
      }
    } catch (err) {
      reply({ id: msg.id, error: (err as Error).stack ?? String(err) });
    }
  });
  reply({ type: 'ready', label: backend.label });
} catch (err) {
  reply({ type: 'failed', error: (err as Error).message });
}
