import { EventEmitter } from 'node:events'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { CONTENT_SECURITY_POLICY } from '../../src-main/electron/window-options'

// Requiring the real 'electron' from Node tries to download the runtime; these fakes record what the
// hardening asks of it.
const fake = vi.hoisted(() => ({
  app: { listeners: new Map<string, (...args: unknown[]) => void>() },
  openExternal: vi.fn<(url: string) => Promise<void>>(),
}))
vi.mock('electron', () => ({
  app: {
    on: (name: string, listener: (...args: unknown[]) => void) => {
      fake.app.listeners.set(name, listener)
    },
  },
  shell: { openExternal: fake.openExternal },
}))

const { guardWebContents, hardenSession, installGlobalGuards, openExternalIfAllowed, withContentSecurityPolicy } = await import('../../src-main/electron/security')
// Electron's own types come through the module under test: tests may not import 'electron', even for types.
type Session = Parameters<typeof hardenSession>[0]
type WebContents = Parameters<typeof guardWebContents>[0]

const APP = 'app://fieldline/index.html'
const ALLOWED = 'https://github.com/fieldline'

type WindowOpenHandler = (details: { url: string }) => { action: string }

class FakeContents extends EventEmitter {
  windowOpenHandler: WindowOpenHandler | undefined
  setWindowOpenHandler(handler: WindowOpenHandler): void {
    this.windowOpenHandler = handler
  }
  /** Emits a cancellable Electron event and reports whether a guard cancelled it. */
  fire(name: string, url: string, isMainFrame = true): boolean {
    const preventDefault = vi.fn()
    this.emit(name, { url, isMainFrame, preventDefault }, url)
    return preventDefault.mock.calls.length > 0
  }
}

function guarded(): FakeContents {
  const contents = new FakeContents()
  guardWebContents(contents as unknown as WebContents, APP)
  return contents
}

/**
 * Waits for the fire-and-forget openExternal calls: the allow-listed link sent last is the sentinel, so once it has
 * been opened every URL sent before it has been dealt with, and what was opened is the whole answer.
 */
async function openedAfter(): Promise<string[]> {
  await vi.waitFor(() => expect(fake.openExternal).toHaveBeenCalledWith(ALLOWED))
  return fake.openExternal.mock.calls.map(([url]) => url)
}

beforeEach(() => {
  fake.openExternal.mockReset()
  fake.openExternal.mockResolvedValue(undefined)
  fake.app.listeners.clear()
})

describe('hardenSession', () => {
  function hardened() {
    const recorded: {
      request?: (wc: unknown, permission: string, callback: (granted: boolean) => void, details: unknown) => void
      check?: (...args: unknown[]) => boolean
      device?: (...args: unknown[]) => boolean
      headers?: (details: { responseHeaders?: Record<string, string[]> }, callback: (response: { responseHeaders?: Record<string, string[]> }) => void) => void
    } = {}
    const session = {
      setPermissionRequestHandler: (h: typeof recorded.request) => (recorded.request = h),
      setPermissionCheckHandler: (h: typeof recorded.check) => (recorded.check = h),
      setDevicePermissionHandler: (h: typeof recorded.device) => (recorded.device = h),
      webRequest: { onHeadersReceived: (h: typeof recorded.headers) => (recorded.headers = h) },
    }
    hardenSession(session as unknown as Session)
    return recorded
  }

  it('denies every permission request', () => {
    const { request } = hardened()
    for (const permission of ['media', 'geolocation', 'notifications', 'openExternal', 'hid', 'unknown']) {
      const callback = vi.fn()
      request?.({}, permission, callback, {})
      expect(callback).toHaveBeenCalledExactlyOnceWith(false)
    }
  })

  it('answers every permission check and device check with false', () => {
    const { check, device } = hardened()
    expect(check?.({}, 'media', 'file://', {})).toBe(false)
    expect(check?.(null, 'clipboard-read', 'https://evil.com', {})).toBe(false)
    expect(device?.({ deviceType: 'usb', origin: 'file://' })).toBe(false)
  })

  it('sends the CSP as a response header, replacing any other', () => {
    const { headers } = hardened()
    const callback = vi.fn()
    headers?.({ responseHeaders: { 'content-security-policy': ['default-src *'], 'Content-Type': ['text/html'] } }, callback)
    expect(callback).toHaveBeenCalledExactlyOnceWith({
      responseHeaders: { 'Content-Security-Policy': [CONTENT_SECURITY_POLICY], 'Content-Type': ['text/html'] },
    })
  })

  it('adds the CSP header when the response had no headers at all', () => {
    expect(withContentSecurityPolicy(undefined)).toEqual({ 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] })
  })
})

