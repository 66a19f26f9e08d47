/**
 * Hardening applied to the session and to every webContents (Electron security checklist items 5, 7,
 * 11–15). The URL rules live in window-options.ts, where they are unit-tested without Electron.
 */
import { app, shell, type Session, type WebContents } from 'electron'
import { CONTENT_SECURITY_POLICY, isAllowedExternalUrl, isAppUrl } from './window-options'

/**
 * Hands an allow-listed https URL to the operator's browser; anything else is refused. This is the
 * hook behind the `shell:openExternal` channel and the window-open handler, so a compromised renderer
 * cannot launch arbitrary protocols (file:, smb:, custom handlers) through the OS.
 */
export async function openExternalIfAllowed(url: string): Promise<boolean> {
  if (!isAllowedExternalUrl(url)) return false
  try {
    // The normalised form is what was checked, so it is what is opened.
    await shell.openExternal(new URL(url).href)
    return true
  } catch {
    return false
  }
}

/** Sets our policy as the response header, replacing any other CSP header whatever its case. */
export function withContentSecurityPolicy(headers: Record<string, string[]> | undefined): Record<string, string[]> {
  const out: Record<string, string[]> = {}
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (name.toLowerCase() !== 'content-security-policy') out[name] = value
  }
  out['Content-Security-Policy'] = [CONTENT_SECURITY_POLICY]
  return out
}

/**
 * Electron grants every permission request by default (camera, geolocation, notifications, HID…);
 * the console needs none, so all are refused. The header CSP complements the meta tag: it also covers
 * documents served by the dev server and cannot be removed by script.
 */
export function hardenSession(ses: Session): void {
  ses.setPermissionRequestHandler((_contents, _permission, callback) => callback(false))
  ses.setPermissionCheckHandler(() => false)
  ses.setDevicePermissionHandler(() => false)
  ses.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: withContentSecurityPolicy(details.responseHeaders) })
  })
}

/**
 * Keeps a webContents on our renderer: navigations and redirects away from the app URL are stopped
 * (an allow-listed link goes to the browser instead), new windows are never created, and <webview>
 * cannot be attached even if the tag were re-enabled.
 */
export function guardWebContents(contents: WebContents, appUrl: string): void {
  contents.on('will-navigate', (event) => {
    if (isAppUrl(event.url, appUrl)) return
    event.preventDefault()
    void openExternalIfAllowed(event.url)
  })
  // Main-frame navigations are will-navigate's job (which also opens allow-listed links externally).
  contents.on('will-frame-navigate', (event) => {
    if (!event.isMainFrame && !isAppUrl(event.url, appUrl)) event.preventDefault()
  })
  contents.on('will-redirect', (event) => {
    if (!isAppUrl(event.url, appUrl)) event.preventDefault()
  })
  contents.setWindowOpenHandler(({ url }) => {
    void openExternalIfAllowed(url)
    return { action: 'deny' }
  })
  contents.on('will-attach-webview', (event) => {
    event.preventDefault()
  })
}

/** Applies the guards to every webContents the app ever creates, not only the ones we create. */
export function installGlobalGuards(appUrl: string): void {
  app.on('web-contents-created', (_event, contents) => guardWebContents(contents, appUrl))
}
