/**
 * The contract over IPC: one handler per request, each only checking who is asking and passing
 * the payload to app/services/dispatch.ts (which validates it). Events go to the app's windows.
 */
import type { IpcMain, IpcMainInvokeEvent, WebContents } from 'electron';
import { EVENT_CHANNEL, ipcChannel, REQUEST_NAMES, type HwrApi, type Outcome } from '../app/contract.ts';
import { handleRequest } from '../app/services/dispatch.ts';

/** Says whether a request comes from the app's own page (not an iframe, not a navigated-away page). */
export type SenderCheck = (event: IpcMainInvokeEvent) => boolean;

export function registerIpc(ipcMain: IpcMain, api: HwrApi, isTrusted: SenderCheck): () => void {
  for (const name of REQUEST_NAMES) {
    ipcMain.handle(ipcChannel(name), async (event, payload: unknown): Promise<Outcome<unknown>> => {
      if (!isTrusted(event)) return { ok: false, error: { code: 'unauthorized', message: 'requests are accepted only from the app’s own page' } };
      return handleRequest(api, name, payload);
    });
  }
  return () => {
    for (const name of REQUEST_NAMES) ipcMain.removeHandler(ipcChannel(name));
  };
}

/** Forwards every event to the given contents while it lives. */
export function forwardEvents(api: HwrApi, contents: WebContents): () => void {
  const unsubscribe = api.onEvent((event) => {
    if (!contents.isDestroyed()) contents.send(EVENT_CHANNEL, event);
  });
  contents.once('destroyed', unsubscribe);
  return unsubscribe;
}

/** The sender check for a window showing the app: main frame only, on an app URL. */
export function trustedSender(isAppUrl: (url: string) => boolean): SenderCheck {
  return (event) => {
    const frame = event.senderFrame;
    if (!frame || frame.parent !== null) return false;
    return isAppUrl(frame.url);
  };
}
