import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { APP_SCHEME_PRIVILEGES, APP_URL, contentTypeFor, createAppProtocolHandler, safeSegments, type RendererFiles, nodeRendererFiles } from '../../src-main/electron/app-protocol'
import { CONTENT_SECURITY_POLICY, isAppUrl } from '../../src-main/electron/window-options'
import { missingService } from '../helpers/system'

/** A renderer folder with a secret beside it, and links that point in and out of it. */
const work = mkdtempSync(join(tmpdir(), 'fieldline-protocol-'))
const root = join(work, 'renderer')
mkdirSync(join(root, 'assets'), { recursive: true })
writeFileSync(join(root, 'index.html'), '<!doctype html><title>Fieldline</title>')
writeFileSync(join(root, 'assets', 'index-abc.js'), 'export {}')
writeFileSync(join(root, 'assets', 'codicon.ttf'), 'ttf')
writeFileSync(join(root, 'assets', 'blob.bin'), 'bin')
writeFileSync(join(work, 'secret.txt'), 'SECRET')
mkdirSync(join(work, 'outside'))
writeFileSync(join(work, 'outside', 'secret.txt'), 'SECRET')
// A directory junction needs no privilege on Windows; a file symlink does, so that case runs elsewhere only.
symlinkSync(join(work, 'outside'), join(root, 'linked-dir'), 'junction')
symlinkSync(join(root, 'assets'), join(root, 'assets-alias'), 'junction')
const fileLinks = process.platform !== 'win32'
if (fileLinks) symlinkSync(join(work, 'secret.txt'), join(root, 'linked-secret.txt'))

afterAll(() => rmSync(work, { recursive: true, force: true }))

const handler = createAppProtocolHandler(root)
const get = (url: string, method = 'GET') => handler(new Request(url, { method }))

async function expectRefused(url: string, status: number) {
  const response = await get(url)
  expect(response.status, url).toBe(status)
  expect(await response.text(), url).not.toContain('SECRET')
}

describe('app:// protocol handler', () => {
  it('serves index.html for the root and for its own name, with the CSP as a header', async () => {
    for (const url of ['app://fieldline/', APP_URL, 'app://fieldline/index.html?lang=fr']) {
      const response = await get(url)
      expect(response.status, url).toBe(200)
      expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8')
      expect(response.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY)
      expect(response.headers.get('x-content-type-options')).toBe('nosniff')
      expect(await response.text()).toContain('<title>Fieldline</title>')
    }
  })

  it('sends each asset with its own type, and unknown kinds as octet-stream that nosniff keeps inert', async () => {
    const js = await get('app://fieldline/assets/index-abc.js')
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8')
    expect(await js.text()).toBe('export {}')
    expect((await get('app://fieldline/assets/codicon.ttf')).headers.get('content-type')).toBe('font/ttf')
    expect((await get('app://fieldline/assets/blob.bin')).headers.get('content-type')).toBe('application/octet-stream')
    expect(contentTypeFor('x.WOFF2')).toBe('font/woff2')
    expect(contentTypeFor('x.mjs')).toBe('text/javascript; charset=utf-8')
    expect(contentTypeFor('x.wasm')).toBe('application/wasm')
  })

  it('answers HEAD without a body', async () => {
    const response = await get(APP_URL, 'HEAD')
    expect(response.status).toBe(200)
    expect(await response.text()).toBe('')
  })

  it('refuses other methods with 405', async () => {
    const response = await get(APP_URL, 'POST')
    expect(response.status).toBe(405)
    expect(response.headers.get('allow')).toBe('GET, HEAD')
  })

  it('answers 404 for unknown files, folders and other hosts, still with the CSP', async () => {
    for (const url of ['app://fieldline/missing.js', 'app://fieldline/assets', 'app://fieldline/assets/', 'app://other/index.html', 'app://FIELDLINE/index.html', 'app://fieldline:8080/index.html']) {
      const response = await get(url)
      expect(response.status, url).toBe(404)
      expect(response.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY)
    }
  })

  it.each([
    ['app://fieldline/../secret.txt', 404, 'dot segments, resolved by the URL parser to a file that is not there'],
    ['app://fieldline/%2e%2e/secret.txt', 404, 'encoded dot segments, also resolved by the parser'],
    ['app://fieldline/assets/%2e%2e%2f%2e%2e%2fsecret.txt', 403, 'an encoded slash hiding ../..'],
    ['app://fieldline/%252e%252e/%252e%252e/secret.txt', 403, 'double encoding'],
    ['app://fieldline/..%5c..%5csecret.txt', 403, 'encoded backslashes'],
    ['app://fieldline/assets\\..\\..\\secret.txt', 403, 'raw backslashes'],
    ['app://fieldline/index.html%00.js', 403, 'a NUL byte'],
    ['app://fieldline/C:%5cWindows%5cwin.ini', 403, 'a drive letter'],
    ['app://fieldline/index.html:stream', 403, 'an NTFS stream'],
    ['app://fieldline/NUL', 403, 'a Windows device name'],
    ['app://fieldline/assets/com1.txt', 403, 'a Windows device name with an extension'],
    ['app://fieldline/%E0%A4%A', 403, 'malformed percent-encoding'],
    ['app://fieldline/linked-dir/secret.txt', 403, 'a directory link that leaves the folder'],
  ])('refuses %s with %i (%s)', async (url, status) => {
    await expectRefused(url, status)
  })

  it.skipIf(!fileLinks)('refuses a file link that leaves the folder (file symlinks need a privilege on Windows)', async () => {
    await expectRefused('app://fieldline/linked-secret.txt', 403)
  })

  it('follows a link that stays inside the folder', async () => {
    const response = await get('app://fieldline/assets-alias/index-abc.js')
    expect(response.status).toBe(200)
    expect(await response.text()).toBe('export {}')
  })

  it('answers 404 while the folder is missing and serves it once it exists', async () => {
    const later = join(work, 'later')
    const late = createAppProtocolHandler(later)
    expect((await late(new Request(APP_URL))).status).toBe(404)
    mkdirSync(later)
    writeFileSync(join(later, 'index.html'), 'ok')
    expect((await late(new Request(APP_URL))).status).toBe(200)
  })

  it('does not serve a file when the file system fails part-way', async () => {
    const failing: RendererFiles = { ...nodeRendererFiles, readFile: () => Promise.reject(new Error('EIO')) }
    expect((await createAppProtocolHandler(root, failing)(new Request(APP_URL))).status).toBe(404)
  })
})

