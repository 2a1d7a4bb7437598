/**
 * Whole handwritten pages: line finding against the Copiste pages' own ALTO lines (recall and
 * precision at IoU ≥ 0.5, on the pages of the writers the line model is validated on), the CER of
 * `hwr ocr` on those pages (its own lines, as the hidden Copiste pages are judged), and the
 * time `hwr ocr` takes to read one Copiste page at half size (line finding and recognition, the
 * shipped models; goal ≤ 1,500 ms), against the glyph reader alone on the same page.
 *
 *   npm run bench -- pages
 */
import { join } from 'node:path';
import { sharedDataDir } from '../app/base/paths.ts';
import { defaultLineModelPath } from '../app/base/model-files.ts';
import { listPages, splitByWriter, writerOf, type LineSample } from '../app/data/lines.ts';
import { decodeImage, encodeImage } from '../app/image/decode.ts';
import { halve } from '../app/image/gray.ts';
import { lineFindingScore } from '../app/image/text-lines.ts';
import { cer, pageCounts, type CerCount } from '../app/recognize/cer.ts';
import { LineReader } from '../app/recognize/line-reader.ts';
import { loadDefaultClassifier, recognizeFile } from '../app/recognize/recognizer.ts';

type Figure = { name: string; value: number; unit: string };

const RUNS = 5;

export async function benchPages(): Promise<Figure[]> {
  const data = sharedDataDir();
  if (!data) throw new Error('needs ../shared/data (the Copiste pages)');
  const pages = listPages(join(data, 'copiste'));
  const held = new Set(splitByWriter(pages.map((p) => ({ writer: writerOf(p.name) }) as LineSample)).validation);
  const chosen = pages.filter((_, i) => held.has(i));
  const { matched, truth: truthCount, found: foundCount, printed } = await lineFindingScore(chosen);
  const figures: Figure[] = [
    { name: 'line_finding_recall', value: matched / truthCount, unit: `(${matched} of ${truthCount} ALTO lines on ${chosen.length} pages, IoU ≥ 0.5)` },
    {
      name: 'line_finding_precision',
      value: matched / foundCount,
      unit: `(${matched} of the ${foundCount} lines found to read; another ${printed} found as print, the notice, and left out)`,
    },
  ];

  // The validation writers' pages read as `hwr ocr` reads them, segmentation included, judged as the Copiste README judges the hidden pages.
  const classifier = await loadDefaultClassifier();
  const lines = await LineReader.load(defaultLineModelPath());
  try {
    const counts: CerCount[] = [];
    for (const p of chosen) {
      const read = await recognizeFile(p.imagePath, classifier, { lines, name: p.name });
      const truth = p.page.regions.flatMap((r) => r.lines).filter((l) => l.text.trim());
      counts.push(
        pageCounts(
          read.rows.map((r) => r.text),
          truth.map((l) => l.text),
        ),
      );
    }
    figures.push({
      name: 'ocr_cer_copiste',
      value: cer(counts),
      unit: `(hwr ocr on the ${chosen.length} pages of the validation writers, lines found by hwr; case and accents kept; goal ≤ 0.08 on unseen writers)`,
    });

    // One page at half size, as a phone photo of a page would be read.
    const page = chosen[0]!;
    const half = await encodeImage(halve(await decodeImage(page.imagePath)));
    const time = async (reader: 'auto' | 'glyphs') => {
      const times: number[] = [];
      for (let i = 0; i <= RUNS; i++) {
        const t = performance.now();
        await recognizeFile(half, classifier, { lines, reader, name: page.name });
        if (i > 0) times.push(performance.now() - t); // the first run warms up
      }
      return times.sort((a, b) => a - b)[times.length >> 1]!;
    };
    const auto = await time('auto');
    const glyphs = await time('glyphs');
    figures.push({ name: 'ocr_page_ms_copiste', value: auto, unit: `ms (${page.name} at half size, line finding + both readers; goal ≤ 1500)` });
    figures.push({ name: 'ocr_page_ms_copiste_glyphs_only', value: glyphs, unit: 'ms (the same page, glyph reader alone)' });
  } finally {
    await classifier.close();
    await lines.close();
  }
  return figures;
}
