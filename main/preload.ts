/**
 * The preload: exposes the contract, and nothing else, as `window.hwr`. Each method sends its
 * request on its own channel and resolves to an Outcome; the renderer never touches ipcRenderer.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { EVENT_CHANNEL, ipcChannel, REQUEST_NAMES, type EventListener, type HwrBridge, type HwrEvent } from '../app/contract.ts';

function buildBridge(): HwrBridge {
  const bridge: Record<string, unknown> = {};
  for (const name of REQUEST_NAMES) bridge[name] = (request: unknown) => ipcRenderer.invoke(ipcChannel(name), request);
  bridge.onEvent = (listener: EventListener) => {
    const handler = (_event: IpcRendererEvent, event: HwrEvent) => listener(event);
    ipcRenderer.on(EVENT_CHANNEL, handler);
    return () => {
      ipcRenderer.removeListener(EVENT_CHANNEL, handler);
    };
  };
  return Object.freeze(bridge) as HwrBridge;
}

contextBridge.exposeInMainWorld('hwr', buildBridge());
