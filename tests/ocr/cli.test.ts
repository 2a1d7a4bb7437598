import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { expandInputs, glob, outputNames, run } from '../../app/cli/ocr.ts';
import { encodeImage } from '../../app/image/decode.ts';
import type { NetworkSpec } from '../../app/nn/spec.ts';
import { writeOnnx } from '../../app/onnx/export.ts';
import { renderPage } from './synthetic.ts';
import { TEMPLATE_CLASSES, templateMatrix } from './templates.ts';
import { GLYPH_VALUES } from '../../app/contract.ts';

const dir = mkdtempSync(join(tmpdir(), 'hwr-ocr-cli-'));
const photos = join(dir, 'photos');
const model = join(dir, 'templates.onnx');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

beforeAll(async () => {
  mkdirSync(join(photos, 'more'), { recursive: true });
  const page = (rows: string[], seed: number) => renderPage({ rows, charHeight: 44, seed, light: [0.9, 0.6] }).image;
  writeFileSync(join(photos, 'list.png'), await encodeImage(page(['TO DO', 'BUY 42 EGGS'], 1), 'png'));
  writeFileSync(join(photos, 'note.jpg'), await encodeImage(page(['HELLO'], 2), 'jpeg', 90));
  writeFileSync(join(photos, 'more', 'deep.webp'), await encodeImage(page(['DEEP'], 3), 'webp', 95));
  writeFileSync(join(photos, 'broken.jpg'), 'not really a jpeg');
  writeFileSync(join(photos, 'readme.txt'), 'not an image, skipped when the folder expands');
  // The template classifier as an ONNX model: one dense layer of templates, then softmax.
  const spec: NetworkSpec = {
    name: 'templates',
    inputShape: [GLYPH_VALUES],
    classes: [...TEMPLATE_CLASSES],
    layers: [
      { kind: 'dense', inputs: GLYPH_VALUES, outputs: TEMPLATE_CLASSES.length, weights: templateMatrix(3), bias: new Float32Array(TEMPLATE_CLASSES.length) },
      { kind: 'activation', fn: 'softmax' },
    ],
  };
  writeOnnx(model, spec);
});

/** Runs the command with stdout and stderr captured. */
async function ocr(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
  const c = vi.spyOn(console, 'error').mockImplementation((...a) => void (err += `${a.join(' ')}\n`));
  try {
    return { code: await run(['--model', model, ...args]), out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
    c.mockRestore();
  }
}

describe('hwr ocr', () => {
  it('prints the rows of one image', async () => {
    const r = await ocr(join(photos, 'list.png'));
    expect(r).toMatchObject({ code: 0, out: 'TO DO\nBUY 42 EGGS\n' });
  });

  it('writes one file per image with --out, reports a bad file, and still does the others', async () => {
    const out = join(dir, 'out-json');
    const r = await ocr('--format', 'json', '--out', out, photos, join(photos, 'more', '*.webp'), join(photos, 'broken.jpg'));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/broken\.jpg: not a readable image/);
    expect(JSON.parse(readFileSync(join(out, 'list.json'), 'utf8')).text).toBe('TO DO\nBUY 42 EGGS');
    expect(JSON.parse(readFileSync(join(out, 'note.json'), 'utf8')).rows[0].words[0].text).toBe('HELLO');
    expect(JSON.parse(readFileSync(join(out, 'deep.json'), 'utf8')).text).toBe('DEEP');
    expect(existsSync(join(out, 'broken.json'))).toBe(false);
  });

  it('writes hOCR and text files', async () => {
    const out = join(dir, 'out-hocr');
    expect((await ocr('--format', 'hocr', '--out', out, join(photos, 'note.jpg'))).code).toBe(0);
    expect(readFileSync(join(out, 'note.hocr'), 'utf8')).toMatch(/<span class="ocrx_word"[^>]*>.*H.*E.*L.*L.*O/);
    expect((await ocr('--out', out, join(photos, 'note.jpg'))).code).toBe(0);
    expect(readFileSync(join(out, 'note.txt'), 'utf8')).toBe('HELLO\n');
  });

  it('rejects bad options and missing inputs with usage errors', async () => {
    await expect(ocr('--format', 'pdf', join(photos, 'note.jpg'))).rejects.toThrow(/--format must be text, json, hocr, alto or page/);
    await expect(ocr('--frmat', 'text')).rejects.toThrow(/usage: ocr/);
    await expect(ocr()).rejects.toThrow(/no images given/);
    const missing = await ocr(join(dir, 'nothing-here.png'));
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/nothing-here\.png: no such file or folder/);
  });

  it('fails clearly when the model file is missing', async () => {
    await expect(run(['--model', join(dir, 'none.onnx'), join(photos, 'note.jpg')])).rejects.toThrow(/none\.onnx.*file not found/);
  });
});

describe('inputs and outputs', () => {
  it('expands folders (images only) and globs, once each', () => {
    const { files, problems } = expandInputs([photos, join(photos, '*.jpg'), join(photos, '**', '*.webp')]);
    expect(files.map((f) => f.slice(photos.length + 1))).toEqual(['broken.jpg', 'list.png', 'note.jpg', 'more/deep.webp']);
    expect(problems).toEqual([]);
    expect(expandInputs([join(photos, '*.gif')]).problems[0]).toMatch(/no images match/);
    expect(glob(join(photos, 'l?st.[pq]ng'))).toEqual([join(photos, 'list.png')]);
  });

  it('names outputs after the images, keeping extensions apart when names collide', () => {
    const names = outputNames(['a/x.jpg', 'b/x.png', 'c/y.jpg', 'd/x.jpg'], '/out', 'txt');
    expect([...names.values()]).toEqual(['/out/x.jpg.txt', '/out/x.png.txt', '/out/y.txt', '/out/x.jpg-2.txt']);
  });
});
