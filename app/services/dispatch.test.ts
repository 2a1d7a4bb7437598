import { describe, expect, it } from 'vitest';
import { ContractError } from '../contract.ts';
import { toErrorDTO, withoutPaths } from './dispatch.ts';

describe('errors sent to a client', () => {
  it('name the file, not where this machine keeps it', () => {
    expect(withoutPaths('cannot make the folder /proc/x (ENOENT)')).toBe('cannot make the folder …/x (ENOENT)');
    expect(withoutPaths('/home/u/data/a.png: not a PNG')).toBe('…/a.png: not a PNG');
    expect(withoutPaths('C:\\Users\\me\\hwr\\samples\\A\\x.png is damaged')).toBe('…\\x.png is damaged');
    expect(withoutPaths('open http://127.0.0.1:8080/api/x; page 1/2 stays')).toBe('open http://127.0.0.1:8080/api/x; page 1/2 stays');
    expect(toErrorDTO(new Error('EACCES: permission denied, open /root/.local/share/hwr/samples/A/1.png'))).toEqual({
      code: 'internal',
      message: 'EACCES: permission denied, open …/1.png',
    });
    expect(toErrorDTO(new ContractError('not-found', 'no model at /srv/models/x.onnx'))).toMatchObject({ code: 'not-found', message: 'no model at …/x.onnx' });
  });
});
