import { basename } from 'node:path';
import { defaultLineModelPath } from '../base/model-files.ts';
import { listPages, pageInk } from '../data/lines.ts';
import { cutLine } from '../image/line-image.ts';
import { cer, lineCounts, type CerCount } from '../recognize/cer.ts';
import { LineReader } from '../recognize/line-reader.ts';
import { parseCli, UsageError } from './args.ts';

export const usage =
  'eval-lines --data DIR [--model FILE] [--decoder greedy|beam]   line recogniser on pages with ALTO/PAGE lines ' +
  '(default: beam with the model\'s language model where it has one); last line "cer X wer Y"';

/** "cer X wer Y" over the lines' summed distances and lengths. */
function rates(counts: readonly { chars: CerCount; words: CerCount }[], gap: string): string {
  return `cer ${cer(counts.map((c) => c.chars)).toFixed(4)}${gap}wer ${cer(counts.map((c) => c.words)).toFixed(4)}`;
}

export async function run(args: string[]): Promise<number> {
  const { values } = parseCli(args, { data: { type: 'string' }, model: { type: 'string' }, decoder: { type: 'string' } }, usage);
  if (!values.data) throw new UsageError(`--data is required\nusage: hwr ${usage}`);
  if (values.decoder !== undefined && values.decoder !== 'greedy' && values.decoder !== 'beam') {
    throw new UsageError(`--decoder must be greedy or beam, got '${values.decoder}'`);
  }
  const pages = listPages(values.data);
  if (pages.length === 0) throw new Error(`${values.data}: no pages with ALTO or PAGE XML`);
  const modelPath = values.model ?? defaultLineModelPath();
  const reader = await LineReader.load(modelPath);
  const decoder = (values.decoder as 'greedy' | 'beam' | undefined) ?? reader.defaultDecoding.decoder;
  try {
    const how =
      decoder === 'beam' && reader.beam.lm
        ? `beam decoding (width ${reader.beam.beam}) with the model's language model at weight ${reader.beam.lmWeight}` +
          (reader.beam.charBonus ? `, a bonus of ${reader.beam.charBonus} a character` : '') +
          (reader.beam.wordBonus ? ` and the French and English word list at bonus ${reader.beam.wordBonus}` : '')
        : `${decoder} decoding`;
    console.log(`model ${modelPath}, ${how}, ${pages.length} pages from ${values.data}`);
    const all: ReturnType<typeof lineCounts>[] = [];
    for (const files of pages) {
      const { ink, page: segmented } = await pageInk(files);
      const counts: ReturnType<typeof lineCounts>[] = [];
      for (const line of segmented.regions.flatMap((r) => r.lines)) {
        if (!line.text.trim()) continue;
        const read = await reader.read(cutLine(ink, line, reader.height), { decoder });
        counts.push(lineCounts(read.text, line.text));
      }
      all.push(...counts);
      console.log(`page ${basename(files.name)}  lines ${counts.length}  ${rates(counts, '  ')}`);
    }
    console.log(rates(all, ' '));
    return 0;
  } finally {
    await reader.close();
  }
}
