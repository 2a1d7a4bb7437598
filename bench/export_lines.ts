/**
 * Writes a line dataset as one file for bench/torch_line_study.py (the architecture study that
 * runs where a GPU is lent): a 4-byte header length, a JSON header (the charset, and per line
 * its width, height, text, writer and whether the writer is held out for validation, by the
 * trainer's own split), then every line's ink quantised to 0..15 (it compresses to ~25 MB with xz).
 *
 *   node bin/run-ts.mjs bench/export_lines.ts [PAGES_DIR] OUT.bin [--cache FILE]
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { sharedDataDir } from '../app/base/paths.ts';
import { loadLineDataset, splitByWriter } from '../app/data/lines.ts';
import { Charset } from '../app/recognize/charset.ts';

const { positionals, values } = parseArgs({ allowPositionals: true, options: { cache: { type: 'string' } } });
const out = positionals.pop();
const dir = positionals[0] ?? join(sharedDataDir() ?? '../shared/data', 'copiste');
if (!out) throw new Error('usage: export_lines.ts [PAGES_DIR] OUT.bin [--cache FILE]');
const { lines } = await loadLineDataset(dir, { cache: values.cache, onProgress: (done, total) => done % 50 === 0 && console.log(`${done}/${total}`) });
const held = new Set(splitByWriter(lines, 0.1).validation);
const header = Buffer.from(
  JSON.stringify({
    chars: Charset.fromTexts(lines.map((l) => l.text)).chars.join(''),
    lines: lines.map((l, i) => ({ w: l.width, h: l.height, t: l.text, v: held.has(i) ? 1 : 0, wr: l.writer })),
  }),
);
const length = Buffer.alloc(4);
length.writeUInt32LE(header.length);
writeFileSync(out, Buffer.concat([length, header, ...lines.map((l) => Buffer.from(l.ink.map((v) => v >> 4)))]));
console.log(`${lines.length} lines (${held.size} held out) → ${out}`);
