/**
 * The command palette, the shortcut sheet and the import report's refused rows, driven by the keyboard the way an
 * operator does: Ctrl+K to import a file, to find one device among 100,000 and a SIM no device holds, `?` for the shortcuts, `/` for the
 * view's search, and no shortcut while typing in a field, a text area, something editable or the JSON editor.
 */
import type { Page } from '@playwright/test'
import { readFile } from 'node:fs/promises'
import { parse } from 'csv-parse/sync'
import { startControlCenterPeer } from '../peers/control-center/control-center.peer'
import { expect, test } from './fixtures'
import { addDevice, addJasperProfile, openDevice, setEditorText, skipWithoutKeyring } from './steps'
import { switchLanguage, words } from './words'

/** Devices imported for the search: the device sought is one of 100,000 (the whole test took 19 to 52 s on the shared build machine). */
const DEVICES = 100_000

/** The SIM of the one device that has one (a Jasper ICCID), found in the palette by its digits. */
const ICCID = '89012600000000042170'

function devicesCsv(count: number): string {
  const types = ['meter', 'gateway', 'sensor', 'valve', 'pump']
  const lines = ['typeId,deviceId,description,carrier,iccid', `meter,sim-holder,With a SIM,jasper,${ICCID}`]
  for (let i = 0; i < count; i++) lines.push(`${types[i % types.length]},dev-${String(i).padStart(6, '0')},Site ${i % 97},,`)
  return `${lines.join('\n')}\n`
}

async function openPalette(page: Page) {
  await page.keyboard.press('ControlOrMeta+k')
  const dialog = page.getByRole('dialog', { name: 'Go to' })
  await expect(dialog).toBeVisible()
  const box = dialog.getByRole('combobox', { name: 'Device, SIM, view or action' })
  await expect(box).toBeFocused()
  return { dialog, box }
}

test('the palette imports a file, then finds one device among 100,000 by a fragment of its ID and opens it', async ({ app }) => {
  test.setTimeout(300_000)
  const { page } = app
  await expect(page.getByRole('heading', { level: 1, name: 'Devices' })).toBeVisible()

  // "Import devices" presses the view's Import button: the file chooser opens.
  let { dialog, box } = await openPalette(page)
  await box.fill('import')
  const importOption = dialog.getByRole('option', { name: /Import devices/ })
  await expect(importOption).toHaveAttribute('aria-selected', 'true')
  await expect(box).toHaveAttribute('aria-activedescendant', (await importOption.getAttribute('id'))!)
  const chooser = page.waitForEvent('filechooser')
  await page.keyboard.press('Enter')
  await (await chooser).setFiles({ name: 'devices.csv', mimeType: 'text/csv', buffer: Buffer.from(devicesCsv(DEVICES)) })
  await expect(page.getByRole('status').filter({ hasText: 'Import finished.' })).toHaveText(/100,001 added, 0 already there, 0 refused/, { timeout: 240_000 })

  // A fragment of the ID (a word of it, as "004217" is of dev-004217) finds the device; Enter opens it.
  ;({ dialog, box } = await openPalette(page))
  await page.keyboard.type('004217')
  const option = dialog.getByRole('option', { name: /sensor\/dev-004217/ })
  await expect(option).toHaveAttribute('aria-selected', 'true')
  await expect(dialog.getByRole('option')).toHaveCount(1)
  await page.keyboard.press('Enter')
  await expect(dialog).toBeHidden()
  await expect(page.getByRole('heading', { level: 1 })).toContainText('dev-004217')

  // A SIM by the first digits of its ICCID: the device that holds it, its ICCID shown.
  ;({ dialog, box } = await openPalette(page))
  await page.keyboard.type(ICCID.slice(0, 12))
  const holder = dialog.getByRole('option', { name: /meter\/sim-holder/ })
  await expect(holder).toHaveAttribute('aria-selected', 'true')
  await expect(holder).toContainText(ICCID)
  await page.keyboard.press('Escape')

  // "type/id" finds it too, and the arrows move the active option among several.
  ;({ dialog, box } = await openPalette(page))
  await page.keyboard.type('gateway/dev-00000')
  const options = dialog.getByRole('option')
  await expect(options.first()).toContainText('gateway/dev-000001')
  await expect(options).toHaveCount(2)
  await page.keyboard.press('ArrowDown')
  await expect(options.nth(1)).toHaveAttribute('aria-selected', 'true')
  await expect(options.first()).toHaveAttribute('aria-selected', 'false')
  await page.keyboard.press('Enter')
  await expect(page.getByRole('heading', { level: 1 })).toContainText('gateway')

  // A view by its name; Escape closes and gives the focus back where it was.
  const back = page.getByRole('navigation').getByRole('link', { name: 'Devices' })
  await back.focus()
  ;({ dialog, box } = await openPalette(page))
  await page.keyboard.type('setings')
  await expect(dialog.getByRole('option').first()).toContainText('Settings')
  await page.keyboard.press('Escape')
  await expect(dialog).toBeHidden()
  await expect(back).toBeFocused()
  ;({ dialog, box } = await openPalette(page))
  await expect(box).toHaveValue('')
  await page.keyboard.type('setings')
  await page.keyboard.press('Enter')
  await expect(page.getByRole('heading', { level: 1, name: 'Settings' })).toBeVisible()
})

