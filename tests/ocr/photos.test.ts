/**
 * The four shared photos end to end with the shipped models, as `hwr ocr` reads them (the glyph
 * classifier, and the line recogniser where it fits a line better): row counts must match the
 * ground truth, the character error rate (as the data README defines it) must stay under the
 * bound for the model that has shipped, and these block capitals stay with the glyph reader.
 * Skips, saying why, without the data or a model.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultLineModelPath, defaultRecognizerPath } from '../../app/base/model-files.ts';
import { LineReader } from '../../app/recognize/line-reader.ts';
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
  let lineReader: LineReader | undefined;
  beforeAll(async () => {
    classifier = await loadDefaultClassifier(modelPath!);
    if (existsSync(defaultLineModelPath())) lineReader = await LineReader.load(defaultLineModelPath());
  });
  afterAll(async () => {
    await classifier?.close();
    await lineReader?.close();
  });

  it('finds every row and reads the pages within the CER bound of the shipped model', async () => {
    const truth = parseGroundTruth(readFileSync(join(data!, 'photos', 'ground_truth.txt'), 'utf8'));
    expect(truth.size).toBe(4);
    const counts: CerCount[] = [];
    const lines: string[] = [];
    for (const [file, rows] of truth) {
      const page = await recognizeFile(join(data!, 'photos', file), classifier, { lines: lineReader });
      expect(page.rows.map((r) => r.reader ?? 'glyphs')).toEqual(rows.map(() => 'glyphs'));
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
