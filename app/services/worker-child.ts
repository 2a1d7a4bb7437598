/** Entry of the training child process under Node (`hwr serve`): the worker over process IPC. */
import { serveTrainer, loadTrainModel } from './train-worker.ts';
import type { ToTrainer } from './train-protocol.ts';

if (!process.send) {
  console.error('train-child: must be started with an IPC channel (child_process.fork)');
  process.exit(2);
}

serveTrainer(
  {
    onMessage: (listener) => process.on('message', (m) => listener(m as ToTrainer)),
    post: (message) => process.send!(message),
    // Let the last message drain before leaving.
    exit: (code) => {
      process.exitCode = code;
      process.disconnect();
    },
  },
  loadTrainModel,
);
// The parent going away (a crash, a closed server) ends the run.
process.on('disconnect', () => setTimeout(() => process.exit(process.exitCode ?? 0), 100).unref());
