// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ContractError, decodeWire, encodeWire, REQUEST_NAMES, TOKEN_HEADER, type HwrBridge } from '../../../app/contract.ts';
import { httpConnection, ipcApi, readToken } from './api.ts';

afterEach(() => {
  vi.unstubAllGlobals();
  sessionStorage.clear();
});

describe('HTTP transport', () => {
  it('posts the request as wire JSON with the token and returns the value', async () => {
    const fetch = vi.fn(async (_url: string, init: RequestInit) => new Response(encodeWire({ ok: true, value: { got: decodeWire(String(init.body)) } })));
    vi.stubGlobal('fetch', fetch);
    const { api } = httpConnection('tok');
    const glyphs = new Float32Array(1024).fill(0.5);
    const value = (await api.classifyGlyphs({ glyphs })) as unknown as { got: { glyphs: Float32Array } };
    expect(value.got.glyphs).toEqual(glyphs);
    const [url, init] = fetch.mock.calls[0]!;
    expect(url).toBe('./api/classifyGlyphs');
    expect((init.headers as Record<string, string>)[TOKEN_HEADER]).toBe('tok');
  });

  it('turns an error outcome into a ContractError with its code', async () => {
    vi.stubGlobal('fetch', async () => new Response(encodeWire({ ok: false, error: { code: 'busy', message: 'a run is going' } }), { status: 409 }));
    const { api } = httpConnection('tok');
    await expect(api.startTraining({} as never)).rejects.toEqual(new ContractError('busy', 'a run is going'));
  });

  it('says what to do when there is no token or no server', async () => {
    await expect(httpConnection(null).api.listModels({})).rejects.toMatchObject({ code: 'unauthorized', message: expect.stringContaining('hwr serve') });
    vi.stubGlobal('fetch', async () => {
      throw new TypeError('Failed to fetch');
    });
    await expect(httpConnection('t').api.listModels({})).rejects.toMatchObject({ code: 'unavailable' });
  });

  it('reads the token from the address once, then forgets it there', () => {
    history.replaceState(null, '', '/#token=abc_DEF-123');
    expect(readToken()).toBe('abc_DEF-123');
    expect(location.hash).toBe('');
    expect(readToken()).toBe('abc_DEF-123'); // kept for this tab
  });
});

describe('IPC transport', () => {
  it('unwraps Outcomes from the preload bridge', async () => {
    const bridge = Object.fromEntries(
      REQUEST_NAMES.map((n) => [n, async () => (n === 'listModels' ? { ok: true, value: 42 } : { ok: false, error: { code: 'not-found', message: 'nope' } })]),
    ) as unknown as HwrBridge;
    bridge.onEvent = () => () => {};
    const api = ipcApi(bridge);
    expect(await api.listModels({})).toBe(42);
    await expect(api.activateModel({ id: 'x' })).rejects.toMatchObject({ code: 'not-found', message: 'nope' });
  });
});
