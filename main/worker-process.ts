/**
 * Entry of the training utilityProcess. Training code reads its WebAssembly kernels and worker
 * scripts beside its own sources, so it runs from the TypeScript sources (through tsx, as the CLI
 * does) rather than from this bundle.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { register } from 'tsx/esm/api';
import type { ToTrainer } from '../app/services/train-protocol.ts';

type WorkerModule = typeof import('../app/services/train-worker.ts');

const root = process.env.HWR_APP_ROOT;
if (!root) {
  console.error('train-process: HWR_APP_ROOT is not set');
  process.exit(2);
}
register();
const worker = (await import(/* @vite-ignore */ pathToFileURL(join(root, 'app', 'services', 'train-worker.ts')).href)) as WorkerModule;
worker.serveTrainer(
  {
    onMessage: (listener) => process.parentPort.on('message', (event) => listener(event.data as ToTrainer)),
    post: (message) => process.parentPort.postMessage(message),
    exit: (code) => setTimeout(() => process.exit(code), 50),
  },
  worker.loadTrainModel,
);
