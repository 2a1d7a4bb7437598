/**
 * Labelled samples the user saves (a drawing, a corrected glyph from a scan): one PNG per sample
 * under samples/<label>/, dark ink on white as people expect to see it, with a JSON file beside it
 * saying where it came from. The folder is an image-folder dataset: training reads it as it is.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../atomic.ts';
import { GLYPH_SIDE } from '../contract.ts';
import { encodeImage } from '../image/decode.ts';

export interface SampleProvenance {
  source: 'draw' | 'scan' | 'dataset';
  predicted?: string;
  model?: string;
  page?: { name: string; box: { x: number; y: number; width: number; height: number } };
}

export async function saveSample(samplesDir: string, label: string, glyph: Float32Array, provenance: SampleProvenance): Promise<{ id: string; path: string; count: number }> {
  const id = `${new Date().toISOString().replace(/[-:.]/g, '').replace('T', '-').slice(0, 15)}-${Math.random().toString(36).slice(2, 8)}`;
  const dir = join(samplesDir, label);
  const data = new Uint8Array(GLYPH_SIDE * GLYPH_SIDE);
  for (let i = 0; i < data.length; i++) data[i] = Math.round(255 * (1 - Math.min(1, Math.max(0, glyph[i]!))));
  const png = await encodeImage({ width: GLYPH_SIDE, height: GLYPH_SIDE, channels: 1, data }, 'png');
  const path = join(dir, `${id}.png`);
  writeFileAtomic(path, png);
  // The label file last: a sample with its JSON is complete.
  writeFileAtomic(join(dir, `${id}.json`), JSON.stringify({ label, savedAt: new Date().toISOString(), ...provenance }, null, 2) + '\n');
  const count = readdirSync(dir).filter((f) => f.endsWith('.png')).length;
  return { id, path, count };
}
