import type { BridgeApi } from './contract'

declare global {
  interface Window {
    /** Present in the Electron window only; serve mode talks to the core over a WebSocket instead. */
    fieldline?: BridgeApi
  }
}
