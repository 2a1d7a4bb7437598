/**
 * `npm run screenshots`: every view of the app at 1280×800 and 800×600, light and dark, into
 * assets/screenshots/<view>-<width>x<height>-<theme>.png, and the Scan view's History list. The app runs as `hwr serve` (with a home
 * of its own) in Debian's Chromium (HWR_CHROMIUM to use another). The Scan view shows a shared
 * photo read, when ../shared/data is there; the Draw view a letter drawn.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot, sharedDataDir } from '../app/base/paths.ts';
import { dropFiles, ensureUi, openBrowser, startServe } from '../tests/ui/harness.ts';

const OUT = join(projectRoot, 'assets', 'screenshots');
const VIEWS = [
  ['1', 'scan'],
  ['2', 'draw'],
  ['3', 'autoencoder'],
  ['4', 'train'],
  ['5', 'models'],
  ['6', 'samples'],
] as const;
const SIZES = [
  [1280, 800],
  [800, 600],
] as const;

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  await ensureUi();
  const served = await startServe();
  const browser = await openBrowser(served.url);
  const { page } = browser;
  try {
    await page
      .getByRole('tab', { name: /Scan/ })
      .first()
      .waitFor({ timeout: 60_000 })
      .catch(() => {});
    const shared = sharedDataDir();
    if (shared) {
      const photo = readFileSync(join(shared, 'photos', '01_list.jpg')).toString('base64');
      await dropFiles(page, 'section.scan', [{ name: '01_list.jpg', type: 'image/jpeg', base64: photo }]);
      await page.locator('.legend').waitFor({ timeout: 120_000 });
    } else console.error('screenshots: no ../shared/data, so the Scan view is shown empty');
    let written = 0;
    for (const theme of ['light', 'dark'] as const) {
      if ((await page.evaluate('document.documentElement.dataset.theme')) !== theme) await page.getByRole('button', { name: /Switch to .* theme/ }).click();
      for (const [width, height] of SIZES) {
        await page.setViewportSize({ width, height });
        for (const [key, view] of VIEWS) {
          await page.evaluate('document.activeElement?.blur()');
          await page.keyboard.press(key);
          await page.waitForTimeout(400);
          await page.screenshot({ path: join(OUT, `${view}-${width}x${height}-${theme}.png`) });
          written++;
        }
        // The Scan view's history of pages read, open over the page.
        await page.keyboard.press('1');
        const history = page.getByRole('button', { name: /^History/ });
        await history.click();
        await page.waitForTimeout(400);
        await page.screenshot({ path: join(OUT, `scan-history-${width}x${height}-${theme}.png`) });
        await history.click();
        written++;
      }
    }
    console.log(`screenshots: ${written} written to ${OUT}`);
  } finally {
    await browser.close();
    await served.stop();
  }
}

await main();