test('the palette finds a SIM no device holds by a fragment of its ICCID and opens it on the SIMs page', async ({ app }) => {
  skipWithoutKeyring()
  const peer = await startControlCenterPeer({ devices: 12 })
  try {
    const { page } = app
    await addJasperProfile(page, peer.url, 'test-api-key')
    await page.getByRole('navigation').getByRole('link', { name: 'SIMs', exact: true }).click()
    await page
      .getByRole('region', { name: 'Carrier accounts' })
      .getByRole('button', { name: /^Sync Jasper/ })
      .click()
    await page
      .getByRole('dialog', { name: /^Sync Jasper/ })
      .getByRole('button', { name: 'Start sync', exact: true })
      .click()
    await expect(page.getByText('12 SIMs', { exact: true })).toBeVisible()

    // Eight digits from the middle of one ICCID that no other SIM of the account has.
    const iccid = peer.iccids[5]!
    const fragment = iccid.slice(8, 16)
    expect(peer.iccids.filter((other) => other.includes(fragment))).toEqual([iccid])
    await page.getByRole('navigation').getByRole('link', { name: 'Devices', exact: true }).click()
    const { dialog } = await openPalette(page)
    await page.keyboard.type(fragment)
    const option = dialog.getByRole('option', { name: new RegExp(`^SIM ${iccid}`) })
    await expect(option).toHaveAttribute('aria-selected', 'true')
    await expect(option).toContainText('on no device')
    await page.keyboard.press('Enter')
    await expect(dialog).toBeHidden()
    await expect(page.getByRole('heading', { level: 1, name: 'SIMs' })).toBeVisible()
    await expect(page.getByRole('searchbox', { name: 'Search SIMs' })).toHaveValue(iccid)
    await expect(page.getByTestId('sim-row')).toHaveCount(1)
    await expect(page.getByTestId('sim-row')).toContainText(iccid)
  } finally {
    await peer.close()
  }
})

