/**
 * The historian card as a cold trial in French found it, in serve mode at Playwright's 1280 × 720: the CouchDB form says
 * every field's problem on the first save, an empty database name part is "default" as for the command line, each
 * Add says what it adds, a forwarder's rules are one list without rules between its items; with the only destination
 * out of reach, the header warns instead of the success green, and the destinations table fits the window with the
 * reason said once and the next try counted down. Saving the API key needs the OS keychain (.ci/run provides one).
 */
import type { Locator } from '@playwright/test'
import mqtt from 'mqtt'
import { expect, test } from './fixtures'
import { HISTORIAN_API_KEY, useHistorianWorld } from './historian-world'
import { LANGUAGES, addPlatform, navigate, switchLanguage, words } from './words'

for (const language of LANGUAGES) {
  test(`${language}: the CouchDB form names every field's problem on the first save, the first one focused`, async ({ app }) => {
    const { page } = app
    const t = words(language)
    await switchLanguage(page, language)
    await navigate(page, t, 'extensions')
    const card = page.getByRole('region', { name: t('historian.card.title') })
    // Three Add buttons in one card, each saying what it adds.
    await expect(card.getByRole('button', { name: t('historian.card.addForwarder'), exact: true })).toBeVisible()
    await expect(card.getByRole('button', { name: t('historian.card.addKafka'), exact: true })).toBeVisible()
    await card.getByRole('button', { name: t('historian.card.addCouch'), exact: true }).click()
    const dialog = page.getByRole('dialog', { name: t('historian.couch.addTitle') })
    await dialog.getByLabel(t('profiles.form.name')).fill('Historique labo')
    await dialog.getByLabel(t('historian.couch.url')).fill('pas une url')
    await dialog.getByLabel(t('historian.couch.apiKey')).fill(HISTORIAN_API_KEY)
    await dialog.getByLabel(t('historian.couch.dbName')).fill('Labo!')
    await dialog.getByLabel(t('historian.couch.timeZone')).fill('Mars/Olympus')
    await dialog.getByLabel(t('historian.couch.retention')).fill('99999999999999999999')
    await dialog.getByRole('button', { name: t('profiles.form.save') }).click()
    for (const label of ['historian.couch.url', 'historian.couch.dbName', 'historian.couch.timeZone', 'historian.couch.retention']) {
      await expect(dialog.getByLabel(t(label)), label).toHaveAttribute('aria-invalid', 'true')
    }
    await expect(dialog.getByText(t('historian.unknownTimeZone', { zone: 'Mars/Olympus' }))).toBeVisible()
    await expect(dialog.getByLabel(t('historian.couch.url'))).toBeFocused()
    await dialog.getByRole('button', { name: t('common.cancel') }).click()
  })
}

