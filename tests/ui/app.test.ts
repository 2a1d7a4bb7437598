/**
 * The app in Chromium against `hwr serve`: read a photo, draw, reconstruct, train and cancel.
 * Screenshots go to test-results/ui/ (git-ignored).
 */
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { PDFDocument } from 'pdf-lib';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedDataForTests } from '../helpers/shared-data.ts';
import { penWrite } from '../helpers/pen-font.ts';
import { onDesk } from '../helpers/capture.ts';
import { decodeImage, encodeImage } from '../../app/image/decode.ts';
import {
  autoencoderShipped,
  drawStrokes,
  dropFiles,
  pasteImage,
  writeOnPad,
  openBrowser,
  screenshot,
  serveForUi,
  uiModels as models,
  type Browser,
  type Served,
} from './harness.ts';

const shared = sharedDataForTests();

/** The text of each row in the Scan view's text pane (each an editable line). */
const rowTexts = (page: Browser['page']) =>
  page.locator('[data-testid=row] input.text').evaluateAll((els) => els.map((e) => (e as unknown as { value: string }).value));

let served: Served;
let browser: Browser;

beforeAll(async () => {
  served = await serveForUi();
  browser = await openBrowser(served.url);
});

afterAll(async () => {
  await browser?.close();
  await served?.stop();
});

/** poppler-utils' pdftotext reads an exported PDF's text layer back (CI installs it). */
const pdftotext = spawnSync('pdftotext', ['-v']).error === undefined;

