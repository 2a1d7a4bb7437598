import { describe, expect, it } from 'vitest';
import { spokenDuration } from '../../app/shared/duration.ts';

describe('time to go in words', () => {
  it('says seconds, minutes and hours as a person reads them, and a dash when unknown', () => {
    expect(spokenDuration(42.4)).toBe('42 s');
    expect(spokenDuration(200)).toBe('3 min 20 s');
    expect(spokenDuration(7500)).toBe('2 h 5 min');
    expect(spokenDuration(null)).toBe('—');
    expect(spokenDuration(Number.NaN)).toBe('—');
  });
});
