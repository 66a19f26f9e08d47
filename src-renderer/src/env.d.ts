/// <reference types="svelte" />
/// <reference types="vite/client" />
import type { BridgeApi } from '../../src-preload/contract'

declare global {
  interface Window {
    /** Present only inside Electron, where the preload exposes the bridge. */
    fieldline?: BridgeApi
  }
}

export {}
