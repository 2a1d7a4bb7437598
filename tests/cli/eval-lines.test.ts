import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../app/cli/main.ts';
import { toUnitFloats } from '../../app/data/idx.ts';
import { loadLineDataset } from '../../app/data/lines.ts';
import { readPageXml } from '../../app/data/page-xml.ts';
import { writeOnnx } from '../../app/onnx/export.ts';
import { Charset } from '../../app/recognize/charset.ts';
import { LineReader } from '../../app/recognize/line-reader.ts';
import { lineToNetworkSpec } from '../../app/train/tfjs/line-model.ts';
import { modelsDir } from '../../app/base/paths.ts';
import { trainTinyLineModel, writePage } from '../helpers/line-pages.ts';

const root = mkdtempSync(join(tmpdir(), 'hwr-eval-lines-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function hwr(...args: string[]): Promise<{ code: number; out: string; err: string; stdout: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const written: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a) => void out.push(a.join(' ')));
  const error = vi.spyOn(console, 'error').mockImplementation((...a) => void err.push(a.join(' ')));
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => written.push(String(chunk)) > 0);
  try {
    const code = await main(args);
    return { code, out: out.join('\n'), err: err.join('\n'), stdout: written.join('') };
  } finally {
    log.mockRestore();
    error.mockRestore();
    write.mockRestore();
  }
}

describe('hwr eval-lines and hwr ocr with the line recogniser', () => {
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

  it('tune-lines sets the beam search on the held-out writers and writes it into the model, weights untouched', async () => {
    const many = join(root, 'many');
    mkdirSync(many);
    const texts = ['ab ba', 'bab', 'aab', 'b a b', 'ba ab', 'abba'];
    for (let w = 0; w < 30; w++) await writePage(many, `w${w}`, [texts[w % 6]!, texts[(w + 1) % 6]!]);
    const tuned = join(root, 'tuned.onnx');
    copyFileSync(modelPath, tuned);
    const { code, out } = await hwr('tune-lines', '--model', tuned, '--data', many);
    expect(code).toBe(0);
    expect(out).toMatch(/\| n-gram weight \| character bonus 0 \| character bonus 0\.5 \|/);
    expect(out).toContain(`written: ${tuned}`);
    const last = /^cer (\d\.\d{4}) wer (\d\.\d{4})$/.exec(out.split('\n').pop()!);
    expect(last).not.toBeNull();
    const [before, after] = [await LineReader.load(modelPath), await LineReader.load(tuned)];
    try {
      // Greedy before, beam search with the n-gram and both bonuses after.
      expect(before.defaultDecoding.decoder).toBe('greedy');
      expect(after.defaultDecoding.decoder).toBe('beam');
      expect(after.beam.lm).toBeDefined();
      expect(after.beam.beam).toBe(32);
      expect([0, 0.5, 1, 1.5, 2]).toContain(after.beam.charBonus);
      // The same weights: the same probabilities for a line.
      const line = (await loadLineDataset(many, { height: before.height })).lines[0]!;
      const image = { width: line.width, height: line.height, data: toUnitFloats(line.ink) };
      expect(Array.from((await after.probabilities(image)).probs)).toEqual(Array.from((await before.probabilities(image)).probs));
    } finally {
      await before.close();
      await after.close();
    }
    // Pages of too few writers to hold any out, and a glyph classifier, are said plainly.
    const few = await hwr('tune-lines', '--model', tuned, '--data', pages);
    expect(few.code).toBe(1);
    expect(few.err).toMatch(/too few writers to hold some out/);
    expect((await hwr('tune-lines', '--model', join(modelsDir, 'mlp.onnx'), '--data', many)).err).toMatch(/mlp\.onnx is not a line model/);
  }, 120_000);

  it('ocr --lines fills the text of a given segmentation and writes the same format back', async () => {
    const { code, stdout } = await hwr('ocr', '--lines', join(pages, 'p1.xml'), join(pages, 'p1.png'), '--line-model', modelPath);
    expect(code).toBe(0);
    const given = readPageXml(readFileSync(join(pages, 'p1.xml'), 'utf8'), 'p1.xml').page;
    const { format, page } = readPageXml(stdout, 'out.xml');
    expect(format).toBe('alto');
    const lines = page.regions.flatMap((r) => r.lines);
    expect(lines.map((l) => l.text)).toEqual(['ab ba', 'bab']);
    // The segmentation is kept as it was: ids and outlines.
    expect(lines.map((l) => [l.id, l.polygon])).toEqual(given.regions.flatMap((r) => r.lines).map((l) => [l.id, l.polygon]));
    // As PAGE XML on request, into a folder.
    const out = join(root, 'filled');
    expect((await hwr('ocr', '--lines', join(pages, 'p1.xml'), join(pages, 'p1.png'), '--line-model', modelPath, '--format', 'page', '--out', out)).code).toBe(
      0,
    );
    const asPage = readPageXml(readFileSync(join(out, 'p1.xml'), 'utf8'), 'p1.xml');
    expect(asPage.format).toBe('page');
    expect(asPage.page.regions.flatMap((r) => r.lines).map((l) => l.text)).toEqual(['ab ba', 'bab']);
  });

  it('ocr --lines says what is wrong', async () => {
    const two = await hwr('ocr', '--lines', join(pages, 'p1.xml'), join(pages, 'p1.png'), join(pages, 'p2.png'), '--line-model', modelPath);
    expect(two.code).toBe(2);
    expect(two.err).toMatch(/give exactly one image, not 2/);
    expect((await hwr('ocr', '--lines', join(pages, 'p1.xml'), join(pages, 'p1.png'), '--format', 'hocr')).err).toMatch(/--format must be alto or page/);
    const missing = await hwr('ocr', '--lines', join(pages, 'nope.xml'), join(pages, 'p1.png'), '--line-model', modelPath);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/nope\.xml: no such file/);
  });
});
