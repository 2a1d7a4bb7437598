/**
 * The app window, locked down (Electron's security checklist): an isolated, sandboxed renderer
 * with no Node, only the preload's contract; it cannot navigate away, open windows or attach
 * webviews. The page itself carries a strict Content-Security-Policy (renderer/index.html).
 */
import type { BrowserWindow as BrowserWindowType, BrowserWindowConstructorOptions, WebContents, WebPreferences } from 'electron';

/** Where the renderer comes from: the dev server in `electron-vite dev`, else the built file. */
export type RendererSource = { url: string } | { file: string };

export const SECURE_WEB_PREFERENCES: Readonly<WebPreferences> = Object.freeze({
  contextIsolation: true,
  sandbox: true,
  nodeIntegration: false,
  nodeIntegrationInWorker: false,
  nodeIntegrationInSubFrames: false,
  webSecurity: true,
  allowRunningInsecureContent: false,
  webviewTag: false,
  experimentalFeatures: false,
  navigateOnDragDrop: false,
  spellcheck: false,
});

export function windowOptions(preload: string): BrowserWindowConstructorOptions {
  return {
    width: 1360,
    height: 880,
    minWidth: 900,
    minHeight: 600,
    title: 'hwr · handwriting recogniser',
    show: false,
    backgroundColor: '#f5f6f8',
    autoHideMenuBar: true,
    webPreferences: { ...SECURE_WEB_PREFERENCES, preload },
  };
}

/** Whether `url` is the app itself: same origin for the dev server, the same file for the build. */
export function isAppUrl(url: string, source: RendererSource, fileUrl: (path: string) => string): boolean {
  try {
    const target = new URL(url);
    if ('url' in source) return target.origin === new URL(source.url).origin;
    const app = new URL(fileUrl(source.file));
    return target.protocol === 'file:' && target.pathname === app.pathname;
  } catch {
    return false;
  }
}

/** Denies everything a page could use to leave the app or reach past it. */
export function lockDown(contents: WebContents, source: RendererSource, fileUrl: (path: string) => string): void {
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  const stay = (event: { preventDefault(): void }, url: string) => {
    if (!isAppUrl(url, source, fileUrl)) event.preventDefault();
  };
  contents.on('will-navigate', stay);
  contents.on('will-redirect', stay);
  contents.on('will-attach-webview', (event) => event.preventDefault());
}

export function createMainWindow(
  BrowserWindow: typeof BrowserWindowType,
  preload: string,
  source: RendererSource,
  fileUrl: (path: string) => string,
): BrowserWindowType {
  const win = new BrowserWindow(windowOptions(preload));
  lockDown(win.webContents, source, fileUrl);
  win.once('ready-to-show', () => win.show());
  if ('url' in source) void win.loadURL(source.url);
  else void win.loadFile(source.file);
  return win;
}
