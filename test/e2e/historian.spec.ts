/**
 * Historical data storage end to end, through the UI, in English and in French: a platform (MQTT) profile for a Debian
 * mosquitto the spec starts, a Cloudant/CouchDB destination on the CouchDB peer (express-pouchdb behind a front that
 * fakes IBM Cloud IAM; plain http:// is allowed on 127.0.0.1) verified with its IAM API key, a forwarder whose rule is
 * written with the keyboard alone, the forwarder started from the card, device events published to the broker arriving
 * (the destination's counters), Pause and Resume, the device's history read back from the bucket databases as a table
 * and a chart, exported as CSV, and read from the local copy once the destination is down. Saving the API key puts it
 * in the OS keychain, so the spec needs a D-Bus session with an unlocked keyring (.ci/run provides one).
 */
import { readFile } from 'node:fs/promises'
import type { Locator } from '@playwright/test'
import mqtt from 'mqtt'
import { expect, test } from './fixtures'
import { HISTORIAN_API_KEY, useHistorianWorld } from './historian-world'
import { LANGUAGES, addAndOpenDevice, addPlatform, navigate, switchLanguage, words } from './words'

const world = useHistorianWorld()

/** A cell of a table row, by its column's header (the DataTable's columns are in a fixed order). */
function cell(row: Locator, index: number): Locator {
  return row.getByRole('cell').nth(index)
}