test('? shows every shortcut, / goes to the search, and no shortcut fires while typing', async ({ app }) => {
  const { page } = app
  await addDevice(page, 'meter', 'm-1')
  await expect(page.getByTestId('device-row')).toHaveCount(1)
  await page.getByRole('heading', { level: 1 }).focus()

  await page.keyboard.press('?')
  const sheet = page.getByRole('dialog', { name: 'Keyboard shortcuts' })
  await expect(sheet).toBeVisible()
  for (const line of ['Open the command palette', "Go to the view's search", 'Show these shortcuts', 'Move between cells']) await expect(sheet).toContainText(line)
  await page.keyboard.press('Escape')
  await expect(sheet).toBeHidden()

  await page.keyboard.press('/')
  const search = page.getByRole('searchbox', { name: 'Search devices' })
  await expect(search).toBeFocused()
  // Typed in the search, `?`, `/` and Ctrl+K are text or the browser's, never the app's shortcuts.
  await page.keyboard.type('m?/')
  await page.keyboard.press('ControlOrMeta+k')
  await page.keyboard.type('x')
  await expect(search).toHaveValue('m?/x')
  await expect(page.getByRole('dialog')).toHaveCount(0)

  // A text area and something content-editable (put on the page for the test) are typing too.
  for (const tag of ['textarea', 'contenteditable'] as const) {
    await page.evaluate((kind) => {
      const d = (
        globalThis as unknown as { document: { createElement(t: string): { setAttribute(n: string, v: string): void; focus(): void }; querySelector(s: string): { append(e: unknown): void } } }
      ).document
      const el = d.createElement(kind === 'textarea' ? 'textarea' : 'div')
      if (kind === 'contenteditable') el.setAttribute('contenteditable', 'true')
      el.setAttribute('aria-label', `probe ${kind}`)
      el.setAttribute('data-testid', `probe-${kind}`)
      d.querySelector('main').append(el)
      el.focus()
    }, tag)
    await page.keyboard.type('?/')
    await page.keyboard.press('ControlOrMeta+k')
    await page.keyboard.type('z')
    const probe = page.getByTestId(`probe-${tag}`)
    if (tag === 'textarea') await expect(probe).toHaveValue('?/z')
    else await expect(probe).toHaveText('?/z')
    await expect(page.getByRole('dialog')).toHaveCount(0)
  }

  // The JSON editor: the characters go into the document.
  await search.fill('')
  await openDevice(page, 'm-1')
  await setEditorText(page, '{"note": "')
  await page.keyboard.type('a?b/c')
  await expect(page.locator('.monaco-editor .view-lines')).toContainText('a?b/c')
  await expect(page.getByRole('dialog')).toHaveCount(0)
})

test('the shortcut sheet in French names the keys as a French keyboard does, and no keys run into their description at 1280×720', async ({ app }) => {
  const { page } = app
  const fr = words('fr')
  await page.setViewportSize({ width: 1280, height: 720 })
  await switchLanguage(page, 'fr')
  await page.getByRole('heading', { level: 1 }).focus()
  await page.keyboard.press('?')
  const sheet = page.getByRole('dialog', { name: fr('shortcuts.title') })
  await expect(sheet).toBeVisible()
  // It opens at its top: its title and the shortcuts that work anywhere in sight (the focus on Close scrolled to the end).
  await expect(sheet.getByRole('heading', { name: fr('shortcuts.title') })).toBeInViewport()
  await expect(sheet.getByRole('heading', { name: fr('shortcuts.groups.anywhere') })).toBeInViewport()
  for (const key of ['Échap', 'Entrée', 'Espace', 'Pg préc.', 'Maj+↑', 'Ctrl+Origine', 'Ctrl+M', 'Alt+Suppr']) await expect(sheet.locator('kbd', { hasText: key }).first()).toBeVisible()
  await expect(sheet.locator('kbd', { hasText: /^(Enter|Esc|Space|Home|PageUp|Delete)$/ })).toHaveCount(0)
  await expect(sheet).toContainText(fr('shortcuts.editorTabFocus'))
  // Each line's keys end before its description begins (Ctrl+Origine / Ctrl+Fin ran over it).
  const overlaps = await sheet.locator('.line').evaluateAll((lines) =>
    lines.flatMap((line) => {
      const keys = [...line.querySelectorAll('kbd')].map((k) => k.getBoundingClientRect().right)
      const text = line.querySelector('dd')!.getBoundingClientRect().left
      return keys.some((right) => right > text) ? [line.textContent ?? ''] : []
    }),
  )
  expect(overlaps).toEqual([])
})

test('a focus moved while the shortcut sheet closes stays where it went, not back on the opener', async ({ app }) => {
  const { page } = app
  await addDevice(page, 'meter', 'm-1')
  await page.getByRole('heading', { level: 1 }).focus()
  await page.keyboard.press('?')
  await expect(page.getByRole('dialog', { name: 'Keyboard shortcuts' })).toBeVisible()
  // The browser fires a dialog's close event a task after close(); a `/` pressed in between (a fast operator, a slow
  // machine) focuses the search first. Reproduced here without the race: close, focus the search, then let the task run.
  const kept = await page.evaluate(`(async () => {
    document.querySelector('dialog[open] .actions button').click()
    for (let i = 0; i < 100 && document.querySelector('dialog[open]'); i++) await Promise.resolve()
    if (document.querySelector('dialog[open]')) return 'still open'
    const search = document.querySelector('main [data-view-search]')
    search.focus()
    await new Promise((resolve) => setTimeout(resolve, 200))
    return document.activeElement === search ? 'search' : String(document.activeElement && document.activeElement.tagName)
  })()`)
  expect(kept).toBe('search')
})

