/**
 * The four shared photos end to end with the shipped model: row counts must match the ground
 * truth, and the character error rate (as the data README defines it) must stay under the bound
 * for the model that has shipped. Skips, saying why, without the data or a model.
 */
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultRecognizerPath } from '../../app/base/model-files.ts';
import { cer, cerCount, parseGroundTruth, type CerCount } from '../../app/recognize/cer.ts';
import { pageText } from '../../app/recognize/document.ts';
import { loadDefaultClassifier, recognizeFile } from '../../app/recognize/recognizer.ts';
import { sharedDataForTests } from '../helpers/shared-data.ts';

/** CER bounds by model file: the CNN's target, and a looser one the course MLP (85% on glyphs) meets (it measured 0%). */
const MAX_CER: Record<string, number> = { 'cnn.onnx': 0.01, 'mlp.onnx': 0.05 };

const data = sharedDataForTests();
let modelPath: string | null = null;
try {
  modelPath = defaultRecognizerPath();
} catch (err) {
  console.warn(`skipping the photo CER test: ${(err as Error).message}`);
}

describe.skipIf(!data || !modelPath)('OCR of the shared photos', () => {
  let classifier: Awaited<ReturnType<typeof loadDefaultClassifier>>;
  beforeAll(async () => {
    classifier = await loadDefaultClassifier(modelPath!);
  });
  afterAll(async () => classifier?.close());

  it('finds every row and reads the pages within the CER bound of the shipped model', async () => {
    const truth = parseGroundTruth(readFileSync(join(data!, 'photos', 'ground_truth.txt'), 'utf8'));
    expect(truth.size).toBe(4);
    const counts: CerCount[] = [];
    const lines: string[] = [];
    for (const [file, rows] of truth) {
      const page = await recognizeFile(join(data!, 'photos', file), classifier);
      const text = pageText(page);
      const count = cerCount(text.split('\n').join(''), rows.join(''));
      counts.push(count);
      const rate = ((100 * count.distance) / count.length).toFixed(1);
      lines.push(`${file}: rows ${page.rows.length}/${rows.length}, CER ${rate}% (${count.distance}/${count.length}) | ${text.split('\n').join(' | ')}`);
      expect(page.rows.length, `${file}: rows`).toBe(rows.length);
    }
    const total = cer(counts);
    console.log(`OCR with ${basename(modelPath!)}: CER ${(100 * total).toFixed(2)}%\n${lines.join('\n')}`);
    expect(total).toBeLessThanOrEqual(MAX_CER[basename(modelPath!)] ?? 0.05);
  });
});
