import { describe, expect, it, vi } from 'vitest';
import { EVENT_CHANNEL, ipcChannel, REQUEST_NAMES, type HwrBridge } from '../app/contract.ts';

const exposed: Record<string, unknown> = {};
const ipcRenderer = {
  invoke: vi.fn(async (channel: string, request: unknown) => ({ ok: true, value: { channel, request } })),
  on: vi.fn(),
  removeListener: vi.fn(),
};
vi.mock('electron', () => ({
  contextBridge: { exposeInMainWorld: (key: string, value: unknown) => (exposed[key] = value) },
  ipcRenderer,
}));

await import('./preload.ts');

describe('preload', () => {
  it('exposes only window.hwr, holding exactly the contract', () => {
    expect(Object.keys(exposed)).toEqual(['hwr']);
    const bridge = exposed.hwr as Record<string, unknown>;
    expect(Object.keys(bridge).sort()).toEqual([...REQUEST_NAMES, 'onEvent'].sort());
    expect(Object.isFrozen(bridge)).toBe(true);
    expect(JSON.stringify(Object.keys(bridge))).not.toMatch(/ipcRenderer|send|invoke/);
  });

  it('sends each request on its own channel', async () => {
    const bridge = exposed.hwr as HwrBridge;
    const outcome = await bridge.listModels({});
    expect(ipcRenderer.invoke).toHaveBeenCalledWith(ipcChannel('listModels'), {});
    expect(outcome).toEqual({ ok: true, value: { channel: 'hwr:listModels', request: {} } });
  });

  it('subscribes to events and unsubscribes the same handler', () => {
    const bridge = exposed.hwr as HwrBridge;
    const listener = vi.fn();
    const off = bridge.onEvent(listener);
    const [channel, handler] = ipcRenderer.on.mock.calls[0]!;
    expect(channel).toBe(EVENT_CHANNEL);
    (handler as (e: unknown, ev: unknown) => void)({ sender: 'hidden' }, { type: 'log' });
    expect(listener).toHaveBeenCalledWith({ type: 'log' }); // the IPC event object never reaches the page
    off();
    expect(ipcRenderer.removeListener).toHaveBeenCalledWith(EVENT_CHANNEL, handler);
  });
});
