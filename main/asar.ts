/**
 * Paths in the packaged app. electron-builder puts the app in resources/app.asar, an archive
 * Electron reads like a folder; the files matched by `asarUnpack` (electron-builder.yml) are
 * copied to resources/app.asar.unpacked instead, because the operating system can neither load a
 * shared library nor start a program that sits inside an archive. Electron's require() finds an
 * unpacked .node file by itself; a path handed to the OS (a program to spawn, a library to load
 * by path) must be rewritten with `unpackedPath`.
 */
import { dirname, join } from 'node:path';

const ASAR_SEGMENT = /([\\/])app\.asar(?=[\\/]|$)/;

/** Whether a path lies inside an app.asar archive. */
export function isInsideAsar(path: string): boolean {
  return ASAR_SEGMENT.test(path);
}

/** The same path in app.asar.unpacked when it lies inside app.asar; any other path as it is. */
export function unpackedPath(path: string): string {
  return path.replace(ASAR_SEGMENT, '$1app.asar.unpacked');
}

/** Resolves a module id (like require.resolve) from a given file. */
export type ResolveFrom = (from: string, id: string) => string;

/**
 * esbuild's native program for this platform, as the esbuild that tsx uses would find it: the
 * workers run the TypeScript sources through tsx, which starts that program.
 */
export function esbuildBinary(appRoot: string, resolveFrom: ResolveFrom, platform: string = process.platform, arch: string = process.arch): string {
  const tsx = resolveFrom(join(appRoot, 'package.json'), 'tsx/package.json');
  const esbuild = resolveFrom(tsx, 'esbuild/package.json');
  const pkg = dirname(resolveFrom(esbuild, `@esbuild/${platform}-${arch}/package.json`));
  return platform === 'win32' ? join(pkg, 'esbuild.exe') : join(pkg, 'bin', 'esbuild');
}

/**
 * What the worker processes need in their environment: when the app runs from an archive, where
 * the unpacked esbuild program is (ESBUILD_BINARY_PATH; esbuild would otherwise try to start it
 * from inside the archive and fail). Nothing when the app runs from a folder.
 */
export function packagedWorkerEnv(
  appRoot: string,
  resolveFrom: ResolveFrom,
  platform: string = process.platform,
  arch: string = process.arch,
): Record<string, string> {
  if (!isInsideAsar(appRoot)) return {};
  return { ESBUILD_BINARY_PATH: unpackedPath(esbuildBinary(appRoot, resolveFrom, platform, arch)) };
}
