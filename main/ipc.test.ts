import { EventEmitter } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import { EVENT_CHANNEL, ipcChannel, REQUEST_NAMES, type EventListener, type HwrApi, type HwrEvent } from '../app/contract.ts';

vi.mock('electron', () => ({}));
const { forwardEvents, registerIpc, trustedSender } = await import('./ipc.ts');

type Handler = (event: unknown, payload: unknown) => Promise<unknown>;

function fakeIpcMain() {
  const handlers = new Map<string, Handler>();
  return {
    handlers,
    handle: (channel: string, handler: Handler) => handlers.set(channel, handler),
    removeHandler: (channel: string) => handlers.delete(channel),
  };
}

function fakeApi() {
  const listeners = new Set<EventListener>();
  const api = Object.fromEntries(REQUEST_NAMES.map((n) => [n, vi.fn(async (req: unknown) => ({ from: n, req }))])) as unknown as HwrApi &
    Record<string, ReturnType<typeof vi.fn>>;
  api.onEvent = (l) => {
    listeners.add(l);
    return () => listeners.delete(l);
  };
  return { api, emit: (e: HwrEvent) => listeners.forEach((l) => l(e)), listeners };
}

const fromApp = { senderFrame: { url: 'file:///app/out/renderer/index.html', parent: null } };

describe('IPC handlers', () => {
  it('register one channel per request of the contract, and nothing else', () => {
    const ipc = fakeIpcMain();
    registerIpc(ipc as never, fakeApi().api, () => true);
    expect([...ipc.handlers.keys()].sort()).toEqual(REQUEST_NAMES.map(ipcChannel).sort());
  });

  it('pass validated requests to the services and return an Outcome', async () => {
    const ipc = fakeIpcMain();
    const { api } = fakeApi();
    registerIpc(ipc as never, api, () => true);
    const outcome = await ipc.handlers.get(ipcChannel('activateModel'))!(fromApp, { id: 'shipped:mlp' });
    expect(outcome).toEqual({ ok: true, value: { from: 'activateModel', req: { id: 'shipped:mlp' } } });
  });

  it('return validation errors as {code, message} without calling the services', async () => {
    const ipc = fakeIpcMain();
    const { api } = fakeApi();
    registerIpc(ipc as never, api, () => true);
    const outcome = (await ipc.handlers.get(ipcChannel('classifyGlyphs'))!(fromApp, { glyphs: 'nope' })) as {
      ok: boolean;
      error: { code: string; message: string };
    };
    expect(outcome.ok).toBe(false);
    expect(outcome.error.code).toBe('invalid-request');
    expect(outcome.error.message).toContain('classifyGlyphs.glyphs');
    expect((api as unknown as Record<string, ReturnType<typeof vi.fn>>).classifyGlyphs).not.toHaveBeenCalled();
  });

  it('refuse requests from frames that are not the app', async () => {
    const ipc = fakeIpcMain();
    const { api } = fakeApi();
    const check = trustedSender((url) => url === 'file:///app/out/renderer/index.html');
    registerIpc(ipc as never, api, check);
    const handler = ipc.handlers.get(ipcChannel('listModels'))!;
    expect(await handler(fromApp, {})).toMatchObject({ ok: true });
    expect(await handler({ senderFrame: { url: 'https://evil.example/', parent: null } }, {})).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
    expect(await handler({ senderFrame: { url: 'file:///app/out/renderer/index.html', parent: {} } }, {})).toMatchObject({
      ok: false,
      error: { code: 'unauthorized' },
    });
    expect(await handler({ senderFrame: null }, {})).toMatchObject({ ok: false });
  });

  it('forward events to the window until it is destroyed', () => {
    const { api, emit, listeners } = fakeApi();
    const contents = Object.assign(new EventEmitter(), { send: vi.fn(), isDestroyed: () => false });
    forwardEvents(api, contents as never);
    const event: HwrEvent = { type: 'log', level: 'info', message: 'hi', time: 't' };
    emit(event);
    expect(contents.send).toHaveBeenCalledWith(EVENT_CHANNEL, event);
    contents.emit('destroyed');
    expect(listeners.size).toBe(0);
  });
});
