import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultLineModelPath } from '../../app/base/model-files.ts';
import { listPages, pageInk, splitByWriter, writerOf, type LineSample } from '../../app/data/lines.ts';
import { cutLine } from '../../app/image/line-image.ts';
import { lineCounts } from '../../app/recognize/cer.ts';
import { LineReader } from '../../app/recognize/line-reader.ts';
import { sharedDataForTests } from '../helpers/shared-data.ts';

describe('the shipped line model (models/lines.onnx)', () => {
  const data = sharedDataForTests();
  it.runIf(data)('reads a page by a writer it never trained on', async () => {
    const pages = listPages(join(data!, 'copiste'));
    // The writers the trainer held out: the same split by name.
    const byWriter = pages.map((p) => ({ writer: writerOf(p.name) }) as LineSample);
    const held = new Set(splitByWriter(byWriter, 0.1).validation.map((i) => pages[i]!.name));
    const page = pages.find((p) => held.has(p.name))!;
    const reader = await LineReader.load(defaultLineModelPath());
    try {
      const { ink, page: doc } = await pageInk(page);
      let distance = 0;
      let length = 0;
      for (const line of doc.regions.flatMap((r) => r.lines).filter((l) => l.text.trim())) {
        const c = lineCounts((await reader.read(cutLine(ink, line, reader.height), { decoder: 'beam' })).text, line.text).chars;
        distance += c.distance;
        length += c.length;
      }
      expect(length).toBeGreaterThan(200);
      expect(distance / length).toBeLessThan(0.4); // 21% over all 28 held-out writers when it shipped
    } finally {
      await reader.close();
    }
  });
});
