/**
 * The SIMs page end to end against the wire-faithful Control Center peer: a Jasper account synced after its estimate,
 * every SIM listed (on no device at first), filters and sort in the address (Back returns to the view), "select all
 * matching" but one exported and read back from the file, a SIM attached to a device, a sync stopped from the
 * keyboard, and a sync error said in words. In English (CSV) and in French (JSON Lines). Saving a profile puts its API key in the OS keychain, so the
 * serve process needs a D-Bus session with an unlocked keyring (.ci/run provides one).
 */
import { readFile } from 'node:fs/promises'
import AxeBuilder from '@axe-core/playwright'
import type { Page } from '@playwright/test'
import { startOrangePeer } from '../peers/orange/orange.peer'
import { useControlCenterPeer } from './control-center-world'
import { expect, test } from './fixtures'
import { importDevices, LANGUAGES, switchLanguage, words, type Words } from './words'

const SIMS = 30

const peer = useControlCenterPeer({ devices: SIMS })

/** A Jasper profile for the peer, added in the Extensions gallery (in English, before the language under test). */
async function addJasperAccount(page: Page, apiKey: string): Promise<void> {
  await page.getByRole('navigation').getByRole('link', { name: 'Extensions' }).click()
  const card = page.getByRole('region', { name: 'Jasper' })
  await card.getByRole('button', { name: 'Add' }).click()
  const dialog = page.getByRole('dialog')
  await dialog.getByLabel('Profile name').fill('Ops')
  await dialog.getByLabel('API URL').fill(peer().url)
  await dialog.getByLabel('User name').fill('ops')
  await dialog.getByLabel('API key').fill(apiKey)
  await dialog.getByRole('button', { name: 'Save profile' }).click()
  await expect(dialog).toBeHidden()
}

const openSims = (page: Page, t: Words) =>
  page
    .getByRole('navigation')
    .getByRole('link', { name: t('nav.sims'), exact: true })
    .click()
const selectionStatus = (page: Page, t: Words) =>
  page
    .getByRole('region', { name: t('sims.selection.label') })
    .getByRole('status')
    .first()
const shownIds = (page: Page) => page.getByTestId('sim-row').evaluateAll((rows) => rows.map((r) => r.children[1]?.textContent?.trim() ?? ''))

async function noAxeViolation(page: Page, view: string): Promise<void> {
  const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']).analyze()
  expect(result.violations.map((v) => `${view}: ${v.id} ${v.nodes.map((n) => n.target.join(' ')).join(' | ')}`)).toEqual([])
}

/** A message about the peer's account, named by its profile's name "Ops" (not the id the core made of it, ops-<random>). */
function aboutAccount(t: Words, key: string, account = 'Jasper · Ops'): string {
  return t(key, { account })
}

/** Opens the account's sync dialog, checks the estimate is shown before anything starts, and starts the sync. */
async function syncAccount(page: Page, t: Words, account?: string): Promise<void> {
  const accounts = page.getByRole('region', { name: t('sims.sync.label') })
  await accounts.getByRole('button', { name: aboutAccount(t, 'sims.sync.open', account), exact: true }).click()
  const dialog = page.getByRole('dialog', { name: aboutAccount(t, 'sims.sync.dialogTitle', account), exact: true })
  await expect(dialog.getByTestId('sync-estimate')).toBeVisible()
  await expect(dialog.getByText(t('sims.sync.neverSynced'))).toBeVisible()
  await noAxeViolation(page, 'sync dialog')
  await dialog.getByRole('button', { name: t('sims.sync.start'), exact: true }).click()
  await expect(dialog).toBeHidden()
}

