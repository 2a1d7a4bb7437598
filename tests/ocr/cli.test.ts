import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { PDFDocument } from 'pdf-lib';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { expandInputs, glob, outputNames, run } from '../../app/cli/ocr.ts';
import { encodeImage } from '../../app/image/decode.ts';
import type { NetworkSpec } from '../../app/nn/spec.ts';
import { writeOnnx } from '../../app/onnx/export.ts';
import { renderPage } from './synthetic.ts';
import { TEMPLATE_CLASSES, templateMatrix } from './templates.ts';
import { GLYPH_VALUES } from '../../app/contract.ts';

const dir = mkdtempSync(join(tmpdir(), 'hwr-ocr-cli-'));
/** poppler-utils' pdftotext reads a PDF's text layer back; CI installs it (.ci/run), where its absence is a failure. */
const pdftotext = spawnSync('pdftotext', ['-v']).error === undefined;
if (!pdftotext) {
  if (process.env.CI) throw new Error('pdftotext (Debian poppler-utils) is missing; .ci/run installs it');
  console.warn('skipping the searchable-PDF check: pdftotext (Debian poppler-utils) is not installed');
}
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

  describe('PDFs', () => {
    const scanned = join(dir, 'scanned.pdf');
    beforeAll(async () => {
      // Two scanned pages, one stored as JPEG (DCT), one as Flate-compressed pixels (as a PNG embeds).
      const doc = await PDFDocument.create();
      for (const image of [await doc.embedJpg(readFileSync(join(photos, 'note.jpg'))), await doc.embedPng(readFileSync(join(photos, 'list.png')))]) {
        const page = doc.addPage([image.width / 2, image.height / 2]);
        page.drawImage(image, { x: 0, y: 0, width: image.width / 2, height: image.height / 2 });
      }
      writeFileSync(scanned, await doc.save());
    });

    it('reads a scanned PDF page by page (text: pages apart by a form feed; JSON: a page list)', async () => {
      const r = await ocr(scanned);
      expect(r).toMatchObject({ code: 0, out: 'HELLO\n\fTO DO\nBUY 42 EGGS\n' });
      const out = join(dir, 'out-pdf-json');
      expect((await ocr('--format', 'json', '--out', out, scanned)).code).toBe(0);
      const json = JSON.parse(readFileSync(join(out, 'scanned.json'), 'utf8'));
      expect(json.pages.map((p: { text: string }) => p.text)).toEqual(['HELLO', 'TO DO\nBUY 42 EGGS']);
    });

    it.skipIf(!pdftotext)('writes a searchable PDF whose text layer pdftotext reads back, page by page', async () => {
      const out = join(dir, 'out-pdf');
      expect((await ocr('--format', 'pdf', '--out', out, scanned, join(photos, 'list.png'))).code).toBe(0);
      const text = (f: string) => execFileSync('pdftotext', ['-layout', join(out, f), '-'], { encoding: 'utf8' });
      const pages = text('scanned.pdf').split('\f');
      expect(pages[0]!.trim()).toBe('HELLO');
      expect(
        pages[1]!
          .split('\n')
          .map((l) => l.trim())
          .filter(Boolean),
      ).toEqual(['TO DO', 'BUY 42 EGGS']);
      expect(
        text('list.pdf')
          .split('\n')
          .map((l) => l.trim())
          .filter(Boolean),
      ).toEqual(['TO DO', 'BUY 42 EGGS']);
    });

    it('says which page of a PDF it cannot read, and why', async () => {
      const typed = await PDFDocument.create();
      typed.addPage().drawText('typed, not scanned');
      writeFileSync(join(dir, 'typed.pdf'), await typed.save());
      writeFileSync(join(dir, 'broken.pdf'), '%PDF-1.7 and then nothing');
      const r = await ocr(join(dir, 'typed.pdf'), join(dir, 'broken.pdf'));
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/typed\.pdf: page 1 has no scanned image/);
      expect(r.err).toMatch(/broken\.pdf: not a PDF hwr can read/);
    });
  });

  it('writes hOCR and text files', async () => {
    const out = join(dir, 'out-hocr');
    expect((await ocr('--format', 'hocr', '--out', out, join(photos, 'note.jpg'))).code).toBe(0);
    expect(readFileSync(join(out, 'note.hocr'), 'utf8')).toMatch(/<span class="ocrx_word"[^>]*>.*H.*E.*L.*L.*O/);
    expect((await ocr('--out', out, join(photos, 'note.jpg'))).code).toBe(0);
    expect(readFileSync(join(out, 'note.txt'), 'utf8')).toBe('HELLO\n');
  });

  it('rejects bad options and missing inputs with usage errors', async () => {
    await expect(ocr('--format', 'tiff', join(photos, 'note.jpg'))).rejects.toThrow(/--format must be text, json, hocr, alto, page or pdf/);
    await expect(ocr('--format', 'pdf', join(photos, 'note.jpg'))).rejects.toThrow(/--format pdf writes a PDF per input: give --out DIR/);
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
