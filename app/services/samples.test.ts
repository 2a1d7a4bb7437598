import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GLYPH_VALUES } from '../contract.ts';
import { SampleStore } from './samples.ts';
import { loadDataset } from '../data/index.ts';

const root = mkdtempSync(join(tmpdir(), 'hwr-samples-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = () => new SampleStore(join(root, `store-${n++}`));

/** A glyph with a vertical bar at column x. */
function bar(x: number): Float32Array {
  const g = new Float32Array(GLYPH_VALUES);
  for (let y = 5; y < 27; y++) g[y * 32 + x] = 1;
  return g;
}

const files = (dir: string) => (existsSync(dir) ? readdirSync(dir).sort() : []);

describe('SampleStore', () => {
  it('saves a glyph as PNG plus JSON and reads the very pixels back', async () => {
    const store = fresh();
    const saved = await store.save('7', bar(10), { source: 'draw', predicted: '1', model: 'shipped:mlp' });
    expect(files(join(store.dir, '7'))).toEqual([`${saved.id}.json`, `${saved.id}.png`]);
    const list = store.list();
    expect(list).toMatchObject({ total: 1, counts: { '7': 1 } });
    expect(list.samples[0]).toMatchObject({ id: saved.id, label: '7', source: 'draw', predicted: '1', model: 'shipped:mlp' });
    const { glyphs, damaged } = await store.glyphs(list.samples);
    expect(Array.from(glyphs)).toEqual(Array.from(bar(10)));
    expect(damaged.size).toBe(0);
  });

  it('lists a sample whose image is damaged as damaged, beside the others, and leaves it out of training', async () => {
    const store = fresh();
    const good = await store.save('A', bar(3), { source: 'draw' });
    const bad = await store.save('A', bar(5), { source: 'draw' });
    writeFileSync(join(store.dir, 'A', `${bad.id}.png`), 'not a png at all');
    const list = store.list();
    const { glyphs, damaged } = await store.glyphs(list.samples);
    expect([...damaged]).toEqual([bad.id]);
    const k = list.samples.findIndex((s) => s.id === good.id);
    expect(Array.from(glyphs.subarray(k * GLYPH_VALUES, (k + 1) * GLYPH_VALUES))).toEqual(Array.from(bar(3)));
    expect((await store.readAll()).samples.map((s) => s.id)).toEqual([good.id]);
    // And it can be deleted like any other.
    store.delete(bad.id);
    expect(store.list().total).toBe(1);
  });

  it('lists newest first, by label, a page at a time', async () => {
    const store = fresh();
    const ids: string[] = [];
    for (const [i, label] of ['A', 'B', 'A', 'A'].entries()) {
      ids.push((await store.save(label, bar(5 + i), { source: 'scan' })).id);
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(store.list().counts).toEqual({ A: 3, B: 1 });
    expect(store.list({ label: 'A' }).samples.map((s) => s.id)).toEqual([ids[3], ids[2], ids[0]]);
    const page = store.list({ offset: 1, limit: 2 });
    expect(page.total).toBe(4);
    expect(page.samples.map((s) => s.id)).toEqual([ids[2], ids[1]]);
  });

  it('relabels by moving the image and rewriting the record, keeping where it came from', async () => {
    const store = fresh();
    const { id } = await store.save('O', bar(3), { source: 'scan', predicted: 'Q' });
    const info = store.relabel(id, '0');
    expect(info).toMatchObject({ id, label: '0', source: 'scan', predicted: 'Q', relabeledFrom: 'O' });
    expect(existsSync(join(store.dir, 'O'))).toBe(false);
    expect(files(join(store.dir, '0'))).toEqual([`${id}.json`, `${id}.png`]);
    expect(JSON.parse(readFileSync(join(store.dir, '0', `${id}.json`), 'utf8')).label).toBe('0');
  });

  it('keeps a and A apart, in folders that differ where file names ignore case, and reads them as an image folder', async () => {
    const store = fresh();
    const lower = await store.save('a', bar(4), { source: 'draw' });
    await store.save('A', bar(6), { source: 'draw' });
    expect(files(store.dir)).toEqual(['A', '_a']);
    expect(files(join(store.dir, '_a'))).toEqual([`${lower.id}.json`, `${lower.id}.png`]);
    expect(store.list().counts).toEqual({ A: 1, a: 1 });
    expect(store.relabel(lower.id, 'b')).toMatchObject({ label: 'b', relabeledFrom: 'a' });
    expect(files(store.dir)).toEqual(['A', '_b']);
    const set = await loadDataset(store.dir);
    expect(set.classes).toEqual(['A', 'b']);
  });

  it('deletes a sample, and says which one is missing', async () => {
    const store = fresh();
    const { id } = await store.save('K', bar(8), { source: 'draw' });
    store.delete(id);
    expect(store.list().total).toBe(0);
    expect(() => store.delete(id)).toThrow(expect.objectContaining({ code: 'not-found', message: expect.stringContaining(id) }));
    expect(() => store.relabel('../etc', 'A')).toThrow(expect.objectContaining({ code: 'invalid-request' }));
  });

  describe('repair after a crash', () => {
    it('keeps an image whose record was never written, labelled by its folder', async () => {
      const store = fresh();
      const { id } = await store.save('M', bar(4), { source: 'draw' });
      rmSync(join(store.dir, 'M', `${id}.json`)); // killed between the two writes
      expect(store.list().total).toBe(0);
      expect(store.repair().recovered).toEqual([join('M', `${id}.png`)]);
      expect(store.list().samples).toEqual([expect.objectContaining({ id, label: 'M', source: 'unknown' })]);
    });

    it('finishes a relabel cut short after the image moved', async () => {
      const store = fresh();
      const { id } = await store.save('S', bar(6), { source: 'scan', predicted: '5' });
      mkdirSync(join(store.dir, '5'));
      renameSync(join(store.dir, 'S', `${id}.png`), join(store.dir, '5', `${id}.png`)); // killed right after the move
      const report = store.repair();
      expect(report.recovered).toEqual([join('5', `${id}.png`)]);
      expect(report.removed).toEqual([join('S', `${id}.json`)]);
      expect(store.list().samples).toEqual([expect.objectContaining({ id, label: '5', source: 'scan', predicted: '5', relabeledFrom: 'S' })]);
    });

    it('drops what a delete cut short left, and temp files of writes cut short', async () => {
      const store = fresh();
      const kept = await store.save('X', bar(7), { source: 'draw' });
      const deleted = await store.save('X', bar(9), { source: 'draw' });
      rmSync(join(store.dir, 'X', `${deleted.id}.png`)); // killed between the two unlinks
      writeFileSync(join(store.dir, 'X', `.${kept.id}.png.123.abc.tmp`), 'half a png');
      const report = store.repair();
      expect(report.removed.sort()).toEqual([join('X', `${deleted.id}.json`), join('X', `.${kept.id}.png.123.abc.tmp`)].sort());
      expect(files(join(store.dir, 'X'))).toEqual([`${kept.id}.json`, `${kept.id}.png`]);
      expect(store.repair()).toEqual({ recovered: [], removed: [] });
    });
  });
});
