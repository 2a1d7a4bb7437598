/**
 * The page history: every page read is kept in HWR_HOME/pages, with its corrections, and is
 * there again after the program restarts: reopened as it was left, renamed, deleted.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { autoencoderSpec, lineSpec, mlpSpec } from '../onnx/specs.ts';
import { renderPage } from '../ocr/synthetic.ts';
import { encodeImage } from '../../app/image/decode.ts';
import { writeOnnx } from '../../app/onnx/export.ts';
import { createServices, type Services } from '../../app/services/services.ts';
import { launchNodeWorker } from '../../app/services/node-worker.ts';
import { validateRequest } from '../../app/services/validate.ts';
import type { LaunchWorker } from '../../app/services/worker-protocol.ts';

let root: string;
const open: Services[] = [];

function start(home = 'home'): Services {
  const services = createServices({
    transport: 'http',
    home: join(root, home),
    modelsDir: join(root, 'models'),
    sharedData: null,
    launchWorker: launchNodeWorker as LaunchWorker,
  });
  open.push(services);
  return services;
}

async function stop(services: Services): Promise<void> {
  await services.close();
  open.splice(open.indexOf(services), 1);
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'hwr-history-'));
  writeOnnx(join(root, 'models', 'mlp.onnx'), mlpSpec());
  writeOnnx(join(root, 'models', 'ae.onnx'), autoencoderSpec());
  writeOnnx(join(root, 'models', 'lines.onnx'), lineSpec());
});
afterAll(async () => {
  for (const s of [...open]) await stop(s);
  rmSync(root, { recursive: true, force: true });
});

describe('the page history', () => {
  it('keeps pages and their corrections across a restart; they reopen, rename and delete', { timeout: 120_000 }, async () => {
    let services = start();
    const image = await encodeImage(renderPage({ rows: ['AB CD', 'EF'], seed: 3 }).image, 'png');
    const first = await services.recognizePage({ name: 'first.png', image, reader: 'glyphs' });
    const glyph = first.rows[0]!.words[0]!.glyphs[0]!;
    await services.correctGlyph({ pageId: first.id, glyphId: glyph.id, label: 'X' });
    const edited = await services.editRow({ pageId: first.id, row: 1, text: 'EF GH' });
    const second = await services.recognizePage({
      name: 'second.png',
      image: await encodeImage(renderPage({ rows: ['QR'], seed: 4 }).image, 'png'),
      reader: 'glyphs',
    });
    let { pages } = await services.listPages({});
    expect(pages.map((p) => p.name)).toEqual(['second.png', 'first.png']);
    // The first page changed after the second was read: it comes first now.
    await services.correctGlyph({ pageId: first.id, glyphId: glyph.id, label: 'X' });
    ({ pages } = await services.listPages({}));
    expect(pages.map((p) => p.name)).toEqual(['first.png', 'second.png']);
    expect(pages[0]).toMatchObject({ id: first.id, rows: 2, edits: 2, preview: edited.text.replace(/\n/g, ' ') });
    await stop(services);

    // A restart: the same pages, the same text, the image as given, the glyphs still correctable.
    services = start();
    expect((await services.listPages({})).pages.map((p) => p.id)).toEqual([first.id, second.id]);
    const reopened = await services.openPage({ pageId: first.id });
    expect(reopened.page.text).toBe(edited.text);
    expect(reopened.page.rows[1]).toMatchObject({ text: 'EF GH', edited: true });
    expect(Buffer.from(reopened.image).equals(Buffer.from(image))).toBe(true);
    const back = reopened.page.rows[0]!.words[0]!.glyphs[0]!;
    expect(back.id).toBe(glyph.id);
    expect(Math.max(...back.pixels.map((v, i) => Math.abs(v - glyph.pixels[i]!)))).toBeLessThanOrEqual(0.5 / 255 + 1e-6);
    expect((await services.exportPage({ pageId: first.id, format: 'text' })).content).toBe(`${edited.text}\n`);
    const again = await services.correctGlyph({ pageId: first.id, glyphId: glyph.id, label: 'Y' });
    expect(again.text.startsWith('Y')).toBe(true);

    const renamed = await services.renamePage({ pageId: first.id, name: '  Letter to Anne  ' });
    expect(renamed).toMatchObject({ id: first.id, name: 'Letter to Anne' });
    expect((await services.exportPage({ pageId: first.id, format: 'alto' })).filename).toBe('Letter to Anne.alto.xml');
    // A name becomes the export files' names: no folders in it (the transports check every request so).
    expect(() => validateRequest('renamePage', { pageId: first.id, name: '../x' })).toThrow(/name must be a name with something besides spaces, and no \//);
    await expect(services.renamePage({ pageId: first.id, name: '   ' })).rejects.toMatchObject({ code: 'invalid-request' });

    expect(await services.deletePage({ pageId: second.id })).toEqual({ pages: 1 });
    await expect(services.openPage({ pageId: second.id })).rejects.toMatchObject({ code: 'not-found' });
    await expect(services.deletePage({ pageId: second.id })).rejects.toMatchObject({ code: 'not-found' });
    await stop(services);

    services = start();
    expect((await services.listPages({})).pages.map((p) => [p.name, p.edits])).toEqual([['Letter to Anne', 2]]);
    await stop(services);
  });

  it('lists a damaged page as damaged, deletable; clears saves cut short', { timeout: 60_000 }, async () => {
    let services = start('home-2');
    const image = await encodeImage(renderPage({ rows: ['AB'], seed: 5 }).image, 'png');
    const page = await services.recognizePage({ name: 'soon-damaged.png', image, reader: 'glyphs' });
    await stop(services);
    const dir = join(root, 'home-2', 'pages');
    // Damaged from outside (writes are atomic): both its record and its summary cut short.
    writeFileSync(join(dir, page.id, 'page.json'), '{"format":"hwr-page","vers');
    writeFileSync(join(dir, page.id, 'summary.json'), '{"id":');
    // A save cut short by a crash: images, no record.
    mkdirSync(join(dir, 'page-zz-half'));
    writeFileSync(join(dir, 'page-zz-half', 'source'), image);

    services = start('home-2');
    expect(existsSync(join(dir, 'page-zz-half'))).toBe(false);
    const listed = (await services.listPages({})).pages.find((p) => p.id === page.id);
    expect(listed).toMatchObject({ damaged: true });
    await expect(services.openPage({ pageId: page.id })).rejects.toMatchObject({
      code: 'unprocessable',
      message: expect.stringMatching(/saved page .* is damaged .*delete it/),
    });
    await services.deletePage({ pageId: page.id });
    expect(readdirSync(dir).filter((n) => n === page.id)).toEqual([]);
    await stop(services);
  });
});
