/**
 * `--save` installs the model, then its card, each written atomically and flushed to the disk:
 * a crash between the two leaves the new model with the old card, never a card describing a
 * model that is not there (issue 14).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { trainModel } from '../../app/train/train.ts';
import type * as Atomic from '../../app/base/atomic.ts';
import { writeShapesIdx } from '../helpers/fixtures.ts';

const writes = vi.hoisted(() => [] as { path: string; durable: boolean }[]);
vi.mock('../../app/base/atomic.ts', async (original) => {
  const actual = await original<typeof Atomic>();
  return {
    ...actual,
    writeFileAtomic: (path: string, data: string | Uint8Array, o: { durable?: boolean } = {}) => {
      writes.push({ path, durable: o.durable ?? false });
      actual.writeFileAtomic(path, data, o);
    },
  };
});

const shapes = writeShapesIdx(300, 3);
const root = mkdtempSync(join(tmpdir(), 'hwr-install-'));
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
  rmSync(shapes.dir, { recursive: true, force: true });
});

describe('--save', () => {
  it('writes the model before its card, both flushed to the disk', async () => {
    const save = join(root, 'models', 'mine.onnx');
    await trainModel({
      arch: 'mlp',
      data: shapes.images,
      labels: shapes.labels,
      epochs: 1,
      learningRate: 0.1,
      batchSize: 16,
      momentum: 0.9,
      augment: false,
      balance: false,
      patience: 0,
      limit: 0,
      seed: 1,
      outDir: join(root, 'run'),
      save,
    });
    const installed = writes.filter((w) => w.path === save || w.path === join(root, 'models', 'mine.md'));
    expect(installed.map((w) => w.path)).toEqual([save, join(root, 'models', 'mine.md')]);
    expect(installed.every((w) => w.durable)).toBe(true);
    expect(readFileSync(join(root, 'models', 'mine.md'), 'utf8')).toMatch(/^# /);
  });
});
