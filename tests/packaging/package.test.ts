/**
 * Packaging without the Electron download: electron-builder.yml is read and checked as
 * electron-builder reads it (its own minimatch, `dot: true`), and the main process is built with
 * `electron-vite build` and loaded under a fake Electron whose app lives in resources/app.asar.
 * Every native library the built main process loads must be one the packages unpack, and the
 * worker processes must be pointed at unpacked files.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { execFileSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { IMAGE_TYPES, ipcChannel } from '../../app/contract.ts';
import { projectRoot } from '../../app/base/paths.ts';

const requireHere = createRequire(import.meta.url);
const yaml = requireHere('js-yaml') as { load(text: string): unknown };
// The matcher electron-builder itself uses (app-builder-lib/out/fileMatcher.js: { dot: true }).
const builderRequire = createRequire(requireHere.resolve('app-builder-lib/package.json'));
const { minimatch } = builderRequire('minimatch') as { minimatch: (path: string, pattern: string, options: { dot: boolean }) => boolean };
const matches = (path: string, pattern: string) => minimatch(path, pattern, { dot: true });

interface BuilderConfig {
  appId: string;
  productName: string;
  npmRebuild: boolean;
  icon: string;
  files: string[];
  asarUnpack: string[];
  fileAssociations: { ext: string | string[]; mimeType: string; name: string }[];
  linux: { target: string[]; files: string[]; icon: string; maintainer: string; executableName: string };
  win: { target: string[]; files: string[]; icon: string };
  mac: { target: string[]; files: string[]; icon: string };
}
const config = yaml.load(readFileSync(join(projectRoot, 'electron-builder.yml'), 'utf8')) as BuilderConfig;

/** Files of a package under node_modules, relative to the project (as electron-builder sees them). */
function packageFiles(pkg: string): string[] {
  const dir = join(projectRoot, 'node_modules', pkg);
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(projectRoot, join(e.parentPath, e.name)).split(sep).join('/'));
}
const isNative = (f: string) => /\.(node|so(\.\d+)*|dylib|dll)$/.test(f) || /\/bin\/esbuild$|\/esbuild\.exe$/.test(f);
const unpacked = (f: string) => config.asarUnpack.some((p) => matches(f, p));

/** Whether a platform's package keeps a node_modules file: excluded by no negative pattern of the top level or the platform. */
function kept(file: string, platform: 'linux' | 'win' | 'mac'): boolean {
  const negatives = [...config.files, ...config[platform].files].filter((p) => p.startsWith('!')).map((p) => p.slice(1));
  return !negatives.some((p) => matches(file, p));
}

