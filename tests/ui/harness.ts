/**
 * Browser tests of the app as users get it from `hwr serve`: a real server started on a free
 * port with a fresh data folder, driven by playwright-core through the system's Chromium.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { projectRoot, modelsDir } from '../../app/base/paths.ts';
import { buildRenderer, rendererStale } from '../../app/server/renderer-build.ts';
import { spawnServe } from '../helpers/serve.ts';

export const CHROMIUM = process.env.HWR_CHROMIUM ?? '/usr/bin/chromium';
export const SCREENSHOTS = join(projectRoot, 'test-results', 'ui');

export interface Served {
  url: string;
  home: string;
  stop(): Promise<void>;
}

/** Builds the UI if its sources changed since the last build (the server would serve a stale one). */
export async function ensureUi(): Promise<void> {
  if (rendererStale()) await buildRenderer();
}

/** `hwr serve --port 0` with its own HWR_HOME; resolves with the address it prints (token included). */
export async function startServe(options: { models?: string; home?: string; port?: number; env?: NodeJS.ProcessEnv } = {}): Promise<Served> {
  // A data folder given is the caller's (a restart on it): kept at stop.
  const home = options.home ?? mkdtempSync(join(tmpdir(), 'hwr-ui-home-'));
  const port = options.port === undefined ? [] : ['--port', String(options.port)];
  const { child, url } = await spawnServe(['--home', home, '--models', options.models ?? modelsDir, ...port], { ...options.env, HWR_HOME: home });
  return {
    url,
    home,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      if (!options.home) rmSync(home, { recursive: true, force: true });
    },
  };
}

export interface Browser {
  context: BrowserContext;
  page: Page;
  /** Console errors and uncaught exceptions seen on the page. */
  errors: string[];
  close(): Promise<void>;
}

export async function openBrowser(url: string): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM} (set HWR_CHROMIUM)`);
  const profile = mkdtempSync(join(tmpdir(), 'hwr-ui-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1400, height: 900 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  await page.goto(url);
  return {
    context,
    page,
    errors,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path });
  return path;
}

/** Draws straight strokes on the drawing pad with the mouse (coordinates in pad pixels). */
export async function drawStrokes(page: Page, strokes: [number, number][][]): Promise<void> {
  const pad = await page.getByLabel('Drawing area: write one character').boundingBox();
  if (!pad) throw new Error('drawing pad not visible');
  for (const stroke of strokes) {
    const [first, ...rest] = stroke;
    await page.mouse.move(pad.x + first![0], pad.y + first![1]);
    await page.mouse.down();
    for (const [x, y] of rest) await page.mouse.move(pad.x + x, pad.y + y, { steps: 10 });
    await page.mouse.up();
  }
}

/** Writes pen strokes (pad pixels, as tests/helpers/pen-font.ts makes them) on the Draw view's writing pad. */
export async function writeOnPad(page: Page, strokes: readonly (readonly { x: number; y: number }[])[]): Promise<void> {
  const pad = await page.getByLabel('Writing area: write words and lines').boundingBox();
  if (!pad) throw new Error('writing pad not visible');
  for (const stroke of strokes) {
    await page.mouse.move(pad.x + stroke[0]!.x, pad.y + stroke[0]!.y);
    await page.mouse.down();
    for (const p of stroke.slice(1)) await page.mouse.move(pad.x + p.x, pad.y + p.y);
    await page.mouse.up();
  }
}

/** Pastes an image into the page the way Ctrl+V with an image on the clipboard does. */
export async function pasteImage(page: Page, file: { name: string; type: string; base64: string }): Promise<void> {
  await page.evaluate((f) => {
    // Runs in the page (DOM types are not in this project's lib).
    const g = globalThis as unknown as {
      DataTransfer: new () => { items: { add(file: File): void } };
      ClipboardEvent: new (type: string, init: object) => Event;
      dispatchEvent(e: Event): boolean;
    };
    const dt = new g.DataTransfer();
    dt.items.add(new File([Uint8Array.from(atob(f.base64), (c) => c.charCodeAt(0))], f.name, { type: f.type }));
    g.dispatchEvent(new g.ClipboardEvent('paste', { clipboardData: dt, bubbles: true }));
  }, file);
}

/** Drops files on an element the way a user's drag and drop does. */
export async function dropFiles(page: Page, selector: string, files: { name: string; type: string; base64: string }[]): Promise<void> {
  const transfer = await page.evaluateHandle((list) => {
    // Runs in the page (DOM types are not in this project's lib).
    const { DataTransfer } = globalThis as unknown as { DataTransfer: new () => { items: { add(file: File): void } } };
    const dt = new DataTransfer();
    for (const f of list) dt.items.add(new File([Uint8Array.from(atob(f.base64), (c) => c.charCodeAt(0))], f.name, { type: f.type }));
    return dt;
  }, files);
  await page.dispatchEvent(selector, 'dragover', { dataTransfer: transfer });
  await page.dispatchEvent(selector, 'drop', { dataTransfer: transfer });
}

/** Whether the folder holds a shipped classifier (cnn.onnx or mlp.onnx). */
export function classifierShipped(dir = modelsDir): boolean {
  return ['cnn.onnx', 'mlp.onnx'].some((f) => existsSync(join(dir, f)));
}

/** Whether the folder holds the shipped autoencoder. */
export function autoencoderShipped(dir = modelsDir): boolean {
  return existsSync(join(dir, 'ae.onnx'));
}

/**
 * `hwr serve` over the models the UI tests use (the shipped ones unless HWR_UI_MODELS points
 * elsewhere), with the UI built; fails clearly when no classifier is there.
 */
export const uiModels = process.env.HWR_UI_MODELS ?? modelsDir;

export async function serveForUi(options: { home?: string; port?: number; env?: NodeJS.ProcessEnv } = {}): Promise<Served> {
  const models = uiModels;
  if (!classifierShipped(models)) throw new Error(`the UI tests need a classifier (cnn.onnx or mlp.onnx) in ${models}`);
  await ensureUi();
  return startServe({ models, ...options });
}
