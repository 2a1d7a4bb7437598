/// <reference types="svelte" />
import type { HwrBridge } from '../../app/contract.ts';

declare global {
  interface Window {
    /** Set by the Electron preload (main/preload.ts); absent in a plain browser. */
    hwr?: HwrBridge;
  }
}
