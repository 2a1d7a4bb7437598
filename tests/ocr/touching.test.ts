/**
 * Block capitals whose letters touch, as many people write them: pages composed of real EMNIST
 * capitals (pool part 5) set with no gap between letters, read as `hwr ocr` reads them. A blob of
 * several letters is cut where the classifier reads its pieces best (segmentation by
 * recognition: app/image/glyphs.ts, splitLattice), or into more pieces where those make a word;
 * on such a page every gap left is a word gap. The line model reads the same lines whole, in
 * capitals, and where the glyphs' cuts read no better it takes the line; where one reader's word
 * is a word and the other's is not, the word wins (recognizer.ts readLines).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultLineModelPath } from '../../app/base/model-files.ts';
import { readDocument } from '../../app/cli/ocr.ts';
import { CLASSES_36 } from '../../app/contract.ts';
import { loadIdx } from '../../app/data/idx.ts';
import { splitWords } from '../../app/image/rows.ts';
import { cer, cerCount, type CerCount } from '../../app/recognize/cer.ts';
import { LineReader } from '../../app/recognize/line-reader.ts';
import { loadDefaultClassifier, recognizeFile } from '../../app/recognize/recognizer.ts';
import { decodeImage, encodeImage } from '../../app/image/decode.ts';
import { onDesk } from '../helpers/capture.ts';
import { sharedDataForTests } from '../helpers/shared-data.ts';
import { capitalsPage, emnistRaster } from './synthetic.ts';

const shared = sharedDataForTests();

describe('words whose letters touch', () => {
  it('are told apart by their gaps alone when every letter touches', () => {
    const H = 50;
    const box = (x0: number, x1: number) => ({ x0, x1, y0: 0, y1: H });
    // "OF", "HE", "THEY": each word one blob, 0.9 and 1.1 character heights apart.
    const row = [box(0, 70), box(115, 185), box(240, 380)];
    expect(splitWords(row, H)).toHaveLength(3);
    // Letters 0.4 apart are still one word.
    expect(splitWords([box(0, 30), box(50, 80), box(100, 130)], H)).toHaveLength(1);
  });

  it.skipIf(!shared)(
    'pages of touching capitals are read at under a tenth of the characters wrong, spaced ones still right',
    { timeout: 180_000 },
    async () => {
      const part = join(shared!, 'emnist36', 'emnist36-pool-part5');
      const set = loadIdx(`${part}-images-idx3-ubyte.gz`, `${part}-labels-idx1-ubyte.gz`, { classes: CLASSES_36 });
      const raster = emnistRaster(set.pixels, set.labels, CLASSES_36);
      const readers = { classifier: await loadDefaultClassifier(), lines: await LineReader.load(defaultLineModelPath()) };
      // The capitals line model comes with the line model.
      expect(readers.lines.capitals).not.toBeNull();
      const read = async (gap: number): Promise<number> => {
        const counts: CerCount[] = [];
        for (let p = 0; p < 8; p++) {
          const page = capitalsPage(raster, gap, 900 + p, p);
          const { bytes } = await readDocument(Buffer.from(await encodeImage(page.image, 'png')), `touching-${p}.png`, 'text', readers, () => {});
          counts.push(cerCount(Buffer.from(bytes).toString('utf8'), page.rows.join('\n')));
        }
        return cer(counts);
      };
      try {
        const touching = await read(0);
        const spaced = await read(0.3);
        console.log(`touching capitals: CER ${(100 * touching).toFixed(1)}%; spaced: ${(100 * spaced).toFixed(1)}%`);
        // Before the pieces of a blob were chosen by the classifier, touching pages read at 27.8%;
        // before the line model read touching capitals (and lent the glyphs its words), 16.2%.
        expect(touching).toBeLessThan(0.1);
        expect(spaced).toBeLessThanOrEqual(0.01);
      } finally {
        await readers.classifier.close();
        await readers.lines.close();
      }
    },
  );

  it.skipIf(!shared)('a photo read whole, desk and all, is still read: blobs no path cuts into letters stay whole', { timeout: 60_000 }, async () => {
    // The desk around the sheet is one blob of ink as wide as the photo: no lattice path cuts it (this threw once).
    const sheet = await decodeImage(join(shared!, 'photos', '04_deep.jpg'), { maxSide: 1200 });
    const classifier = await loadDefaultClassifier();
    try {
      const page = await recognizeFile(await encodeImage(onDesk(sheet), 'jpeg', 85), classifier, { sheet: false });
      expect(page.rows.length).toBeGreaterThan(0);
    } finally {
      await classifier.close();
    }
  });
});
