/**
 * Paths named in README.md and in the comments of the code (`app/image/frame.ts`,
 * `tests/helpers/...`) exist, so a moved file cannot leave its old name behind.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const TOPS = ['app', 'main', 'renderer', 'tests', 'bench', 'scripts'];

function sources(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : sources(path);
    return /\.(ts|mjs|svelte)$/.test(entry.name) ? [path] : [];
  });
}

/** The comment on each line: a whole line of a block or `//` comment, or what follows a trailing `// `. */
function comments(source: string): string[] {
  return source.split('\n').map((line) => {
    const trimmed = line.trimStart();
    if (/^(\/\/|\/\*|\*|<!--)/.test(trimmed)) return line;
    const trailing = line.indexOf(' // ');
    return trailing >= 0 ? line.slice(trailing) : '';
  });
}

/** Paths in text, with `{a,b}` expanded; globs and placeholders (`models/NAME.onnx`) left out. */
function pathsIn(text: string): string[] {
  const found: string[] = [];
  const re = /(?<![\w./-])((?:app|main|renderer|tests|bench|scripts|models|assets)\/[\w.{},/-]*[\w}])/g;
  for (const m of text.matchAll(re)) {
    const path = m[1]!;
    const brace = /\{([^{}]*)\}/.exec(path);
    const expanded = brace ? brace[1]!.split(',').map((part) => path.replace(brace[0], part)) : [path];
    for (const p of expanded) if (!p.includes('*') && !/\/[A-Z]+\.\w+$/.test(p)) found.push(p);
  }
  return found;
}

/** 'file:line: path' for each path named that does not exist. */
function missingPaths(files: Record<string, string[]>, exists: (path: string) => boolean): string[] {
  const missing: string[] = [];
  for (const [file, lines] of Object.entries(files)) {
    lines.forEach((line, i) => {
      for (const path of pathsIn(line)) if (!exists(path)) missing.push(`${file}:${i + 1}: ${path}`);
    });
  }
  return missing;
}

describe('paths named in docs and comments', () => {
  it('finds paths, expands braces and skips globs and placeholders', () => {
    expect(pathsIn('see app/base/{atomic,paths}.ts and (app/image/frame.ts), tests/*.test.ts, `models/NAME.onnx`.')).toEqual([
      'app/base/atomic.ts',
      'app/base/paths.ts',
      'app/image/frame.ts',
    ]);
    expect(missingPaths({ 'x.ts': ['', ' * framed as in app/data/frame.ts'] }, (p) => p !== 'app/data/frame.ts')).toEqual(['x.ts:2: app/data/frame.ts']);
  });

  it('every path that README.md and the comments of app/, main/, renderer/, tests/, bench/ and scripts/ name exists', () => {
    const files: Record<string, string[]> = { 'README.md': readFileSync(join(root, 'README.md'), 'utf8').split('\n') };
    for (const file of TOPS.flatMap(sources)) files[file] = comments(readFileSync(join(root, file), 'utf8'));
    expect(Object.keys(files).length).toBeGreaterThan(100);
    expect(missingPaths(files, (path) => existsSync(join(root, path)))).toEqual([]);
  });
});
