/**
 * The device list an operator works in all day: the view (filter, sort) lives in the address, so Back and a reload
 * return to it; coming back from a device keeps the scroll position, the focus and the selection; "select all
 * matching" selects a query, and its export is read back as the file the operator gets. The export runs in English
 * (CSV) and in French (JSON Lines).
 */
import { readFile } from 'node:fs/promises'
import type { Page } from '@playwright/test'
import { DEVICE_COLUMNS } from '../../src-shared/models/device-query'
import { expect, test } from './fixtures'
import { focusedRow } from './steps'
import { importDevices, LANGUAGES, navigate, switchLanguage, words, type Words } from './words'

const en = words('en')

function devices(typeId: string, count: number, prefix: string): string[] {
  return Array.from({ length: count }, (_, i) => `${typeId},${prefix}-${i + 1},${typeId} number ${i + 1}`)
}

/** What the measures below wrap in the page (the e2e code compiles without the DOM library), and what they record. */
interface InPage {
  Element: { prototype: { scrollTo(this: unknown, ...args: unknown[]): void } }
  WebSocket: { prototype: { send(this: unknown, data: unknown): void } }
  history: { replaceState(this: unknown, ...args: unknown[]): void }
  listScrolls: number
  steps: string[]
}

const listOf = (page: Page, t: Words) => page.getByRole('list', { name: t('devices.listLabel') })
const scrollTop = (page: Page, t: Words) => listOf(page, t).evaluate((el) => el.scrollTop)
const selectionStatus = (page: Page, t: Words) =>
  page
    .getByRole('region', { name: t('devices.selection.label') })
    .getByRole('status')
    .first()

/** The device IDs of the rows rendered, top to bottom. */
function shownIds(page: Page): Promise<string[]> {
  return page.getByTestId('device-row').evaluateAll((rows) => rows.map((r) => r.querySelector('a')?.textContent?.trim() ?? ''))
}

test('back from a device finds the same view: the filter in the address, the scroll position, the focus and the selection', async ({ app }) => {
  const { page } = app
  await navigate(page, en, 'devices')
  await importDevices(page, en, ['typeId,deviceId,description', ...devices('meter', 150, 'm'), ...devices('valve', 20, 'v')])
  await page.getByLabel(en('devices.filters.type'), { exact: true }).selectOption('meter')
  await expect(page).toHaveURL(/[?&]type=meter/)
  await expect(page.getByText(en('devices.count', { count: 150 }))).toBeVisible()

  // Into the list, then Space selects the row and Shift+arrows extend the selection.
  await page.getByRole('button', { name: en('devices.columns.extensions'), exact: true }).focus()
  await page.keyboard.press('Tab')
  await page.keyboard.press('ArrowDown')
  await page.keyboard.press('Space')
  await page.keyboard.press('Shift+ArrowDown')
  await page.keyboard.press('Shift+ArrowDown')
  await expect(selectionStatus(page, en)).toHaveText(en('devices.selection.count', { count: 3 }))

  await page.keyboard.press('End')
  await page.keyboard.press('ArrowUp')
  await expect.poll(() => focusedRow(page)).toBe(149)
  expect(await scrollTop(page, en)).toBeGreaterThan(1000)
  await page.keyboard.press('Enter')
  await expect(page.getByRole('heading', { name: 'meter/m-149', level: 1 })).toBeVisible()

  // The browser's Back: the same filtered view, scrolled where it was, the opened row focused, the selection kept.
  await page.goBack()
  await expect(page).toHaveURL(/[?&]type=meter/)
  await expect.poll(() => focusedRow(page)).toBe(149)
  await expect(page.locator(':focus')).toContainText('m-149')
  expect(await scrollTop(page, en)).toBeGreaterThan(1000)
  await expect(page.getByLabel(en('devices.filters.type'), { exact: true })).toHaveValue('meter')
  await expect(selectionStatus(page, en)).toHaveText(en('devices.selection.count', { count: 3 }))
  await page.keyboard.press('Home')
  for (const id of ['m-2', 'm-3', 'm-4']) await expect(page.getByRole('checkbox', { name: en('devices.selectOne', { device: `meter/${id}` }) })).toBeChecked()
  await expect(page.getByRole('checkbox', { name: en('devices.selectOne', { device: 'meter/m-5' }) })).not.toBeChecked()
})

