/**
 * The page history in a browser: a page read and corrected is there again after a reload and
 * after the server restarts (same data folder, same address); it can be renamed, exported with
 * the others in one zip, closed and deleted, and focus lands somewhere sensible each time.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderPage } from '../ocr/synthetic.ts';
import { encodeImage } from '../../app/image/decode.ts';
import { dropFiles, openBrowser, serveForUi, type Browser, type Served } from './harness.ts';

const rowTexts = (page: Browser['page']) =>
  page.locator('[data-testid=row] input.text').evaluateAll((els) => els.map((e) => (e as unknown as { value: string }).value));
/** The name of the element that has the keyboard focus. */
const focused = (page: Browser['page']) =>
  page.evaluate(
    () => (globalThis as unknown as { document: { activeElement: { textContent: string } | null } }).document.activeElement?.textContent?.trim() ?? '',
  );

let home: string;
let served: Served | undefined;
let browser: Browser;

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'hwr-ui-history-'));
  served = await serveForUi({ home });
  browser = await openBrowser(served.url);
});

afterAll(async () => {
  await browser?.close();
  await served?.stop();
  rmSync(home, { recursive: true, force: true });
});

describe('the page history in a browser', () => {
  it('keeps a corrected page across a reload and a restart; renames, exports all, closes and deletes', { timeout: 240_000 }, async () => {
    const { page } = browser;
    const image = await encodeImage(renderPage({ rows: ['HELLO', 'WORLD'], seed: 7 }).image, 'png');
    await dropFiles(page, 'section.scan', [{ name: 'hello.png', type: 'image/png', base64: Buffer.from(image).toString('base64') }]);
    await expect.poll(async () => (await rowTexts(page)).length, { timeout: 90_000 }).toBe(2);
    const line2 = page.getByLabel('Line 2', { exact: true });
    await line2.fill('EARTH');
    await line2.press('Enter');
    await expect.poll(() => page.getByText('edited', { exact: true }).count()).toBe(1);

    // A reload: the tab is back, with the line as typed.
    await page.reload();
    await expect.poll(() => page.getByRole('tab', { name: 'hello.png' }).count(), { timeout: 30_000 }).toBe(1);
    await expect.poll(async () => (await rowTexts(page))[1]).toBe('EARTH');

    // A restart of the server on the same folder and address: the tab again.
    const port = Number(new URL(served!.url).port);
    await served!.stop();
    served = await serveForUi({ home, port });
    // A fresh load with the new token (only the address's #token differs: goto alone would not load the page again).
    await page.goto('about:blank');
    await page.goto(served.url);
    // The page left on the stopped server tried to reconnect meanwhile: those errors are the restart's, not the app's.
    browser.errors.length = 0;
    await expect.poll(() => page.getByRole('tab', { name: 'hello.png' }).count(), { timeout: 30_000 }).toBe(1);
    await expect.poll(async () => (await rowTexts(page))[1]).toBe('EARTH');

    // Renamed in the history: the tab follows, and so do the export files' names.
    await page.getByRole('button', { name: /^History/ }).click();
    const history = page.getByRole('region', { name: 'History' });
    await history.getByRole('button', { name: 'Rename hello.png' }).click();
    await history.getByLabel('New name for hello.png').fill('greeting');
    await history.getByLabel('New name for hello.png').press('Enter');
    await expect.poll(() => page.getByRole('tab', { name: 'greeting' }).count()).toBe(1);
    await expect.poll(() => focused(page)).toMatch(/^greeting/);
    await history.getByRole('button', { name: 'Close the history' }).click();

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export all' }).click()]);
    expect(download.suggestedFilename()).toMatch(/^hwr-pages-\d{4}-\d\d-\d\d\.zip$/);
    const files = unzipSync(new Uint8Array(await readFile((await download.path())!)));
    expect(Object.keys(files).sort()).toEqual(['greeting.alto.xml', 'greeting.json', 'greeting.pdf', 'greeting.txt']);
    expect(new TextDecoder().decode(files['greeting.txt']).split('\n')[1]).toBe('EARTH');

    // Closed: the page stays in the history (Recent pages), focus goes back to Open images.
    await page.getByRole('button', { name: 'Close greeting' }).click();
    expect(await page.getByRole('tab').count()).toBe(0);
    expect(await focused(page)).toBe('Open images…');
    const recent = page.getByRole('region', { name: 'Recent pages' });
    await expect.poll(() => recent.getByTestId('history-page').count()).toBe(1);

    // Deleted, after a second press: gone from the list, and after a reload too.
    await recent.getByRole('button', { name: 'Delete greeting' }).click();
    await recent.getByRole('button', { name: 'Really delete greeting' }).click();
    await expect.poll(() => page.getByRole('region', { name: 'Recent pages' }).count()).toBe(0);
    await page.reload();
    await expect.poll(() => page.getByText('Drop photos of handwriting here').isVisible()).toBe(true);
    expect(await page.getByRole('region', { name: 'Recent pages' }).count()).toBe(0);
    expect(browser.errors).toEqual([]);
  });
});
