import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { expect, test } from './fixtures'

/** Opens a WebSocket from the page and reports whether it opened or failed. */
function tryBridge(url: string): Promise<'open' | 'refused'> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url)
    ws.onopen = () => {
      ws.close()
      resolve('open')
    }
    ws.onerror = () => resolve('refused')
  })
}

test('serve mode refuses a bridge WebSocket without the token, with a wrong token, or from another origin', async ({ app, target }) => {
  test.skip(target !== 'browser', 'serve mode only exists in the browser project')
  const { page, serve } = app
  const host = new URL(serve!.origin).host
  expect(await page.evaluate(tryBridge, `ws://${host}/ipc`)).toBe('refused')
  expect(await page.evaluate(tryBridge, `ws://${host}/ipc?token=${'f'.repeat(48)}`)).toBe('refused')
  expect(await page.evaluate(tryBridge, `ws://${host}/ipc?token=${serve!.token}`)).toBe('open')

  // Even holding the real token, a page from another origin (say, a web page in the operator's browser) is refused.
  const other = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>other</title>'))
  await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve))
  try {
    const foreign = await page.context().newPage()
    await foreign.goto(`http://127.0.0.1:${(other.address() as AddressInfo).port}/`)
    expect(await foreign.evaluate(tryBridge, `ws://${host}/ipc?token=${serve!.token}`)).toBe('refused')
    await foreign.close()
  } finally {
    other.close()
  }
})