describe('electron-builder.yml', () => {
  it('names the app, its icon and every target: AppImage, deb, NSIS, dmg', () => {
    expect(config.appId).toBe('org.hwr.desktop');
    expect(config.productName).toBe('hwr');
    expect(config.linux.target).toEqual(['AppImage', 'deb']);
    expect(config.win.target).toEqual(['nsis']);
    expect(config.mac.target).toEqual(['dmg']);
    expect(config.linux.maintainer).toMatch(/<.+@.+>/); // deb refuses to build without one
    for (const icon of [config.icon, config.linux.icon, config.win.icon, config.mac.icon]) expect(icon).toBe('assets/icon.png');
    expect(config.npmRebuild).toBe(false);
  });

  it('ships the built app, the worker sources, the models, and no tests', () => {
    const shipped = (f: string) =>
      config.files.some((p) => !p.startsWith('!') && matches(f, p)) && !config.files.some((p) => p.startsWith('!') && matches(f, p.slice(1)));
    for (const f of [
      'out/main/index.js',
      'out/main/worker-process.js',
      'out/preload/preload.cjs',
      'out/renderer/index.html',
      'app/services/worker.ts',
      'app/nn/kernels/simd.wasm',
      'app/nn/kernels/thread.mjs',
      'models/mlp.onnx',
      'models/mlp.md',
      'package.json',
    ]) {
      expect(shipped(f), f).toBe(true);
    }
    for (const f of ['tests/services/services.test.ts', 'tests/ui/harness.ts', 'renderer/src/App.svelte', 'runs/x/model.onnx', 'out/main/index.js.map'])
      expect(shipped(f), f).toBe(false);
    for (const f of readdirSync(join(projectRoot, 'models')).filter((f) => f.endsWith('.onnx'))) expect(shipped(`models/${f}`), f).toBe(true);
  });

  it('unpacks every native module, shared library and program from the asar', () => {
    const natives = ['onnxruntime-node', '@img', '@esbuild'].flatMap(packageFiles).filter(isNative);
    expect(natives.some((f) => f.endsWith('onnxruntime_binding.node'))).toBe(true);
    expect(natives.some((f) => /libonnxruntime/.test(f))).toBe(true);
    expect(natives.some((f) => /@img\/sharp-[^/]+\/lib\/sharp-[^/]+\.node$/.test(f))).toBe(true);
    expect(natives.some((f) => /@img\/sharp-libvips-[^/]+\/lib\/libvips/.test(f))).toBe(true);
    expect(natives.some((f) => /@esbuild\/.+esbuild(\.exe)?$/.test(f))).toBe(true);
    expect(natives.filter((f) => !unpacked(f))).toEqual([]);
    expect(unpacked('node_modules/sharp/lib/index.js')).toBe(false);
  });

  it("prunes other platforms' onnxruntime binaries from each package, and keeps its own", () => {
    const ort = packageFiles('onnxruntime-node').filter((f) => /\/bin\/napi-v\d+\//.test(f));
    const platformOf = (f: string) => /\/napi-v\d+\/(darwin|linux|win32)\//.exec(f)![1]!;
    const own = { linux: 'linux', win: 'win32', mac: 'darwin' } as const;
    for (const target of ['linux', 'win', 'mac'] as const) {
      const keptFiles = ort.filter((f) => kept(f, target));
      expect(keptFiles.length, target).toBeGreaterThan(0);
      expect(new Set(keptFiles.map(platformOf)), target).toEqual(new Set([own[target]]));
    }
  });

  it('opens the images the app reads (IMAGE_TYPES): one association per type, with its MIME type and extensions', () => {
    const associations = config.fileAssociations.map((a) => ({ name: a.name, mimeType: a.mimeType, extensions: Array.isArray(a.ext) ? a.ext : [a.ext] }));
    expect(associations).toEqual(IMAGE_TYPES.map((t) => ({ name: `${t.name} image`, mimeType: t.mimeType, extensions: [...t.extensions] })));
  });

  it('has a 512×512 icon drawn from its SVG', async () => {
    // Imported here, after the built main process has loaded sharp itself (see below).
    const { default: sharp } = await import('sharp');
    const png = await sharp(join(projectRoot, 'assets', 'icon.png')).metadata();
    expect(png).toMatchObject({ format: 'png', width: 512, height: 512 });
    const svg = await sharp(join(projectRoot, 'assets', 'icon.svg')).metadata();
    expect(svg).toMatchObject({ format: 'svg', width: 512, height: 512 });
  });
});

// ---------------------------------------------------------------------------------------------
// The built main process in a packaged layout

const root = mkdtempSync(join(tmpdir(), 'hwr-package-'));
const outDir = join(root, 'out');
/** A packaged app's resources: app.asar (here a folder of that name) with the package files tsx needs. */
const appRoot = join(root, 'resources', 'app.asar');
const electron = await vi.hoisted(async () => {
  const { EventEmitter } = await import('node:events');
  const handlers = new Map<string, (event: unknown, payload: unknown) => Promise<unknown>>();
  const forks: { path: string; args: string[]; env: Record<string, string | undefined> }[] = [];
  const state = { appPath: '' };
  class BrowserWindow extends EventEmitter {
    static getAllWindows = () => [];
    webContents = Object.assign(new EventEmitter(), { setWindowOpenHandler: () => {}, send: () => {}, isDestroyed: () => false });
    loadFile = async () => {};
    loadURL = async () => {};
  }
  const module = {
    app: Object.assign(new EventEmitter(), {
      enableSandbox: () => {},
      requestSingleInstanceLock: () => true,
      whenReady: () => Promise.resolve(),
      getAppPath: () => state.appPath,
      quit: () => {},
      isPackaged: true,
    }),
    BrowserWindow,
    ipcMain: { handle: (c: string, h: never) => handlers.set(c, h), removeHandler: (c: string) => handlers.delete(c) },
    session: { defaultSession: { setPermissionRequestHandler: () => {}, setPermissionCheckHandler: () => {} } },
    utilityProcess: {
      fork: (path: string, args: string[], options: { env: Record<string, string | undefined> }) => {
        forks.push({ path, args, env: options.env });
        return Object.assign(new EventEmitter(), { stderr: new EventEmitter(), postMessage: () => {}, kill: () => true, pid: 4242 });
      },
    },
  };
  return { module, handlers, forks, state };
});
vi.mock('electron', () => electron.module);

const loaded: string[] = [];
beforeAll(async () => {
  execFileSync(
    process.execPath,
    [join(projectRoot, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js'), 'build', '--outDir', outDir, '--logLevel', 'warn'],
    { cwd: projectRoot, stdio: 'pipe', timeout: 240_000 },
  );
  // The package files the main process resolves to find esbuild, in the archive's layout.
  for (const pkg of ['tsx', 'esbuild', `@esbuild/${process.platform}-${process.arch}`]) {
    mkdirSync(join(appRoot, 'node_modules', pkg), { recursive: true });
    cpSync(join(projectRoot, 'node_modules', pkg, 'package.json'), join(appRoot, 'node_modules', pkg, 'package.json'));
  }
  writeFileSync(join(appRoot, 'package.json'), readFileSync(join(projectRoot, 'package.json')));
  electron.state.appPath = appRoot;
  process.env.HWR_HOME = join(root, 'home');
  process.env.HWR_DATASETS = root; // the test's own dataset folder
  // Which native libraries the built main process loads, and from where.
  const dlopen = process.dlopen.bind(process);
  process.dlopen = ((...args: Parameters<typeof process.dlopen>) => {
    loaded.push(args[1]);
    return dlopen(...args);
  }) as typeof process.dlopen;
  await import(pathToFileURL(join(outDir, 'main', 'index.js')).href);
  await new Promise((r) => setTimeout(r, 50));
}, 300_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('the built main process (electron-vite build)', () => {
  it('keeps native modules out of the bundle and no build-machine path in it', () => {
    const bundle = readFileSync(join(outDir, 'main', 'index.js'), 'utf8');
    expect(bundle).toMatch(/from ["']onnxruntime-node["']/);
    expect(bundle).toMatch(/from ["']sharp["']/);
    expect(bundle).not.toContain(projectRoot);
    expect(bundle).toContain('ESBUILD_BINARY_PATH');
  });

  it('loads only native libraries that the packages unpack', () => {
    const natives = loaded.map((f) => relative(projectRoot, f).split(sep).join('/'));
    expect(natives.some((f) => f.endsWith('onnxruntime_binding.node'))).toBe(true);
    expect(natives.some((f) => /sharp-.*\.node$/.test(f))).toBe(true);
    expect(natives.filter((f) => !unpacked(f))).toEqual([]);
  });

  it('starts the workers from the bundle with the unpacked esbuild and the archive as app root', async () => {
    expect(electron.handlers.has(ipcChannel('startTraining'))).toBe(true);
    const data = join(root, 'data');
    mkdirSync(data, { recursive: true });
    const appFrame = { senderFrame: { url: pathToFileURL(join(outDir, 'renderer', 'index.html')).href, parent: null } };
    const outcome = (await electron.handlers.get(ipcChannel('startTraining'))!(appFrame, {
      arch: 'mlp',
      dataset: data,
      epochs: 1,
      learningRate: 0.1,
      batchSize: 8,
      momentum: 0.9,
      limit: 0,
      augment: false,
      balance: false,
      patience: 0,
      seed: 1,
    })) as { ok: boolean };
    expect(outcome.ok).toBe(true);
    const fork = electron.forks.at(-1)!;
    expect(fork.path).toBe(join(outDir, 'main', 'worker-process.js'));
    expect(fork.args).toEqual(['train']);
    expect(fork.env.HWR_APP_ROOT).toBe(appRoot);
    const binary = process.platform === 'win32' ? 'esbuild.exe' : join('bin', 'esbuild');
    expect(fork.env.ESBUILD_BINARY_PATH).toBe(
      join(dirname(appRoot), 'app.asar.unpacked', 'node_modules', '@esbuild', `${process.platform}-${process.arch}`, binary),
    );
  });
});
