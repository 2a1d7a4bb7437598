/**
 * `hwr serve`: the contract over HTTP (POST /api/<request>) and a WebSocket (/api/events) for
 * events, plus the built renderer as static files. Loopback by default; every API call needs the
 * session token (a header for HTTP, a subprotocol for the WebSocket, since browsers cannot set
 * headers there). No CORS headers are ever sent, the Host header must name this server (against
 * DNS rebinding) and a browser's Origin must be this server's own.
 */
import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { decodeWireBody, encodeWire, LIMITS, TOKEN_HEADER, WS_PROTOCOL, WS_TOKEN_PREFIX, type ErrorCode, type ErrorDTO, type HwrApi } from '../contract.ts';
import { handleRequest } from '../services/dispatch.ts';
import { SECURITY_HEADERS, serveStatic } from './static.ts';

export interface ServerOptions {
  api: HwrApi;
  /** Interface to listen on: 127.0.0.1 unless the user asked for another. */
  host: string;
  /** Must be true to listen on anything but loopback (`hwr serve --host ADDR --allow-remote`). */
  allowRemote?: boolean;
  /** 0 = any free port. */
  port: number;
  token: string;
  /** The built renderer (index.html and assets). */
  staticDir: string;
  /** How long a request may take to arrive (tests shorten them). */
  timeouts?: Partial<RequestTimeouts>;
}

/**
 * How long a request may take to arrive, once its connection is accepted. A page's upload
 * may take long on a loaded machine (16 uploads of 49 MB at once took 21 s here with the cores
 * busy, and a body that is refused as busy is still drained), so it gets longer than the rest, as
 * long as its bytes keep coming.
 */
export interface RequestTimeouts {
  /**
   * A request's headers, counted from when its connection was accepted, not from its first byte
   * (Node's headersTimeout). A loaded machine's client may connect seconds before it sends
   * anything: 16 page uploads at once began 5–6 s after their connections here, with the cores
   * busy. When this was 10 s, the flood test failed in CI with a broken pipe (EPIPE) 31 s in, just
   * after Node's first check at 30 s: a 408 had cut an upload that was already being sent.
   */
  headersMs: number;
  /** How often Node looks for connections past headersMs (its connectionsCheckingInterval). */
  checkEveryMs: number;
  /** A whole request to any endpoint but pages and PDFs. */
  requestMs: number;
  /** A whole page or PDF upload. */
  pageRequestMs: number;
  /** No byte of a body for this long ends a request; a page's or PDF's upload gets pageBodyIdleMs (a loaded machine's client may stall). */
  bodyIdleMs: number;
  pageBodyIdleMs: number;
}

const TIMEOUTS: RequestTimeouts = {
  headersMs: 60_000,
  checkEveryMs: 30_000,
  requestMs: 60_000,
  pageRequestMs: 600_000,
  bodyIdleMs: 15_000,
  pageBodyIdleMs: 60_000,
};

export interface RunningServer {
  server: Server;
  port: number;
  /** The address to open, with the token in the fragment (never sent to the server, never logged). */
  url: string;
  close(): Promise<void>;
}

/** Base64 of the largest image, plus room for the JSON around it. */
const RECOGNIZE_BODY_LIMIT = Math.ceil((LIMITS.imageBytes * 4) / 3) + 64 * 1024;
/**
 * Pages and PDFs taken over HTTP at a time: two being read and two waiting (the services would
 * queue six, but each waiting page holds its body and its image here, 90 MB for a 38 MB photo).
 * More are refused before their bodies are read, with a hint to retry.
 */
const HEAVY_IN_FLIGHT = 4;
/** Every other request: 512 glyphs of 4 KB as base64 is under 3 MB. */
const DEFAULT_BODY_LIMIT = 4 * 1024 * 1024;

