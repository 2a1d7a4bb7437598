import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  decodeWire,
  encodeWire,
  REQUEST_NAMES,
  TOKEN_HEADER,
  WS_PROTOCOL,
  WS_TOKEN_PREFIX,
  type EventListener,
  type HwrApi,
  type HwrEvent,
} from '../../app/contract.ts';
import { sendRaw } from '../helpers/http.ts';
import { startServer, type RunningServer } from '../../app/server/http.ts';

const TOKEN = 'test-token-0123456789abcdefghij';
let server: RunningServer;
let uiDir: string;
const listeners = new Set<EventListener>();
const calls: { name: string; request: unknown }[] = [];

/** An API that echoes what it was asked. */
const api = Object.fromEntries(
  REQUEST_NAMES.map((name) => [
    name,
    async (request: unknown) => {
      calls.push({ name, request });
      return { echoed: name, request };
    },
  ]),
) as unknown as HwrApi;
api.onEvent = (l) => {
  listeners.add(l);
  return () => listeners.delete(l);
};
const emit = (e: HwrEvent) => listeners.forEach((l) => l(e));

beforeAll(async () => {
  uiDir = mkdtempSync(join(tmpdir(), 'hwr-ui-'));
  writeFileSync(join(uiDir, 'index.html'), '<!doctype html><title>hwr</title>');
  mkdirSync(join(uiDir, 'assets'));
  writeFileSync(join(uiDir, 'assets', 'app.js'), 'console.log(1)');
  writeFileSync(join(uiDir, '..', 'secret.txt'), 'do not serve');
  server = await startServer({ api, host: '127.0.0.1', port: 0, token: TOKEN, staticDir: uiDir });
});
afterAll(async () => {
  await server.close();
  rmSync(uiDir, { recursive: true, force: true });
  rmSync(join(uiDir, '..', 'secret.txt'), { force: true });
});

const send = (method: string, path: string, headers: Record<string, string> = {}, body?: string | Buffer) => sendRaw(server.port, method, path, headers, body);

const post = (name: string, payload: unknown, headers: Record<string, string> = {}) =>
  send('POST', `/api/${name}`, { 'content-type': 'application/json', [TOKEN_HEADER]: TOKEN, ...headers }, encodeWire(payload));

