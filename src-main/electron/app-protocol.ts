/**
 * The `app://` protocol the window loads the renderer from, instead of file://. A file:// page can read any
 * file the user can (Electron's security checklist, items 18 and 19); an `app://fieldline/…` page can read only
 * what this handler serves: the built renderer folder, nothing above it, nothing a symlink inside it points
 * to outside it. Pure (no 'electron' import at runtime): main.ts registers it with `protocol.handle`, and
 * tests call the handler with web `Request`s under plain Node.
 */
import { realpath, readFile, stat } from 'node:fs'
import { extname, isAbsolute, join, relative, sep } from 'node:path'
import { promisify } from 'node:util'
import type { CustomScheme } from 'electron'
import { CONTENT_SECURITY_POLICY } from './window-options'

export const APP_SCHEME = 'app'
export const APP_HOST = 'fieldline'
/** The one document the window shows; isAppUrl compares against it. */
export const APP_URL = `${APP_SCHEME}://${APP_HOST}/index.html`

/**
 * Registered before `ready`. `standard` gives the scheme a real origin (app://fieldline), so 'self' in the CSP,
 * relative URLs, module scripts and workers behave as on https; `secure` makes it a secure context like https.
 * supportFetchAPI lets the renderer fetch its own assets. Nothing else: no bypassCSP, no service workers, no
 * CORS for other origins.
 */
export const APP_SCHEME_PRIVILEGES: CustomScheme = {
  scheme: APP_SCHEME,
  privileges: { standard: true, secure: true, supportFetchAPI: true },
}

/**
 * Types of what electron-vite writes to out/renderer. A module script served without a JavaScript type is
 * refused by Chromium, and nosniff below forbids guessing, so every kind the build emits is listed.
 */
const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.ttf': 'font/ttf',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
}

export function contentTypeFor(path: string): string {
  return CONTENT_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream'
}

/** Headers every answer carries; the CSP is the window's policy, sent as a header so no page can drop it. */
const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cache-control': 'no-cache',
}

/** The file-system calls the handler makes; Electron's fs reads inside app.asar through these same calls. */
export interface RendererFiles {
  realpath(path: string): Promise<string>
  stat(path: string): Promise<{ isFile(): boolean }>
  readFile(path: string): Promise<Uint8Array>
}

export const nodeRendererFiles: RendererFiles = {
  realpath: promisify(realpath),
  stat: promisify(stat),
  readFile: promisify(readFile),
}

/** Windows device names: `app://fieldline/NUL` must not open a device whatever folder it is "in". */
const WINDOWS_DEVICE = /^(con|prn|aux|nul|com\d|lpt\d|conin\$|conout\$)(\..*)?$/i

/**
 * The path segments of a request, each decoded once, or null when any could escape the folder or name
 * something that is not a plain file name: `.`/`..` (also encoded, which the URL parser may leave alone for a
 * non-special scheme), separators hidden by encoding (`%2f`, `%5c`), a `%` left after decoding (double
 * encoding: no file the build writes has one), NUL, a drive or stream colon, a Windows device name.
 */
export function safeSegments(pathname: string): string[] | null {
  const segments: string[] = []
  for (const raw of pathname.split('/').slice(1)) {
    let segment: string
    try {
      segment = decodeURIComponent(raw)
    } catch {
      return null
    }
    if (segment === '.' || segment === '..' || /[\\/:%\0]/.test(segment) || WINDOWS_DEVICE.test(segment)) return null
    segments.push(segment)
  }
  return segments
}

function refusal(status: number, extra: Record<string, string> = {}): Response {
  return new Response(String(status), {
    status,
    headers: { ...SECURITY_HEADERS, 'content-type': 'text/plain; charset=utf-8', ...extra },
  })
}

function inside(root: string, path: string): boolean {
  const rel = relative(root, path)
  return rel !== '' && !rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel)
}

/**
 * The handler for `protocol.handle(APP_SCHEME, …)`: GET and HEAD of files below `root`, `/` meaning
 * index.html. 403 for a path that tries to leave the folder (by dot segments, encodings, backslashes or a
 * symlink), 404 for anything that is not a file there, 405 for other methods.
 */
export function createAppProtocolHandler(root: string, files: RendererFiles = nodeRendererFiles): (request: Request) => Promise<Response> {
  let realRoot: Promise<string> | undefined
  return async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return refusal(405, { allow: 'GET, HEAD' })
    let url: URL
    try {
      url = new URL(request.url)
    } catch {
      return refusal(400)
    }
    if (url.protocol !== `${APP_SCHEME}:` || url.host !== APP_HOST) return refusal(404)
    const segments = safeSegments(url.pathname)
    if (!segments) return refusal(403)
    if (segments.length === 0 || segments.at(-1) === '') segments.splice(-1, 1, 'index.html')

    realRoot ??= files.realpath(root)
    let base: string
    try {
      base = await realRoot
    } catch {
      // An unreadable root must not stay cached as a failure: the next request tries again.
      realRoot = undefined
      return refusal(404)
    }
    try {
      const target = await files.realpath(join(base, ...segments))
      if (!inside(base, target)) return refusal(403)
      if (!(await files.stat(target)).isFile()) return refusal(404)
      const body = request.method === 'HEAD' ? null : await files.readFile(target)
      return new Response(body, { status: 200, headers: { ...SECURITY_HEADERS, 'content-type': contentTypeFor(target) } })
    } catch {
      return refusal(404)
    }
  }
}