for (const language of LANGUAGES) {
  const format = language === 'en' ? 'csv' : 'jsonl'
  test(`syncs an account, filters, sorts, exports all matching but one as ${format} and attaches a SIM to a device (${language})`, async ({ app }) => {
    test.setTimeout(120_000)
    const { page } = app
    await addJasperAccount(page, 'test-api-key')
    const t = words(language)
    await switchLanguage(page, language)
    await page
      .getByRole('navigation')
      .getByRole('link', { name: t('nav.devices'), exact: true })
      .click()
    await importDevices(page, t, ['typeId,deviceId,description', 'meter,m-1,North feeder'])

    await openSims(page, t)
    await expect(page.getByRole('heading', { level: 1, name: t('sims.title') })).toBeVisible()
    await syncAccount(page, t)
    const accounts = page.getByRole('region', { name: t('sims.sync.label') })
    await expect(accounts.getByText(t('sims.sync.done', { listed: SIMS, usage: 0, calls: 1, fired: 0 }))).toBeVisible()
    await expect(page.getByText(t('sims.count', { count: SIMS }), { exact: true })).toBeVisible()
    // Each SIM is on no device so far, and says when the carrier listed it.
    const first = page.getByTestId('sim-row').first()
    await expect(first).toContainText(t('sims.onNoDevice'))
    await expect(first).not.toContainText(t('sims.neverListed'))
    await noAxeViolation(page, 'SIM list')

    // Sorted by SIM id in natural order, then the other way by its header; the address keeps it.
    const sorted = [...peer().iccids].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))
    const byId = page.getByRole('button', { name: t('sims.columns.simId'), exact: true })
    await expect.poll(async () => (await shownIds(page)).slice(0, 3)).toEqual(sorted.slice(0, 3))
    await byId.click()
    await expect(byId).toHaveAccessibleDescription(t('devices.sortedDescending'))
    await expect(page).toHaveURL(/[?&]desc=1/)
    await expect.poll(async () => (await shownIds(page)).slice(0, 3)).toEqual(sorted.slice(-3).reverse())

    // A text search and a filter, then Back to the view before the filter.
    await page.getByRole('searchbox', { name: t('sims.search') }).fill(sorted[4]!)
    await expect(page.getByText(t('sims.count', { count: 1 }), { exact: true })).toBeVisible()
    await page.getByRole('searchbox', { name: t('sims.search') }).fill('')
    await page.getByLabel(t('sims.filters.attached'), { exact: true }).selectOption('yes')
    await expect(page).toHaveURL(/[?&]attached=yes/)
    await expect(page.getByText(t('sims.noMatch'))).toBeVisible()
    await page.goBack()
    await expect(page.getByText(t('sims.count', { count: SIMS }), { exact: true })).toBeVisible()
    await expect(page.getByLabel(t('sims.filters.attached'), { exact: true })).toHaveValue('')
    await page.getByLabel(t('sims.filters.carrier'), { exact: true }).selectOption('jasper')
    await expect(page).toHaveURL(/[?&]carrier=jasper/)

    // Every matching SIM but one, exported and read back.
    const left = sorted[SIMS - 2]!
    // From the keyboard: once all are selected the focus goes on to the selection's bulk job, not to Clear selection,
    // which came where Select all was (a second Enter would undo the first).
    await page.getByRole('button', { name: t('sims.selection.selectAll', { count: SIMS }) }).press('Enter')
    await expect(selectionStatus(page, t)).toHaveText(t('sims.selection.count', { count: SIMS }))
    await expect(page.getByRole('button', { name: t('jobs.ui.fromSims.button') })).toBeFocused()
    await page.getByRole('checkbox', { name: t('sims.selectOne', { sim: left }) }).click()
    await expect(selectionStatus(page, t)).toHaveText(t('sims.selection.count', { count: SIMS - 1 }))
    await page.getByLabel(t('devices.export.format')).selectOption(format)
    const downloading = page.waitForEvent('download')
    await page.getByRole('button', { name: t('devices.export.selection') }).click()
    const download = await downloading
    expect(download.suggestedFilename()).toMatch(new RegExp(`^sims-.*\\.${format}$`))
    const file = await readFile(await download.path(), 'utf8')
    expect(file.startsWith('\uFEFF')).toBe(format === 'csv')
    const text = file.replace(/^\uFEFF/, '')
    await expect(page.getByText(t('devices.export.done', { rows: SIMS - 1 }))).toBeVisible()
    const ids =
      format === 'csv'
        ? text
            .trimEnd()
            .split('\r\n')
            .slice(1)
            .map((line) => line.split(',')[1])
        : text
            .trimEnd()
            .split('\n')
            .map((line) => (JSON.parse(line) as { simId: string }).simId)
    if (format === 'csv') expect(text.split('\r\n')[0]).toBe('carrier,simId,iccid,account,status,statusRaw,ratePlan,communicationPlan,dataBytes,smsCount,lastSessionAt,asOf,usageAsOf,devices')
    expect(ids).toEqual(sorted.filter((id) => id !== left).reverse())

    // A SIM found at the carrier, attached to a device: the row names the device, the "on a device" filter finds it.
    await page.getByRole('button', { name: t('sims.selection.clear') }).click()
    const chosen = sorted[0]!
    await page.getByRole('searchbox', { name: t('sims.search') }).fill(chosen)
    await expect(page.getByText(t('sims.count', { count: 1 }), { exact: true })).toBeVisible()
    await page.getByRole('checkbox', { name: t('sims.selectOne', { sim: chosen }) }).click()
    await page.getByRole('button', { name: t('sims.attach.open') }).click()
    const dialog = page.getByRole('dialog')
    await dialog.getByLabel(t('devices.addForm.id')).fill('m-404')
    await dialog.getByLabel(t('devices.addForm.type')).fill('meter')
    await noAxeViolation(page, 'attach dialog')
    await dialog.getByRole('button', { name: t('sims.attach.submit'), exact: true }).click()
    await expect(dialog.getByRole('alert')).toHaveText(new RegExp(t('errors.deviceNotFound', { id: 'meter/m-404' }).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    await dialog.getByLabel(t('devices.addForm.id')).fill('m-1')
    await dialog.getByRole('button', { name: t('sims.attach.submit'), exact: true }).click()
    await expect(dialog).toBeHidden()
    await expect(page.getByText(t('sims.attach.done', { sim: chosen, device: 'meter/m-1' }))).toBeVisible()
    await expect(page.getByTestId('sim-row').first()).toContainText('meter/m-1')
    await page.getByRole('searchbox', { name: t('sims.search') }).fill('')
    await page.getByLabel(t('sims.filters.attached'), { exact: true }).selectOption('yes')
    await expect(page.getByText(t('sims.count', { count: 1 }), { exact: true })).toBeVisible()
    await expect.poll(() => shownIds(page)).toEqual([chosen])
  })
}

