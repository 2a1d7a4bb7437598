/**
 * The Samples view in Chromium against `hwr serve`: browse the sample store, relabel and delete
 * with the keyboard, and "Retrain on my handwriting" with its before/after figures, activation
 * and the way back to the previous model.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SampleStore } from '../../app/services/samples.ts';
import { styledSamples } from '../helpers/hand-style.ts';
import { sharedDataForTests } from '../helpers/shared-data.ts';
import { openBrowser, screenshot, serveForUi, type Browser, type Served } from './harness.ts';

const shared = sharedDataForTests();
let served: Served;
let browser: Browser;

beforeAll(async () => {
  served = await serveForUi();
  // 50 samples in a hand of their own (or plain bars without the shared data), as if drawn earlier.
  const store = new SampleStore(join(served.home, 'samples'));
  if (shared) {
    const { glyphs, labels } = styledSamples(shared, 'ABCDE01234'.split(''), 5);
    for (let i = 0; i < labels.length; i++) await store.save(labels[i]!, glyphs.subarray(i * 1024, (i + 1) * 1024), { source: 'draw' });
  } else {
    for (let i = 0; i < 12; i++)
      await store.save(
        i % 2 ? '1' : '7',
        Float32Array.from({ length: 1024 }, (_, p) => (p % 32 === 10 + (i % 5) ? 1 : 0)),
        { source: 'draw' },
      );
  }
  browser = await openBrowser(served.url);
});

afterAll(async () => {
  await browser?.close();
  await served?.stop();
});

describe('the Samples view', () => {
  it('lists the samples, relabels one and deletes another from the keyboard', async () => {
    const { page } = browser;
    await page.keyboard.press('6');
    const grid = page.getByRole('list', { name: 'Samples' });
    // The store is listed (and its PNGs read) on entering the view: on a loaded machine that takes seconds.
    await expect.poll(() => grid.getByRole('button').count(), { timeout: 30_000 }).toBe(shared ? 50 : 12);
    const total = shared ? 50 : 12;
    await expect.poll(() => page.locator('h2', { hasText: 'My samples' }).textContent(), { timeout: 15_000 }).toContain(`(${total})`);
    await screenshot(page, '20-samples');

    // Enter on a tile opens it with the label field focused; type, Enter relabels.
    const first = grid.getByRole('button').first();
    const before = (await first.getAttribute('aria-label'))!.split(',')[0]!;
    await first.focus();
    await page.keyboard.press('Enter');
    await expect
      .poll(() => page.evaluate(() => (globalThis as unknown as { document: { activeElement: { id: string } | null } }).document.activeElement?.id))
      .toBe('relabel');
    const target = before === 'Z' ? 'Y' : 'Z';
    await page.keyboard.type(target);
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByRole('combobox').first().innerText(), { timeout: 15_000 }).toContain(`${target} (1)`);
    await screenshot(page, '21-samples-relabelled');

    // Del on a focused tile deletes it.
    await page.keyboard.press('Escape');
    await grid.getByRole('button').last().focus();
    await page.keyboard.press('Delete');
    await expect.poll(() => grid.getByRole('button').count(), { timeout: 15_000 }).toBe(total - 1);
    // Focus lands on the sample that is last now (the one before the deleted), so Del can go on deleting.
    type Doc = { document: { activeElement: { getAttribute(n: string): string | null } | null } };
    const focusedLabel = () => page.evaluate(() => (globalThis as unknown as Doc).document.activeElement?.getAttribute('aria-label'));
    await expect.poll(focusedLabel).toBe(await grid.getByRole('button').last().getAttribute('aria-label'));
    expect(browser.errors).toEqual([]);
  });

  it.skipIf(!shared)('retrains on the samples, shows before and after, and keeps the previous model one click away', async () => {
    const { page } = browser;
    await page.getByLabel('Epochs').fill('4');
    await page.getByTestId('retrain').click();
    await expect.poll(() => page.getByTestId('retrain-state').textContent(), { timeout: 120_000, interval: 500 }).toBe('done');
    const table = page.getByRole('table', { name: 'Accuracy before and after' });
    await expect.poll(() => table.isVisible()).toBe(true);
    const rows = await table.getByRole('row').allInnerTexts();
    expect(rows[1]).toMatch(/Your held-back samples \(\d+\)\s+\d+\.\d%\s+\d+\.\d%/);
    expect(rows[2]).toMatch(/Base validation \([\d,]+\)\s+\d+\.\d%\s+\d+\.\d%/);
    await screenshot(page, '22-samples-retrained');
    const verdict = await page
      .getByRole('status')
      .filter({ hasText: /samples/ })
      .first()
      .textContent();
    // "better on your samples ... but base accuracy fell ...: the active model stays" is not an improvement.
    console.log(`retraining verdict: ${verdict}`);
    if (/^better on your samples/.test(verdict ?? '') && !/the active model stays/.test(verdict ?? '')) {
      // Better: activated, and the model before is one click away.
      await expect.poll(() => page.getByText('Classifier:').textContent()).toMatch(/run:run-/);
      await page.getByTestId('use-previous').click();
      await expect.poll(() => page.getByText('Classifier:').textContent()).toMatch(/shipped:/);
    } else {
      await expect.poll(() => page.getByText('Classifier:').textContent()).toMatch(/shipped:/);
      expect(await page.getByRole('button', { name: 'Activate it anyway' }).isVisible()).toBe(true);
    }
    expect(browser.errors).toEqual([]);
  });
});