test('a header sorts the list in natural order both ways; the sorted, filtered view survives a reload, and so does the density', async ({ app }) => {
  const { page } = app
  const long = `Pump station north feeder ${'with a very long description '.repeat(6)}end`
  await navigate(page, en, 'devices')
  await importDevices(page, en, ['typeId,deviceId,description', ...devices('meter', 12, 'm'), `meter,m-13,${long}`, ...devices('valve', 3, 'v')])
  await page.getByLabel(en('devices.filters.type'), { exact: true }).selectOption('meter')
  await expect(page.getByText(en('devices.count', { count: 13 }))).toBeVisible()

  const byId = page.getByRole('button', { name: en('devices.columns.deviceId'), exact: true })
  await byId.click()
  await expect(byId).toHaveAccessibleDescription(en('devices.sortedAscending'))
  await expect.poll(() => shownIds(page)).toEqual(['m-1', 'm-2', 'm-3', 'm-4', 'm-5', 'm-6', 'm-7', 'm-8', 'm-9', 'm-10', 'm-11', 'm-12', 'm-13'])
  await byId.click()
  await expect(byId).toHaveAccessibleDescription(en('devices.sortedDescending'))
  await expect.poll(async () => (await shownIds(page)).slice(0, 4)).toEqual(['m-13', 'm-12', 'm-11', 'm-10'])
  await expect(page).toHaveURL(/[?&]sort=deviceId&desc=1/)

  // A cell the column cuts shows its whole text as a tooltip; one that fits has none.
  const rows = page.getByTestId('device-row')
  const cut = rows.first().getByText(long)
  await cut.hover()
  await expect(cut).toHaveAttribute('title', long)
  const fits = rows.nth(1).getByText('meter number 12')
  await fits.hover()
  await expect(fits).not.toHaveAttribute('title')

  await page.getByLabel(en('devices.density.label')).selectOption('compact')
  await expect.poll(async () => (await rows.first().boundingBox())?.height).toBe(28)

  await page.reload()
  await page.waitForSelector('[data-app-state="ready"]')
  await expect(page.getByLabel(en('devices.filters.type'), { exact: true })).toHaveValue('meter')
  await expect(page.getByRole('button', { name: en('devices.columns.deviceId'), exact: true })).toHaveAccessibleDescription(en('devices.sortedDescending'))
  await expect.poll(async () => (await shownIds(page)).slice(0, 2)).toEqual(['m-13', 'm-12'])
  await expect(page.getByText(en('devices.count', { count: 13 }))).toBeVisible()
  await expect(page.getByLabel(en('devices.density.label'))).toHaveValue('compact')
  expect((await rows.first().boundingBox())?.height).toBe(28)

  // Back undoes the sort, then the filter: each was a step of its own.
  await page.goBack()
  await expect(page.getByRole('button', { name: en('devices.columns.deviceId'), exact: true })).toHaveAccessibleDescription(en('devices.sortedAscending'))
  await page.goBack()
  await page.goBack()
  await expect(page.getByLabel(en('devices.filters.type'), { exact: true })).toHaveValue('')
  await expect(page.getByText(en('devices.count', { count: 16 }))).toBeVisible()
})

test('the arrows through a filter’s choices make one step back, however many values they passed', async ({ app }) => {
  const { page } = app
  await navigate(page, en, 'devices')
  await importDevices(page, en, ['typeId,deviceId,description', ...devices('meter', 2, 'm'), ...devices('pump', 2, 'p'), ...devices('valve', 2, 'v')])
  const type = page.getByLabel(en('devices.filters.type'), { exact: true })
  // Each arrow on a closed choice changes it (Chromium under Windows and Linux); headless, the arrows open its list
  // instead, so the changes are made as the arrows make them: one after another, each a change of its own.
  for (const value of ['meter', 'pump', 'valve']) {
    await type.selectOption(value)
    await expect(type).toHaveValue(value)
    await expect(page).toHaveURL(new RegExp(`[?&]type=${value}(&|$)`))
  }
  await page.goBack()
  await expect(type).toHaveValue('')
  await expect(page.getByText(en('devices.count', { count: 6 }))).toBeVisible()
})

