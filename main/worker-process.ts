/**
 * Entry of the worker utilityProcesses (training, page reading; HWR_WORKER_KIND says which).
 * Training reads WebAssembly kernels and worker scripts beside its own sources, so the workers run
 * from the TypeScript sources (through tsx, as the CLI does) rather than from this bundle.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { register } from 'tsx/esm/api';
import type * as WorkerModule from '../app/services/worker.ts';

const root = process.env.HWR_APP_ROOT;
if (!root) {
  console.error('worker-process: HWR_APP_ROOT is not set');
  process.exit(2);
}
register();
const worker = (await import(/* @vite-ignore */ pathToFileURL(join(root, 'app', 'services', 'worker.ts')).href)) as typeof WorkerModule;
await worker.serveWorker(process.env.HWR_WORKER_KIND ?? '', {
  onMessage: (listener) => process.parentPort.on('message', (event) => listener(event.data as never)),
  post: (message) => process.parentPort.postMessage(message),
  exit: (code) => setTimeout(() => process.exit(code), 50),
});
