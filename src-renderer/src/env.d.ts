/// <reference types="svelte" />
/// <reference types="vite/client" />
import type { FieldlineApi } from '../../src-shared/contract'

declare global {
  interface Window {
    /** Present only inside Electron, where the preload exposes the bridge. */
    fieldline?: FieldlineApi
  }
}

export {}