test('a sync the carrier refuses says why in words, never an internal code', async ({ app }) => {
  const { page } = app
  await addJasperAccount(page, 'not-the-key')
  const t = words('en')
  await openSims(page, t)
  const accounts = page.getByRole('region', { name: t('sims.sync.label') })
  await accounts.getByRole('button', { name: aboutAccount(t, 'sims.sync.open'), exact: true }).click()
  const dialog = page.getByRole('dialog', { name: aboutAccount(t, 'sims.sync.dialogTitle'), exact: true })
  await dialog.getByRole('button', { name: t('sims.sync.start'), exact: true }).click()
  const alert = accounts.getByRole('alert')
  await expect(alert).toContainText(/^The sync of Jasper · Ops failed: /)
  await expect(alert).toContainText('10000001')
  await expect(alert).not.toContainText(/UND_ERR|AUTH_FAILED|CARRIER_|INTERNAL/)
})

test('a running sync is stopped from the keyboard, Escape in its row or Stop, saying what it read; the next sync finishes', async ({ app }) => {
  test.setTimeout(120_000)
  const { page } = app
  await addJasperAccount(page, 'test-api-key')
  const t = words('en')
  await openSims(page, t)
  const pages = () => peer().stats().byRoute['GET /devices'] ?? 0
  // The first page's answer trickles in, twice: each run sits on it until stopped.
  peer().faults.set({ kind: 'slowBody', bytesPerSecond: 1, times: 2, path: /[?&]pageNumber=1(&|$)/ })
  const accounts = page.getByRole('region', { name: t('sims.sync.label') })
  const open = accounts.getByRole('button', { name: aboutAccount(t, 'sims.sync.open'), exact: true })
  const stop = accounts.getByRole('button', { name: aboutAccount(t, 'sims.sync.stop'), exact: true })
  const stopped = accounts.getByRole('status').filter({ hasText: t('sims.sync.stopped', { listed: 0, usage: 0, calls: 0 }) })

  await syncAccount(page, t)
  await expect(stop).toBeVisible()
  await expect.poll(pages).toBe(1)
  await open.focus()
  await page.keyboard.press('Escape')
  await expect(stopped).toBeVisible()
  await expect(stop).toBeHidden()
  await expect(open).toBeFocused()

  await open.press('Enter')
  const dialog = page.getByRole('dialog', { name: aboutAccount(t, 'sims.sync.dialogTitle'), exact: true })
  await dialog.getByRole('button', { name: t('sims.sync.start'), exact: true }).press('Enter')
  await expect(dialog).toBeHidden()
  await expect.poll(pages).toBe(2)
  await open.focus()
  await page.keyboard.press('Tab')
  await expect(stop).toBeFocused()
  await page.keyboard.press('Enter')
  await expect(stopped).toBeVisible()
  await expect(open).toBeFocused()
  // Nothing was asked of the carrier after either stop.
  expect(pages()).toBe(2)

  await open.press('Enter')
  await dialog.getByRole('button', { name: t('sims.sync.start'), exact: true }).press('Enter')
  await expect(accounts.getByText(t('sims.sync.done', { listed: SIMS, usage: 0, calls: 1, fired: 0 }))).toBeVisible()
})