describe('hwr serve HTTP API', () => {
  it('prints an address on loopback with the token in the fragment', () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/#token=${TOKEN}`);
    expect(server.server.address()).toMatchObject({ address: '127.0.0.1' });
  });

  it('answers a valid request through the validated contract', async () => {
    const glyphs = new Float32Array(1024).fill(0.25);
    const reply = await post('classifyGlyphs', { glyphs, topK: 2 });
    expect(reply.status).toBe(200);
    const outcome = decodeWire(reply.body) as { ok: boolean; value: { echoed: string; request: { glyphs: Float32Array } } };
    expect(outcome.ok).toBe(true);
    expect(outcome.value.echoed).toBe('classifyGlyphs');
    expect(outcome.value.request.glyphs).toEqual(glyphs);
  });

  it('rejects requests without the token, or with a wrong one', async () => {
    const before = calls.length;
    const none = await send('POST', '/api/listModels', { 'content-type': 'application/json' }, '{}');
    expect(none.status).toBe(401);
    expect((decodeWire(none.body) as { error: { code: string } }).error.code).toBe('unauthorized');
    expect((await post('listModels', {}, { [TOKEN_HEADER]: `${TOKEN}x` })).status).toBe(401);
    expect((await post('listModels', {}, { [TOKEN_HEADER]: TOKEN.slice(0, -1) + 'X' })).status).toBe(401);
    expect(calls.length).toBe(before);
  });

  it('sends no CORS headers and refuses cross-origin callers and preflights', async () => {
    const cross = await post('listModels', {}, { origin: 'http://evil.example' });
    expect(cross.status).toBe(403);
    const preflight = await send('OPTIONS', '/api/listModels', { origin: 'http://evil.example', 'access-control-request-method': 'POST' });
    expect(preflight.status).toBe(405);
    for (const reply of [cross, preflight, await post('listModels', {})]) {
      expect(Object.keys(reply.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);
    }
    expect((await post('listModels', {}, { origin: `http://127.0.0.1:${server.port}` })).status).toBe(200);
  });

  it('lets the UI opened as http://localhost:PORT call its own API, and nothing posing as it', async () => {
    const host = `localhost:${server.port}`;
    expect((await post('listModels', {}, { host, origin: `http://${host}` })).status).toBe(200);
    // The Origin must be the name the page was reached at, and one the Host check allows.
    expect((await post('listModels', {}, { host, origin: `http://127.0.0.1:${server.port + 1}` })).status).toBe(403);
    expect((await post('listModels', {}, { host: 'evil.example:80', origin: 'http://evil.example:80' })).status).toBe(421);
  });

  it('closes the connection of a refused request whose body is still coming, at once', async () => {
    const socket = net.connect(server.port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    let reply = '';
    socket.on('data', (d: Buffer) => (reply += d.toString()));
    const closed = new Promise<number>((resolve) => {
      const t = performance.now();
      socket.once('close', () => resolve(performance.now() - t));
    });
    // No token, and a body that trickles: 10 bytes of the 100,000 it announces.
    socket.write(
      `POST /api/listModels HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"a": 1234`,
    );
    const ms = await Promise.race([closed, new Promise<number>((resolve) => setTimeout(() => resolve(Infinity), 5000))]);
    socket.destroy();
    expect(reply).toMatch(/^HTTP\/1\.1 401/);
    expect(reply.toLowerCase()).toContain('connection: close');
    expect(ms).toBeLessThan(5000);
  });

  it('refuses a foreign Host header (DNS rebinding)', async () => {
    expect((await post('listModels', {}, { host: 'evil.example:80' })).status).toBe(421);
    expect((await send('GET', '/', { host: 'rebind.example' })).status).toBe(421);
  });

  it('demands JSON, limits body size and names bad fields', async () => {
    expect((await post('listModels', {}, { 'content-type': 'text/plain' })).status).toBe(415);
    const big = await send('POST', '/api/listModels', { 'content-type': 'application/json', [TOKEN_HEADER]: TOKEN }, Buffer.alloc(5 * 1024 * 1024, 32));
    expect(big.status).toBe(413);
    const bad = await post('classifyGlyphs', { glyphs: new Float32Array(3) });
    expect(bad.status).toBe(400);
    expect((decodeWire(bad.body) as { error: { message: string } }).error.message).toContain('classifyGlyphs.glyphs');
    expect((await post('deleteEverything', {})).status).toBe(404);
    const broken = await send('POST', '/api/listModels', { 'content-type': 'application/json', [TOKEN_HEADER]: TOKEN }, '{not json');
    expect(broken.status).toBe(400);
  });

  it('serves the built UI with a strict CSP, and nothing outside it', async () => {
    const index = await send('GET', '/');
    expect(index.status).toBe(200);
    expect(index.body).toContain('<title>hwr</title>');
    expect(index.headers['content-security-policy']).toContain("script-src 'self'");
    expect(index.headers['x-content-type-options']).toBe('nosniff');
    expect((await send('GET', '/assets/app.js')).headers['content-type']).toContain('javascript');
    expect((await send('GET', '/../secret.txt')).status).toBe(404);
    expect((await send('GET', '/%2e%2e/secret.txt')).status).toBe(404);
    expect((await send('GET', '/missing.js')).status).toBe(404);
  });
});

describe('hwr serve: how long a request may take to arrive', () => {
  // Short limits, so the test sees them: 0.6 s for a whole ordinary request, 4 s for a page, 0.8 s of silence (1.2 s in a page's upload).
  let timed: RunningServer;
  beforeAll(async () => {
    timed = await startServer({
      api,
      host: '127.0.0.1',
      port: 0,
      token: TOKEN,
      staticDir: uiDir,
      timeouts: { requestMs: 600, pageRequestMs: 4000, bodyIdleMs: 800, pageBodyIdleMs: 1200 },
    });
  });
  afterAll(() => timed.close());

  /** Sends `body` in `parts` pieces `gapMs` apart (stopping after `sendParts` of them); the reply and when the connection closed. */
  async function trickle(name: string, body: string, parts: number, gapMs: number, sendParts = parts): Promise<{ reply: string; closedAfterMs: number }> {
    const socket = net.connect(timed.port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    let reply = '';
    socket.on('data', (d: Buffer) => (reply += d.toString()));
    socket.on('error', () => {}); // a write after the server closed: the reply is what counts
    const t = performance.now();
    const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(performance.now() - t)));
    const bytes = Buffer.from(body);
    socket.write(
      `POST /api/${name} HTTP/1.1\r\nHost: 127.0.0.1:${timed.port}\r\nContent-Type: application/json\r\n${TOKEN_HEADER}: ${TOKEN}\r\n` +
        `Content-Length: ${bytes.length}\r\nConnection: close\r\n\r\n`,
    );
    const size = Math.ceil(bytes.length / parts);
    for (let i = 0; i < sendParts && !socket.destroyed; i++) {
      await new Promise((resolve) => setTimeout(resolve, gapMs));
      socket.write(bytes.subarray(i * size, (i + 1) * size));
    }
    const closedAfterMs = await Promise.race([closed, new Promise<number>((resolve) => setTimeout(() => resolve(Infinity), 8000))]);
    socket.destroy();
    return { reply, closedAfterMs };
  }

  it('reads a page upload that keeps arriving for longer than other requests may take', async () => {
    // 1.5 s of steady upload: over the 0.6 s an ordinary request gets, within a page's 4 s.
    const page = await trickle('recognizePage', encodeWire({ name: 'p.png', image: new Uint8Array(3000).fill(7) }), 10, 150);
    expect(page.reply).toMatch(/^HTTP\/1\.1 200/);
    expect(page.reply).toContain('"echoed":"recognizePage"');
  });

  it('gives up an ordinary request still arriving after its limit, with a 408 that closes the connection', async () => {
    const slow = await trickle('listModels', encodeWire({ pad: 'x'.repeat(3000) }), 10, 150);
    expect(slow.reply).toMatch(/^HTTP\/1\.1 408/);
    expect(slow.reply).toContain('took longer than 0.6 s to arrive');
    expect(slow.reply.toLowerCase()).toContain('connection: close');
    expect(slow.closedAfterMs).toBeLessThan(1500);
  });

  it('gives up a page upload whose body stops arriving, and names why', async () => {
    const stalled = await trickle('recognizePage', encodeWire({ name: 'p.png', image: new Uint8Array(3000).fill(7) }), 10, 50, 3);
    expect(stalled.reply).toMatch(/^HTTP\/1\.1 408/);
    expect(stalled.reply).toContain('no part of it arrived for 1.2 s');
    expect(stalled.closedAfterMs).toBeLessThan(2500);
  });
});

