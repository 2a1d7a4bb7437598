import { EventEmitter } from 'node:events';
import { pathToFileURL } from 'node:url';
import { describe, expect, it, vi } from 'vitest';

vi.mock('electron', () => ({}));

const { createMainWindow, isAppUrl, lockDown, SECURE_WEB_PREFERENCES, windowOptions } = await import('./window.ts');

const fileUrl = (p: string) => pathToFileURL(p).href;
const built = { file: '/app/out/renderer/index.html' };
const dev = { url: 'http://localhost:5173/' };

/** Just enough of WebContents to see what lockDown registers. */
class FakeContents extends EventEmitter {
  openHandler: ((details: { url: string }) => { action: string }) | null = null;
  setWindowOpenHandler(handler: (details: { url: string }) => { action: string }) {
    this.openHandler = handler;
  }
}

const navigate = (contents: FakeContents, event: string, url: string) => {
  const e = { preventDefault: vi.fn() };
  contents.emit(event, e, url);
  return e.preventDefault.mock.calls.length > 0;
};

describe('main window security', () => {
  it('isolates and sandboxes the renderer, with no Node and no webviews', () => {
    const prefs = windowOptions('/app/out/preload/preload.cjs').webPreferences!;
    expect(prefs).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      preload: '/app/out/preload/preload.cjs',
    });
    expect(Object.isFrozen(SECURE_WEB_PREFERENCES)).toBe(true);
  });

  it('denies every new window', () => {
    const contents = new FakeContents();
    lockDown(contents as never, built, fileUrl);
    expect(contents.openHandler!({ url: 'https://example.com' })).toEqual({ action: 'deny' });
    expect(contents.openHandler!({ url: fileUrl(built.file) })).toEqual({ action: 'deny' });
  });

  it('blocks navigation and redirects away from the app, allows the app itself', () => {
    const contents = new FakeContents();
    lockDown(contents as never, built, fileUrl);
    expect(navigate(contents, 'will-navigate', 'https://evil.example/')).toBe(true);
    expect(navigate(contents, 'will-navigate', 'file:///etc/passwd')).toBe(true);
    expect(navigate(contents, 'will-redirect', 'http://localhost:5173/')).toBe(true);
    expect(navigate(contents, 'will-navigate', `${fileUrl(built.file)}#x`)).toBe(false);

    const devContents = new FakeContents();
    lockDown(devContents as never, dev, fileUrl);
    expect(navigate(devContents, 'will-navigate', 'http://localhost:5173/other')).toBe(false);
    expect(navigate(devContents, 'will-navigate', 'http://localhost:5174/')).toBe(true);
  });

  it('refuses to attach webviews', () => {
    const contents = new FakeContents();
    lockDown(contents as never, built, fileUrl);
    const e = { preventDefault: vi.fn() };
    contents.emit('will-attach-webview', e, {}, {});
    expect(e.preventDefault).toHaveBeenCalled();
  });

  it('recognises only the app as app URLs', () => {
    expect(isAppUrl(fileUrl(built.file), built, fileUrl)).toBe(true);
    expect(isAppUrl('file:///app/out/renderer/other.html', built, fileUrl)).toBe(false);
    expect(isAppUrl('not a url', built, fileUrl)).toBe(false);
  });

  it('creates the window with those options and loads the built renderer from disk', () => {
    const made: { options: unknown; loadFile: ReturnType<typeof vi.fn>; loadURL: ReturnType<typeof vi.fn> }[] = [];
    class FakeWindow extends EventEmitter {
      webContents = new FakeContents();
      loadFile = vi.fn(async () => {});
      loadURL = vi.fn(async () => {});
      show = vi.fn();
      constructor(options: unknown) {
        super();
        made.push({ options, loadFile: this.loadFile, loadURL: this.loadURL });
      }
    }
    const win = createMainWindow(FakeWindow as never, '/p.cjs', built, fileUrl) as unknown as FakeWindow;
    expect(made[0]!.options).toEqual(windowOptions('/p.cjs'));
    expect(win.loadFile).toHaveBeenCalledWith(built.file);
    expect(win.loadURL).not.toHaveBeenCalled();
    expect(win.webContents.openHandler).not.toBeNull();
    win.emit('ready-to-show');
    expect(win.show).toHaveBeenCalled();
  });
});

describe('renderer page policy', () => {
  it('carries a strict Content-Security-Policy: own scripts only, no eval, no plugins, no framing of others', async () => {
    const { readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { projectRoot } = await import('../app/base/paths.ts');
    const html = readFileSync(join(projectRoot, 'renderer', 'index.html'), 'utf8');
    const csp = /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(html)?.[1];
    expect(csp).toBeDefined();
    const directives = Object.fromEntries(
      csp!
        .split(';')
        .map((d) => d.trim().split(/\s+/))
        .map(([k, ...v]) => [k, v]),
    );
    expect(directives['default-src']).toEqual(["'none'"]);
    expect(directives['script-src']).toEqual(["'self'"]);
    expect(directives['connect-src']).toEqual(["'self'"]);
    expect(directives['base-uri']).toEqual(["'none'"]);
    expect(csp).not.toMatch(/unsafe-eval|\*/);
  });
});
