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

/** Readings of crops whose label was printed as tall as the name, and the name in each. */
const LABELLED: Record<string, [string, string][]> = {
  'leading words near a label, letters misread': [
    ['NAME RICHARD', 'RICHARD'],
    ['N2ME CLAIRE JOHNSON', 'CLAIRE JOHNSON'],
    ['NOM MARY THOMAS', 'MARY THOMAS'],
    ['PYEMOM ROY', 'ROY'],
    ['NOMQEF2MIIIE TREMBLAY', 'TREMBLAY'],
    ['L2SE M2ME GAMNE', 'GAMNE'],
    ['IVAME JOHN BOUCHARD', 'JOHN BOUCHARD'],
  ],
  'up to a colon, or what a colon was misread as': [
    ['LAST AME: JEAN ROUX', 'JEAN ROUX'],
    ['Io de famille : ROY', 'ROY'],
    ['NVOMDEFAMILLC :TAYLOR', 'TAYLOR'],
    ['STJRITAIVII, LEROY', 'LEROY'],
    ['PIÉIIOIII: MOREAU', 'MOREAU'],
  ],
  'a label joined to the name': [
    ['SURNAMEWILLIAMS', 'WILLIAMS'],
    ['N2MEBOUCHARD', 'BOUCHARD'],
    ['NAMEMARY ROBERT', 'MARY ROBERT'],
  ],
};

describe('field labels read into a name', () => {
  for (const [kind, cases] of Object.entries(LABELLED)) {
    it(`are left out: ${kind}`, () => {
      expect(cases.map(([reading]) => withoutLabel(reading))).toEqual(cases.map(([, name]) => name));
    });
  }

  it('are never taken from names, words, or what is no name', () => {
    const whole = [
      'TOM MARTIN',
      'NOE MARTIN',
      'IVO MARTIN',
      'JEAN MARTIN',
      'NAMESAKE',
      'MARIE',
      'NOM',
      'NAME:',
      'Total : 42',
      'NOTE: CALL ANNE',
      'J. MARTIN',
      'hello world',
    ];
    expect(whole.map(withoutLabel)).toEqual(whole);
  });
});