describe('hwr serve: a client slow to begin', () => {
  /** Connects, says nothing for `silentMs`, then asks for the model list; the reply (empty if none came). */
  async function lateRequest(port: number, silentMs: number): Promise<string> {
    const socket = net.connect(port, '127.0.0.1');
    let reply = '';
    socket.on('data', (d: Buffer) => (reply += d.toString()));
    socket.on('error', () => {}); // a write after the server closed: the reply is what counts
    await new Promise((resolve) => socket.once('connect', resolve));
    await new Promise((resolve) => setTimeout(resolve, silentMs));
    const body = encodeWire({});
    if (!socket.destroyed)
      socket.write(
        `POST /api/listModels HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\n${TOKEN_HEADER}: ${TOKEN}\r\n` +
          `Content-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
      );
    await new Promise((resolve) => setTimeout(resolve, 500));
    socket.destroy();
    return reply;
  }

  it("answers a request sent 12 s after its connection opened (a loaded machine's client)", { timeout: 30_000 }, async () => {
    // Node counts the headers' time from the connection, and looked every 30 s: here every 200 ms, so the test sees it.
    const patient = await startServer({ api, host: '127.0.0.1', port: 0, token: TOKEN, staticDir: uiDir, timeouts: { checkEveryMs: 200 } });
    try {
      expect(await lateRequest(patient.port, 12_000)).toMatch(/^HTTP\/1\.1 200/);
    } finally {
      await patient.close();
    }
  });

  it('still closes a connection that sends nothing within the headers limit', async () => {
    const strict = await startServer({ api, host: '127.0.0.1', port: 0, token: TOKEN, staticDir: uiDir, timeouts: { headersMs: 600, checkEveryMs: 100 } });
    try {
      const reply = await lateRequest(strict.port, 1200);
      expect(reply).toMatch(/^HTTP\/1\.1 408/);
      expect(reply).not.toContain('"echoed"');
    } finally {
      await strict.close();
    }
  });
});

describe('hwr serve: pages refused as busy', () => {
  it('answers a refused upload that pauses past the keep-alive time once its body is in, without cutting it', { timeout: 30_000 }, async () => {
    // Page reading that takes a while: four uploads fill the server's slots, the fifth is refused.
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    const slow = Object.fromEntries(REQUEST_NAMES.map((name) => [name, async () => (await held, { echoed: name })])) as unknown as HwrApi;
    slow.onEvent = () => () => {};
    const busy = await startServer({ api: slow, host: '127.0.0.1', port: 0, token: TOKEN, staticDir: uiDir });
    const body = Buffer.from(encodeWire({ name: 'p.png', image: new Uint8Array(100_000).fill(7) }));
    const head =
      `POST /api/recognizePage HTTP/1.1\r\nHost: 127.0.0.1:${busy.port}\r\nContent-Type: application/json\r\n${TOKEN_HEADER}: ${TOKEN}\r\n` +
      `Content-Length: ${body.length}\r\n\r\n`;
    const sockets: net.Socket[] = [];
    try {
      for (let i = 0; i < 4; i++) sockets.push(net.connect(busy.port, '127.0.0.1').on('error', () => {}));
      for (const s of sockets) s.end(Buffer.concat([Buffer.from(head), body]));
      await new Promise((resolve) => setTimeout(resolve, 300));
      const fifth = net.connect(busy.port, '127.0.0.1');
      sockets.push(fifth);
      let reply = '';
      fifth.on('data', (d: Buffer) => (reply += d.toString()));
      fifth.write(head);
      fifth.write(body.subarray(0, 1000));
      // Past Node's 5 s keep-alive time. Answered at once, the socket was left to that timer, which closed it mid-upload (EPIPE).
      await new Promise((resolve) => setTimeout(resolve, 6500));
      expect(reply).toBe('');
      const written = await new Promise<Error | null | undefined>((resolve) => fifth.write(body.subarray(1000), resolve));
      expect(written ?? null).toBeNull();
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(reply).toMatch(/^HTTP\/1\.1 409/);
      expect(reply.toLowerCase()).toContain('retry-after: 5');
    } finally {
      release();
      for (const s of sockets) s.destroy();
      await busy.close();
    }
  });
});

describe('hwr serve binding', () => {
  it('refuses a non-loopback address unless remote use is asked for explicitly', async () => {
    await expect(startServer({ api, host: '0.0.0.0', port: 0, token: TOKEN, staticDir: uiDir })).rejects.toThrow(
      /refusing to listen on 0\.0\.0\.0: it is not a loopback address/,
    );
    await expect(startServer({ api, host: '::', port: 0, token: TOKEN, staticDir: uiDir })).rejects.toThrow(/not a loopback address/);
    const remote = await startServer({ api, host: '0.0.0.0', allowRemote: true, port: 0, token: TOKEN, staticDir: uiDir });
    try {
      expect(remote.server.address()).toMatchObject({ address: '0.0.0.0' });
    } finally {
      await remote.close();
    }
  });

  it('refuses a short token', async () => {
    await expect(startServer({ api, host: '127.0.0.1', port: 0, token: 'short', staticDir: uiDir })).rejects.toThrow(/at least 16 characters/);
  });
});

describe('hwr serve events WebSocket', () => {
  const url = () => `ws://127.0.0.1:${server.port}/api/events`;
  const origin = () => `http://127.0.0.1:${server.port}`;

  it('refuses a socket without the token', async () => {
    const ws = new WebSocket(url(), [WS_PROTOCOL], { origin: origin() });
    const status = await new Promise<number>((resolve) => ws.on('unexpected-response', (_req, res) => resolve(res.statusCode!)));
    expect(status).toBe(401);
  });

  it('refuses a socket from another origin', async () => {
    const ws = new WebSocket(url(), [WS_PROTOCOL, WS_TOKEN_PREFIX + TOKEN], { origin: 'http://evil.example' });
    const status = await new Promise<number>((resolve) => ws.on('unexpected-response', (_req, res) => resolve(res.statusCode!)));
    expect(status).toBe(403);
  });

  it('streams events to a socket with the token', async () => {
    const ws = new WebSocket(url(), [WS_PROTOCOL, WS_TOKEN_PREFIX + TOKEN], { origin: origin() });
    await new Promise((resolve, reject) => ws.on('open', resolve).on('error', reject));
    expect(ws.protocol).toBe(WS_PROTOCOL);
    const received = new Promise<HwrEvent>((resolve) => ws.on('message', (data) => resolve(decodeWire(String(data)) as HwrEvent)));
    emit({ type: 'progress', jobId: 'j', stage: 'decoding', fraction: 0.1 });
    expect(await received).toEqual({ type: 'progress', jobId: 'j', stage: 'decoding', fraction: 0.1 });
    ws.close();
  });
});