test('a header reached from the list with Shift+Tab keeps the focus when it sorts: Enter twice sorts both ways and opens no device', async ({ app }) => {
  const { page } = app
  await navigate(page, en, 'devices')
  // Types in the opposite order of the IDs, so that sorting by ID reorders the rows.
  await importDevices(page, en, ['typeId,deviceId,description', ...devices('meter', 5, 'b'), ...devices('valve', 5, 'a')])
  await expect(page.getByText(en('devices.count', { count: 10 }))).toBeVisible()
  const byId = page.getByRole('button', { name: en('devices.columns.deviceId'), exact: true })
  await byId.focus()
  for (let i = 0; i < 10 && (await focusedRow(page)) === null; i++) await page.keyboard.press('Tab')
  await page.keyboard.press('ArrowDown')
  await expect.poll(() => focusedRow(page)).toBe(2)
  for (let i = 0; i < 10 && (await byId.evaluate((b) => !b.matches(':focus'))); i++) await page.keyboard.press('Shift+Tab')
  await expect(byId).toBeFocused()

  await page.keyboard.press('Enter')
  await expect.poll(async () => (await shownIds(page))[0]).toBe('a-1')
  await expect(byId).toBeFocused()
  await page.keyboard.press('Enter')
  await expect(page).toHaveURL(/#\/devices\?sort=deviceId&desc=1$/)
  await expect.poll(async () => (await shownIds(page))[0]).toBe('b-5')
  await expect(byId).toBeFocused()
})

test('the keyboard is shown the whole text of a cell its column cuts: the active row shows its tooltips under it', async ({ app }) => {
  const { page } = app
  await page.setViewportSize({ width: 900, height: 700 })
  await navigate(page, en, 'devices')
  const long = 'a description far longer than its column so that the list cuts it with an ellipsis where the room ends'
  await importDevices(page, en, ['typeId,deviceId,description', `meter,m-1,${long}`, 'meter,m-2,short'])
  await expect(page.getByText(en('devices.count', { count: 2 }))).toBeVisible()
  const cell = page.getByTestId('device-row').first().getByText(long)
  expect(await cell.evaluate((el) => el.scrollWidth > el.clientWidth)).toBe(true)

  await page.getByRole('button', { name: en('devices.columns.deviceId'), exact: true }).focus()
  for (let i = 0; i < 10 && (await focusedRow(page)) === null; i++) await page.keyboard.press('Tab')
  expect(await focusedRow(page)).toBe(1)
  const tip = page.getByRole('tooltip')
  await expect(tip).toBeVisible()
  await expect(tip).toHaveText(`${en('devices.columns.description')} ${long}`)
  await expect(page.locator(':focus')).toHaveAccessibleDescription(`${en('devices.columns.description')} ${long}`)
  // Whole within the list's box, under the last rows as well.
  const [shown, list] = await Promise.all([tip.boundingBox(), listOf(page, en).boundingBox()])
  expect(shown!.y + shown!.height).toBeLessThanOrEqual(list!.y + list!.height)
  // A row whose cells all fit has nothing more to show; the first row's tip comes back with it.
  await page.keyboard.press('ArrowDown')
  await expect(tip).toBeHidden()
  await page.keyboard.press('ArrowUp')
  await expect(tip).toContainText(long)
})

test('Tab past the list leaves it for good: the list does not take the focus back when the window is resized', async ({ app }) => {
  const { page } = app
  await navigate(page, en, 'devices')
  await importDevices(page, en, ['typeId,deviceId,description', ...devices('meter', 30, 'm')])
  await expect(page.getByText(en('devices.count', { count: 30 }))).toBeVisible()
  await page.getByRole('button', { name: en('devices.columns.extensions'), exact: true }).focus()
  await page.keyboard.press('Tab')
  await expect.poll(() => focusedRow(page)).toBe(1)
  // The list is the last control of the page: Tab goes on to the browser's own bar (here, the page's body).
  await page.keyboard.press('Tab')
  expect(await focusedRow(page)).toBeNull()

  const height = () => listOf(page, en).evaluate((el) => el.clientHeight)
  const before = await height()
  await page.setViewportSize({ width: 1280, height: 700 })
  await expect.poll(height).not.toBe(before)
  // Two frames: the list has heard of its new size and shown the rows it holds now.
  await page.evaluate(() => {
    const w = globalThis as unknown as { requestAnimationFrame(next: () => void): void }
    return new Promise<void>((resolve) => w.requestAnimationFrame(() => w.requestAnimationFrame(resolve)))
  })
  await expect.poll(async () => (await shownIds(page)).length).toBeGreaterThan(0)
  expect(await focusedRow(page)).toBeNull()
})

test('a density chosen lays out every row at its height, not only those on screen, and keeps the row that was at the top', async ({ app }) => {
  const { page } = app
  await navigate(page, en, 'devices')
  await importDevices(page, en, ['typeId,deviceId,description', ...devices('meter', 400, 'm')])
  await expect(page.getByText(en('devices.count', { count: 400 }))).toBeVisible()
  const list = listOf(page, en)
  const scrollHeight = () => list.evaluate((el) => el.scrollHeight)
  await expect.poll(scrollHeight).toBe(400 * 40)
  await list.evaluate((el) => (el.scrollTop = 100 * 40))
  await expect.poll(async () => (await shownIds(page)).includes('m-101')).toBe(true)

  await page.getByLabel(en('devices.density.label')).selectOption('compact')
  await expect.poll(scrollHeight).toBe(400 * 28)
  await expect.poll(() => scrollTop(page, en)).toBe(100 * 28)
  await page.getByLabel(en('devices.density.label')).selectOption('comfortable')
  await expect.poll(scrollHeight).toBe(400 * 40)
  await expect.poll(() => scrollTop(page, en)).toBe(100 * 40)
})

test('a search typed at the top of the list shows its rows without scrolling the list; one typed further down brings the list back to the top', async ({ app }) => {
  const { page } = app
  await navigate(page, en, 'devices')
  await importDevices(page, en, ['typeId,deviceId,description', ...devices('meter', 150, 'm')])
  await expect(page.getByText(en('devices.count', { count: 150 }))).toBeVisible()
  // Every scroll the page asks of the list, counted (a scroll at the top changes nothing but costs a layout).
  await listOf(page, en).evaluate((list) => {
    const w = globalThis as unknown as InPage
    const scrollTo = w.Element.prototype.scrollTo
    w.listScrolls = 0
    w.Element.prototype.scrollTo = function (this: unknown, ...args: unknown[]) {
      if (this === list) w.listScrolls++
      scrollTo.apply(this, args)
    }
  })
  const listScrolls = () => page.evaluate(() => (globalThis as unknown as InPage).listScrolls)

  const search = page.getByLabel(en('devices.search'))
  await search.fill('m-14')
  await expect.poll(() => shownIds(page)).toEqual(['m-14', 'm-140', 'm-141', 'm-142', 'm-143', 'm-144', 'm-145', 'm-146', 'm-147', 'm-148', 'm-149'])
  expect(await listScrolls()).toBe(0)

  await search.fill('meter')
  await expect(page.getByText(en('devices.count', { count: 150 }))).toBeVisible()
  // Scrolled until it holds: on a slow machine the rows of "meter" may still be on their way when the count shows.
  await expect
    .poll(async () => {
      await listOf(page, en).evaluate((list) => (list.scrollTop = 2000))
      return scrollTop(page, en)
    })
    .toBeGreaterThan(1000)
  await search.fill('m-14')
  await expect.poll(async () => (await shownIds(page))[0]).toBe('m-14')
  await expect.poll(() => scrollTop(page, en)).toBe(0)

  // Punctuation alone searches nothing: the list shows every device and says why.
  await search.fill('!!!')
  await expect(page.getByText(en('devices.noSearchWord', { text: '!!!' }))).toBeVisible()
  await expect(page.getByText(en('devices.count', { count: 150 }))).toBeVisible()
  await search.fill('m-14')
  await expect(page.getByText(en('devices.noSearchWord', { text: '!!!' }))).toHaveCount(0)
})

test('a keystroke in the search sends its query to the core once, before the address is rewritten', async ({ app }) => {
  const { page } = app
  await navigate(page, en, 'devices')
  await expect(page.getByText(en('devices.count', { count: 0 }))).toBeVisible()
  await page.evaluate(() => {
    const w = globalThis as unknown as InPage
    w.steps = []
    const send = w.WebSocket.prototype.send
    w.WebSocket.prototype.send = function (this: unknown, data: unknown) {
      if (typeof data === 'string' && data.includes('"devices:query"')) w.steps.push('query')
      send.call(this, data)
    }
    const replaceState = w.history.replaceState
    w.history.replaceState = function (this: unknown, ...args: unknown[]) {
      w.steps.push('address')
      replaceState.apply(this, args)
    }
  })
  await page.getByLabel(en('devices.search')).fill('gw')
  await expect(page).toHaveURL(/[?&]q=gw/)
  await expect.poll(() => page.evaluate(() => (globalThis as unknown as InPage).steps)).toEqual(['query', 'address'])
})

test('the operator chooses the columns, metadata fields included, and the choice is part of the address', async ({ app }) => {
  const { page } = app
  await navigate(page, en, 'devices')
  await importDevices(page, en, ['typeId,deviceId,description,site', 'meter,m-1,first,North yard', 'meter,m-2,second,South yard'])
  await page.getByRole('button', { name: en('devices.columnsChoice'), exact: true }).click()
  await page.getByRole('checkbox', { name: en('devices.columns.carrier') }).uncheck()
  await page.getByRole('checkbox', { name: en('devices.columns.simId') }).check()
  await expect(page.getByRole('button', { name: en('devices.columns.carrier'), exact: true })).toHaveCount(0)
  await expect(page.getByRole('button', { name: en('devices.columns.simId'), exact: true })).toBeVisible()

  await page.getByRole('button', { name: en('devices.metadataColumn.add') }).click()
  await expect(page.getByText(en('devices.metadataColumn.invalid'))).toBeVisible()
  await page.getByLabel(en('devices.metadataColumn.label')).fill('site')
  await page.getByRole('button', { name: en('devices.metadataColumn.add') }).click()
  await expect(page).toHaveURL(/[?&]cols=typeId%2CdeviceId%2Cdescription%2CsimId%2CsimStatus%2Cextensions%2Cmetadata.site/)
  await expect(page.getByTestId('device-row').filter({ hasText: 'm-2' })).toContainText('South yard')
  // Tab past the last choice closes the choices (left open, they covered the selection bar).
  await page.getByRole('button', { name: en('devices.metadataColumn.add') }).focus()
  await page.keyboard.press('Tab')
  await expect(page.getByLabel(en('devices.density.label'))).toBeFocused()
  await expect(page.getByRole('checkbox', { name: en('devices.columns.simId') })).toBeHidden()

  await page.reload()
  await page.waitForSelector('[data-app-state="ready"]')
  await expect(page.getByTestId('device-row').filter({ hasText: 'm-1' })).toContainText('North yard')
  await expect(page.getByRole('button', { name: en('devices.columns.carrier'), exact: true })).toHaveCount(0)

  // Every column at once, more than the window has room for at their usual widths: the columns narrow, none is cut off
  // from its heading, and the row that takes the focus does not scroll the list sideways.
  await page.evaluate(`location.hash = ${JSON.stringify(`#/devices?cols=${encodeURIComponent([...DEVICE_COLUMNS, 'metadata.site'].join(','))}`)}`)
  await expect(page.getByRole('button', { name: en('devices.columns.weatherAsOf'), exact: true })).toBeVisible()
  const list = listOf(page, en)
  const listRight = await list.evaluate((el) => el.getBoundingClientRect().right)
  const headings = await page.locator('.vrows-head > :not(.visually-hidden)').evaluateAll((cells) => cells.map((c) => c.getBoundingClientRect().right))
  expect(headings).toHaveLength(DEVICE_COLUMNS.length + 2)
  expect(Math.max(...headings)).toBeLessThanOrEqual(listRight)
  // A heading its narrowed column cuts shows whole under the pointer.
  const weatherAsOf = page.getByRole('button', { name: en('devices.columns.weatherAsOf'), exact: true })
  await weatherAsOf.hover()
  await expect(weatherAsOf).toHaveAttribute('title', en('devices.columns.weatherAsOf'))
  await page.getByTestId('device-row').first().focus()
  await expect(page.getByTestId('device-row').first()).toBeFocused()
  expect(await list.evaluate((el) => [el.scrollLeft, el.scrollWidth - el.clientWidth])).toEqual([0, 0])
})

test('a view saved under a name is shown again from the list of saved searches, kept after a restart, and deleted', async ({ app }) => {
  let page = app.page
  await navigate(page, en, 'devices')
  await importDevices(page, en, ['typeId,deviceId,description', ...devices('meter', 4, 'm'), ...devices('valve', 2, 'v')])
  await page.getByLabel(en('devices.filters.type'), { exact: true }).selectOption('valve')
  await page.getByRole('button', { name: en('devices.columns.deviceId'), exact: true }).click()
  await page.getByRole('button', { name: en('devices.saved.save') }).click()
  const dialog = page.getByRole('dialog', { name: en('devices.saved.dialogTitle') })
  await dialog.getByLabel(en('devices.saved.name')).fill('Valves by ID')
  await dialog.getByRole('button', { name: en('devices.saved.submit'), exact: true }).click()
  await expect(dialog).toBeHidden()
  const saved = page.getByLabel(en('devices.saved.label'))
  await expect(saved).toHaveValue('Valves by ID')

  page = await app.restart()
  await navigate(page, en, 'devices')
  await expect(page.getByText(en('devices.count', { count: 6 }))).toBeVisible()
  await page.getByLabel(en('devices.saved.label')).selectOption('Valves by ID')
  await expect(page).toHaveURL(/[?&]type=valve/)
  await expect(page.getByLabel(en('devices.filters.type'), { exact: true })).toHaveValue('valve')
  await expect(page.getByText(en('devices.count', { count: 2 }))).toBeVisible()
  await expect(page.getByRole('button', { name: en('devices.columns.deviceId'), exact: true })).toHaveAccessibleDescription(en('devices.sortedAscending'))

  // Another view saved under the same name says it replaces that search before the operator confirms.
  await page.getByLabel(en('devices.filters.type'), { exact: true }).selectOption('meter')
  await page.getByRole('button', { name: en('devices.saved.save') }).click()
  const again = page.getByRole('dialog', { name: en('devices.saved.dialogTitle') })
  await again.getByLabel(en('devices.saved.name')).fill('Valves by ID')
  await expect(again.getByText(en('devices.saved.replaces', { name: 'Valves by ID' }))).toBeVisible()
  await again.getByRole('button', { name: en('common.cancel'), exact: true }).click()
  await expect(again).toBeHidden()
  await page.getByLabel(en('devices.saved.label')).selectOption('Valves by ID')
  await expect(page.getByText(en('devices.count', { count: 2 }))).toBeVisible()

  await page.getByRole('button', { name: en('devices.saved.delete', { name: 'Valves by ID' }) }).click()
  await expect(page.getByLabel(en('devices.saved.label'))).toBeDisabled()
  await expect(page.getByLabel(en('devices.saved.label')).getByRole('option')).toHaveText([en('devices.saved.none')])
})

for (const language of LANGUAGES) {
  const format = language === 'en' ? 'csv' : 'jsonl'
  test(`selects all matching devices but one and exports them as ${format}, read back from the file (${language})`, async ({ app }) => {
    const { page } = app
    const t = words(language)
    await switchLanguage(page, language)
    await navigate(page, t, 'devices')
    await importDevices(page, t, ['typeId,deviceId,description', ...devices('meter', 60, 'm'), ...devices('valve', 5, 'v'), 'meter,m-formula,"=HYPERLINK(""x"")"'])
    await page.getByLabel(t('devices.filters.type'), { exact: true }).selectOption('meter')
    await expect(page.getByText(t('devices.count', { count: 61 }), { exact: true })).toBeVisible()

    await page.getByRole('button', { name: t('devices.selection.selectAll', { count: 61 }) }).click()
    await expect(selectionStatus(page, t)).toHaveText(t('devices.selection.count', { count: 61 }))
    await page.getByRole('checkbox', { name: t('devices.selectOne', { device: 'meter/m-2' }) }).click()
    await expect(selectionStatus(page, t)).toHaveText(t('devices.selection.count', { count: 60 }))

    await page.getByLabel(t('devices.export.format')).selectOption(format)
    const downloading = page.waitForEvent('download')
    // From the keyboard: the button is disabled while the export runs, and the focus comes back to it at the end.
    await page.getByRole('button', { name: t('devices.export.selection') }).focus()
    await page.keyboard.press('Enter')
    const download = await downloading
    expect(download.suggestedFilename()).toMatch(new RegExp(`^devices-.*\\.${format}$`))
    const file = await readFile(await download.path(), 'utf8')
    // A CSV download starts with UTF-8's byte-order mark, for Excel; JSON Lines with its first line.
    expect(file.startsWith('\uFEFF')).toBe(format === 'csv')
    const text = file.replace(/^\uFEFF/, '')
    await expect(page.getByText(t('devices.export.done', { rows: 60 }))).toBeVisible()
    await expect(page.getByRole('button', { name: t('devices.export.selection') })).toBeFocused()
    // Another view: the notice of the export, which spoke of the one before, goes.
    await page.getByLabel(t('devices.search')).fill('m-1')
    await expect(page.getByText(t('devices.export.done', { rows: 60 }))).toHaveCount(0)

    const columns = ['typeId', 'deviceId', 'description', 'carrier', 'simStatus', 'extensions']
    const records =
      format === 'csv'
        ? text
            .trimEnd()
            .split('\r\n')
            .map((line) => line.split(','))
        : text
            .trimEnd()
            .split('\n')
            .map((line) => JSON.parse(line) as Record<string, unknown>)
    if (format === 'csv') expect(records[0]).toEqual(columns)
    else expect(Object.keys(records[0] as Record<string, unknown>)).toEqual(columns)
    const ids = (format === 'csv' ? records.slice(1).map((r) => (r as string[])[1]) : records.map((r) => (r as Record<string, unknown>).deviceId)) as string[]
    expect(ids).toHaveLength(60)
    expect(ids).not.toContain('m-2')
    expect(ids).toContain('m-60')
    expect(ids.some((id) => id.startsWith('v-'))).toBe(false)
    // A description a spreadsheet would run as a formula is written as text in the CSV; JSON keeps it as it is.
    if (format === 'csv') expect(text).toContain(`m-formula,"'=HYPERLINK(""x"")"`)
    else expect(records).toContainEqual(expect.objectContaining({ deviceId: 'm-formula', description: '=HYPERLINK("x")' }))
  })
}

test('a narrowed ICCID column shows the digits that tell SIMs apart, not the prefix they share', async ({ app }) => {
  const { page } = app
  await page.setViewportSize({ width: 1280, height: 800 })
  await navigate(page, en, 'devices')
  await importDevices(page, en, ['typeId,deviceId,carrier,iccid', 'meter,m-1,jasper,89882160000000000017', 'meter,m-2,jasper,89882160000000000025'])
  await page.evaluate(`location.hash = ${JSON.stringify(`#/devices?cols=${encodeURIComponent(DEVICE_COLUMNS.join(','))}`)}`)
  await expect(page.getByRole('button', { name: en('devices.columns.weatherAsOf'), exact: true })).toBeVisible()
  const cell = page.getByTestId('device-row').filter({ hasText: 'm-2' }).locator('.cut-start')
  await expect(cell).toHaveText('89882160000000000025')
  // Cut it is (every column at 1280 px), and its last digit lies inside its box while its first ones do not.
  const box = await cell.evaluate((el) => {
    const text = el.firstChild!
    const range = el.ownerDocument.createRange()
    const charBox = (i: number) => {
      range.setStart(text, i)
      range.setEnd(text, i + 1)
      return range.getBoundingClientRect()
    }
    const cellBox = el.getBoundingClientRect()
    return { cut: el.scrollWidth > el.clientWidth, first: charBox(0).left, last: charBox((text.textContent ?? '').length - 1).right, left: cellBox.left, right: cellBox.right }
  })
  expect(box.cut).toBe(true)
  expect(box.last).toBeLessThanOrEqual(box.right + 0.5)
  expect(box.first).toBeLessThan(box.left)
})

for (const language of LANGUAGES) {
  test(`the side menu returns to the device list's last view, and Clear filters to the whole fleet, by keyboard (${language})`, async ({ app }) => {
    const { page } = app
    const t = words(language)
    await switchLanguage(page, language)
    await navigate(page, t, 'devices')
    await importDevices(page, t, ['typeId,deviceId,description', ...devices('meter', 12, 'm'), ...devices('valve', 3, 'v')])
    const type = page.getByLabel(t('devices.filters.type'), { exact: true })
    await type.focus()
    await type.selectOption('valve')
    await page.getByRole('button', { name: t('devices.columns.deviceId'), exact: true }).press('Enter')
    await expect(page).toHaveURL(/[?&]type=valve/)
    await expect(page).toHaveURL(/[?&]sort=deviceId/)
    await expect(page.getByText(t('devices.count', { count: 3 }), { exact: true })).toBeVisible()

    // Another page from the menu, then the device list from the menu, both by keyboard: the view left, not the default.
    const menu = page.getByRole('navigation')
    await menu.getByRole('link', { name: t('nav.activity'), exact: true }).press('Enter')
    await expect(page.getByRole('heading', { name: t('activity.title'), level: 1 })).toBeVisible()
    await menu.getByRole('link', { name: t('nav.devices'), exact: true }).press('Enter')
    await expect(page).toHaveURL(/[?&]type=valve/)
    await expect(type).toHaveValue('valve')
    await expect(page.getByRole('button', { name: t('devices.columns.deviceId'), exact: true })).toHaveAccessibleDescription(t('devices.sortedAscending'))
    await expect(page.getByText(t('devices.count', { count: 3 }), { exact: true })).toBeVisible()

    // Clear filters shows the whole fleet (the sort stays), and the menu then leads there.
    await page.getByRole('button', { name: t('devices.filters.clear'), exact: true }).press('Enter')
    await expect(type).toHaveValue('')
    await expect(page.getByText(t('devices.count', { count: 15 }), { exact: true })).toBeVisible()
    await menu.getByRole('link', { name: t('nav.activity'), exact: true }).press('Enter')
    await menu.getByRole('link', { name: t('nav.devices'), exact: true }).press('Enter')
    await expect(page).not.toHaveURL(/type=/)
    await expect(page.getByText(t('devices.count', { count: 15 }), { exact: true })).toBeVisible()
  })

  test(`a file refused for its header shows the refusal alone, no bytes sent nor progress (${language})`, async ({ app }) => {
    const { page } = app
    const t = words(language)
    await switchLanguage(page, language)
    await navigate(page, t, 'devices')
    const text = 'typeId;deviceId\nmeter;m-1\n'
    await page.getByLabel(t('import.file')).setInputFiles({ name: 'semicolons.csv', mimeType: 'text/csv', buffer: Buffer.from(text) })
    const panel = page.getByRole('region', { name: t('import.title') })
    await expect(panel.getByRole('alert')).toHaveText(t('import.otherSeparator', { separator: ';' }))
    await expect(panel.getByTestId('import-bytes')).toHaveCount(0)
    await expect(panel.getByRole('progressbar')).toHaveCount(0)
    await expect(panel.getByText(t('import.counts', { rows: 0, added: 0, existing: 0, refused: 0 }))).toHaveCount(0)
    await expect(panel.getByRole('button', { name: t('import.close') })).toBeVisible()
  })
}
