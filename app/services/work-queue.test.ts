import { describe, expect, it } from 'vitest';
import { WorkQueue } from './work-queue.ts';

describe('WorkQueue', () => {
  it('runs at most `limit` jobs at once, queues `queue` more, and turns the rest away as busy', async () => {
    const q = new WorkQueue(2, 3, 'pages are being read');
    let running = 0;
    let most = 0;
    const releases: (() => void)[] = [];
    const job = () =>
      q.run(async () => {
        running++;
        most = Math.max(most, running);
        await new Promise<void>((resolve) => releases.push(resolve));
        running--;
        return 'read';
      });
    const jobs = Array.from({ length: 8 }, job);
    const refused = await Promise.allSettled(jobs.slice(5));
    expect(refused.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect((refused[0] as PromiseRejectedResult).reason).toMatchObject({ code: 'busy', message: expect.stringMatching(/try again/) });
    // Release jobs one by one until all five accepted have run.
    while (releases.length || running) {
      releases.shift()?.();
      await new Promise((r) => setTimeout(r, 1));
    }
    expect(await Promise.all(jobs.slice(0, 5))).toEqual(Array(5).fill('read'));
    expect(most).toBe(2);
    // Free again: a new job runs at once.
    await expect(q.run(async () => 'again')).resolves.toBe('again');
  });

  it('frees the slot of a job that fails', async () => {
    const q = new WorkQueue(1, 0, 'pages are being read');
    await expect(q.run(async () => Promise.reject(new Error('bad page')))).rejects.toThrow('bad page');
    await expect(q.run(async () => 'next')).resolves.toBe('next');
  });
});
