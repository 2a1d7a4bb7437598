/** Entry of a worker child process under Node (`hwr serve`): `worker-child.ts <kind>`, talking over process IPC. */
import { serveWorker } from './worker.ts';

if (!process.send) {
  console.error('worker-child: must be started with an IPC channel (child_process.fork)');
  process.exit(2);
}

await serveWorker(process.argv[2] ?? '', {
  onMessage: (listener) => process.on('message', (m) => listener(m as never)),
  post: (message) => process.send!(message),
  // Let the last message drain before leaving.
  exit: (code) => {
    process.exitCode = code;
    process.disconnect();
  },
});
// The parent going away (a crash, a closed server) ends the worker.
process.on('disconnect', () => setTimeout(() => process.exit(process.exitCode ?? 0), 100).unref());
