/**
 * A PyTorch reference whose epochs run when asked (torch_crnn_epoch.py or torch_cnn_epoch.py,
 * with --serve), so a bench can interleave them with its own: on this machine an epoch's time
 * drifts by a quarter and more over minutes, and epochs taken side by side meet the same
 * conditions.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { pythonWithTorch } from './python.ts';

export class TorchEpochs {
  private readonly waiting: ((line: string) => void)[] = [];

  private constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    readonly python: string,
    readonly version: string,
    readonly threads: number,
  ) {}

  /**
   * Starts `script` (in bench/) with `args` and --serve, `firstLine` written to its stdin first;
   * null where no Python has torch, or the script fails to start.
   */
  static async start(script: string, args: readonly string[], firstLine?: string): Promise<TorchEpochs | null> {
    const python = pythonWithTorch();
    if (!python) return null;
    const path = fileURLToPath(new URL(`./${script}`, import.meta.url));
    const child = spawn(python, [path, ...args, '--serve'], { stdio: ['pipe', 'pipe', 'pipe'] });
    child.stderr.resume(); // never let its warnings fill the pipe
    child.stdin.on('error', () => {}); // a reference that died is reported by epoch(), not by a write
    const replies = createInterface({ input: child.stdout });
    const queue: string[] = [];
    let wake: (() => void) | null = null;
    replies.on('line', (line) => {
      queue.push(line);
      wake?.();
    });
    if (firstLine !== undefined) child.stdin.write(`${firstLine}\n`);
    const first = await new Promise<string | null>((resolve) => {
      wake = () => resolve(queue.shift()!);
      child.on('exit', () => resolve(null));
    });
    if (!first) return null;
    const ready = JSON.parse(first) as { threads: number; torch: string };
    const t = new TorchEpochs(child, python, ready.torch, ready.threads);
    wake = () => {
      while (queue.length && t.waiting.length) t.waiting.shift()!(queue.shift()!);
    };
    return t;
  }

  /** Seconds of one epoch, run now. */
  epoch(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.child.once('exit', () => reject(new Error('the PyTorch reference stopped')));
      this.waiting.push((line) => resolve((JSON.parse(line) as { seconds: number }).seconds));
      this.child.stdin.write('epoch\n');
    });
  }

  close(): void {
    this.child.stdin.end('quit\n');
  }
}
