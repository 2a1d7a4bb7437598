/**
 * The app's side of the page-reading process: one long-lived process, started on first use and
 * again after it ends; requests are matched to answers by id, and progress goes to the caller.
 */
import { ContractError, type PageReader } from '../contract.ts';
import type { Page } from '../recognize/document.ts';
import type { FromRecognizer, LaunchWorker, ToRecognizer, WorkerProcess } from './worker-protocol.ts';

interface Pending {
  resolve(result: { page: Page; crops: Float32Array; view?: Uint8Array }): void;
  reject(err: Error): void;
  progress(stage: string, fraction: number): void;
}

export type ReadPage = (
  request: { name: string; image: Uint8Array; modelPath: string; reader?: PageReader; lineModelPath?: string },
  progress: (stage: string, fraction: number) => void,
) => Promise<{ page: Page; crops: Float32Array; view?: Uint8Array }>;

export class RecognizerClient {
  private process: WorkerProcess<ToRecognizer, FromRecognizer> | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  constructor(private readonly launch: LaunchWorker) {}

  readonly read: ReadPage = (request, progress) =>
    new Promise((resolve, reject) => {
      const id = this.nextId++;
      this.pending.set(id, { resolve, reject, progress });
      this.worker().send({ type: 'recognize', id, ...request });
    });

  close(): void {
    this.process?.kill();
    this.process = null;
  }

  private worker(): WorkerProcess<ToRecognizer, FromRecognizer> {
    if (this.process) return this.process;
    const proc = this.launch('recognize');
    this.process = proc;
    proc.onMessage((message) => {
      const pending = this.pending.get(message.id);
      if (!pending) return;
      if (message.type === 'progress') return pending.progress(message.stage, message.fraction);
      this.pending.delete(message.id);
      if (message.type === 'page') pending.resolve({ page: message.page, crops: message.crops, ...(message.view ? { view: message.view } : {}) });
      else pending.reject(new ContractError(message.code, message.message));
    });
    proc.onExit((code, output) => {
      if (this.process === proc) this.process = null;
      const line = output.trim().split('\n').filter(Boolean).at(-1);
      for (const [id, pending] of this.pending) {
        this.pending.delete(id);
        pending.reject(
          new ContractError('internal', `the page-reading process ended unexpectedly (exit code ${code})${line ? `: ${line.slice(0, 300)}` : ''}`),
        );
      }
    });
    return proc;
  }
}
