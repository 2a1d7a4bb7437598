import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../app/base/paths.ts';
import { esbuildBinary, isInsideAsar, packagedWorkerEnv, unpackedPath, type ResolveFrom } from './asar.ts';
import { createRequire } from 'node:module';

describe('paths in the packaged app', () => {
  it('maps a path inside app.asar to app.asar.unpacked', () => {
    expect(unpackedPath('/opt/hwr/resources/app.asar/node_modules/sharp/lib/index.js')).toBe(
      '/opt/hwr/resources/app.asar.unpacked/node_modules/sharp/lib/index.js',
    );
    expect(unpackedPath('C:\\Program Files\\hwr\\resources\\app.asar\\node_modules\\onnxruntime-node\\bin\\napi-v6\\win32\\x64\\onnxruntime.dll')).toBe(
      'C:\\Program Files\\hwr\\resources\\app.asar.unpacked\\node_modules\\onnxruntime-node\\bin\\napi-v6\\win32\\x64\\onnxruntime.dll',
    );
    expect(unpackedPath('/Applications/hwr.app/Contents/Resources/app.asar')).toBe('/Applications/hwr.app/Contents/Resources/app.asar.unpacked');
  });

  it('leaves every other path alone, and never rewrites twice', () => {
    for (const path of [
      '/home/me/hwr/node_modules/sharp/lib/index.js',
      '/opt/hwr/resources/app.asar.unpacked/x.node',
      '/opt/myapp.asar/x.node',
      '/opt/app.asarx/x.node',
      'relative/app.asar.d/x',
    ]) {
      expect(unpackedPath(path)).toBe(path);
    }
    expect(unpackedPath(unpackedPath('/r/app.asar/a.node'))).toBe('/r/app.asar.unpacked/a.node');
    expect(isInsideAsar('/r/app.asar/a')).toBe(true);
    expect(isInsideAsar('/r/app.asar.unpacked/a')).toBe(false);
  });

  const fakeResolve: ResolveFrom = (from, id) => {
    const base = from.slice(0, from.indexOf('app.asar') + 'app.asar'.length);
    return join(base, 'node_modules', id);
  };

  it('finds the esbuild program tsx runs, per platform', () => {
    const root = '/opt/hwr/resources/app.asar';
    expect(esbuildBinary(root, fakeResolve, 'linux', 'x64')).toBe('/opt/hwr/resources/app.asar/node_modules/@esbuild/linux-x64/bin/esbuild');
    expect(esbuildBinary(root, fakeResolve, 'darwin', 'arm64')).toBe('/opt/hwr/resources/app.asar/node_modules/@esbuild/darwin-arm64/bin/esbuild');
    expect(esbuildBinary(root, fakeResolve, 'win32', 'x64')).toBe(join('/opt/hwr/resources/app.asar/node_modules/@esbuild/win32-x64', 'esbuild.exe'));
  });

  it('gives packaged workers the unpacked esbuild, and nothing when run from a folder', () => {
    expect(packagedWorkerEnv('/opt/hwr/resources/app.asar', fakeResolve, 'linux', 'x64')).toEqual({
      ESBUILD_BINARY_PATH: '/opt/hwr/resources/app.asar.unpacked/node_modules/@esbuild/linux-x64/bin/esbuild',
    });
    expect(packagedWorkerEnv(projectRoot, fakeResolve)).toEqual({});
  });

  it('resolves the real esbuild program of this checkout', () => {
    const path = esbuildBinary(projectRoot, (from, id) => createRequire(from).resolve(id));
    expect(path).toMatch(/node_modules[/\\]@esbuild[/\\][a-z0-9]+-[a-z0-9]+[/\\](bin[/\\]esbuild|esbuild\.exe)$/);
  });
});
