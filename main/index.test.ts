import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { ipcChannel, REQUEST_NAMES } from '../app/contract.ts';

const home = mkdtempSync(join(tmpdir(), 'hwr-main-'));
process.env.HWR_HOME = home;
afterAll(() => rmSync(home, { recursive: true, force: true }));

const electron = await vi.hoisted(async () => {
  const { EventEmitter } = await import('node:events');
  const windows: unknown[] = [];
  const handlers = new Map<string, unknown>();
  let permissionHandler: ((c: unknown, p: string, cb: (ok: boolean) => void) => void) | null = null;
  class BrowserWindow extends EventEmitter {
    static getAllWindows = () => windows;
    webContents = Object.assign(new EventEmitter(), { setWindowOpenHandler: () => {}, send: () => {}, isDestroyed: () => false });
    loadFile = async () => {};
    loadURL = async () => {};
    constructor(readonly options: { webPreferences: Record<string, unknown> }) {
      super();
      windows.push(this);
    }
  }
  const app = Object.assign(new EventEmitter(), {
    enableSandbox: vi.fn(),
    requestSingleInstanceLock: () => true,
    whenReady: () => Promise.resolve(),
    getAppPath: () => '/nonexistent/app',
    quit: vi.fn(),
  });
  return {
    windows,
    handlers,
    permission: () => permissionHandler,
    module: {
      app,
      BrowserWindow,
      ipcMain: { handle: (c: string, h: unknown) => handlers.set(c, h), removeHandler: (c: string) => handlers.delete(c) },
      session: {
        defaultSession: { setPermissionRequestHandler: (h: typeof permissionHandler) => (permissionHandler = h), setPermissionCheckHandler: () => {} },
      },
      utilityProcess: { fork: vi.fn() },
    },
  };
});
vi.mock('electron', () => electron.module);

describe('main process wiring', () => {
  it('enables the sandbox, serves the contract over IPC and opens one locked-down window', async () => {
    await import('./index.ts');
    await new Promise((r) => setTimeout(r, 20));
    expect(electron.module.app.enableSandbox).toHaveBeenCalled();
    expect([...electron.handlers.keys()].sort()).toEqual(REQUEST_NAMES.map(ipcChannel).sort());
    expect(electron.windows).toHaveLength(1);
    const prefs = (electron.windows[0] as { options: { webPreferences: Record<string, unknown> } }).options.webPreferences;
    expect(prefs).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false });
    expect(String(prefs.preload)).toMatch(/preload[/\\]preload\.cjs$/);
    const decisions: boolean[] = [];
    electron.permission()!({}, 'media', (ok) => decisions.push(ok));
    expect(decisions).toEqual([false]);
  });

  it('locks down any other web contents created later', () => {
    const contents = Object.assign(new EventEmitter(), { setWindowOpenHandler: vi.fn() });
    electron.module.app.emit('web-contents-created', {}, contents);
    expect(contents.setWindowOpenHandler).toHaveBeenCalled();
    expect(contents.listenerCount('will-navigate')).toBe(1);
  });
});
