import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Datasets } from '../../app/services/datasets.ts';

const root = mkdtempSync(join(tmpdir(), 'hwr-datasets-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('the Train view’s datasets', () => {
  it('offers the Copiste pages for the line recogniser where the shared data has them', () => {
    const shared = join(root, 'shared');
    mkdirSync(join(shared, 'copiste'), { recursive: true });
    const datasets = new Datasets(shared, join(root, 'samples'));
    expect(datasets.list().find((d) => d.id === 'copiste')).toMatchObject({ available: true, path: join(shared, 'copiste') });
    expect(datasets.resolve('copiste')).toEqual({ data: join(shared, 'copiste') });
  });

  it('says why it is not there without the shared data', () => {
    const datasets = new Datasets(null, join(root, 'samples'));
    expect(datasets.list().find((d) => d.id === 'copiste')?.available).toBe(false);
    expect(() => datasets.resolve('copiste')).toThrow(/Copiste pages \(line recogniser\) is not available here \(no \.\.\/shared\/data\)/);
  });
});
