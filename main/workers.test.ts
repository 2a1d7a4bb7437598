import { EventEmitter } from 'node:events';
import { describe, expect, it, vi } from 'vitest';

vi.mock('electron', () => ({}));
const { utilityTrainer } = await import('./training.ts');

class FakeUtility extends EventEmitter {
  stderr = new EventEmitter();
  postMessage = vi.fn();
  kill = vi.fn(() => true);
}

describe('training in a utilityProcess', () => {
  it('forks the training entry with the app root, relays messages and exit', () => {
    const child = new FakeUtility();
    const fork = vi.fn(() => child);
    const launch = utilityTrainer(fork as never, '/app/out/main/train-process.js', '/app');
    const proc = launch();
    expect(fork).toHaveBeenCalledWith('/app/out/main/train-process.js', [], expect.objectContaining({ serviceName: 'hwr training', stdio: 'pipe', env: expect.objectContaining({ HWR_APP_ROOT: '/app' }) }));

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