test('SIMs of Jasper and Orange in one list; Orange SIMs found at the carrier imported as devices', async ({ app }) => {
  test.setTimeout(120_000)
  const orange = await startOrangePeer({ lines: 12 })
  try {
    const { page } = app
    const t = words('en')
    await addJasperAccount(page, 'test-api-key')
    const card = page.getByRole('region', { name: t('carriers.orange') })
    await card.getByRole('button', { name: t('extensions.add') }).click()
    const form = page.getByRole('dialog', { name: t('orange.form.addTitle') })
    await form.getByLabel(t('profiles.form.name')).fill('Paris')
    await form.getByLabel(t('orange.form.baseUrl')).fill(orange.url)
    await form.getByLabel(t('orange.form.username')).fill('ak-test')
    await form.getByLabel(t('orange.form.password'), { exact: true }).fill('test-password')
    await form.getByRole('button', { name: t('profiles.form.save') }).click()
    await expect(form).toBeHidden()

    await openSims(page, t)
    await syncAccount(page, t)
    await expect(page.getByText(t('sims.count', { count: SIMS }), { exact: true })).toBeVisible()
    await syncAccount(page, t, 'Orange · Paris')
    await expect(page.getByText(t('sims.count', { count: SIMS + 12 }), { exact: true })).toBeVisible()

    await page.getByLabel(t('sims.filters.carrier'), { exact: true }).selectOption('orange')
    await expect(page.getByText(t('sims.count', { count: 12 }), { exact: true })).toBeVisible()
    const [a, b] = [...orange.serials].sort((x, y) => x.localeCompare(y, 'en', { numeric: true }))
    await page.getByRole('checkbox', { name: t('sims.selectOne', { sim: a! }) }).click()
    await page.getByRole('checkbox', { name: t('sims.selectOne', { sim: b! }) }).click({ modifiers: ['Control'] })
    await expect(selectionStatus(page, t)).toHaveText(t('sims.selection.count', { count: 2 }))
    await page.getByRole('button', { name: t('sims.import.open') }).click()
    const dialog = page.getByRole('dialog', { name: t('sims.import.title', { count: 2 }) })
    await dialog.getByLabel(t('devices.addForm.type')).fill('bad type!')
    await dialog.getByRole('button', { name: t('sims.import.submit'), exact: true }).click()
    await expect(dialog.getByText(t('devices.addForm.pattern'))).toBeVisible()
    await dialog.getByLabel(t('devices.addForm.type')).fill('tracker')
    await dialog.getByRole('button', { name: t('sims.import.submit'), exact: true }).click()
    await expect(dialog).toBeHidden()
    await expect(page.getByText(t('sims.import.done', { added: 2, existing: 0 }))).toBeVisible()
    await page.getByLabel(t('sims.filters.attached'), { exact: true }).selectOption('yes')
    await expect.poll(() => shownIds(page)).toEqual([a, b])
    await expect(page.getByTestId('sim-row').first()).toContainText(`tracker/${a!}`)
  } finally {
    await orange.close()
  }
})
