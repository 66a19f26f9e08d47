import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import {
  browserWindowOptions,
  CONTENT_SECURITY_POLICY,
  createHardenedWindow,
  type HardenedWindowOptions,
  EXTERNAL_LINK_ALLOWLIST,
  isAllowedExternalUrl,
  isAppUrl,
  rendererDevUrl,
  webPreferencesFor,
} from '../../src-main/electron/window-options'

const PRELOAD = '/opt/Fieldline/resources/app/out/preload/index.cjs'

function directives(policy: string): Map<string, string[]> {
  const map = new Map<string, string[]>()
  for (const part of policy.split(';')) {
    const [name, ...values] = part.trim().split(/\s+/)
    if (name) map.set(name, values)
  }
  return map
}

describe('webPreferencesFor', () => {
  const prefs = webPreferencesFor(PRELOAD)

  it('writes every security preference out explicitly', () => {
    expect(prefs).toMatchObject({
      preload: PRELOAD,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      experimentalFeatures: false,
      disableBlinkFeatures: 'Auxclick',
      navigateOnDragDrop: false,
      spellcheck: false,
      safeDialogs: true,
    })
    for (const key of Object.keys(prefs) as (keyof typeof prefs)[]) {
      expect(prefs[key], `${key} must not be left undefined`).not.toBeUndefined()
    }
  })

  it('enables no Blink feature', () => {
    expect(prefs).not.toHaveProperty('enableBlinkFeatures')
  })
})

