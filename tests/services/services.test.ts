import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PDFDocument } from 'pdf-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { autoencoderSpec, lineSpec, mlpSpec } from '../onnx/specs.ts';
import { renderPage } from '../ocr/synthetic.ts';
import { GLYPH_VALUES, type HwrEvent } from '../../app/contract.ts';
import { encodeImage } from '../../app/image/decode.ts';
import { writeOnnx } from '../../app/onnx/export.ts';
import { createServices, type Services } from '../../app/services/services.ts';
import { launchNodeWorker } from '../../app/services/node-worker.ts';
import type { FromTrainer, LaunchTrainer, LaunchWorker, ToTrainer } from '../../app/services/worker-protocol.ts';

let root: string;
let services: Services;
const events: HwrEvent[] = [];

/** A trainer that "trains" instantly: writes a model into the run folder and reports. */
const instantTrainer: LaunchTrainer = () => {
  let onMessage: (m: FromTrainer) => void = () => {};
  let onExit: (code: number | null, out: string) => void = () => {};
  return {
    send(message: ToTrainer) {
      if (message.type !== 'start') return;
      const o = message.options;
      setTimeout(() => {
        writeOnnx(join(o.outDir, 'model.onnx'), mlpSpec(7));
        const history = [{ epoch: 1, trainLoss: 1, validationLoss: 1, validationAccuracy: 0.4, seconds: 0.1 }];
        onMessage({
          type: 'event',
          event: { type: 'start', arch: o.arch, backend: 'fake', epochs: o.epochs, batchesPerEpoch: 1, trainCount: 10, validationCount: 2 },
        });
        onMessage({ type: 'event', event: { type: 'epoch', record: history[0]!, etaSeconds: 0 } });
        onMessage({
          type: 'finished',
          result: {
            arch: o.arch,
            modelPath: join(o.outDir, 'model.onnx'),
            outDir: o.outDir,
            backend: 'fake',
            history,
            bestEpoch: 1,
            validationAccuracy: 0.4,
            cancelled: false,
            seconds: 0.1,
            artefacts: {},
          },
        });
        onExit(0, '');
      }, 5);
    },
    kill() {},
    onMessage: (l) => (onMessage = l),
    onExit: (l) => (onExit = l),
  };
};

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'hwr-services-'));
  writeOnnx(join(root, 'models', 'mlp.onnx'), mlpSpec());
  // Its card, in the lines card.ts writes (the from-scratch engine puts no figures in the file itself).
  writeFileSync(
    join(root, 'models', 'mlp.md'),
    '# Course MLP\n\n- Backend: from-scratch engine, wasm-relaxed-simd kernels, 2 threads\n\n## Validation\n\n' +
      '- Accuracy 84.97%; balanced accuracy (mean of per-class accuracies, what a balanced test set measures) 87.85%.\n',
  );
  writeOnnx(join(root, 'models', 'ae.onnx'), autoencoderSpec());
  writeOnnx(join(root, 'models', 'lines.onnx'), lineSpec());
  services = createServices({
    transport: 'http',
    home: join(root, 'home'),
    modelsDir: join(root, 'models'),
    sharedData: null,
    datasetRoots: [root],
    launchWorker: ((kind) => (kind === 'train' ? instantTrainer() : launchNodeWorker(kind))) as LaunchWorker,
  });
  services.onEvent((e) => events.push(e));
});
afterAll(async () => {
  await services.close();
  rmSync(root, { recursive: true, force: true });
});