test.describe('with a broker and a CouchDB', () => {
  const world = useHistorianWorld()

  test('fr: an empty name part is "default"; the destination out of reach, the header warns and the table fits 1280 px', async ({ app }) => {
    test.setTimeout(120_000)
    const { page } = app
    const t = words('fr')
    const peer = world.couch
    await switchLanguage(page, 'fr')
    await navigate(page, t, 'extensions')
    await addPlatform(page, t, world.broker.url)
    const card = page.getByRole('region', { name: t('historian.card.title') })

    const couchGroup = card.getByRole('region', { name: t('historian.card.couch') })
    await couchGroup.getByRole('button', { name: t('historian.card.addCouch') }).click()
    const dialog = page.getByRole('dialog', { name: t('historian.couch.addTitle') })
    await dialog.getByLabel(t('profiles.form.name')).fill('Historique labo')
    await dialog.getByLabel(t('historian.couch.url')).fill(peer.url)
    await dialog.getByLabel(t('historian.couch.apiKey')).fill(HISTORIAN_API_KEY)
    await expect(dialog.getByLabel(t('historian.couch.dbName'))).toHaveValue('')
    await dialog.getByText(t('profiles.form.advanced')).click()
    await dialog.getByLabel(t('historian.couch.iamUrl')).fill(peer.iamUrl)
    await dialog.getByRole('button', { name: t('profiles.form.save') }).click()
    await expect(dialog).toBeHidden()
    const destination = couchGroup.getByRole('article', { name: 'Historique labo' })
    await expect(destination.locator('code').filter({ hasText: '_default_' })).toBeVisible()

    // Edited, its databases' layout is shown and kept: they are named after it.
    await destination.getByRole('button', { name: t('extensions.edit') }).click()
    const editDialog = page.getByRole('dialog', { name: t('profiles.form.editTitle', { name: 'Historique labo' }) })
    await expect(editDialog.getByLabel(t('historian.couch.bucketInterval'))).toHaveValue(t('historian.intervals.day'))
    for (const label of ['historian.couch.dbName', 'historian.couch.bucketInterval', 'historian.couch.timeZone']) {
      await expect(editDialog.getByLabel(t(label)), label).toHaveAttribute('readonly', '')
    }
    await expect(editDialog.getByText(t('historian.couch.layoutFixedHint'))).toBeVisible()
    await editDialog.getByRole('button', { name: t('common.cancel') }).click()
    await expect(editDialog).toBeHidden()

    const forwarders = card.getByRole('region', { name: t('historian.card.forwarders') })
    await forwarders.getByRole('button', { name: t('historian.card.addForwarder') }).click()
    const forwarderDialog = page.getByRole('dialog', { name: t('historian.forwarder.addTitle') })
    await forwarderDialog.getByLabel(t('profiles.form.name')).fill('Transmetteur labo')
    const rule = forwarderDialog.getByRole('group', { name: t('historian.forwarder.rule', { n: 1 }) })
    await rule.getByLabel(t('historian.forwarder.deviceType')).fill('meter')
    await forwarderDialog.getByRole('button', { name: t('profiles.form.save') }).click()
    await expect(forwarderDialog).toBeHidden()
    // The rules are one list inside the forwarder's facts: no rule line between them (those separate the forwarders).
    const ruleItem = forwarders.getByRole('article', { name: 'Transmetteur labo' }).getByRole('listitem').first()
    await expect(ruleItem).toHaveCSS('border-top-style', 'none')

    const run = card.getByRole('region', { name: t('historian.run.title'), exact: true })
    // The heading says "Forwarder"; the only profile's name follows once, without the word again (« Transmetteur
    // Transmetteur labo » in the trial).
    const panelHeader = run.locator('.panel-header')
    await expect(panelHeader).toContainText(t('historian.run.profileNamed', { name: 'Transmetteur labo' }))
    await expect(panelHeader).not.toContainText(`${t('historian.run.title')} Transmetteur labo`)
    await run.getByRole('button', { name: t('historian.run.start'), exact: true }).click()
    const row = run.getByRole('row', { name: /Historique labo/ })
    await expect(row.getByRole('cell').first()).toContainText(t('historian.destinationStates.connected'))
    await expect(run.getByRole('status').first()).toHaveText(new RegExp(`^\\s*${t('historian.run.stateLabel')}\\s*${t('historian.states.running')}`))

    // CouchDB goes away while events arrive: the destination backs off.
    await peer.stop()
    const sensor = await mqtt.connectAsync(world.broker.url, { clientId: 'd:org1:meter:m-1' })
    try {
      await sensor.publishAsync('iot-2/type/meter/id/m-1/evt/status/fmt/json', JSON.stringify({ d: { temp: 21 } }), { qos: 1 })
    } finally {
      await sensor.endAsync()
    }
    const state = row.getByRole('cell').nth(0)
    await expect(state).toContainText(t('historian.destinationStates.backingOff'), { timeout: 20_000 })
    // The header says it, not in the success green.
    const header = run.getByRole('status').first()
    await expect(header).toContainText(t('historian.run.destinationsBackingOff', { count: 1, total: 1 }))
    await expect(header.locator('.state')).toHaveClass(/warning/)
    // The next try counts down, its date and time in the tooltip; the reason is said once, under Last error.
    const nextTry = state.locator('[title]')
    await expect(nextTry).toHaveText(/\(nouvel essai (dans \d+\s(s|min)|maintenant)\)/)
    await expect(nextTry).toHaveAttribute('title', /\d{4}/)
    const lastError = row.getByRole('cell').nth(5)
    await expect(lastError).not.toHaveText('—')
    await expect(state.locator('.reason')).toHaveCount(0)
    // Everything on screen at 1280 px: no horizontal scrolling, Pause within the window.
    const table: Locator = run.locator('.data-table')
    expect(await table.evaluate((el) => el.scrollWidth - el.clientWidth)).toBeLessThanOrEqual(0)
    const pause = row.getByRole('button', { name: t('historian.run.pause', { name: 'Historique labo' }) })
    await expect(pause).toBeInViewport({ ratio: 1 })
    await expect(lastError).toBeInViewport()

    await peer.start()
    await run.getByRole('button', { name: t('historian.run.stop'), exact: true }).click()
    await expect(run.getByRole('status').first()).toContainText(t('historian.states.stopped'), { timeout: 30_000 })
  })
})
