/**
 * Capture conditions, end to end with the shipped models as `hwr ocr` reads them: the shared
 * photos made into what phones and scanners deliver (tests/helpers/capture.ts) — a sheet on a desk
 * in perspective, a page photographed at a slant, a hand's shadow, a small over-compressed photo, ruled and squared paper, a page
 * turned a quarter with and without EXIF — each read back at ≤ 3% CER with the right row count.
 * The CER of each condition is printed. Skips, saying why, without the data or a model.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultLineModelPath, defaultRecognizerPath } from '../../app/base/model-files.ts';
import { decodeImage } from '../../app/image/decode.ts';
import { cer, cerCount, parseGroundTruth, type CerCount } from '../../app/recognize/cer.ts';
import { pageText } from '../../app/recognize/document.ts';
import { LineReader } from '../../app/recognize/line-reader.ts';
import { loadDefaultClassifier, recognizeFile } from '../../app/recognize/recognizer.ts';
import { capture, type Condition } from '../helpers/capture.ts';
import { sharedDataForTests } from '../helpers/shared-data.ts';

const data = sharedDataForTests();
const PHOTOS = ['01_list.jpg', '02_letters.jpg', '03_haiku.jpg'];
const CONDITIONS: Condition[] = ['desk', 'skewed', 'shadow', 'small', 'ruled', 'squared', 'turned', 'turned-exif'];

describe.skipIf(!data)('reading pages as phones and scanners deliver them', () => {
  let classifier: Awaited<ReturnType<typeof loadDefaultClassifier>>;
  let lines: LineReader | undefined;
  const rates = new Map<Condition, number>();
  beforeAll(async () => {
    classifier = await loadDefaultClassifier(defaultRecognizerPath());
    if (existsSync(defaultLineModelPath())) lines = await LineReader.load(defaultLineModelPath());
  });
  afterAll(async () => {
    console.log(`CER by capture condition (${PHOTOS.join(', ')}):\n${[...rates].map(([c, r]) => `  ${c}: ${(100 * r).toFixed(2)}%`).join('\n')}`);
    await classifier?.close();
    await lines?.close();
  });

  it.each(CONDITIONS)(
    '%s: read with at most 3 percent CER, every row found',
    async (condition) => {
      const truth = parseGroundTruth(readFileSync(join(data!, 'photos', 'ground_truth.txt'), 'utf8'));
      const counts: CerCount[] = [];
      for (const file of PHOTOS) {
        const rows = truth.get(file)!;
        const page = await decodeImage(join(data!, 'photos', file), { maxSide: 1600 });
        const read = await recognizeFile(await capture(page, condition, 3), classifier, { lines, name: `${condition}-${file}` });
        counts.push(cerCount(pageText(read).split('\n').join(''), rows.join('')));
        expect(read.rows.length, `${condition} ${file}: rows`).toBe(rows.length);
        if (condition === 'desk') expect(read.sheet, `${condition} ${file}: the sheet`).toHaveLength(4);
      }
      rates.set(condition, cer(counts));
      expect(cer(counts)).toBeLessThanOrEqual(0.03);
    },
    120_000,
  );
});