describe('hwr in a browser', () => {
  it('opens on the Scan view with the token taken out of the address', async () => {
    const { page } = browser;
    await expect.poll(() => page.getByText('Drop photos of handwriting here').isVisible()).toBe(true);
    expect(page.url()).not.toContain('token=');
    await expect.poll(() => page.getByText('Classifier:').textContent()).toMatch(/shipped:/);
    await screenshot(page, '01-scan-empty');
  });

  it.skipIf(!shared)('reads DEEP LEARNING in the first row of a dropped photo', async () => {
    const { page } = browser;
    const photo = readFileSync(join(shared!, 'photos', '04_deep.jpg')).toString('base64');
    await dropFiles(page, 'section.scan', [{ name: '04_deep.jpg', type: 'image/jpeg', base64: photo }]);
    const rows = page.getByTestId('row');
    await rows.first().waitFor({ timeout: 90_000 });
    const texts = await rowTexts(page);
    await screenshot(page, '02-scan-deep');
    expect(texts[0]).toBe('DEEP LEARNING');
    expect(await page.locator('rect.glyph').count()).toBeGreaterThanOrEqual(12);

    // Hover a glyph: its top-k; click it: the correction panel with the 32×32 crop.
    await page.locator('rect.glyph').first().hover();
    await page.getByRole('tooltip').waitFor();
    await screenshot(page, '03-scan-hover');
    await page.locator('rect.glyph').first().click();
    await expect.poll(() => page.getByRole('dialog', { name: 'Correct glyph' }).isVisible()).toBe(true);
    await screenshot(page, '04-scan-correct');
    await page.keyboard.press('Escape');
  });

  it.skipIf(!shared)('exports the text, and saves a correction as a labelled sample', async () => {
    const { page } = browser;
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export .txt' }).click()]);
    expect(download.suggestedFilename()).toBe('04_deep.txt');
    expect(readFileSync((await download.path())!, 'utf8').split('\n')[0]).toBe('DEEP LEARNING');

    // The G that ends the first row, corrected to Q: the text follows; a sample is saved only
    // once the user says corrections are to be kept.
    const samplesDir = join(served.home, 'samples', 'Q');
    await page.locator('rect.glyph').nth(11).click();
    await page.getByLabel('Correct label').fill('Q');
    await page.getByRole('button', { name: 'Correct', exact: true }).click();
    await expect.poll(async () => (await rowTexts(page))[0]).toBe('DEEP LEARNINQ');
    expect(existsSync(samplesDir)).toBe(false);
    // Undone (Ctrl+Z): the text is as read; redone: corrected again.
    await page.getByRole('button', { name: 'Undo' }).click();
    await expect.poll(async () => (await rowTexts(page))[0]).toBe('DEEP LEARNING');
    await page.getByRole('button', { name: 'Redo' }).click();
    await expect.poll(async () => (await rowTexts(page))[0]).toBe('DEEP LEARNINQ');
    await page.getByRole('button', { name: 'Undo' }).click();
    await expect.poll(async () => (await rowTexts(page))[0]).toBe('DEEP LEARNING');

    await page.getByLabel('Keep corrected letters as training samples').check();
    await page.locator('rect.glyph').nth(11).click();
    await page.getByLabel('Correct label').fill('Q');
    await page.getByRole('button', { name: 'Correct', exact: true }).click();
    await expect.poll(async () => (await rowTexts(page))[0]).toBe('DEEP LEARNINQ');
    const saved = readdirSync(samplesDir);
    expect(saved.filter((f) => f.endsWith('.png'))).toHaveLength(1);
    expect(
      JSON.parse(
        readFileSync(
          join(
            served.home,
            'samples',
            'Q',
            saved.find((f) => f.endsWith('.json'))!,
          ),
          'utf8',
        ),
      ),
    ).toMatchObject({ label: 'Q', source: 'scan', predicted: 'G', page: { name: '04_deep.jpg' } });
    await screenshot(page, '04b-scan-corrected');

    // Undoing a kept correction takes its sample back too.
    await page.keyboard.press('Control+z');
    await expect.poll(async () => (await rowTexts(page))[0]).toBe('DEEP LEARNING');
    await expect.poll(() => existsSync(samplesDir) && readdirSync(samplesDir).some((f) => f.endsWith('.png'))).toBe(false);
  });

  it.skipIf(!shared)('edits a line as text (click it on the photo), and exports the edit as ALTO', async () => {
    const { page } = browser;
    // Clicking the second row's box on the photo opens its text.
    const box = (await page.locator('rect.row-box').nth(1).boundingBox())!;
    await page.mouse.click(box.x + 2, box.y + 2);
    const line = page.getByLabel('Line 2', { exact: true });
    await expect.poll(() => page.evaluate("document.activeElement?.getAttribute('aria-label')")).toBe('Line 2');
    await line.fill('Deep learning, typed');
    await line.press('Enter');
    await expect.poll(async () => (await rowTexts(page))[1]).toBe('Deep learning, typed');
    await expect.poll(() => page.getByTestId('row').nth(1).innerText()).toContain('edited');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'ALTO' }).click()]);
    expect(download.suggestedFilename()).toBe('04_deep.alto.xml');
    const alto = readFileSync((await download.path())!, 'utf8');
    expect(alto).toContain('<alto xmlns="http://www.loc.gov/standards/alto/ns-v4#"');
    expect(alto).toContain('CONTENT="Deep learning, typed"');
    await screenshot(page, '04c-scan-line-edited');
    // Undo puts the line as it was read.
    await page.evaluate('document.activeElement?.blur()');
    await page.keyboard.press('Control+z');
    await expect.poll(async () => (await rowTexts(page))[1]).not.toBe('Deep learning, typed');
  });

  it.skipIf(!shared)('reads a photo that came on its side, turned, with the boxes over the writing', async () => {
    const { page } = browser;
    // The pixels turned a quarter counter-clockwise, no EXIF tag: as some scanners and messaging apps deliver a page.
    const sideways = (
      await sharp(join(shared!, 'photos', '04_deep.jpg'))
        .rotate()
        .rotate(270)
        .jpeg()
        .toBuffer()
    ).toString('base64');
    await dropFiles(page, 'section.scan', [{ name: 'sideways.jpg', type: 'image/jpeg', base64: sideways }]);
    await expect.poll(() => page.getByText('turned 90° to read it').count(), { timeout: 90_000 }).toBe(1);
    expect((await rowTexts(page))[0]).toBe('DEEP LEARNING');
    // The photo is shown turned, so the boxes sit over the letters: the first glyph box holds dark ink.
    const box = (await page.locator('rect.glyph').first().boundingBox())!;
    const shot = await page.screenshot({ clip: { x: box.x + box.width * 0.1, y: box.y + box.height * 0.1, width: box.width * 0.8, height: box.height * 0.8 } });
    const { data, info } = await sharp(shot).greyscale().raw().toBuffer({ resolveWithObject: true });
    expect(Math.min(...data)).toBeLessThan(120);
    expect(info.width).toBeGreaterThan(3);
    await screenshot(page, '04d-scan-turned');
  });

  it.skipIf(!shared)('reads a sheet photographed on a desk, and shows it flattened under its boxes', async () => {
    const { page } = browser;
    const sheet = await decodeImage(join(shared!, 'photos', '04_deep.jpg'), { maxSide: 1200 });
    const photo = (await encodeImage(onDesk(sheet), 'jpeg', 85)).toString('base64');
    await dropFiles(page, 'section.scan', [{ name: 'desk.jpg', type: 'image/jpeg', base64: photo }]);
    await expect.poll(() => page.getByText(/sheet found and flattened/).count(), { timeout: 90_000 }).toBe(1);
    expect(await rowTexts(page)).toEqual(['DEEP LEARNING', 'DEEPER LEARNING', 'DEEPEST LEARNING']);
    // The sheet is shown as it was read, so the boxes sit over the letters: the first glyph box holds dark ink.
    expect(await page.locator('section.scan svg image').first().getAttribute('href')).toMatch(/^data:image\/jpeg;base64,/);
    const box = (await page.locator('rect.glyph').first().boundingBox())!;
    const shot = await page.screenshot({ clip: { x: box.x + box.width * 0.1, y: box.y + box.height * 0.1, width: box.width * 0.8, height: box.height * 0.8 } });
    const { data } = await sharp(shot).greyscale().raw().toBuffer({ resolveWithObject: true });
    expect(Math.min(...data)).toBeLessThan(120);
    await screenshot(page, '04e-scan-desk');
    // The corners hwr found are shown on the photo; the photo read whole has no sheet; the corners
    // placed by hand (moved with the keyboard) flatten it again.
    await page.getByRole('button', { name: 'Sheet corners…' }).click();
    await expect.poll(() => page.getByRole('slider').count()).toBe(4);
    await page.getByRole('button', { name: 'Whole photo' }).click();
    const legend = async () => ((await page.locator('.legend').count()) ? await page.locator('.legend').innerText() : '');
    await expect.poll(async () => /rows, read in/.test(await legend()) && !/sheet found/.test(await legend()), { timeout: 90_000 }).toBe(true);
    await page.getByRole('button', { name: 'Sheet corners…' }).click();
    const topLeft = page.getByRole('slider', { name: 'top left corner' });
    const before = await topLeft.getAttribute('aria-valuenow');
    await topLeft.focus();
    await page.keyboard.press('Shift+ArrowRight');
    expect(await topLeft.getAttribute('aria-valuenow')).not.toBe(before);
    await page.getByRole('button', { name: 'Read the sheet' }).click();
    await expect.poll(() => page.getByText(/sheet found and flattened/).count(), { timeout: 90_000 }).toBe(1);
  });

  it.skipIf(!shared)('reads a two-page scanned PDF page by page, and exports a page as a searchable PDF', async () => {
    const { page } = browser;
    const doc = await PDFDocument.create();
    for (const f of ['03_haiku.jpg', '04_deep.jpg']) {
      const image = await doc.embedJpg(readFileSync(join(shared!, 'photos', f)));
      doc.addPage([image.width / 4, image.height / 4]).drawImage(image, { x: 0, y: 0, width: image.width / 4, height: image.height / 4 });
    }
    const pdf = Buffer.from(await doc.save()).toString('base64');
    await dropFiles(page, 'section.scan', [{ name: 'scans.pdf', type: 'application/pdf', base64: pdf }]);
    await expect.poll(() => page.getByRole('tab', { name: /^scans p[12]\.jpg$/ }).count(), { timeout: 30_000 }).toBe(2);
    await page.getByRole('tab', { name: 'scans p2.jpg' }).click();
    await expect.poll(async () => (await rowTexts(page))[0], { timeout: 90_000 }).toBe('DEEP LEARNING');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'PDF', exact: true }).click()]);
    expect(download.suggestedFilename()).toBe('scans p2.pdf');
    if (pdftotext) {
      const text = execFileSync('pdftotext', [(await download.path())!, '-'], { encoding: 'utf8' });
      expect(text.split('\n').filter((l) => l.trim())).toEqual(['DEEP LEARNING', 'DEEPER LEARNING', 'DEEPEST LEARNING']);
    }
  });

  it.skipIf(!shared)('reads an image pasted from the clipboard (Ctrl+V), in a tab of its own', async () => {
    const { page } = browser;
    const photo = readFileSync(join(shared!, 'photos', '03_haiku.jpg')).toString('base64');
    await pasteImage(page, { name: 'image.jpeg', type: 'image/jpeg', base64: photo });
    await expect.poll(() => page.getByRole('tab', { name: /^pasted-.*\.jpeg$/ }).count()).toBe(1);
    await expect.poll(async () => (await rowTexts(page)).at(-1), { timeout: 90_000 }).toBe('REFRIGERATOR');
  });

  it.skipIf(!shared)('opens a folder: its images, each in a tab, its other files passed over', async () => {
    const { page } = browser;
    const folder = mkdtempSync(join(tmpdir(), 'hwr-ui-folder-'));
    try {
      copyFileSync(join(shared!, 'photos', '04_deep.jpg'), join(folder, 'b-deep.jpg'));
      copyFileSync(join(shared!, 'photos', '03_haiku.jpg'), join(folder, 'a-haiku.jpg'));
      writeFileSync(join(folder, 'notes.txt'), 'not an image');
      const tabs = await page.getByRole('tab').count();
      await page.getByTestId('folder-input').setInputFiles(folder);
      await expect.poll(() => page.getByRole('tab').count()).toBe(tabs + 2);
      expect(await page.getByRole('tab', { name: 'a-haiku.jpg' }).count()).toBe(1);
      expect(await page.getByRole('tab', { name: 'notes.txt' }).count()).toBe(0);
      // Read in name order; the files stay until both are read.
      await page.getByRole('tab', { name: 'b-deep.jpg' }).click();
      await expect.poll(async () => (await rowTexts(page))[0], { timeout: 90_000 }).toBe('DEEP LEARNING');
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('at 800×600 every view fits the width of the window (no horizontal scrolling)', async () => {
    const { page } = browser;
    const size = page.viewportSize()!;
    await page.setViewportSize({ width: 800, height: 600 });
    try {
      const overflow: string[] = [];
      for (const [key, view] of [
        ['1', 'Scan'],
        ['2', 'Draw'],
        ['3', 'Autoencoder'],
        ['4', 'Train'],
        ['5', 'Models'],
        ['6', 'Samples'],
      ] as const) {
        await page.evaluate('document.activeElement?.blur()');
        await page.keyboard.press(key);
        await page.waitForTimeout(300);
        // The page itself, and any element that reaches past the window's right edge, unless a box of
        // its own that fits the window scrolls it (a wide table of a model card scrolls in its frame).
        const past = (await page.evaluate(`(() => {
          const out = [];
          const root = document.documentElement;
          if (root.scrollWidth > root.clientWidth) out.push('the page, ' + root.scrollWidth + ' px');
          const framed = (el) => {
            for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
              const o = getComputedStyle(a).overflowX;
              if ((o === 'auto' || o === 'scroll' || o === 'hidden') && a.getBoundingClientRect().right <= innerWidth + 1) return true;
            }
            return false;
          };
          for (const el of document.querySelectorAll('body *')) {
            const r = el.getBoundingClientRect();
            if (framed(el)) continue;
            const shown = r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== 'hidden' && !el.closest('.sr-only');
            const name = el.tagName.toLowerCase() + (typeof el.className === 'string' && el.className ? '.' + el.className.split(' ')[0] : '');
            if (shown && r.right > innerWidth + 1) out.push(name + ' to ' + Math.round(r.right) + ' px');
          }
          return out.slice(0, 5);
        })()`)) as string[];
        for (const p of past) overflow.push(`${view}: ${p}`);
      }
      expect(overflow).toEqual([]);
    } finally {
      await page.setViewportSize(size);
    }
  });

  it('predicts a character drawn with the mouse, as it is drawn', async () => {
    const { page } = browser;
    await page.keyboard.press('2');
    const first: Parameters<typeof drawStrokes>[1][number] = [
      [95, 265],
      [160, 55],
    ];
    await drawStrokes(page, [first]);
    // After the first stroke there is already a prediction...
    await page.getByTestId('best-prediction').waitFor();
    const rest: Parameters<typeof drawStrokes>[1] = [
      [
        [160, 55],
        [225, 265],
      ],
      [
        [120, 190],
        [200, 190],
      ],
    ];
    await drawStrokes(page, rest);
    // ...and after the last one it reads the A.
    const readsA = async () => (await page.getByLabel('Top predictions').innerText()).split('\n').slice(0, 6).join(' ');
    const roundTrip = async () => Number(/Updated in (\d+) ms/.exec(await page.getByText(/Updated in \d+ ms/).innerText())![1]);
    await expect.poll(readsA).toMatch(/\bA\b/);
    // The round trip, best of three drawings (a loaded test machine may slow any one of them).
    const times = [await roundTrip()];
    for (let again = 0; again < 2 && Math.min(...times) >= 150; again++) {
      await page.getByRole('button', { name: 'Clear' }).click();
      await drawStrokes(page, [first, ...rest]);
      await expect.poll(readsA).toMatch(/\bA\b/);
      times.push(await roundTrip());
    }
    console.log(`draw → prediction round trip: ${times.join(', ')} ms`);
    expect(Math.min(...times)).toBeLessThan(150);
    await screenshot(page, '05-draw');
  });

  it('shows a reconstruction of the drawing with its PSNR', async () => {
    if (!autoencoderShipped(models)) throw new Error(`no autoencoder in ${models}: ship ae.onnx (hwr train --arch ae --save models/ae.onnx)`);
    const { page } = browser;
    await page.keyboard.press('3');
    await page.getByRole('button', { name: 'Add my drawing' }).click();
    await expect.poll(() => page.getByTestId('psnr').first().innerText(), { timeout: 30_000 }).toMatch(/^\d+(\.\d)? dB$/);
    expect(await page.getByLabel(/^reconstruction of /).count()).toBe(1);
    if (shared) await page.getByText('Samples per class').waitFor();
    await screenshot(page, '06-autoencoder');
  });

  it('clears the pad and the label when a sample is saved, and on Esc in the label field', async () => {
    const { page } = browser;
    await page.keyboard.press('2');
    const label = page.getByLabel('Label');
    const drawn = () => page.getByRole('button', { name: 'Clear' }).isEnabled();
    await drawStrokes(page, [
      [
        [100, 60],
        [100, 260],
      ],
    ]);
    await expect.poll(drawn).toBe(true);
    await label.fill('I');
    await label.press('Enter');
    await expect.poll(() => page.getByRole('status').filter({ hasText: "Saved as 'I'" }).count()).toBe(1);
    expect(await drawn()).toBe(false);
    expect(await label.inputValue()).toBe('');

    await drawStrokes(page, [
      [
        [100, 60],
        [100, 260],
      ],
    ]);
    await label.fill('l');
    await label.press('Escape');
    await expect.poll(drawn).toBe(false);
    expect(await label.inputValue()).toBe('');

    // Two strokes far apart are two characters: not a sample, and it says why.
    await drawStrokes(page, [
      [
        [60, 60],
        [60, 260],
      ],
      [
        [260, 60],
        [260, 260],
      ],
    ]);
    await label.fill('I');
    await expect.poll(() => page.getByRole('alert').filter({ hasText: 'several characters' }).count()).toBe(1);
    expect(await page.getByRole('button', { name: 'Save', exact: true }).isDisabled()).toBe(true);
    await label.press('Escape');
  });

  it('reads words written on the pad as the pen lifts, and erases a scribbled-out word', async () => {
    const { page } = browser;
    await page.keyboard.press('2');
    await page.getByRole('radio', { name: 'Words and lines' }).click();
    await writeOnPad(page, penWrite(['hello world']));
    const lines = page.getByTestId('pad-line');
    const texts = () => page.locator('[data-testid=pad-line] .mono').allInnerTexts();
    await expect.poll(texts, { timeout: 30_000 }).toEqual(['hello world']);
    await screenshot(page, '05b-draw-lines');
    // A second line, then a scribble over it: it goes, and the reading follows.
    await writeOnPad(page, penWrite(['', 'the end']));
    await expect.poll(() => lines.count(), { timeout: 30_000 }).toBe(2);
    const scribble = Array.from({ length: 9 }, (_, i) => ({ x: i % 2 ? 220 : 25, y: 125 + i * 5 }));
    await writeOnPad(page, [scribble]);
    await expect
      .poll(() =>
        page
          .getByRole('status')
          .filter({ hasText: /Erased \d+ strokes/ })
          .count(),
      )
      .toBe(1);
    await expect.poll(texts, { timeout: 30_000 }).toEqual(['hello world']);
    await page.getByRole('radio', { name: 'One character' }).click();
  });

  it.skipIf(!shared)('trains with live curves, cancels, and keeps the previous model active', async () => {
    const { page } = browser;
    await page.keyboard.press('4');
    const active = page.getByTestId('active-classifier');
    await expect.poll(() => active.innerText()).toMatch(/^shipped:/);
    const before = await active.innerText();

    await page.getByLabel('Epochs').fill('30');
    await page.getByLabel('Image limit').fill('3000');
    await page.getByRole('button', { name: 'Start training' }).click();
    await expect.poll(() => page.getByTestId('train-state').innerText(), { timeout: 60_000 }).toBe('Training');

    const chart = page.getByTestId('loss-chart');
    const points = async () => Number(await chart.getAttribute('data-points'));
    await expect.poll(points, { timeout: 90_000 }).toBeGreaterThanOrEqual(3);
    const first = await points();
    await expect.poll(points, { timeout: 60_000 }).toBeGreaterThan(first + 2);
    await screenshot(page, '07-train-running');

    await page.getByRole('button', { name: 'Cancel' }).click();
    await expect.poll(() => page.getByTestId('train-state').innerText(), { timeout: 30_000 }).toBe('Cancelled');
    expect(await active.innerText()).toBe(before);
    await screenshot(page, '08-train-cancelled');

    await page.keyboard.press('5');
    const activeCard = page.getByRole('listitem', { name: /\(active\)$/ }).filter({ hasText: 'classifier' });
    await expect.poll(() => activeCard.innerText()).toContain(before);
    // Figures in words and dates as dates, not metadata keys; a much weaker model is marked before anyone activates it.
    const models = page.getByRole('region', { name: 'Models' });
    const text = await models.innerText();
    expect(text).toMatch(/Validation accuracy\s+\d+\.\d%/);
    expect(text).not.toMatch(/validation_accuracy|\d{4}-\d\d-\d\dT/);
    if (before === 'shipped:cnn') {
      const mlp = page.getByRole('listitem', { name: 'mlp', exact: true });
      expect(await mlp.getByRole('note').innerText()).toMatch(/^⚠ Much weaker than the active classifier: \d+\.\d% of characters right against \d+\.\d%\.$/);
      expect(await mlp.getByRole('button', { name: 'Activate anyway' }).count()).toBe(1);
    }
    await screenshot(page, '09-models');
  });

  it('raised no errors in the page', () => {
    expect(browser.errors).toEqual([]);
  });
});
