import { describe, expect, it } from 'vitest';
import { uniqueName } from './scan.svelte.ts';

describe('Export all: file names in the zip', () => {
  it('numbers a second page of the same name before its extensions, and keeps the first as it is', () => {
    const taken: Record<string, unknown> = {};
    for (const name of ['scan.txt', 'scan.txt', 'scan.alto.xml', 'scan.alto.xml', 'scan.txt']) taken[uniqueName(taken, name)] = true;
    expect(Object.keys(taken)).toEqual(['scan.txt', 'scan (2).txt', 'scan.alto.xml', 'scan (2).alto.xml', 'scan (3).txt']);
    expect(uniqueName({ page: 1 }, 'page')).toBe('page (2)');
  });
});
