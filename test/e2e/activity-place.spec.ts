/**
 * The Activity page is a live list, newest first: entries written while the operator reads further down, or moves
 * through the rows with the keyboard, arrive above the rows read and must not push them out from under the reader.
 * At the top, with the focus elsewhere, the new entries show.
 */
import type { Page } from '@playwright/test'
import { expect, test } from './fixtures'

/**
 * Adds devices through the core's socket (one audit entry each), as a teammate's window would: faster than the form,
 * and it leaves the page under test alone.
 */
async function addDevices(page: Page, token: string, ids: readonly string[]): Promise<void> {
  const failures = await page.evaluate(
    async ({ host, token, ids }) => {
      const socket = new WebSocket(`ws://${host}/ipc?token=${encodeURIComponent(token)}`)
      await new Promise((resolve, reject) => {
        socket.onopen = resolve
        socket.onerror = reject
      })
      const answers = new Map<number, (ok: boolean) => void>()
      socket.onmessage = (event) => {
        const frame = JSON.parse(String(event.data)) as { type: string; id?: number; result?: { ok: boolean } }
        if (frame.type === 'result' && frame.id !== undefined) answers.get(frame.id)?.(frame.result?.ok === true)
      }
      const results = await Promise.all(
        ids.map(
          (deviceId, id) =>
            new Promise<boolean>((resolve) => {
              answers.set(id, resolve)
              socket.send(JSON.stringify({ type: 'invoke', id, channel: 'devices:add', input: { typeId: 'meter', deviceId } }))
            }),
        ),
      )
      socket.close()
      return results.filter((ok) => !ok).length
    },
    { host: new URL(page.url()).host, token, ids },
  )
  expect(failures).toBe(0)
}

const names = (from: number, count: number) => Array.from({ length: count }, (_, i) => `m-${String(from + i).padStart(3, '0')}`)

/** Eighty entries in Activity, and the keyboard two pages down its list from the newest: returns the list. */
async function eightyEntriesTwoPagesDown(page: Page, token: string) {
  await addDevices(page, token, names(0, 80))
  await page.getByRole('navigation').getByRole('link', { name: 'Activity', exact: true }).click()
  const list = page.getByRole('list', { name: 'Activity log, newest first' })
  await expect(list.locator('[aria-posinset="1"]')).toContainText('meter/m-079')
  await list.locator('[aria-posinset="1"]').focus()
  await page.keyboard.press('PageDown')
  await page.keyboard.press('PageDown')
  return list
}

test('entries written while the operator reads further down arrive above, without moving the rows read', async ({ app }) => {
  test.skip(!app.serve, 'adds entries through serve mode’s socket; the Electron window calls its core over IPC')
  const { page } = app
  const token = app.serve!.token
  // The keyboard moves two pages down: the focused row is an entry well below the top.
  const list = await eightyEntriesTwoPagesDown(page, token)
  const focused = page.locator('[role="listitem"]:focus')
  const text = (await focused.textContent())!
  const at = Number(await focused.getAttribute('aria-posinset'))
  const y = (await focused.boundingBox())!.y
  expect(at).toBeGreaterThan(10)

  await addDevices(page, token, names(80, 3))
  // The same entry keeps the focus and its place on screen; the three new ones are above it.
  await expect(focused).toHaveAttribute('aria-posinset', String(at + 3), { timeout: 10_000 })
  await expect(focused).toHaveText(text)
  expect(Math.abs((await focused.boundingBox())!.y - y)).toBeLessThanOrEqual(1)

  // Back at the top with the focus elsewhere, the operator sees what arrives.
  await page.keyboard.press('Home')
  await page.getByRole('searchbox').first().focus()
  await addDevices(page, token, names(83, 1))
  const first = list.locator('[role="listitem"]').first()
  await expect(first).toContainText('meter/m-083')
  expect((await first.boundingBox())!.y).toBeGreaterThanOrEqual((await list.boundingBox())!.y - 1)
})

test('a new search brings the list back to its top and its first row, wherever the operator had scrolled or moved', async ({ app }) => {
  test.skip(!app.serve, 'adds entries through serve mode’s socket; the Electron window calls its core over IPC')
  const { page } = app
  // Well down the list, with the keyboard: the active row and the scroll position are far from the top.
  const list = await eightyEntriesTwoPagesDown(page, app.serve!.token)
  await expect.poll(() => list.evaluate((el) => el.scrollTop)).toBeGreaterThan(100)
  expect(Number(await list.locator('[tabindex="0"]').getAttribute('aria-posinset'))).toBeGreaterThan(10)

  const search = page.getByRole('searchbox').first()
  await search.fill('m-07')
  await expect(list.locator('[aria-posinset="1"]')).toContainText('meter/m-079')
  await expect(list.locator('[role="listitem"]').filter({ hasText: 'meter/m-069' })).toHaveCount(0)
  await expect.poll(() => list.evaluate((el) => el.scrollTop)).toBe(0)
  // The first row is the list's Tab stop again: Tab from the search lands on it, not on a row of the old search.
  await expect(list.locator('[tabindex="0"]')).toHaveAttribute('aria-posinset', '1')
  await search.focus()
  for (let i = 0; i < 30 && !(await list.evaluate((el) => el.contains(el.ownerDocument.activeElement))); i++) await page.keyboard.press('Tab')
  await expect(page.locator('[role="listitem"]:focus')).toHaveAttribute('aria-posinset', '1')
})
