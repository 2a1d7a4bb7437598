/**
 * The layers of the tree (README, "Layout") and the one adapter per native package. Reads every
 * import in app/, main/ and renderer/ (static, dynamic, re-exports, worker URLs, Svelte
 * scripts) and fails on one that the table does not allow, naming the file and the import.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');

/**
 * Each layer and the layers it may import, besides itself. Lower layers never import higher ones.
 * `contract` (the UI boundary's types) and `shared` (pure, browser-safe helpers) are what the
 * renderer may use.
 */
export const LAYERS: Record<string, readonly string[]> = {
  contract: [],
  shared: ['contract'],
  base: ['shared', 'contract'],
  nn: ['base', 'shared', 'contract'],
  image: ['base', 'shared', 'contract'],
  data: ['image', 'base', 'shared', 'contract'],
  onnx: ['nn', 'base', 'shared', 'contract'],
  recognize: ['onnx', 'data', 'nn', 'image', 'base', 'shared', 'contract'],
  train: ['recognize', 'onnx', 'data', 'nn', 'image', 'base', 'shared', 'contract'],
  services: ['queue', 'train', 'recognize', 'onnx', 'data', 'nn', 'image', 'base', 'shared', 'contract'],
  server: ['services', 'base', 'shared', 'contract'],
  queue: ['recognize', 'base', 'shared', 'contract'],
  cli: ['queue', 'server', 'services', 'train', 'recognize', 'onnx', 'data', 'nn', 'image', 'base', 'shared', 'contract'],
  main: ['services', 'base', 'shared', 'contract'],
  renderer: ['shared', 'contract'],
};

/** Packages that only one place may use: each native module sits behind one small adapter. */
const ADAPTERS: Record<string, (file: string) => boolean> = {
  sharp: (f) => f === 'app/image/decode.ts',
  'onnxruntime-node': (f) => f === 'app/onnx/runtime.ts',
  electron: (f) => f.startsWith('main/'),
  '@tensorflow/': (f) => f.startsWith('app/train/tfjs/'),
  bullmq: (f) => f.startsWith('app/queue/'),
  ioredis: (f) => f.startsWith('app/queue/'),
};

export function layerOf(file: string): string | null {
  if (file === 'app/contract.ts') return 'contract';
  const [top, second] = file.split('/');
  if (top === 'main' || top === 'renderer') return top;
  if (top === 'app' && second && second in LAYERS) return second;
  return null;
}

/** Every module specifier a source file names. */
export function importsOf(source: string): string[] {
  const found: string[] = [];
  const patterns = [
    /\b(?:import|export)\s[^'"`;]*?\sfrom\s*['"]([^'"]+)['"]/g,
    /\bimport\s*['"]([^'"]+)['"]/g,
    /\bimport\s*\(\s*(?:\/\*.*?\*\/\s*)?['"]([^'"]+)['"]/g,
    /\bnew URL\(\s*['"]([^'"]+)['"]\s*,\s*import\.meta\.url/g,
    /\brequire\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  for (const re of patterns) for (const m of source.matchAll(re)) found.push(m[1]!);
  return found;
}

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) out.push(...sources(path));
    else if (/\.(ts|mjs|svelte)$/.test(entry.name) && !entry.name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

/** 'file: import' for each import that breaks the table. */
export function violations(files: readonly string[], read: (file: string) => string): string[] {
  const bad: string[] = [];
  for (const file of files) {
    const from = layerOf(file);
    const isTest = file.endsWith('.test.ts');
    for (const spec of importsOf(read(file))) {
      if (spec.startsWith('.')) {
        const target = relative(root, resolve(root, dirname(file), spec))
          .split('\\')
          .join('/');
        if (target.startsWith('tests/') || target.startsWith('bench/')) {
          bad.push(`${file}: ${spec} (${isTest ? 'a unit test beside the code' : 'product code'} may not use tests/ or bench/; put such tests under tests/)`);
          continue;
        }
        if (/\.(wasm|json|html|css)$/.test(target)) continue;
        const to = layerOf(target);
        if (!from || !to || to === from) continue;
        if (!LAYERS[from]!.includes(to)) bad.push(`${file}: ${spec} (${from} may not import ${to})`);
      } else {
        for (const [pkg, allowed] of Object.entries(ADAPTERS)) {
          if ((spec === pkg || spec.startsWith(pkg.endsWith('/') ? pkg : `${pkg}/`)) && !isTest && !allowed(file)) {
            bad.push(`${file}: ${spec} (only its adapter may import ${pkg})`);
          }
        }
        if ((from === 'renderer' || from === 'shared') && spec.startsWith('node:')) bad.push(`${file}: ${spec} (${from} code runs in a browser)`);
        if (from === 'shared' && !spec.startsWith('node:')) bad.push(`${file}: ${spec} (shared code is plain TypeScript, no packages)`);
      }
    }
  }
  return bad;
}

describe('layers', () => {
  const files = ['app', 'main', 'renderer'].flatMap(sources);
  const read = (file: string) => readFileSync(join(root, file), 'utf8');

  it('every file of app/, main/ and renderer/ belongs to a layer', () => {
    expect(files.length).toBeGreaterThan(100);
    expect(files.filter((f) => layerOf(f) === null)).toEqual([]);
  });

  it('no import points up the table, into tests/, or past an adapter', () => {
    expect(violations(files, read)).toEqual([]);
  });

  it('the check catches an upward import, a test helper in product code and a stray native import', () => {
    const fake: Record<string, string> = {
      'app/nn/layers.ts': "import { loadDataset } from '../data/index.ts';",
      'app/recognize/x.ts': "const m = await import('../train/train.ts');",
      'app/data/y.ts': "import sharp from 'sharp';\nexport { a } from '../../tests/helpers/fixtures.ts';",
      'renderer/src/z.ts': "import type { Page } from '../../app/recognize/document.ts';\nimport { readFileSync } from 'node:fs';",
      'app/train/ok.ts': "import { createRng } from '../base/random.ts';\nimport type { Arch } from '../contract.ts';",
    };
    expect(violations(Object.keys(fake), (f) => fake[f]!)).toEqual([
      'app/nn/layers.ts: ../data/index.ts (nn may not import data)',
      'app/recognize/x.ts: ../train/train.ts (recognize may not import train)',
      'app/data/y.ts: sharp (only its adapter may import sharp)',
      'app/data/y.ts: ../../tests/helpers/fixtures.ts (product code may not use tests/ or bench/; put such tests under tests/)',
      'renderer/src/z.ts: ../../app/recognize/document.ts (renderer may not import recognize)',
      'renderer/src/z.ts: node:fs (renderer code runs in a browser)',
    ]);
  });
});
