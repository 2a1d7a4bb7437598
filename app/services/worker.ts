/** What a worker process runs, by kind: the same under Node (worker-child.ts) and Electron (main/worker-process.ts). */
import type { WorkerKind, WorkerPort } from './worker-protocol.ts';

export async function serveWorker(kind: string, port: WorkerPort<never, never>): Promise<void> {
  switch (kind as WorkerKind) {
    case 'train': {
      const { serveTrainer, loadTrainModel } = await import('./train-worker.ts');
      return serveTrainer(port as never, loadTrainModel);
    }
    case 'recognize': {
      const { serveRecognizer } = await import('./recognize-worker.ts');
      return serveRecognizer(port as never);
    }
    default:
      throw new Error(`unknown worker kind '${kind}'`);
  }
}