describe('safeSegments', () => {
  it('decodes each segment once and keeps plain names', () => {
    expect(safeSegments('/assets/my%20file.js')).toEqual(['assets', 'my file.js'])
    expect(safeSegments('/')).toEqual([''])
  })

  it.each(['/..', '/.', '/a/%2E%2E', '/a%2fb', '/a%5Cb', '/a%25b', '/a:b', '/con', '/LPT1.txt', '/conin$'])('refuses %s', (path) => {
    expect(safeSegments(path)).toBeNull()
  })
})

describe('the app:// scheme', () => {
  it('is registered standard and secure, and asks for nothing more than fetch', () => {
    expect(APP_SCHEME_PRIVILEGES).toEqual({ scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true } })
  })

  it('is the one document isAppUrl accepts', () => {
    expect(isAppUrl(APP_URL, APP_URL)).toBe(true)
    expect(isAppUrl(`${APP_URL}#/devices`, APP_URL)).toBe(true)
    for (const url of ['app://fieldline/other.html', 'app://evil/index.html', 'app://fieldline:1/index.html', 'app://u@fieldline/index.html', 'file:///index.html', 'https://fieldline/index.html']) {
      expect(isAppUrl(url, APP_URL), url).toBe(false)
    }
  })

  const built = join(import.meta.dirname, '..', '..', 'out', 'renderer')
  // npm test builds before it runs the unit tests; a bare vitest run without a build says so (and fails under strict).
  const noBuild = missingService('renderer build', existsSync(built) ? null : `${built} is missing: run npm run build first`)
  it.skipIf(noBuild !== null)('has a real type for every file the renderer build emits', () => {
    const files = readdirSync(built, { recursive: true, encoding: 'utf8', withFileTypes: false }).filter((f) => /\.[a-z0-9]+$/i.test(f))
    expect(files.length).toBeGreaterThan(3)
    expect(files.filter((f) => contentTypeFor(f) === 'application/octet-stream')).toEqual([])
  })
})