for (const language of LANGUAGES) {
  test(`${language}: configure CouchDB, start the historian, see a device's events arrive, read its history as a table and a chart, export it, read it offline`, async ({ app }) => {
    test.setTimeout(150_000)
    const { page } = app
    const t = words(language)
    const peer = world.couch
    await switchLanguage(page, language)
    await navigate(page, t, 'extensions')
    await addPlatform(page, t, world.broker.url)

    const card = page.getByRole('region', { name: t('historian.card.title') })
    await expect(card.getByRole('status').first()).toContainText(t('historian.states.stopped'))

    // The destination: a missing API key is named at its field before anything is sent.
    const couchGroup = card.getByRole('region', { name: t('historian.card.couch') })
    await expect(couchGroup.getByText(t('historian.card.noCouch'))).toBeVisible()
    await couchGroup.getByRole('button', { name: t('extensions.add') }).click()
    const couchDialog = page.getByRole('dialog', { name: t('historian.couch.addTitle') })
    await couchDialog.getByLabel(t('profiles.form.name')).fill('Lab history')
    await couchDialog.getByLabel(t('historian.couch.url')).fill(peer.url)
    await couchDialog.getByLabel(t('historian.couch.dbName')).fill('e2e')
    await couchDialog.getByLabel(t('historian.couch.timeZone')).fill('Europe/Paris')
    await couchDialog.getByText(t('profiles.form.advanced')).click()
    await couchDialog.getByLabel(t('historian.couch.iamUrl')).fill(peer.iamUrl)
    await couchDialog.getByRole('button', { name: t('profiles.form.save') }).click()
    await expect(couchDialog.getByText(t('historian.apiKeyRequired'))).toBeVisible()
    await expect(couchDialog.getByLabel(t('historian.couch.apiKey'))).toBeFocused()
    await couchDialog.getByLabel(t('historian.couch.apiKey')).fill(HISTORIAN_API_KEY)
    await couchDialog.getByRole('button', { name: t('profiles.form.save') }).click()
    await expect(couchDialog).toBeHidden()
    const destination = couchGroup.getByRole('article', { name: 'Lab history' })
    await expect(destination.getByText(t('historian.card.apiKeySet'), { exact: false })).toBeVisible()
    await expect(page.getByText(HISTORIAN_API_KEY)).toHaveCount(0)
    await destination.getByRole('button', { name: t('extensions.verify') }).click()
    await expect(destination.getByRole('status')).toContainText(t('historian.card.verifiedContacted', { where: peer.url }))

    // The forwarder, written with the keyboard alone: its first rule names the destination already.
    const forwarders = card.getByRole('region', { name: t('historian.card.forwarders') })
    await forwarders.getByRole('button', { name: t('extensions.add') }).focus()
    await page.keyboard.press('Enter')
    const forwarderDialog = page.getByRole('dialog', { name: t('historian.forwarder.addTitle') })
    await expect(forwarderDialog.getByLabel(t('profiles.form.name'))).toBeFocused()
    await page.keyboard.type('Plant')
    const rule = forwarderDialog.getByRole('group', { name: t('historian.forwarder.rule', { n: 1 }) })
    await expect(rule.getByRole('checkbox', { name: t('historian.forwarder.couchDestination', { name: 'Lab history' }) })).toBeChecked()
    await rule.getByLabel(t('historian.forwarder.deviceType')).focus()
    await page.keyboard.press('ControlOrMeta+a')
    await page.keyboard.type('meter')
    // A second rule without a destination is refused at its field; removed, the form saves.
    await forwarderDialog.getByRole('button', { name: t('historian.forwarder.addRule') }).focus()
    await page.keyboard.press('Enter')
    const second = forwarderDialog.getByRole('group', { name: t('historian.forwarder.rule', { n: 2 }) })
    await expect(second.getByLabel(t('historian.forwarder.deviceType'))).toBeFocused()
    await page.keyboard.press('Enter')
    await expect(second.getByText(t('historian.forwarder.noDestination'))).toBeVisible()
    await second.getByRole('button', { name: t('historian.forwarder.removeRule') }).focus()
    await page.keyboard.press('Enter')
    await expect(second).toHaveCount(0)
    await rule.getByLabel(t('historian.forwarder.eventId')).focus()
    await page.keyboard.press('Enter')
    await expect(forwarderDialog).toBeHidden()
    const plant = forwarders.getByRole('article', { name: 'Plant' })
    await expect(plant).toContainText(t('historian.card.rule', { type: 'meter', event: '*', destinations: 'Lab history' }))

    // Started, the forwarder subscribes to the broker and shows its destination.
    const run = card.getByRole('region', { name: t('historian.run.title') })
    await run.getByRole('button', { name: t('historian.run.start'), exact: true }).click()
    await expect(run.getByRole('status').first()).toContainText(t('historian.states.running'))
    await expect(run.getByRole('definition').filter({ hasText: t('historian.mqttStates.connected') })).toBeVisible()
    const row = run.getByRole('row', { name: /Lab history/ })
    await expect(cell(row, 0)).toContainText(t('historian.destinationStates.connected'))

    // A device, and its events published to the broker: they are stored, and counted as such.
    await addAndOpenDevice(page, t, 'meter', 'm-1')
    const sensor = await mqtt.connectAsync(world.broker.url, { clientId: `d:org1:meter:m-1-${language}` })
    try {
      for (const n of [0, 1, 2]) await sensor.publishAsync('iot-2/type/meter/id/m-1/evt/status/fmt/json', JSON.stringify({ d: { temp: 20 + n * 1.5 }, seq: n }), { qos: 1 })
      await sensor.publishAsync('iot-2/type/pump/id/p-1/evt/status/fmt/json', '{"on": true}', { qos: 1 })
      // An event id the platform would not allow: acknowledged by the broker, not stored, and counted where it shows.
      await sensor.publishAsync('iot-2/type/meter/id/m-1/evt/=2-5/fmt/json', '{}', { qos: 1 })
    } finally {
      await sensor.endAsync()
    }
    await navigate(page, t, 'extensions')
    await expect(cell(row, 2)).toHaveText('3')
    await expect(cell(row, 3)).toHaveText(t('historian.run.queueDepth', { queued: '0', size: new Intl.NumberFormat(language).format(1_000_000) }))
    await expect(run.getByRole('definition').filter({ hasText: t('historian.run.receivedDetail', { received: 4, unmatched: 1, failures: 0 }) })).toBeVisible()
    await expect(run.getByRole('definition').filter({ hasText: t('historian.run.unreadableTopics', { count: 1, topic: 'iot-2/type/meter/id/m-1/evt/=2-5/fmt/json' }) })).toBeVisible()

    // Paused, then resumed: the state follows, by name.
    await row.getByRole('button', { name: t('historian.run.pause', { name: 'Lab history' }) }).click()
    await expect(cell(row, 0)).toContainText(t('historian.destinationStates.paused'))
    await row.getByRole('button', { name: t('historian.run.resume', { name: 'Lab history' }) }).click()
    await expect(cell(row, 0)).not.toContainText(t('historian.destinationStates.paused'))

    // The device's history, read back from the bucket databases: a table and a chart of its numeric field.
    await navigate(page, t, 'devices')
    await page.getByTestId('device-row').filter({ hasText: 'm-1' }).click()
    const history = page.getByRole('region', { name: t('historian.history.title') })
    await history.getByRole('button', { name: t('historian.history.show') }).click()
    await expect(history.getByText(t('historian.history.count', { count: 3 }))).toBeVisible()
    const table = history.getByRole('table', { name: t('historian.history.caption') })
    await expect(table.getByRole('row')).toHaveCount(4)
    await expect(history.getByLabel(t('historian.history.field'))).toHaveValue('d.temp')
    const chart = history.getByRole('figure', { name: t('historian.history.chartTitle', { field: 'd.temp' }) })
    await expect(chart).toBeVisible()
    await expect(chart.getByRole('table')).toContainText(new Intl.NumberFormat(language).format(21.5))

    // Exported as CSV: one line per event read, one column per field of its data.
    const [download] = await Promise.all([page.waitForEvent('download'), history.getByRole('button', { name: t('historian.history.export') }).click()])
    const file = await readFile((await download.path())!, 'utf8')
    // UTF-8's byte-order mark first, so a spreadsheet reads accents right.
    expect(file.startsWith('\uFEFF')).toBe(true)
    const csv = file.slice(1).trim().split('\r\n')
    expect(csv[0]).toBe('id,typeId,deviceId,eventId,format,timestamp,data.d.temp,data.seq')
    expect(csv.slice(1).map((line) => line.split(',').slice(3))).toEqual([0, 1, 2].map((n) => ['status', 'json', expect.any(String), String(20 + n * 1.5), String(n)]))

    // The range is written in the window's language, not the browser's: day first in French. A day that does not exist
    // is refused in words; the same events come back from the range typed in the language's order.
    const day = (ms: number) => {
      const d = new Date(ms)
      const [dd, mm] = [d.getDate(), d.getMonth() + 1].map((n) => String(n).padStart(2, '0'))
      return `${language === 'fr' ? `${dd}/${mm}` : `${mm}/${dd}`}/${d.getFullYear()} ${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`
    }
    const fromField = history.getByLabel(t('historian.history.from'), { exact: true })
    const toField = history.getByLabel(t('historian.history.to'), { exact: true })
    await expect(fromField).toHaveValue(/^\d\d\/\d\d\/\d{4} \d\d:\d\d$/)
    const example = language === 'fr' ? '31/12/2026 23:59' : '12/31/2026 23:59'
    await expect(fromField).toHaveAccessibleDescription(t('dates.timeHint', { example }))
    const missing = language === 'fr' ? '31/02/2026 10:00' : '02/31/2026 10:00'
    await toField.fill(missing)
    await history.getByRole('button', { name: t('historian.history.show') }).click()
    await expect(history.getByText(t('dates.noSuchTime', { value: missing, example }))).toBeVisible()
    await expect(toField).toHaveAttribute('aria-invalid', 'true')
    await fromField.fill(day(Date.now() - 86_400_000))
    await toField.fill(day(Date.now() + 86_400_000))
    await history.getByRole('button', { name: t('historian.history.show') }).click()
    await expect(history.getByText(t('historian.history.count', { count: 3 }))).toBeVisible()
    if (language === 'en' && app.serve) {
      // French chosen in another window while this one shows the range: the fields are rewritten day first, the same times.
      const [month, date, rest] = (await fromField.inputValue()).split('/')
      const other = await page.context().newPage()
      await other.goto(app.serve.url)
      await switchLanguage(other, 'fr')
      await expect(page.locator('html')).toHaveAttribute('lang', 'fr')
      await expect(page.getByLabel(words('fr')('historian.history.from'), { exact: true })).toHaveValue(`${date}/${month}/${rest}`)
      await other.getByLabel('Langue').selectOption({ label: 'English' })
      await expect(page.locator('html')).toHaveAttribute('lang', 'en')
      await expect(fromField).toHaveValue(`${month}/${date}/${rest}`)
      await other.close()
    }

    // The destination goes down: the same range comes from the local copy, with the reason and how old it is.
    await peer.stop()
    await history.getByRole('button', { name: t('historian.history.show') }).click()
    const asOf = t('historian.history.asOf', { time: '\u0000' }).split('\u0000')[0]!
    await expect(history.getByRole('status')).toContainText(asOf)
    await expect(history.getByRole('status')).toContainText(t('historian.history.count', { count: 3 }))
    await peer.start()

    // Stopped from the card: nothing is left in the queue.
    await navigate(page, t, 'extensions')
    await run.getByRole('button', { name: t('historian.run.stop'), exact: true }).click()
    await expect(run.getByRole('status').first()).toContainText(t('historian.states.stopped'))
    await expect(page.getByText(t('historian.run.stopped'))).toBeVisible()
    await expect(run.getByText(t('historian.run.waiting'))).toHaveCount(0)

    // Stopped while its destination is paused: the card goes on saying what waits on disk for the next start.
    await run.getByRole('button', { name: t('historian.run.start'), exact: true }).click()
    await expect(run.getByRole('definition').filter({ hasText: t('historian.mqttStates.connected') })).toBeVisible()
    await row.getByRole('button', { name: t('historian.run.pause', { name: 'Lab history' }) }).click()
    await expect(cell(row, 0)).toContainText(t('historian.destinationStates.paused'))
    const later = await mqtt.connectAsync(world.broker.url, { clientId: `d:org1:meter:m-1-${language}-later` })
    try {
      for (const n of [3, 4]) await later.publishAsync('iot-2/type/meter/id/m-1/evt/status/fmt/json', JSON.stringify({ d: { temp: 20 + n * 1.5 }, seq: n }), { qos: 1 })
    } finally {
      await later.endAsync()
    }
    // The depth, and the oldest one's age on its own line in the same cell (one column less: the table fits a 1280 px window).
    await expect(cell(row, 3).locator('.line').first()).toHaveText(t('historian.run.queueDepth', { queued: '2', size: new Intl.NumberFormat(language).format(1_000_000) }))
    await run.getByRole('button', { name: t('historian.run.stop'), exact: true }).click()
    await expect(page.getByText(t('historian.run.stoppedQueued', { count: 2 }))).toBeVisible()
    await expect(run.getByText(t('historian.run.waiting'))).toBeVisible()
    await expect(run.getByText(t('historian.run.waitingCount', { name: 'Lab history', count: 2 }))).toBeVisible()
  })
}
