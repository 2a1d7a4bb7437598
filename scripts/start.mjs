#!/usr/bin/env node
/**
 * `npm start`: opens the desktop app (electron-vite preview: builds main, preload and renderer,
 * then starts Electron); `npm start -- --dev` runs it with the dev server instead.
 * When the Electron binary is not installed (it is downloaded at install time, which is not
 * possible everywhere), nothing is downloaded now: it says how to run the same app in a browser.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));

/** The Electron executable if it is installed; null otherwise (without triggering a download). */
export function installedElectron() {
  let dir;
  try {
    dir = dirname(require.resolve('electron/package.json'));
  } catch {
    return null;
  }
  const pathFile = join(dir, 'path.txt');
  if (!existsSync(pathFile)) return null;
  const relative = readFileSync(pathFile, 'utf8').trim();
  const dist = process.env.ELECTRON_OVERRIDE_DIST_PATH || join(dir, 'dist');
  const executable = join(dist, relative);
  return existsSync(executable) ? executable : null;
}

export const FALLBACK_MESSAGE = [
  'hwr: the Electron binary is not installed, so the desktop app cannot open here.',
  '',
  'Run the same app in your browser instead:',
  '',
  '    npx hwr serve',
  '',
  'and open the address it prints (it carries an access token).',
  'To get the desktop app, install Electron where downloads are possible:',
  '    node node_modules/electron/install.js',
].join('\n');

function main() {
  if (!installedElectron()) {
    console.error(FALLBACK_MESSAGE);
    return 1;
  }
  const dev = process.argv.includes('--dev');
  const cli = join(dirname(require.resolve('electron-vite/package.json')), 'bin', 'electron-vite.js');
  const child = spawn(process.execPath, [cli, dev ? 'dev' : 'preview'], { cwd: root, stdio: 'inherit' });
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  return null;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const code = main();
  if (code !== null) process.exitCode = code;
}
