import { describe, expect, it } from 'vitest';
import { fieldLabel } from '../../app/recognize/field-labels.ts';

/** What remains of a one-line crop's reading once its field label is gone. */
function withoutLabel(reading: string): string {
  const words = reading.split(' ');
  const { words: dropped, chars } = fieldLabel(words);
  const rest = words.slice(dropped);
  rest[0] = rest[0]!.slice(chars);
  return rest.join(' ');
}

describe('field labels read into a name', () => {
  it('leave the name alone, read as the line model read it', () => {
    // As read from crops whose label was printed as tall as the name.
    expect(withoutLabel('NAME RICHARD')).toBe('RICHARD');
    expect(withoutLabel('N2ME CLAIRE JOHNSON')).toBe('CLAIRE JOHNSON');
    expect(withoutLabel('NOM MARY THOMAS')).toBe('MARY THOMAS');
    expect(withoutLabel('PYEMOM ROY')).toBe('ROY');
    expect(withoutLabel('NOMQEF2MIIIE TREMBLAY')).toBe('TREMBLAY');
    expect(withoutLabel('L2SE M2ME GAMNE')).toBe('GAMNE');
    expect(withoutLabel('IVAME JOHN BOUCHARD')).toBe('JOHN BOUCHARD');
  });

  it('end at a colon, or what a colon was misread as, before the name', () => {
    expect(withoutLabel('LAST AME: JEAN ROUX')).toBe('JEAN ROUX');
    expect(withoutLabel('Io de famille : ROY')).toBe('ROY');
    expect(withoutLabel('NVOMDEFAMILLC :TAYLOR')).toBe('TAYLOR');
    expect(withoutLabel('STJRITAIVII, LEROY')).toBe('LEROY');
    expect(withoutLabel('PIÉIIOIII: MOREAU')).toBe('MOREAU');
  });

  it('may be joined to the name', () => {
    expect(withoutLabel('SURNAMEWILLIAMS')).toBe('WILLIAMS');
    expect(withoutLabel('N2MEBOUCHARD')).toBe('BOUCHARD');
    expect(withoutLabel('NAMEMARY ROBERT')).toBe('MARY ROBERT');
  });

  it('are never taken from names, words, or what is no name', () => {
    for (const reading of [
      'TOM MARTIN',
      'NOE MARTIN',
      'JEAN MARTIN',
      'NAMESAKE',
      'MARIE',
      'NOM',
      'NAME:',
      'Total : 42',
      'NOTE: CALL ANNE',
      'J. MARTIN',
      'hello world',
    ])
      expect(withoutLabel(reading)).toBe(reading);
  });
});
