/**
 * `hwr CMD --help` prints that command's usage and exits 0, as a user typing it expects (it used to
 * be refused as an unknown option, exit 2, the usage after an error).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../app/cli/main.ts';

afterEach(() => vi.restoreAllMocks());

describe('hwr CMD --help', () => {
  it.each(['ocr', 'eval', 'eval-ae', 'eval-lines', 'tune-lines', 'serve', 'queue', 'worker', 'train'])(
    'hwr %s --help prints its usage and exits 0',
    async (command) => {
      const out = vi.spyOn(console, 'log').mockImplementation(() => {});
      const err = vi.spyOn(console, 'error').mockImplementation(() => {});
      expect(await main([command, '--help'])).toBe(0);
      expect(err).not.toHaveBeenCalled();
      expect(out.mock.calls.map((c) => String(c[0])).join('\n')).toMatch(new RegExp(`^usage: hwr ${command} `));
    },
  );

  it('an argument after -- is no help request, and an unknown option is still refused', async () => {
    const err = vi.spyOn(console, 'error').mockImplementation(() => {});
    expect(await main(['ocr', '--out', '/tmp', '--', '--help'])).toBe(1);
    expect(String(err.mock.calls[0]?.[0])).toMatch(/--help: no such file or folder/);
    expect(await main(['ocr', '--frobnicate'])).toBe(2);
    expect(String(err.mock.calls[1]?.[0])).toMatch(/Unknown option '--frobnicate'/);
  });
});
