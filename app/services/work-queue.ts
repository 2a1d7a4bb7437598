/**
 * Bounded work: at most `limit` jobs at once, at most `queue` more waiting their turn; beyond
 * that a job is turned away at once with a 'busy' error that says to try again, so a flood of
 * big requests waits or is refused instead of filling the memory.
 */
import { ContractError } from '../contract.ts';

export class WorkQueue {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly limit: number,
    private readonly queue: number,
    /** What the jobs are, for the refusal: 'pages are being read'. */
    private readonly what: string,
  ) {}

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.running < this.limit) this.running++;
    else if (this.waiting.length < this.queue) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else throw new ContractError('busy', `${this.running} ${this.what} and ${this.waiting.length} more are waiting: try again in a few seconds`);
    try {
      return await work();
    } finally {
      // The slot goes to the next in line, or is given back.
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}