describe('browserWindowOptions', () => {
  const options = browserWindowOptions(PRELOAD)

  it('stays hidden until ready-to-show and is titled Fieldline', () => {
    expect(options.show).toBe(false)
    expect(options.title).toBe('Fieldline')
    expect(options.backgroundColor).toMatch(/^#[0-9a-f]{6}$/i)
  })

  it('has a usable size and a minimum size', () => {
    expect(options.width).toBeGreaterThanOrEqual(options.minWidth ?? Infinity)
    expect(options.height).toBeGreaterThanOrEqual(options.minHeight ?? Infinity)
  })

  it('uses the hardened preferences', () => {
    expect(options.webPreferences).toEqual(webPreferencesFor(PRELOAD))
  })
})

describe('createHardenedWindow', () => {
  it('constructs the window class it is given, once, with exactly these options', () => {
    const constructed: HardenedWindowOptions[] = []
    class FakeBrowserWindow {
      constructor(options: HardenedWindowOptions) {
        constructed.push(options)
      }
    }
    expect(createHardenedWindow(FakeBrowserWindow, PRELOAD)).toBeInstanceOf(FakeBrowserWindow)
    expect(constructed).toEqual([browserWindowOptions(PRELOAD)])
  })

  it('gives every window its own options object', () => {
    expect(browserWindowOptions(PRELOAD)).not.toBe(browserWindowOptions(PRELOAD))
    expect(webPreferencesFor('/a').preload).toBe('/a')
  })
})

describe('CONTENT_SECURITY_POLICY', () => {
  const policy = directives(CONTENT_SECURITY_POLICY)

  it('is the agreed string', () => {
    expect(CONTENT_SECURITY_POLICY).toBe(
      "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; worker-src 'self' blob:; " +
        "font-src 'self' data:; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; " +
        "form-action 'none'; frame-ancestors 'none'",
    )
  })

  it("allows scripts from 'self' only, never eval or inline", () => {
    expect(policy.get('script-src')).toEqual(["'self'"])
    expect(CONTENT_SECURITY_POLICY).not.toContain('unsafe-eval')
    expect(CONTENT_SECURITY_POLICY).not.toContain('wasm-unsafe-eval')
  })

  it('lets Monaco run: blob: workers and inline styles', () => {
    expect(policy.get('worker-src')).toContain('blob:')
    expect(policy.get('style-src')).toContain("'unsafe-inline'")
  })

  it('shuts plugins, base and form targets, framing and remote hosts', () => {
    expect(policy.get('object-src')).toEqual(["'none'"])
    expect(policy.get('base-uri')).toEqual(["'none'"])
    expect(policy.get('form-action')).toEqual(["'none'"])
    expect(policy.get('frame-ancestors')).toEqual(["'none'"])
    expect(policy.get('default-src')).toEqual(["'self'"])
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/https?:|\*/)
  })

  const indexHtml = fileURLToPath(new URL('../../src-renderer/index.html', import.meta.url))
  it.skipIf(!existsSync(indexHtml))('matches the meta tag of src-renderer/index.html', () => {
    const html = readFileSync(indexHtml, 'utf8')
    const tags = [...html.matchAll(/<meta\b[^>]*http-equiv\s*=\s*["']Content-Security-Policy["'][^>]*>/gi)]
    expect(tags).toHaveLength(1)
    const content = /\bcontent\s*=\s*"([^"]*)"/i.exec(tags[0]?.[0] ?? '')?.[1]
    expect(content?.replace(/\s+/g, ' ').trim()).toBe(CONTENT_SECURITY_POLICY)
  })
})

describe('isAllowedExternalUrl', () => {
  const host = EXTERNAL_LINK_ALLOWLIST[0] ?? 'github.com'

  it('keeps the allow-list short and made of bare hostnames', () => {
    expect(EXTERNAL_LINK_ALLOWLIST.length).toBeGreaterThan(0)
    expect(EXTERNAL_LINK_ALLOWLIST.length).toBeLessThanOrEqual(5)
    for (const h of EXTERNAL_LINK_ALLOWLIST) expect(h).toMatch(/^[a-z0-9.-]+$/)
  })

  it('accepts https links to an allow-listed host', () => {
    expect(isAllowedExternalUrl(`https://${host}/`)).toBe(true)
    expect(isAllowedExternalUrl(`https://${host}/fieldline/issues?q=is%3Aopen#top`)).toBe(true)
    expect(isAllowedExternalUrl(`HTTPS://${host.toUpperCase()}/x`)).toBe(true)
  })

  it.each([
    [`https://evil.com@${host}/`, 'credentials in front of the allowed host'],
    [`https://${host}@evil.com/`, 'allowed host used as a user name'],
    [`https://user:pass@${host}/`, 'any credentials'],
    [`https://${host}.evil.com/`, 'allowed host as a sub-domain prefix'],
    [`https://evil${host}/`, 'allowed host as a suffix'],
    [`https://sub.${host}.evil.com/`, 'allowed host in the middle'],
    [`http://${host}/`, 'plain http'],
    [`http://${host}:443/`, 'plain http on the https port'],
    [`https://${host}:8443/`, 'an unusual port'],
    [`javascript:alert(1)//https://${host}/`, 'javascript:'],
    [`file:///etc/passwd`, 'file:'],
    [`data:text/html,<script>alert(1)</script>`, 'data:'],
    [`ftp://${host}/`, 'ftp:'],
    [`//${host}/`, 'protocol-relative'],
    [`${host}`, 'no scheme'],
    [`https:\\\\evil.com\\${host}`, 'backslashes'],
    ['', 'empty'],
    ['not a url', 'garbage'],
  ])('refuses %s (%s)', (url) => {
    expect(isAllowedExternalUrl(url)).toBe(false)
  })

  it('uses the list it is given', () => {
    expect(isAllowedExternalUrl('https://docs.example.org/a', ['docs.example.org'])).toBe(true)
    expect(isAllowedExternalUrl('https://example.org/a', ['docs.example.org'])).toBe(false)
  })
})

describe('isAppUrl', () => {
  const app = 'app://fieldline/index.html'

  it('accepts the renderer document, with or without a fragment or query', () => {
    expect(isAppUrl(app, app)).toBe(true)
    expect(isAppUrl(`${app}#/devices/t/d`, app)).toBe(true)
    expect(isAppUrl(`${app}?lang=fr`, app)).toBe(true)
  })

  it('refuses any other document, host or scheme, file:// above all', () => {
    expect(isAppUrl('app://fieldline/other.html', app)).toBe(false)
    expect(isAppUrl('app://fieldline/index.html.evil', app)).toBe(false)
    expect(isAppUrl('app://fieldline/', app)).toBe(false)
    expect(isAppUrl('app://evil/index.html', app)).toBe(false)
    expect(isAppUrl('app://fieldline.evil/index.html', app)).toBe(false)
    expect(isAppUrl('app://fieldline:8080/index.html', app)).toBe(false)
    expect(isAppUrl('app://user@fieldline/index.html', app)).toBe(false)
    expect(isAppUrl('https://fieldline/index.html', app)).toBe(false)
    expect(isAppUrl('file:///opt/Fieldline/resources/app.asar/out/renderer/index.html', app)).toBe(false)
    expect(isAppUrl('file:///index.html', app)).toBe(false)
    expect(isAppUrl('about:blank', app)).toBe(false)
    expect(isAppUrl('', app)).toBe(false)
  })

  it('sees through dot segments and percent-encoding the same way Chromium does', () => {
    expect(isAppUrl('app://fieldline/assets/../index.html', app)).toBe(true)
    expect(isAppUrl('app://fieldline/%2e%2e/index.html', app)).toBe(true)
    expect(isAppUrl('app://fieldline/assets/../other.html', app)).toBe(false)
  })

  it('never treats a file:// app URL as the app: the window no longer loads from file://', () => {
    const file = 'file:///opt/Fieldline/resources/app/out/renderer/index.html'
    expect(isAppUrl(file, file)).toBe(false)
  })

  it('compares origins for the dev server', () => {
    const dev = 'http://localhost:5173/'
    expect(isAppUrl('http://localhost:5173/#/settings', dev)).toBe(true)
    expect(isAppUrl('http://localhost:5174/', dev)).toBe(false)
    expect(isAppUrl('http://localhost.evil.com:5173/', dev)).toBe(false)
    expect(isAppUrl('https://localhost:5173/', dev)).toBe(false)
    expect(isAppUrl(app, dev)).toBe(false)
  })

  it('refuses when the app URL itself is unusable', () => {
    expect(isAppUrl(app, 'not a url')).toBe(false)
    expect(isAppUrl('javascript:1', 'javascript:1')).toBe(false)
  })
})

describe('rendererDevUrl', () => {
  it('accepts a loopback http dev server in an unpackaged build', () => {
    expect(rendererDevUrl('http://localhost:5173', false)).toBe('http://localhost:5173/')
    expect(rendererDevUrl('http://127.0.0.1:5173/', false)).toBe('http://127.0.0.1:5173/')
    expect(rendererDevUrl('http://[::1]:5173/', false)).toBe('http://[::1]:5173/')
  })

  it('is ignored in a packaged build, when unset, or when not loopback http', () => {
    expect(rendererDevUrl('http://localhost:5173', true)).toBeNull()
    expect(rendererDevUrl(undefined, false)).toBeNull()
    expect(rendererDevUrl('', false)).toBeNull()
    expect(rendererDevUrl('https://evil.com/', false)).toBeNull()
    expect(rendererDevUrl('http://localhost.evil.com:5173/', false)).toBeNull()
    expect(rendererDevUrl('http://192.168.1.10:5173/', false)).toBeNull()
    expect(rendererDevUrl('file:///tmp/index.html', false)).toBeNull()
  })
})
