/**
 * OCR speed on the four shared photos: median wall time per page from file to text
 * (decode → segment → crops → classifier → decoding), and the image half alone. The reference is
 * the goal of 350 ms for the 12 MP 04_deep.jpg on a laptop.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { decodeImage } from '../app/image/decode.ts';
import { OCR_DECODE, pageCrops, segmentPage } from '../app/image/segment.ts';
import { pageText } from '../app/recognize/document.ts';
import { englishLexicon } from '../app/recognize/lexicon.ts';
import { loadDefaultClassifier, recognizeFile } from '../app/recognize/recognizer.ts';
import { sharedDataDir } from '../app/base/paths.ts';

type Figure = { name: string; value: number; unit: string };

const PHOTOS = ['01_list', '02_letters', '03_haiku', '04_deep'];
const GOAL_MS = 350;
const RUNS = 5;

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function timeIt(runs: number, f: () => Promise<unknown>): Promise<number> {
  await f(); // warm-up: lexicon, model session, JIT
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await f();
    times.push(performance.now() - t);
  }
  return median(times);
}

export async function benchOcr(): Promise<Figure[]> {
  const data = sharedDataDir();
  if (!data) throw new Error('../shared/data is absent: the OCR benchmark needs its photos');
  englishLexicon();
  let classifier: Awaited<ReturnType<typeof loadDefaultClassifier>> | null = null;
  try {
    classifier = await loadDefaultClassifier();
  } catch (err) {
    console.log(`ocr: no model (${(err as Error).message}); timing the image stages only`);
  }
  const figures: Figure[] = [];
  try {
    for (const name of PHOTOS) {
      const file = join(data, 'photos', `${name}.jpg`);
      if (!existsSync(file)) continue;
      const imageMs = await timeIt(RUNS, async () => pageCrops(segmentPage(await decodeImage(file, OCR_DECODE))));
      figures.push({ name: `ocr_image_ms_${name}`, value: imageMs, unit: 'ms' });
      if (classifier) {
        const c = classifier;
        const pageMs = await timeIt(RUNS, async () => pageText(await recognizeFile(file, c)));
        figures.push({ name: `ocr_page_ms_${name}`, value: pageMs, unit: 'ms' });
        if (name === '04_deep') figures.push({ name: 'ocr_page_04_deep_vs_goal', value: pageMs / GOAL_MS, unit: `× the ${GOAL_MS} ms goal` });
      }
    }
  } finally {
    await classifier?.close();
  }
  return figures;
}
