/**
 * A list taller than a browser lays out (a million devices at 40 px are 40 million pixels) scrolls a box of at most 15
 * million pixels, each scrolled pixel moving the rows by more than one (row-scale.ts). The browser knows nothing of
 * that: what it scrolls on its own must still land where the rows are. The core here holds one device; the socket
 * between the page and the core answers every device query as if it held a million (the rows are copies of that one).
 */
import type { Locator, Page } from '@playwright/test'
import { expect, test } from './fixtures'
import { addDevice, focusedRow, openPage } from './steps'

const MILLION = 1_000_000

/** Device queries answered for a million devices, named m-0000000 to m-0999999. */
async function aMillionDevices(page: Page): Promise<void> {
  await page.routeWebSocket(/.*/, (ws) => {
    const server = ws.connectToServer()
    const calls = new Map<number, { channel: string; offset: number; limit: number }>()
    let template: Record<string, unknown> | undefined
    ws.onMessage((message) => {
      const frame = JSON.parse(String(message)) as { id?: number; channel?: string; input?: { offset?: number; limit?: number } }
      if ((frame.channel === 'devices:query' || frame.channel === 'devices:count') && frame.id !== undefined) {
        calls.set(frame.id, { channel: frame.channel, offset: frame.input?.offset ?? 0, limit: frame.input?.limit ?? 100 })
      }
      server.send(message)
    })
    server.onMessage((message) => {
      const frame = JSON.parse(String(message)) as { type: string; id?: number; result?: { ok: boolean; value?: { items?: Record<string, unknown>[] } } }
      const call = frame.id === undefined ? undefined : calls.get(frame.id)
      if (frame.type !== 'result' || !call || !frame.result?.ok) return ws.send(message)
      calls.delete(frame.id!)
      const value: Record<string, unknown> = { ...frame.result.value, total: MILLION }
      template ??= frame.result.value?.items?.[0]
      if (call.channel === 'devices:query' && template) {
        const count = Math.max(0, Math.min(call.limit, MILLION - call.offset))
        value.items = Array.from({ length: count }, (_, i) => ({ ...template, deviceId: `m-${String(call.offset + i).padStart(7, '0')}` }))
      }
      ws.send(JSON.stringify({ ...frame, result: { ok: true, value } }))
    })
  })
}

/**
 * Whether `row` is shown in the list's box: whole, but for a few pixels, as Chromium scrolls a box this tall by two
 * pixels at a time past 2^23 (each moving these rows by 2.7).
 */
async function shownInList(list: Locator, row: Locator): Promise<boolean> {
  const [box, place] = await Promise.all([list.boundingBox(), row.boundingBox()])
  return box !== null && place !== null && place.y >= box.y - 6 && place.y + place.height <= box.y + box.height + 6
}

test.beforeEach(async ({ app }) => {
  const { page } = app
  await openPage(page, 'Devices')
  await addDevice(page, 'meter', 'one')
  await expect(page.getByTestId('device-row')).toHaveCount(1)
  await aMillionDevices(page)
  await page.reload()
  await page.waitForSelector('[data-app-state="ready"]')
  await expect(page.getByRole('list', { name: 'Device list' }).locator('[aria-posinset="1"]')).toContainText('m-0000000')
})

test('Tab back into a million rows scrolled elsewhere shows the row it focuses', async ({ app }) => {
  const { page } = app
  const list = page.getByRole('list', { name: 'Device list' })
  await list.locator('[aria-posinset="1"]').focus()
  await page.keyboard.press('End')
  await expect(list.locator(`[aria-posinset="${MILLION}"]`)).toContainText('m-0999999')
  for (let i = 0; i < 3; i++) await page.keyboard.press('PageUp')
  const active = (await focusedRow(page))!
  expect(active).toBeLessThan(MILLION - 20)

  // Out of the list, which the mouse then scrolls to its middle; Tab comes back to the row that was active.
  await page.keyboard.press('Shift+Tab')
  expect(await focusedRow(page)).toBeNull()
  await list.evaluate((box) => (box.scrollTop = (box.scrollHeight - box.clientHeight) / 2))
  await expect(list.locator(`[aria-posinset="${MILLION / 2}"]`)).toBeVisible()
  await page.keyboard.press('Tab')
  expect(await focusedRow(page)).toBe(active)
  const row = list.locator(`[aria-posinset="${active}"]`)
  await expect(row).toContainText(`m-${String(active - 1).padStart(7, '0')}`)
  await expect.poll(() => shownInList(list, row)).toBe(true)
})

test('a resize deep in a million rows keeps the row at the top of the list there', async ({ app }) => {
  const { page } = app
  const list = page.getByRole('list', { name: 'Device list' })
  await list.evaluate((box) => (box.scrollTop = (box.scrollHeight - box.clientHeight) / 2))
  const topRow = () =>
    list.evaluate((box) => {
      const top = box.getBoundingClientRect().top
      const rows = [...box.querySelectorAll('[role="listitem"]')].filter((r) => r.getBoundingClientRect().bottom > top + 1)
      return Math.min(...rows.map((r) => Number(r.getAttribute('aria-posinset'))))
    })
  await expect.poll(topRow).toBeGreaterThan(MILLION / 2 - 100)
  const before = await topRow()
  const size = page.viewportSize()!
  await page.setViewportSize({ width: 1024, height: 600 })
  await expect.poll(topRow).toBe(before)
  await page.setViewportSize(size)
  await expect.poll(topRow).toBe(before)
})
