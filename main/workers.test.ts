import { EventEmitter } from 'node:events';
import { describe, expect, it, vi } from 'vitest';

vi.mock('electron', () => ({}));
const { utilityWorkers } = await import('./workers.ts');

class FakeUtility extends EventEmitter {
  stderr = new EventEmitter();
  postMessage = vi.fn();
  kill = vi.fn(() => true);
}

describe('workers in utilityProcesses', () => {
  it('forks the worker entry with its kind and the app root, relays messages and exit', () => {
    const child = new FakeUtility();
    const fork = vi.fn(() => child);
    const launch = utilityWorkers(fork as never, '/app/out/main/worker-process.js', '/app');
    const proc = launch('train');
    expect(fork).toHaveBeenCalledWith(
      '/app/out/main/worker-process.js',
      ['train'],
      expect.objectContaining({ serviceName: 'hwr train', stdio: 'pipe', env: expect.objectContaining({ HWR_APP_ROOT: '/app', HWR_WORKER_KIND: 'train' }) }),
    );

    proc.send({ type: 'cancel' });
    expect(child.postMessage).toHaveBeenCalledWith({ type: 'cancel' });
    const messages: unknown[] = [];
    proc.onMessage((m) => messages.push(m));
    child.emit('message', { type: 'failed', message: 'x' });
    expect(messages).toEqual([{ type: 'failed', message: 'x' }]);

    const exits: [number | null, string][] = [];
    proc.onExit((code, out) => exits.push([code, out]));
    child.stderr.emit('data', Buffer.from('boom\n'));
    child.emit('exit', 3);
    expect(exits).toEqual([[3, 'boom\n']]);
    proc.kill();
    expect(child.kill).toHaveBeenCalled();
  });
});
