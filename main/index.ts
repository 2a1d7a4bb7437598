/**
 * Electron main process: wires the window, the preload's contract over IPC and the training
 * process to app/services. No behaviour of its own; everything it adapts is tested without
 * Electron (main/*.test.ts mock it).
 */
import { app, BrowserWindow, dialog, ipcMain, session, utilityProcess } from 'electron';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isOpenableImage } from '../app/contract.ts';
import { createServices } from '../app/services/services.ts';
import { packagedWorkerEnv } from './asar.ts';
import { forwardEvents, registerIpc, trustedSender } from './ipc.ts';
import { hardenSession } from './security.ts';
import { utilityWorkers } from './workers.ts';
import { createMainWindow, isAppUrl, lockDown, type RendererSource } from './window.ts';

const here = fileURLToPath(new URL('.', import.meta.url));
/** The image files among command-line arguments (options and the app's own path are not). */
const imagesIn = (args: readonly string[]) => args.filter((a) => !a.startsWith('-') && isOpenableImage(a) && existsSync(a));
const fileUrl = (path: string) => pathToFileURL(path).href;

app.enableSandbox();
if (!app.requestSingleInstanceLock()) app.quit();

// Images to open: on the command line (Windows, Linux: file associations start the app with the
// path), and from the Finder on macOS, which may ask before the app is ready.
const early: string[] = imagesIn(process.argv.slice(1));
let openFiles = (paths: string[]): void => void early.push(...paths);
app.on('open-file', (event, path) => {
  event.preventDefault();
  openFiles([path]);
});

void app.whenReady().then(() => {
  const appRoot = app.getAppPath();
  const source: RendererSource = process.env.ELECTRON_RENDERER_URL
    ? { url: process.env.ELECTRON_RENDERER_URL }
    : { file: join(here, '..', 'renderer', 'index.html') };
  const sharedData = [process.env.HWR_DATA, join(appRoot, '..', 'shared', 'data')].find((d): d is string => !!d && existsSync(d)) ?? null;
  let services: ReturnType<typeof createServices>;
  try {
    services = createServices({
      transport: 'ipc',
      modelsDir: join(appRoot, 'models'),
      sharedData,
      launchWorker: utilityWorkers(
        (path, args, options) => utilityProcess.fork(path, args, options),
        join(here, 'worker-process.js'),
        appRoot,
        packagedWorkerEnv(appRoot, (from, id) => createRequire(from).resolve(id)),
      ),
    });
  } catch (err) {
    // The data folder in use by hwr serve, or not writable: say so in a window, not a silent exit.
    dialog.showErrorBox('hwr cannot start', (err as Error).message);
    app.quit();
    return;
  }
  openFiles = (paths) => services.openFiles(paths);
  services.openFiles(early);
  hardenSession(session.defaultSession);
  // Any web contents, not only the window's, gets the same limits.
  app.on('web-contents-created', (_event, contents) => lockDown(contents, source, fileUrl));
  registerIpc(
    ipcMain,
    services,
    trustedSender((url) => isAppUrl(url, source, fileUrl)),
  );

  const open = () => {
    const win = createMainWindow(BrowserWindow, join(here, '..', 'preload', 'preload.cjs'), source, fileUrl);
    forwardEvents(services, win.webContents);
  };
  open();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) open();
  });
  app.on('second-instance', (_event, argv) => {
    openFiles(imagesIn(argv.slice(1)));
    BrowserWindow.getAllWindows()[0]?.focus();
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  app.on('will-quit', () => void services.close());
});
