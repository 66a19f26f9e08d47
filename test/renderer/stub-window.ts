import { vi } from 'vitest'

/**
 * For specs whose code under test reaches the router (href(), navigation) or svelte-i18n's document: the router follows
 * the address bar of a window Node has not, so a stand-in records where it goes; with a window, svelte-i18n writes the
 * language on the document element. Call it before importing that code.
 */
export function stubWindow(): void {
  vi.stubGlobal('location', { hash: '' })
  vi.stubGlobal('window', { addEventListener: () => {} })
  vi.stubGlobal('document', { documentElement: { setAttribute: () => {} } })
}
