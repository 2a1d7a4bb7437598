/**
 * A data-parallel replica of the line recogniser (see line-engine.ts), on its own thread: selects
 * the main thread's backend, builds the network, then answers 'step' (the gradient of its share
 * of a batch, written into its shared slot) and 'read' requests until 'close'.
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from './backend.ts';
import { LineComputer, type LineReplicaInit, type LineReplicaReply, type LineReplicaRequest } from './line-engine.ts';

const port = parentPort!;
const init = workerData as LineReplicaInit;
const reply = (msg: LineReplicaReply, transfer: ArrayBuffer[] = []) => port.postMessage(msg, transfer);

try {
  const backend = await selectBackend({ start: init.backend });
  if (backend.name !== init.backend) throw new Error(`backend ${init.backend} is not available here (got ${backend.name})`);
  const computer = new LineComputer(tf, init.arch, init.layout, init.weights);
  let version = 0;
  port.on('message', (msg: LineReplicaRequest) => {
    if (msg.type === 'close') {
      computer.dispose();
      port.close();
      return;
    }
    try {
      if (msg.version !== version) {
        computer.setWeights(init.weights);
        version = msg.version;
      }
      if (msg.type === 'step') {
        reply({ id: msg.id, loss: computer.gradients(msg.batch, msg.seed, init.gradient) });
      } else {
        const reading = computer.read(msg.batch);
        reply(
          { id: msg.id, reading },
          reading.probs.map((p) => p.buffer as ArrayBuffer),
        );
      }
    } catch (err) {
      reply({ id: msg.id, error: (err as Error).stack ?? String(err) });
    }
  });
  reply({ type: 'ready' });
} catch (err) {
  reply({ type: 'failed', error: (err as Error).message });
}
