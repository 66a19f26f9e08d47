/**
 * Window settings and URL policy for the Electron shell. This module must not import 'electron' at
 * runtime (type imports only): unit tests load it under plain Node, where requiring Electron throws.
 */
import type { BrowserWindowConstructorOptions, WebPreferences } from 'electron'

/**
 * The renderer's policy; src-renderer/index.html carries the same string in its meta tag and
 * security.ts sends it as a response header too. Monaco needs inline styles and blob: workers
 * (monaco-editor #271, #4927); scripts stay 'self' only, with no 'unsafe-eval'.
 */
export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; worker-src 'self' blob:; " +
  "font-src 'self' data:; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; " +
  "form-action 'none'; frame-ancestors 'none'"

/** Window options whose webPreferences are always present. */
export type HardenedWindowOptions = BrowserWindowConstructorOptions & { webPreferences: WebPreferences }

/**
 * Electron's BrowserWindow class, passed in so that this module never loads Electron and tests can pass
 * a recorder instead.
 */
export type WindowClass<W> = new (options: HardenedWindowOptions) => W

/**
 * The one place the window is constructed. Every preference is written out, defaults included, in a
 * literal at the `new BrowserWindow(…)` site: a later Electron default change cannot weaken the window,
 * and Electronegativity (which reads only literals at that site, and whose defaults table stops at
 * Electron 10) sees exactly what we set.
 */
export function createHardenedWindow<W>(BrowserWindow: WindowClass<W>, preloadPath: string): W {
  return new BrowserWindow({
    title: 'Fieldline',
    width: 1280,
    height: 800,
    minWidth: 900,
    minHeight: 600,
    // Shown on 'ready-to-show' so the operator never sees an empty white frame.
    show: false,
    // Close to the renderer's dark and light backgrounds, so the first paint does not flash.
    backgroundColor: '#1e1e1e',
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      experimentalFeatures: false,
      // Middle-click opens links through a path that bypasses the window-open handler's intent.
      disableBlinkFeatures: 'Auxclick',
      navigateOnDragDrop: false,
      spellcheck: false,
      safeDialogs: true,
      plugins: false,
    },
  })
}

class OptionsRecorder {
  constructor(readonly options: HardenedWindowOptions) {}
}

/** The options createHardenedWindow passes to Electron, for tests and for anyone who must inspect them. */
export function browserWindowOptions(preloadPath: string): HardenedWindowOptions {
  return createHardenedWindow(OptionsRecorder, preloadPath).options
}

export function webPreferencesFor(preloadPath: string): WebPreferences {
  return browserWindowOptions(preloadPath).webPreferences
}

/**
 * Hosts the app may hand to the operator's browser. Kept short on purpose: every entry is a place a
 * compromised renderer could send the operator. The weather providers are here because their terms ask for a
 * credit that links to them beside their data (the device's weather panel).
 */
export const EXTERNAL_LINK_ALLOWLIST: readonly string[] = Object.freeze(['github.com', 'docs.github.com', 'open-meteo.com', 'weather.com'])

function parse(url: string): URL | null {
  try {
    return new URL(url)
  } catch {
    return null
  }
}

/**
 * Exact hostname membership on a parsed URL: prefix or substring tests are fooled by
 * `https://github.com.evil.example` and `https://github.com@evil.example`.
 */
export function isAllowedExternalUrl(url: string, allowlist: readonly string[] = EXTERNAL_LINK_ALLOWLIST): boolean {
  const parsed = parse(url)
  if (!parsed) return false
  if (parsed.protocol !== 'https:') return false
  // Credentials in a link are a phishing idiom (`https://trusted@host`) and nothing we open needs them.
  if (parsed.username !== '' || parsed.password !== '') return false
  // An allow-listed host on an unusual port is not the service we meant.
  if (parsed.port !== '') return false
  return allowlist.includes(parsed.hostname)
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]'])

/**
 * The dev server URL electron-vite passes in ELECTRON_RENDERER_URL, honoured only in an unpackaged
 * build and only on loopback http: an environment variable must never point a window holding the
 * bridge at a remote page.
 */
export function rendererDevUrl(value: string | undefined, isPackaged: boolean): string | null {
  if (isPackaged || !value) return null
  const parsed = parse(value)
  if (!parsed || parsed.protocol !== 'http:' || !LOOPBACK_HOSTS.has(parsed.hostname)) return null
  return parsed.href
}

/**
 * True when `url` is the renderer itself. For the app:// protocol the document must be the one the window
 * loads (any other path is not the renderer, even on our host); for the dev server, the origin. Query and
 * fragment are the app's own business. file:// is never the app: the window does not load from it.
 */
export function isAppUrl(url: string, appUrl: string): boolean {
  const target = parse(url)
  const app = parse(appUrl)
  if (!target || !app) return false
  if (app.protocol === 'app:') {
    // A non-special scheme has an opaque origin in WHATWG URL, so protocol, host and path are compared one by one.
    return target.protocol === 'app:' && target.host === app.host && target.pathname === app.pathname && target.username === ''
  }
  if (app.protocol !== 'http:' && app.protocol !== 'https:') return false
  return target.origin === app.origin
}