describe('services', () => {
  it('lists the shipped models and picks the active ones; a line model is no classifier to pick', async () => {
    const list = await services.listModels({});
    expect(list.active).toEqual({ classifier: 'shipped:mlp', autoencoder: 'shipped:ae' });
    expect(list.models.map((m) => [m.id, m.kind])).toEqual([
      ['shipped:ae', 'autoencoder'],
      ['shipped:mlp', 'classifier'],
    ]);
    expect(list.models.find((m) => m.id === 'shipped:mlp')?.classes).toHaveLength(36);
    // Its figures, as numbers the UI words: from its model card.
    expect(list.models.find((m) => m.id === 'shipped:mlp')?.figures).toEqual({
      accuracy: 0.8497,
      balancedAccuracy: 0.8785,
      backend: 'from-scratch engine, wasm-relaxed-simd kernels, 2 threads',
    });
  });

  it('classifies glyphs into top-k probabilities', async () => {
    const glyphs = new Float32Array(2 * GLYPH_VALUES).fill(0.3);
    const { model, predictions } = await services.classifyGlyphs({ glyphs, topK: 3 });
    expect(model).toBe('shipped:mlp');
    expect(predictions).toHaveLength(2);
    expect(predictions[0]).toHaveLength(3);
    const p = predictions[0]!.map((x) => x.probability);
    expect(p[0]).toBeGreaterThanOrEqual(p[1]!);
    expect(p.every((v) => v > 0 && v < 1)).toBe(true);
  });

  it('frames a drawing exactly as the training data is framed (box 22 px, centred)', async () => {
    // A filled 40 × 80 rectangle: its longer side becomes 22 px, centred at (15.5, 15.5).
    const width = 100;
    const height = 120;
    const ink = new Uint8Array(width * height);
    for (let y = 20; y < 100; y++) for (let x = 30; x < 70; x++) ink[y * width + x] = 255;
    const { glyph, predictions } = await services.classifyDrawing({ ink, width, height });
    expect(predictions).toHaveLength(5);
    const rows = [...Array(32).keys()].filter((y) => glyph.subarray(y * 32, y * 32 + 32).some((v) => v > 0.5));
    expect(rows.length).toBe(22);
    expect((rows[0]! + rows.at(-1)!) / 2).toBeCloseTo(15.5, 0);
  });

  it('reconstructs glyphs with the autoencoder and gives each a PSNR', async () => {
    const glyphs = new Float32Array(3 * GLYPH_VALUES);
    glyphs.fill(1, 100, 300);
    const r = await services.reconstructGlyphs({ glyphs });
    expect(r.model).toBe('shipped:ae');
    expect(r.reconstructions).toHaveLength(glyphs.length);
    expect(r.psnr).toHaveLength(3);
    expect(r.psnr.every((v) => Number.isFinite(v) && v > 0)).toBe(true);
  });

  it('reads a page in its own process, reports progress, keeps the crops, applies a correction and exports it', async () => {
    const synthetic = renderPage({ rows: ['AB CD', 'EF'], seed: 3 });
    const image = await encodeImage(synthetic.image, 'png');
    // Read glyph by glyph: this test is about the glyphs' crops and their correction.
    const page = await services.recognizePage({ name: 'synthetic.png', image, jobId: 'job-1', reader: 'glyphs' });
    expect(page.rows).toHaveLength(2);
    expect(page.rows.map((r) => r.reader)).toEqual(['glyphs', 'glyphs']);
    const glyphs = page.rows.flatMap((r) => r.words.flatMap((w) => w.glyphs));
    expect(glyphs).toHaveLength(6);
    expect(glyphs.every((g) => g.pixels.length === GLYPH_VALUES && g.pixels.some((v) => v > 0.5))).toBe(true);
    expect(events.some((e) => e.type === 'progress' && e.jobId === 'job-1' && e.fraction === 1)).toBe(true);

    const target = glyphs[0]!;
    const saved = await services.saveSample({ label: 'Z', glyph: target.pixels, source: 'scan', pageId: page.id, glyphId: target.id, predicted: target.label });
    expect(saved.count).toBe(1);
    const text = await services.exportPage({ pageId: page.id, format: 'text' });
    expect(text.filename).toBe('synthetic.txt');
    expect(text.content.split('\n')[0]!.startsWith('Z')).toBe(true);
    const hocr = await services.exportPage({ pageId: page.id, format: 'hocr' });
    expect(hocr.content).toContain('ocrx_word');
    const json = JSON.parse((await services.exportPage({ pageId: page.id, format: 'json' })).content) as {
      rows: { words: { glyphs: { label: string }[] }[] }[];
    };
    expect(json.rows[0]!.words[0]!.glyphs[0]!.label).toBe('Z');
  });

  it('takes a scanned PDF apart into its pages, and exports a page read as a searchable PDF', async () => {
    const doc = await PDFDocument.create();
    const jpeg = await encodeImage(renderPage({ rows: ['PDF ONE'], seed: 4 }).image, 'jpeg', 90);
    const png = await encodeImage(renderPage({ rows: ['PDF TWO'], seed: 5 }).image, 'png');
    for (const image of [await doc.embedJpg(jpeg), await doc.embedPng(png)]) doc.addPage([image.width, image.height]).drawImage(image, { x: 0, y: 0 });
    const { pages } = await services.splitPdf({ name: 'scans.pdf', image: await doc.save() });
    expect(pages.map((p) => p.name)).toEqual(['scans p1.jpg', 'scans p2.png']);
    const page = await services.recognizePage({ name: pages[1]!.name, image: pages[1]!.image, reader: 'glyphs' });
    expect(page.rows.length).toBe(1);
    const pdf = await services.exportPage({ pageId: page.id, format: 'pdf' });
    expect(pdf).toMatchObject({ filename: 'scans p2.pdf', mimeType: 'application/pdf', encoding: 'base64' });
    const back = await PDFDocument.load(Buffer.from(pdf.content, 'base64'));
    expect(back.getPageCount()).toBe(1);
    await expect(services.splitPdf({ name: 'notes.pdf', image: new TextEncoder().encode('%PDF-1.7 and nothing') })).rejects.toThrow(
      /notes\.pdf: not a PDF hwr can read/,
    );
  });

  it('edits a row as text, corrects a glyph without saving a sample, and exports the edits as ALTO and PAGE', async () => {
    const image = await encodeImage(renderPage({ rows: ['AB CD', 'EF'], seed: 3 }).image, 'png');
    const page = await services.recognizePage({ name: 'edit.png', image, reader: 'glyphs' });
    const before = (await services.listSamples({})).total;

    // A glyph relabelled: the text follows, and no sample is saved behind the user's back.
    const first = page.rows[0]!.words[0]!.glyphs[0]!;
    const corrected = await services.correctGlyph({ pageId: page.id, glyphId: first.id, label: 'X' });
    expect(corrected.rows[0]!.text.startsWith('X')).toBe(true);
    expect((await services.listSamples({})).total).toBe(before);

    // Row 2 retyped with a word more: the words are laid over the row, sure, and marked typed.
    const edited = await services.editRow({ pageId: page.id, row: 1, text: '  EF   GH ' });
    expect(edited.rows[1]).toMatchObject({ text: 'EF GH', edited: true, confidence: 1 });
    expect(edited.rows[1]!.words.map((w) => w.text)).toEqual(['EF', 'GH']);
    expect(edited.text).toBe(`${corrected.rows[0]!.text}\nEF GH`);
    // Row 1 retyped with as many words: the word that still reads its glyphs keeps them.
    const same = await services.editRow({ pageId: page.id, row: 0, text: `${corrected.rows[0]!.words[0]!.text} QQ` });
    expect(same.rows[0]!.words[0]!.glyphs).toHaveLength(corrected.rows[0]!.words[0]!.glyphs.length);
    expect(same.rows[0]!.words[1]!.glyphs).toHaveLength(0);
    // A correction of a kept glyph still reaches the text; the typed word stays.
    const again = await services.correctGlyph({ pageId: page.id, glyphId: first.id, label: 'Y' });
    expect(again.rows[0]!.text).toMatch(/^Y\S* QQ$/);

    const alto = await services.exportPage({ pageId: page.id, format: 'alto' });
    expect(alto.filename).toBe('edit.alto.xml');
    expect(alto.content).toMatch(/CONTENT="Y\S* QQ"/);
    expect(alto.content).toContain('CONTENT="EF GH"');
    const pageXml = await services.exportPage({ pageId: page.id, format: 'page' });
    expect(pageXml.content).toMatch(/<Unicode>EF GH<\/Unicode>/);
    const json = JSON.parse((await services.exportPage({ pageId: page.id, format: 'json' })).content) as { rows: { edited?: boolean }[] };
    expect(json.rows.map((r) => r.edited ?? false)).toEqual([true, true]);

    await expect(services.editRow({ pageId: page.id, row: 5, text: 'x' })).rejects.toMatchObject({
      code: 'not-found',
      message: expect.stringMatching(/no row 5/),
    });
    expect((await services.editRow({ pageId: page.id, row: 1, text: '' })).rows[1]!.text).toBe('');
  });

  it('reads lines with the line recogniser when asked, and keeps the glyphs where it cannot judge them', async () => {
    const image = await encodeImage(renderPage({ rows: ['AB CD', 'EF'], seed: 3 }).image, 'png');
    // This line model writes only 'a' and 'b': it cannot weigh a reading in capitals, so the glyphs stay.
    const auto = await services.recognizePage({ name: 'auto.png', image });
    expect(auto.rows.map((r) => r.reader)).toEqual(['glyphs', 'glyphs']);
    // Asked to, it reads every line it finds: whole lines, with no glyphs to correct.
    const lines = await services.recognizePage({ name: 'lines.png', image, reader: 'lines' });
    expect(lines.rows.length).toBeGreaterThan(0);
    expect(lines.rows.some((r) => r.reader === 'lines')).toBe(true);
    for (const row of lines.rows.filter((r) => r.reader === 'lines')) {
      expect(row.text).toMatch(/^[ab ]+$/);
      expect(row.words.every((w) => w.glyphs.length === 0)).toBe(true);
    }
    const text = await services.exportPage({ pageId: lines.id, format: 'text' });
    expect(text.content.trim()).toBe(lines.text.trim());
  });

  it('reads pages two at a time, queues six, and turns a flood away as busy, with a hint to retry', async () => {
    const image = await encodeImage(renderPage({ rows: ['AB'], seed: 5 }).image, 'png');
    const results = await Promise.allSettled(Array.from({ length: 12 }, (_, i) => services.recognizePage({ name: `flood-${i}.png`, image, reader: 'glyphs' })));
    const read = results.filter((r) => r.status === 'fulfilled');
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(read).toHaveLength(8);
    expect(refused).toHaveLength(4);
    for (const r of refused) expect(r.reason).toMatchObject({ code: 'busy', message: expect.stringMatching(/pages are being read .* try again/) });
  });

  it('rejects an unreadable image with a clear error', async () => {
    await expect(services.recognizePage({ name: 'junk.jpg', image: new Uint8Array([1, 2, 3, 4]) })).rejects.toMatchObject({
      code: 'unprocessable',
      message: expect.stringContaining('junk.jpg'),
    });
  });

  it('saves samples atomically as PNG plus a JSON label under samples/<label>', async () => {
    const glyph = new Float32Array(GLYPH_VALUES);
    glyph.fill(1, 400, 600);
    const saved = await services.saveSample({ label: '7', glyph, source: 'draw', predicted: '1' });
    const dir = join(root, 'home', 'samples', '7');
    expect(saved.path.startsWith(dir)).toBe(true);
    expect(readFileSync(saved.path).subarray(1, 4).toString()).toBe('PNG');
    const meta = JSON.parse(readFileSync(saved.path.replace(/\.png$/, '.json'), 'utf8'));
    expect(meta).toMatchObject({ label: '7', source: 'draw', predicted: '1', model: 'shipped:mlp' });
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('lists a damaged sample as damaged instead of failing the whole page, and deletes it', async () => {
    const glyph = new Float32Array(GLYPH_VALUES).fill(1, 300, 500);
    const saved = await services.saveSample({ label: 'D', glyph, source: 'draw' });
    writeFileSync(saved.path, 'damaged');
    const page = await services.listSamples({ label: 'D' });
    expect(page.samples).toEqual([expect.objectContaining({ id: saved.id, damaged: true })]);
    await services.deleteSample({ id: saved.id });
    expect((await services.listSamples({ label: 'D' })).total).toBe(0);
  });

  it('keeps the previous model active after training, until the new one is activated', async () => {
    const status = await services.startTraining({
      arch: 'mlp',
      dataset: root,
      epochs: 1,
      learningRate: 0.1,
      batchSize: 8,
      momentum: 0.9,
      limit: 10,
      augment: false,
      balance: false,
      patience: 0,
      seed: 1,
    });
    const runId = status.runId!;
    await expect.poll(async () => (await services.trainingStatus({})).state).toBe('done');
    let list = await services.listModels({});
    expect(list.active.classifier).toBe('shipped:mlp');
    expect(list.models.some((m) => m.id === `run:${runId}` && m.origin === 'trained')).toBe(true);
    // The Models view says what the Train view said of the run: its best epoch's figures.
    expect(list.models.find((m) => m.id === `run:${runId}`)?.figures).toMatchObject({ accuracy: 0.4, bestEpoch: 1, backend: 'fake' });

    const details = await services.runDetails({ runId });
    expect(details.weights?.width).toBeGreaterThan(32);

    list = await services.activateModel({ id: `run:${runId}` });
    expect(list.active.classifier).toBe(`run:${runId}`);
    expect(list.previous.classifier).toBe('shipped:mlp'); // one click back
    expect((await services.trainingStatus({})).activated).toBe(true);
    await expect(services.discardRun({ runId })).rejects.toMatchObject({ code: 'busy' });
    expect(JSON.parse(readFileSync(join(root, 'home', 'settings.json'), 'utf8')).active.classifier).toBe(`run:${runId}`);

    await services.activateModel({ id: 'shipped:mlp' });
    await services.discardRun({ runId });
    expect(existsSync(join(root, 'home', 'runs', runId))).toBe(false);
    expect((await services.listModels({})).models.some((m) => m.id === `run:${runId}`)).toBe(false);
  });

  it('browses, relabels and deletes the samples it saved', async () => {
    const glyph = new Float32Array(GLYPH_VALUES);
    glyph.fill(1, 300, 700);
    const { id } = await services.saveSample({ label: 'O', glyph, source: 'draw', predicted: 'Q' });
    let page = await services.listSamples({ label: 'O' });
    expect(page.samples.map((s) => s.id)).toEqual([id]);
    expect(page.glyphs).toHaveLength(GLYPH_VALUES);
    expect(page.glyphs[500]).toBe(1);
    expect(await services.relabelSample({ id, label: '0' })).toMatchObject({ id, label: '0', relabeledFrom: 'O', predicted: 'Q' });
    page = await services.listSamples({});
    expect(page.counts['0']).toBe(1);
    expect(page.counts.O).toBeUndefined();
    const before = page.total;
    expect((await services.deleteSample({ id })).total).toBe(before - 1);
    await expect(services.deleteSample({ id })).rejects.toMatchObject({ code: 'not-found' });
  });

  it('refuses to retrain on too few samples, or without base data, saying what is missing', async () => {
    await expect(services.startPersonalization({ epochs: 2, seed: 1 })).rejects.toMatchObject({
      code: 'unavailable',
      message: expect.stringMatching(/at least 10 samples of your handwriting in the model's classes.*; there are \d/),
    });
    const glyph = new Float32Array(GLYPH_VALUES).fill(0.5);
    for (let i = 0; i < 10; i++) await services.saveSample({ label: 'A', glyph, source: 'draw' });
    await expect(services.startPersonalization({ epochs: 2, seed: 1 })).rejects.toMatchObject({
      code: 'unavailable',
      message: expect.stringContaining('EMNIST pool'),
    });
    expect((await services.trainingStatus({})).kind).toBe('train');
  });

  it('hands the UI the images the desktop app was asked to open, once', async () => {
    const png = join(root, 'opened.png');
    writeFileSync(png, await encodeImage({ width: 4, height: 4, channels: 1, data: new Uint8Array(16).fill(200) }, 'png'));
    const before = events.length;
    services.openFiles([png, join(root, 'notes.txt'), join(root, 'gone.jpg')]);
    expect(events.slice(before)).toContainEqual({ type: 'files-opened', count: 2 });
    const { files } = await services.takeOpenedFiles({});
    expect(files.map((f) => f.name)).toEqual(['opened.png']);
    expect(Array.from(files[0]!.image.subarray(1, 4))).toEqual([0x50, 0x4e, 0x47]);
    expect(events.slice(before).some((e) => e.type === 'log' && e.level === 'warn' && e.message.includes('gone.jpg'))).toBe(true);
    expect((await services.takeOpenedFiles({})).files).toEqual([]);
  });

  it('says clearly when there is no dataset to sample', async () => {
    await expect(services.datasetSamples({ perClass: 2 })).rejects.toMatchObject({ code: 'unavailable' });
  });
});
