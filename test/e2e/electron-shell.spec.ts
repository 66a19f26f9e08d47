import { expect, test } from './fixtures'

type Page = Parameters<Parameters<typeof test>[2]>[0]['app']['page']

/** Status and the headers that matter, of a fetch made by the renderer itself (so through the app:// handler). */
function fetchFromRenderer(page: Page, url: string) {
  return page.evaluate(async (target) => {
    const response = await fetch(target)
    const header = (name: string) => response.headers.get(name)
    return { status: response.status, csp: header('content-security-policy'), type: header('content-type'), nosniff: header('x-content-type-options') }
  }, url)
}

function navigate(page: Page, url: string) {
  return page.evaluate((target) => {
    ;(globalThis as unknown as { location: { href: string } }).location.href = target
  }, url)
}

/**
 * The desktop shell's own guarantees, seen from the renderer: it is served by the app:// protocol with the
 * policy as a header, cannot read outside the renderer folder, cannot leave its document, and has no Node.
 * Runs in the `electron` project only (playwright.config.ts keeps it out of `browser`).
 */
test.describe('Electron shell', () => {
  test('serves the renderer from app:// with the CSP header and real types', async ({ app }) => {
    const { page } = app
    expect(page.url()).toMatch(/^app:\/\/fieldline\/index\.html/)
    expect(await fetchFromRenderer(page, page.url())).toEqual({ status: 200, csp: expect.stringContaining("default-src 'self'"), type: 'text/html; charset=utf-8', nosniff: 'nosniff' })
    const src = await page.locator('script[type="module"]').first().getAttribute('src')
    expect((await fetchFromRenderer(page, new URL(src ?? '', page.url()).href)).type).toBe('text/javascript; charset=utf-8')
  })

  test('refuses paths that leave the renderer folder', async ({ app }) => {
    const urls = ['app://fieldline/%2e%2e%2f%2e%2e%2fpackage.json', 'app://fieldline/..%5c..%5cpackage.json', 'app://fieldline/%252e%252e/package.json', 'app://fieldline/missing.js']
    const statuses = []
    for (const url of urls) statuses.push((await fetchFromRenderer(app.page, url)).status)
    expect(statuses).toEqual([403, 403, 403, 404])
  })

  test('stays on its document and has no Node', async ({ app }) => {
    const { page } = app
    const global = () =>
      page.evaluate(() => ({
        require: typeof (globalThis as { require?: unknown }).require,
        process: typeof (globalThis as { process?: unknown }).process,
        fieldline: typeof (globalThis as { fieldline?: unknown }).fieldline,
      }))
    expect(await global()).toEqual({ require: 'undefined', process: 'undefined', fieldline: 'object' })
    await page.evaluate(() => {
      ;(globalThis as { stillHere?: boolean }).stillHere = true
    })
    await navigate(page, 'file:///etc/hosts')
    await navigate(page, 'app://fieldline/other.html')
    // A same-document navigation issued after the refused ones: once it has landed, the window has dealt with them.
    await navigate(page, '#after-the-refused-navigations')
    await expect.poll(() => page.url()).toMatch(/^app:\/\/fieldline\/index\.html#after-the-refused-navigations$/)
    // Set before the attempts, so a navigation the guards had let through would have taken it away with the document.
    expect(await page.evaluate(() => (globalThis as { stillHere?: boolean }).stillHere ?? false)).toBe(true)
    expect(page.url()).toMatch(/^app:\/\/fieldline\/index\.html/)
  })
})
