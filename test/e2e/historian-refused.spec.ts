/**
 * A destination that refuses the credentials, as a cold trial in French found it at Playwright's 1280 × 720: the
 * destination stops on the error, and its row says what to do (correct the destination, then Resume: its queue is
 * kept) and keeps Resume within the window; corrected, Resume with the keyboard delivers every event queued meanwhile.
 * Saving the API key needs the OS keychain (.ci/run provides one).
 */
import mqtt from 'mqtt'
import { expect, test } from './fixtures'
import { HISTORIAN_API_KEY, useHistorianWorld } from './historian-world'
import { addPlatform, navigate, switchLanguage, words } from './words'

const world = useHistorianWorld()

test('fr: credentials refused, the row says to correct the destination then Resume, within the window; Resume delivers the queue', async ({ app }) => {
  test.setTimeout(120_000)
  const { page } = app
  const t = words('fr')
  const peer = world.couch
  await switchLanguage(page, 'fr')
  await navigate(page, t, 'extensions')
  await addPlatform(page, t, world.broker.url)
  const card = page.getByRole('region', { name: t('historian.card.title') })

  await card.getByRole('button', { name: t('historian.card.addCouch') }).click()
  const dialog = page.getByRole('dialog', { name: t('historian.couch.addTitle') })
  await dialog.getByLabel(t('profiles.form.name')).fill('Historique labo')
  await dialog.getByLabel(t('historian.couch.url')).fill(peer.url)
  await dialog.getByLabel(t('historian.couch.apiKey')).fill(HISTORIAN_API_KEY)
  await dialog.getByText(t('profiles.form.advanced')).click()
  await dialog.getByLabel(t('historian.couch.iamUrl')).fill(peer.iamUrl)
  await dialog.getByRole('button', { name: t('profiles.form.save') }).click()
  await expect(dialog).toBeHidden()

  await card.getByRole('button', { name: t('historian.card.addForwarder') }).click()
  const forwarderDialog = page.getByRole('dialog', { name: t('historian.forwarder.addTitle') })
  await forwarderDialog.getByLabel(t('profiles.form.name')).fill('Transmetteur labo')
  await forwarderDialog
    .getByRole('group', { name: t('historian.forwarder.rule', { n: 1 }) })
    .getByLabel(t('historian.forwarder.deviceType'))
    .fill('meter')
  await forwarderDialog.getByRole('button', { name: t('profiles.form.save') }).click()
  await expect(forwarderDialog).toBeHidden()

  const run = card.getByRole('region', { name: t('historian.run.title'), exact: true })
  await run.getByRole('button', { name: t('historian.run.start'), exact: true }).click()
  const row = run.getByRole('row', { name: /Historique labo/ })
  await expect(row.getByRole('cell').first()).toContainText(t('historian.destinationStates.connected'))

  // The key is revoked while events arrive: CouchDB refuses it, also after a new token.
  peer.fault({ kind: 'status', status: 401, times: 1_000 })
  const sensor = await mqtt.connectAsync(world.broker.url, { clientId: 'd:org1:meter:m-1' })
  try {
    for (const temp of [21, 22, 23]) await sensor.publishAsync('iot-2/type/meter/id/m-1/evt/status/fmt/json', JSON.stringify({ d: { temp } }), { qos: 1 })
  } finally {
    await sensor.endAsync()
  }
  await expect(row.getByRole('cell').first()).toContainText(t('historian.destinationStates.failed'), { timeout: 20_000 })
  await expect(row.getByRole('cell').nth(5)).toContainText(t('historian.run.failedHint'))
  // The reason, the hint and Resume fit 1280 px: no horizontal scrolling, Resume wholly in the window.
  const table = run.locator('.data-table')
  expect(await table.evaluate((el) => el.scrollWidth - el.clientWidth)).toBeLessThanOrEqual(0)
  const resume = row.getByRole('button', { name: t('historian.run.resume', { name: 'Historique labo' }) })
  await expect(resume).toBeInViewport({ ratio: 1 })

  // Corrected (here: the key accepted again), Resume with the keyboard sends the three events that waited.
  peer.clearFaults()
  await resume.focus()
  await page.keyboard.press('Enter')
  await expect(row.getByRole('cell').first()).toContainText(t('historian.destinationStates.connected'), { timeout: 20_000 })
  await expect(row.getByRole('cell').nth(2)).toHaveText('3', { timeout: 20_000 })
  await expect(row.getByRole('cell').nth(3)).toContainText(t('historian.run.queueDepth', { queued: 0, size: new Intl.NumberFormat('fr').format(1_000_000) }))
  await expect(row.getByRole('button', { name: t('historian.run.pause', { name: 'Historique labo' }) })).toBeFocused()
  await expect(row.getByRole('cell').nth(5)).not.toContainText(t('historian.run.failedHint'))
})
