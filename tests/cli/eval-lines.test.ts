import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../app/cli/main.ts';
import { loadLineDataset } from '../../app/data/lines.ts';
import { writeOnnx } from '../../app/onnx/export.ts';
import { Charset } from '../../app/recognize/charset.ts';
import { selectBackend } from '../../app/train/tfjs/backend.ts';
import {
  ctcLossTf,
  framesOf,
  initialLineWeights,
  lineLogits,
  lineParamLayout,
  lineToNetworkSpec,
  type LineArchitecture,
} from '../../app/train/tfjs/line-model.ts';
import { modelsDir } from '../../app/base/paths.ts';
import { writePage } from '../helpers/line-pages.ts';

const root = mkdtempSync(join(tmpdir(), 'hwr-eval-lines-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function hwr(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a) => void out.push(a.join(' ')));
  const error = vi.spyOn(console, 'error').mockImplementation((...a) => void err.push(a.join(' ')));
  try {
    const code = await main(args);
    return { code, out: out.join('\n'), err: err.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

describe('hwr eval-lines', () => {
  const pages = join(root, 'pages');
  const modelPath = join(root, 'lines.onnx');

  beforeAll(async () => {
    mkdirSync(pages);
    await writePage(pages, 'p1', ['ab ba', 'bab']);
    await writePage(pages, 'p2', ['aab', 'b a b']);
    // A tiny line model trained on these very lines (cut from the pages as eval-lines cuts them).
    const set = await loadLineDataset(pages, { height: 16 });
    const charset = new Charset(['a', 'b', ' ']);
    const arch: LineArchitecture = {
      height: 16,
      convs: [
        { filters: 8, pool: [2, 2] },
        { filters: 16, pool: [2, 1] },
      ],
      seq: [
        { filters: 32, kernel: 3 },
        { filters: 32, kernel: 3 },
      ],
      classes: charset.size,
      dropout: 0,
    };
    await selectBackend({ start: 'wasm' });
    const W = Math.max(...set.lines.map((l) => l.width));
    const x = new Float32Array(set.lines.length * 16 * W);
    set.lines.forEach((l, n) => {
      for (let i = 0; i < l.ink.length; i++) x[(n * 16 + Math.floor(i / l.width)) * W + (i % l.width)] = l.ink[i]! / 255;
    });
    const input = tf.tensor4d(x, [set.lines.length, 16, W, 1]);
    const layout = lineParamLayout(arch);
    const flat = initialLineWeights(layout, 3);
    const params = layout.map((p) => tf.variable(tf.tensor(flat.subarray(p.offset, p.offset + p.size), p.shape)));
    const optimizer = tf.train.adam(0.02);
    const labels = set.lines.map((l) => charset.encode(l.text).labels);
    const frames = set.lines.map((l) => framesOf(arch, l.width));
    let loss = Infinity;
    const widths = set.lines.map((l) => l.width);
    for (let step = 0; step < 1500 && loss > 0.01; step++)
      loss = optimizer.minimize(() => ctcLossTf(tf, lineLogits(tf, arch, params, input, true, undefined, widths), labels, frames), true)!.dataSync()[0]!;
    const trained = new Float32Array(flat.length);
    layout.forEach((p, i) => trained.set(params[i]!.dataSync() as Float32Array, p.offset));
    writeOnnx(modelPath, lineToNetworkSpec(arch, layout, trained, charset.chars));
  }, 120_000);

  it('reads every line of every page and ends with "cer X wer Y"', async () => {
    const { code, out } = await hwr('eval-lines', '--data', pages, '--model', modelPath);
    expect(code).toBe(0);
    const lines = out.split('\n');
    expect(lines.filter((l) => l.startsWith('page '))).toEqual([
      expect.stringMatching(/^page p1 {2}lines 2 {2}cer 0\.0000 {2}wer 0\.0000$/),
      expect.stringMatching(/^page p2 {2}lines 2/),
    ]);
    expect(lines[lines.length - 1]).toBe('cer 0.0000 wer 0.0000');
  });

  it('beam search reads them the same', async () => {
    const { out } = await hwr('eval-lines', '--data', pages, '--model', modelPath, '--decoder', 'beam');
    expect(out.split('\n').pop()).toBe('cer 0.0000 wer 0.0000');
  });

  it('says what is wrong: no --data, a glyph classifier as the model, a folder without pages', async () => {
    expect((await hwr('eval-lines')).err).toMatch(/--data is required/);
    const glyph = await hwr('eval-lines', '--data', pages, '--model', join(modelsDir, 'mlp.onnx'));
    expect(glyph.code).toBe(1);
    expect(glyph.err).toMatch(/mlp\.onnx is not a line model/);
    mkdirSync(join(root, 'empty'));
    expect((await hwr('eval-lines', '--data', join(root, 'empty'), '--model', modelPath)).err).toMatch(/no pages with ALTO or PAGE XML/);
    expect((await hwr('eval-lines', '--data', pages, '--model', modelPath, '--decoder', 'fast')).err).toMatch(/--decoder must be greedy or beam/);
  });
});
