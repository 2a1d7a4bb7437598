import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../app/cli/main.ts';
import { toUnitFloats } from '../../app/data/idx.ts';
import { loadLineDataset } from '../../app/data/lines.ts';
import { writeOnnx } from '../../app/onnx/export.ts';
import { Charset } from '../../app/recognize/charset.ts';
import { lineToNetworkSpec } from '../../app/train/tfjs/line-model.ts';
import { modelsDir } from '../../app/base/paths.ts';
import { trainTinyLineModel, writePage } from '../helpers/line-pages.ts';

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
    const { arch, layout, weights } = await trainTinyLineModel(
      set.lines.map((l) => ({ ink: toUnitFloats(l.ink), width: l.width, text: l.text })),
      charset,
    );
    writeOnnx(modelPath, lineToNetworkSpec(arch, layout, weights, charset.chars));
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