describe('guardWebContents', () => {
  it('lets the renderer navigate within itself', () => {
    const contents = guarded()
    expect(contents.fire('will-navigate', `${APP}#/devices`)).toBe(false)
    expect(contents.fire('will-redirect', APP)).toBe(false)
  })

  it('prevents navigation to a foreign URL', async () => {
    const contents = guarded()
    for (const url of ['https://evil.com/', 'file:///etc/passwd', 'http://github.com/', 'javascript:alert(1)', ALLOWED]) {
      expect(contents.fire('will-navigate', url), url).toBe(true)
    }
    expect(await openedAfter()).toEqual([ALLOWED])
  })

  it('sends an allow-listed link to the browser instead of navigating the window to it', async () => {
    const contents = guarded()
    expect(contents.fire('will-navigate', ALLOWED)).toBe(true)
    expect(await openedAfter()).toEqual([ALLOWED])
  })

  it('prevents redirects and sub-frame navigations away from the app', () => {
    const contents = guarded()
    expect(contents.fire('will-redirect', 'https://evil.com/')).toBe(true)
    expect(contents.fire('will-frame-navigate', 'https://evil.com/', false)).toBe(true)
    expect(contents.fire('will-frame-navigate', `${APP}#/x`, false)).toBe(false)
  })

  it('denies every new window, and opens only allow-listed links externally', async () => {
    const contents = guarded()
    const handler = contents.windowOpenHandler
    expect(handler).toBeDefined()
    for (const url of ['https://evil.com/', APP, 'file:///etc/passwd', 'smb://host/share', ALLOWED]) {
      expect(handler?.({ url }), url).toEqual({ action: 'deny' })
    }
    expect(await openedAfter()).toEqual([ALLOWED])
  })

  it('prevents attaching a <webview>', () => {
    const contents = guarded()
    const preventDefault = vi.fn()
    contents.emit('will-attach-webview', { preventDefault }, {}, { src: 'https://evil.com/' })
    expect(preventDefault).toHaveBeenCalled()
  })
})

describe('installGlobalGuards', () => {
  it('guards every webContents the app creates', () => {
    installGlobalGuards(APP)
    const created = fake.app.listeners.get('web-contents-created')
    expect(created).toBeDefined()
    const contents = new FakeContents()
    created?.({}, contents)
    expect(contents.windowOpenHandler?.({ url: 'https://evil.com/' })).toEqual({ action: 'deny' })
    expect(contents.fire('will-navigate', 'https://evil.com/')).toBe(true)
  })
})

describe('openExternalIfAllowed', () => {
  it('opens allow-listed https URLs', async () => {
    await expect(openExternalIfAllowed(ALLOWED)).resolves.toBe(true)
    expect(fake.openExternal).toHaveBeenCalledExactlyOnceWith(ALLOWED)
  })

  it('refuses everything else without touching the shell', async () => {
    for (const url of ['javascript:alert(1)', 'file:///etc/passwd', 'https://github.com.evil.com/', 'http://github.com/']) {
      await expect(openExternalIfAllowed(url), url).resolves.toBe(false)
    }
    expect(fake.openExternal).not.toHaveBeenCalled()
  })

  it('reports false when the shell cannot open the link', async () => {
    fake.openExternal.mockRejectedValueOnce(new Error('no browser'))
    await expect(openExternalIfAllowed(ALLOWED)).resolves.toBe(false)
  })
})
