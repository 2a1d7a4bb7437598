import { describe, expect, it } from 'vitest';
import { ContractError } from '../../../app/contract.ts';
import { forPeople } from './people-words.ts';

describe('errors in words people use', () => {
  it('says "This file is empty", not the request field, and keeps the original for a tooltip', () => {
    const said = forPeople(new ContractError('invalid-request', 'recognizePage.image is empty'));
    expect(said).toEqual({ message: 'This file is empty.', detail: 'recognizePage.image is empty (invalid-request)' });
    expect(forPeople(new ContractError('invalid-request', 'recognizePage.image is empty'), 'scan.png').message).toBe('scan.png: this file is empty.');
  });

  it('gives sizes and limits as sentences', () => {
    const said = forPeople(new ContractError('too-large', 'recognizePage.image is 60.0 MB, more than the limit of 50.0 MB'));
    expect(said.message).toBe('This file is 60.0 MB; hwr reads files up to 50.0 MB.');
  });

  it('names the field, not the request, in messages it has no sentence for', () => {
    expect(forPeople(new ContractError('invalid-request', 'recognizePage.sheet must be four corners')).message).toBe('The sheet must be four corners');
    expect(forPeople(new ContractError('invalid-request', 'editRow.pageId must be an id')).message).toBe('The page id must be an id');
  });

  it('leaves a message that is already in words as it is, with no tooltip', () => {
    expect(forPeople(new Error('that folder holds no images or PDFs hwr reads'))).toEqual({ message: 'That folder holds no images or PDFs hwr reads' });
    expect(forPeople(new ContractError('busy', 'pages are being read: try again in a few seconds'))).toEqual({
      message: 'Pages are being read: try again in a few seconds',
      detail: 'pages are being read: try again in a few seconds (busy)',
    });
  });

  it('explains a lost connection key', () => {
    expect(forPeople(new ContractError('unauthorized', 'missing or wrong token')).message).toMatch(/^This window is not connected any more/);
  });
});
