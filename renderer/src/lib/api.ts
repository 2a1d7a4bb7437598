/**
 * The one way the UI reaches the back end: the contract's API, over Electron IPC when the preload
 * put `window.hwr` there, else over HTTP + WebSocket to `hwr serve`. Both throw ContractError
 * with the back end's code and message.
 */
import {
  ContractError,
  decodeWire,
  encodeWire,
  REQUEST_NAMES,
  TOKEN_HEADER,
  WS_PROTOCOL,
  WS_TOKEN_PREFIX,
  type EventListener,
  type HwrApi,
  type HwrBridge,
  type HwrEvent,
  type Outcome,
  type RequestName,
} from '../../../app/contract.ts';

export type Transport = 'ipc' | 'http';

export interface Connection {
  api: HwrApi;
  transport: Transport;
  /** Whether the event stream is up (always true over IPC). */
  connected(): boolean;
}

export function connect(): Connection {
  if (window.hwr) return { api: ipcApi(window.hwr), transport: 'ipc', connected: () => true };
  return httpConnection(readToken());
}

function unwrap<T>(outcome: Outcome<T>): T {
  if (outcome.ok) return outcome.value;
  throw new ContractError(outcome.error.code, outcome.error.message);
}

export function ipcApi(bridge: HwrBridge): HwrApi {
  const api = {} as Record<string, unknown>;
  for (const name of REQUEST_NAMES) {
    const call = bridge[name] as (request: unknown) => Promise<Outcome<unknown>>;
    api[name] = async (request: unknown) => unwrap(await call(request));
  }
  api.onEvent = (listener: EventListener) => bridge.onEvent(listener);
  return api as HwrApi;
}

const TOKEN_KEY = 'hwr.token';

/** The token from the address (#token=...), kept for this tab and removed from the address bar. */
export function readToken(): string | null {
  const match = /(?:^#|&)token=([A-Za-z0-9_-]+)/.exec(location.hash);
  if (match) {
    sessionStorage.setItem(TOKEN_KEY, match[1]!);
    history.replaceState(null, '', location.pathname + location.search);
    return match[1]!;
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

export function httpConnection(token: string | null): Connection {
  const listeners = new Set<EventListener>();
  let socket: WebSocket | null = null;
  let open = false;
  let retry = 500;

  const call = async (name: RequestName, request: unknown): Promise<unknown> => {
    if (!token) throw new ContractError('unauthorized', 'no access token: open the address that `hwr serve` printed (it ends in #token=…)');
    let response: Response;
    try {
      response = await fetch(`./api/${name}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [TOKEN_HEADER]: token },
        body: encodeWire(request ?? {}),
      });
    } catch {
      throw new ContractError('unavailable', 'cannot reach the hwr server: is `hwr serve` still running?');
    }
    let outcome: Outcome<unknown>;
    try {
      outcome = decodeWire(await response.text()) as Outcome<unknown>;
    } catch {
      throw new ContractError('internal', `the server sent an unreadable reply (HTTP ${response.status})`);
    }
    return unwrap(outcome);
  };

  const openSocket = () => {
    if (!token || socket) return;
    const url = new URL('./api/events', location.href);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(url, [WS_PROTOCOL, WS_TOKEN_PREFIX + token]);
    socket = ws;
    ws.onopen = () => {
      open = true;
      retry = 500;
    };
    ws.onmessage = (message) => {
      let event: HwrEvent;
      try {
        event = decodeWire(String(message.data)) as HwrEvent;
      } catch {
        return;
      }
      for (const listener of listeners) listener(event);
    };
    ws.onclose = () => {
      open = false;
      socket = null;
      if (listeners.size > 0) setTimeout(openSocket, (retry = Math.min(retry * 2, 10_000)));
    };
  };

  const api = {} as Record<string, unknown>;
  for (const name of REQUEST_NAMES) api[name] = (request: unknown) => call(name, request);
  api.onEvent = (listener: EventListener) => {
    listeners.add(listener);
    openSocket();
    return () => listeners.delete(listener);
  };
  return { api: api as HwrApi, transport: 'http', connected: () => open };
}
