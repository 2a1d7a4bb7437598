/**
 * `hwr tune-lines`: sets a trained line model's beam search anew (app/recognize/tune-decoding.ts)
 * on the writers that `hwr train` holds out of the same pages, and writes it into the model file
 * (atomically; the weights stay as they are). For a model trained before a decoding setting
 * existed, or on other pages than those it will read.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { defaultLineModelPath } from '../base/model-files.ts';
import { toUnitFloats } from '../data/idx.ts';
import { defaultLineData, loadLineDataset, splitByWriter } from '../data/lines.ts';
import { exportOnnx } from '../onnx/export.ts';
import { importOnnx } from '../onnx/import.ts';
import { LineReader } from '../recognize/line-reader.ts';
import { decodingMetadata, tuneDecoding } from '../recognize/tune-decoding.ts';
import { decodingLines } from '../train/tfjs/line-card.ts';
import { writeFileAtomic } from '../base/atomic.ts';
import { parseCli } from './args.ts';

export const usage =
  "tune-lines [--model FILE] [--data DIR] [--cache FILE]   choose a line model's n-gram weight and bonuses on the writers hwr train holds out of DIR " +
  '(default: the shared Copiste pages) and write them into the model; last line "cer X wer Y"';

export async function run(args: string[]): Promise<number> {
  const { values } = parseCli(args, { model: { type: 'string' }, data: { type: 'string' }, cache: { type: 'string' } }, usage);
  const modelPath = resolve(values.model ?? defaultLineModelPath());
  const dataDir = values.data ?? defaultLineData();
  const reader = await LineReader.load(modelPath, { companion: false });
  try {
    const data = await loadLineDataset(dataDir, {
      height: reader.height,
      onProgress: (done, total) => done % 50 === 0 && console.log(`reading pages: ${done}/${total}`),
      ...(values.cache ? { cache: resolve(values.cache) } : {}),
    });
    const split = splitByWriter(data.lines);
    const validation = split.validation.map((i) => data.lines[i]!);
    if (validation.length === 0 || split.train.length === 0) throw new Error(`${dataDir}: the lines come from too few writers to hold some out`);
    console.log(`${data.description}; tuning on ${validation.length} lines of the held-out writers`);
    const read = [];
    for (const l of validation) read.push(await reader.probabilities({ width: l.width, height: l.height, data: toUnitFloats(l.ink) }));
    const tuned = tuneDecoding(
      read,
      validation.map((l) => l.text),
      split.train.map((i) => data.lines[i]!.text),
      reader.charset,
    );
    const spec = importOnnx(readFileSync(modelPath));
    spec.metadata = { ...spec.metadata, ...decodingMetadata(tuned) };
    writeFileAtomic(modelPath, exportOnnx(spec));
    console.log(['', ...decodingLines(tuned), ''].join('\n'));
    console.log(`written: ${modelPath}`);
    console.log(`cer ${tuned.bestBonus.cer.toFixed(4)} wer ${tuned.bestBonus.wer.toFixed(4)}`);
    return 0;
  } finally {
    await reader.close();
  }
}