const STATUS: Record<ErrorCode, number> = {
  'invalid-request': 400,
  unauthorized: 401,
  'not-found': 404,
  busy: 409,
  'too-large': 413,
  unprocessable: 422,
  internal: 500,
  unavailable: 503,
};

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const { api, token } = options;
  if (!isLoopback(options.host) && !options.allowRemote) {
    throw new Error(
      `refusing to listen on ${options.host}: it is not a loopback address, so other computers could reach the app; ` +
        `ask for it explicitly (hwr serve --host ${options.host} --allow-remote)`,
    );
  }
  if (token.length < 16) throw new Error('the session token must be at least 16 characters');
  const expectedToken = Buffer.from(token);
  const tokenMatches = (given: string | undefined): boolean => {
    const bytes = Buffer.from(given ?? '');
    return bytes.length === expectedToken.length && timingSafeEqual(bytes, expectedToken);
  };
  let origin = '';
  let allowedHosts = new Set<string>();
  /**
   * On loopback, the Host header must name this server (a DNS-rebinding page cannot). Listening
   * elsewhere was asked for explicitly: any name for the machine goes, the token still guards.
   */
  const loopback = isLoopback(options.host);
  const hostAllowed = (host: string | undefined) => !loopback || allowedHosts.has((host ?? '').toLowerCase());
  /**
   * A browser's Origin must be the page's own: this server, by the name it was reached at (the UI
   * opened as http://localhost:PORT calls its API with that Origin), a name the Host check allows.
   */
  const originAllowed = (req: IncomingMessage) =>
    req.headers.origin === undefined ||
    req.headers.origin === origin ||
    (hostAllowed(req.headers.host) && req.headers.origin.toLowerCase() === `http://${req.headers.host ?? ''}`.toLowerCase());

  /** Large requests (a page, a PDF) being received, decoded, read or waiting: at most HEAVY_IN_FLIGHT. */
  let heavyInFlight = 0;
  const sockets = new Set<WebSocket>();
  const unsubscribe = api.onEvent((event) => {
    if (sockets.size === 0) return;
    const text = encodeWire(event);
    for (const socket of sockets) if (socket.readyState === socket.OPEN) socket.send(text);
  });

  const timeouts = { ...TIMEOUTS, ...options.timeouts };
  const server = createServer({ connectionsCheckingInterval: timeouts.checkEveryMs }, (req, res) => {
    void route(req, res).catch((err: unknown) => {
      if (!res.headersSent) sendError(res, 'internal', err instanceof Error ? err.message : String(err));
      else res.destroy();
    });
  });
  // Headers within a minute of connecting, at most 64 connections. Node's own limit on a whole request is
  // one figure for every endpoint, so it is off: `limitArrival` bounds each request by its kind (a 40 MB
  // page on a loaded machine can take a minute to arrive; reading it takes as long as it takes, after it is in).
  server.headersTimeout = timeouts.headersMs;
  server.requestTimeout = 0;
  server.maxConnections = 64;

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!hostAllowed(req.headers.host)) return sendError(res, 'invalid-request', 'unexpected Host header', 421);
    const url = new URL(req.url ?? '/', origin);
    if (url.pathname.startsWith('/api/')) {
      if (req.method !== 'POST') return sendError(res, 'invalid-request', 'the API takes POST requests only', 405);
      if (!originAllowed(req)) return sendError(res, 'unauthorized', 'cross-origin requests are refused', 403);
      if (!tokenMatches(header(req, TOKEN_HEADER)))
        return sendError(res, 'unauthorized', 'missing or wrong token: open the address hwr serve printed (it carries the token)');
      if (!(header(req, 'content-type') ?? '').startsWith('application/json'))
        return sendError(res, 'invalid-request', 'send the request as application/json', 415);
      const name = url.pathname.slice('/api/'.length);
      const heavy = name === 'recognizePage' || name === 'splitPdf';
      limitArrival(req, res, heavy ? timeouts.pageRequestMs : timeouts.requestMs, heavy ? timeouts.pageBodyIdleMs : timeouts.bodyIdleMs);
      if (heavy && heavyInFlight >= HEAVY_IN_FLIGHT) {
        // Refused before its body is read: a flood of large pages never sits in memory at once. The body is
        // drained, not kept (closing the connection mid-upload would reach most clients as a broken pipe, not as this
        // answer), and the answer waits for its end: sent while a loaded client was still sending, it left the socket
        // to the server's keep-alive timer, which closed it mid-upload (EPIPE in the flood test, now and then).
        res.setHeader('retry-after', '5');
        const answer = () =>
          sendError(res, 'busy', `pages are being read (${HEAVY_IN_FLIGHT} at most at a time, running or waiting): try again in a few seconds`, STATUS.busy);
        if (req.complete) return answer();
        req.resume();
        return new Promise<void>((resolve) => {
          req.once('end', () => {
            answer();
            resolve();
          });
          req.once('close', resolve);
        });
      }
      if (heavy) heavyInFlight++;
      try {
        const limit = heavy ? RECOGNIZE_BODY_LIMIT : DEFAULT_BODY_LIMIT;
        let body = await readBody(req, limit);
        if (body === null) return sendError(res, 'too-large', `the request is larger than ${(limit / 1024 / 1024).toFixed(0)} MB`);
        let payload: unknown;
        try {
          payload = body.length ? decodeWireBody(body) : {};
        } catch (err) {
          // The reviver recurses: a body nested thousands deep overflows the stack, which is its problem.
          const why = err instanceof RangeError && /call stack/.test(err.message) ? 'it is nested too deeply' : (err as Error).message;
          return sendError(res, 'invalid-request', `the body is not valid JSON: ${why}`);
        }
        body = null; // decoded: the raw body can go while the page waits its turn
        const outcome = await handleRequest(api, name, payload);
        const status = outcome.ok ? 200 : STATUS[outcome.error.code];
        res.writeHead(status, {
          ...SECURITY_HEADERS,
          'content-type': 'application/json; charset=utf-8',
          'cache-control': 'no-store',
          // Busy (pages queued, a training running): when to ask again.
          ...(!outcome.ok && outcome.error.code === 'busy' ? { 'retry-after': '5' } : {}),
        });
        res.end(encodeWire(outcome));
        return;
      } finally {
        if (heavy) heavyInFlight--;
      }
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendError(res, 'invalid-request', 'method not allowed', 405);
    limitArrival(req, res, timeouts.requestMs, timeouts.bodyIdleMs);
    await serveStatic(options.staticDir, url.pathname, req, res);
  }

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: 64 * 1024,
    handleProtocols: (protocols) => (protocols.has(WS_PROTOCOL) ? WS_PROTOCOL : false),
  });
  server.on('upgrade', (req, socket, head) => {
    const refuse = (status: number, reason: string) => {
      socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    const url = new URL(req.url ?? '/', origin);
    if (url.pathname !== '/api/events') return refuse(404, 'Not Found');
    if (!hostAllowed(req.headers.host)) return refuse(421, 'Misdirected Request');
    if (!originAllowed(req)) return refuse(403, 'Forbidden');
    const offered = (header(req, 'sec-websocket-protocol') ?? '').split(',').map((p) => p.trim());
    const given = offered.find((p) => p.startsWith(WS_TOKEN_PREFIX))?.slice(WS_TOKEN_PREFIX.length);
    if (!tokenMatches(given)) return refuse(401, 'Unauthorized');
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws);
      ws.on('close', () => sockets.delete(ws));
      ws.on('error', () => sockets.delete(ws));
      // The stream is one-way; anything a client sends is ignored.
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const shownHost = options.host.includes(':') ? `[${options.host}]` : options.host;
  origin = `http://${shownHost}:${port}`;
  allowedHosts = new Set([`${shownHost}:${port}`, `localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`].map((h) => h.toLowerCase()));

  return {
    server,
    port,
    url: `${origin}/#token=${token}`,
    close: async () => {
      unsubscribe();
      for (const socket of sockets) socket.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };

  /**
   * Ends a request whose body has not arrived within `totalMs` of its headers, or that sent no byte
   * for `idleMs`: with a 408 that closes the connection if nothing was answered yet, else (a body
   * too large, being drained) by closing it.
   */
  function limitArrival(req: IncomingMessage, res: ServerResponse, totalMs: number, idleMs: number): void {
    const start = performance.now();
    let lastBytes = req.socket.bytesRead;
    let lastByteAt = start;
    const tick = Math.max(5, Math.min(1000, idleMs / 4, totalMs / 4));
    let lastTickAt = start;
    const timer = setInterval(() => {
      if (req.complete || req.destroyed) return clearInterval(timer);
      const now = performance.now();
      // A late tick means this process was busy, not the client silent: what came meanwhile is not read yet.
      const late = now - lastTickAt > 2 * tick + 50;
      lastTickAt = now;
      if (late || req.socket.bytesRead !== lastBytes) [lastBytes, lastByteAt] = [req.socket.bytesRead, now];
      const idle = now - lastByteAt >= idleMs;
      if (!idle && now - start < totalMs) return;
      clearInterval(timer);
      if (res.headersSent) return void req.socket.destroy();
      const why = idle ? `no part of it arrived for ${idleMs / 1000} s` : `it took longer than ${totalMs / 1000} s to arrive`;
      sendError(res, 'invalid-request', `the request was given up: ${why}`, 408);
    }, tick);
    timer.unref();
  }

  /** An error answer; one sent before the body is in (or for a body too large) closes the connection. */
  function sendError(res: ServerResponse, code: ErrorCode, message: string, status = STATUS[code]): void {
    const error: ErrorDTO = { code, message };
    const early = code === 'too-large' || !res.req.complete;
    const close = early ? { connection: 'close' } : {};
    res.writeHead(status, { ...SECURITY_HEADERS, ...close, 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
    if (early) res.once('finish', () => res.req.socket.destroySoon());
    res.end(encodeWire({ ok: false, error }));
  }
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** The body, or null as soon as it passes `limit` bytes (the rest is drained unread; the reply closes the connection). */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | null> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    return Promise.resolve(null);
  }
  return new Promise((resolve, reject) => {
    // With a declared length, the body goes straight into one buffer of that size as it arrives.
    let whole: Buffer | null = Number.isFinite(declared) && declared > 0 ? Buffer.allocUnsafe(declared) : null;
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      if (over) return;
      if (size + chunk.length > limit || (whole && size + chunk.length > whole.length)) {
        over = true;
        chunks.length = 0;
        whole = null;
        resolve(null);
        return;
      }
      if (whole) chunk.copy(whole, size);
      else chunks.push(chunk);
      size += chunk.length;
    });
    req.on('end', () => {
      if (over) return;
      const body = whole ? whole.subarray(0, size) : Buffer.concat(chunks);
      // The listeners live as long as the request: they must not keep the body once it is handed over.
      whole = null;
      chunks.length = 0;
      resolve(body);
    });
    req.on('error', reject);
    req.on('close', () => {
      if (!req.complete) reject(new Error('the connection closed before the request was in'));
    });
  });
}