test('Ctrl+K pressed while the palette closes opens it again: the late event of the closing does not shut the new one', async ({ app }) => {
  const { page } = app
  await openPalette(page)
  // The close event comes a task after close(); a Ctrl+K pressed in between (the CI machine under load did it after
  // Escape) opened the palette, and that late event closed it again. Reproduced here without the race: close, press
  // Ctrl+K, then let the task run.
  const state = await page.evaluate(`(async () => {
    document.querySelector('dialog[open]').dispatchEvent(new Event('cancel', { cancelable: true }))
    for (let i = 0; i < 100 && document.querySelector('dialog[open]'); i++) await Promise.resolve()
    if (document.querySelector('dialog[open]')) return 'still open'
    document.body.dispatchEvent(new KeyboardEvent('keydown', { key: 'k', ctrlKey: true, bubbles: true, cancelable: true }))
    for (let i = 0; i < 100 && !document.querySelector('dialog[open]'); i++) await Promise.resolve()
    if (!document.querySelector('dialog[open]')) return 'not reopened'
    await new Promise((resolve) => setTimeout(resolve, 200))
    return document.querySelector('dialog[open]') ? 'open' : 'closed by the late event'
  })()`)
  expect(state).toBe('open')
  const dialog = page.getByRole('dialog', { name: 'Go to' })
  await expect(dialog).toBeVisible()
  await expect(dialog.getByRole('combobox', { name: 'Device, SIM, view or action' })).toBeFocused()
})

test('the import report exports its refused rows as CSV with their reasons, and shows at full height', async ({ app }) => {
  const { page } = app
  const rows = ['Type ID,Device ID,description', 'meter,m-1,"North, feeder"', 'meter,bad id,=cmd|x', 'meter,m-1,duplicate', 'meter,m-2,South']
  await page.getByLabel('Import file').setInputFiles({ name: 'field-devices.csv', mimeType: 'text/csv', buffer: Buffer.from(rows.join('\n')) })
  await expect(page.getByRole('status').filter({ hasText: 'Import finished.' })).toHaveText(/4 rows, 2 added, 0 already there, 2 refused/)

  const full = page.getByRole('button', { name: 'Show the whole report' })
  await expect(full).toHaveAttribute('aria-pressed', 'false')
  await full.click()
  await expect(full).toHaveAttribute('aria-pressed', 'true')

  const download = page.waitForEvent('download')
  await page.getByRole('button', { name: 'Export refused rows as CSV' }).click()
  const file = await download
  expect(file.suggestedFilename()).toBe('field-devices-refused.csv')
  const text = (await readFile((await file.path())!, 'utf8')).replace(/^\uFEFF/, '')
  const written = parse(text) as string[][]
  expect(written[0]).toEqual(['importRefusal', 'Type ID', 'Device ID', 'description'])
  expect(written.slice(1).map((r) => r.slice(1))).toEqual([
    ['meter', 'bad id', "'=cmd|x"],
    ['meter', 'm-1', 'duplicate'],
  ])
  expect(written[1]![0]).toMatch(/^Row 3: /)
  expect(written[2]![0]).toBe('Row 4: Device meter/m-1 appears more than once in this file.')

  // The same file again (an interrupted import finished): the devices already there are counted apart, the other
  // refusals still listed.
  await page.getByRole('region', { name: 'Import devices' }).getByRole('button', { name: 'Close' }).click()
  await page.getByLabel('Import file').setInputFiles({ name: 'field-devices.csv', mimeType: 'text/csv', buffer: Buffer.from(rows.join('\n')) })
  await expect(page.getByRole('status').filter({ hasText: 'Import finished.' })).toHaveText(/4 rows, 0 added, 2 already there, 2 refused\s*Import finished\. 2 rows were refused/)
  await expect(page.getByText('2 rows name devices already in the workspace, left as they were.')).toBeVisible()
  await expect(page.getByRole('table', { name: 'Rows not imported' }).getByRole('row')).toHaveCount(5)
})
