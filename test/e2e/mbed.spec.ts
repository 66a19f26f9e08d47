/**
 * The ARM mbed Connector bridge end to end, through the UI: a platform (MQTT) profile for a Debian mosquitto the spec
 * starts on 127.0.0.1, an mbed profile for the wire-faithful mbed peer (plain http:// is allowed on 127.0.0.1) —
 * verified with a refused key (with which the bridge fails, its channel's row saying mbed refused the key), then the
 * right one —, the bridge started from the mbed view, notifications from the peer's devices in the live stream and on
 * an MQTT subscriber, a command refused in the form before anything is sent, and a PUT whose async response comes back answered with status 200; then mbed failing for a while, shown with the
 * bridge's next try, and a cut connection whose reason does not ask to try again; then the broker away through a stop,
 * and the next start saying it delivers the messages kept from the last run first. Saving the access key puts it in
 * the OS keychain, so the spec needs a D-Bus session with an unlocked keyring (.ci/run provides one).
 */
import { CommandJournal, commandJournalDir, journalledCommands } from '../../src-main/core/mbed/command-journal'
import { profileQueueDir } from '../../src-main/core/mbed/queue-dir'
import { expect, test } from './fixtures'
import { useMbedWorld } from './mbed-world'
import { openPage } from './steps'
import { addPlatform, LANGUAGES, navigate, switchLanguage, words } from './words'

const world = useMbedWorld()

test('configure, verify, start the bridge, see notifications arrive, and send a command answered by its async response', async ({ app }) => {
  const { page } = app
  const mbedPeer = world.peer
  const events = await world.watch('iot-2/type/+/id/+/evt/+/fmt/json')
  mbedPeer.setCommandBehaviour((cmd) => (cmd.method === 'PUT' ? { status: 200, payload: `set to ${cmd.body.toString()}`, ct: 'text/plain' } : { status: 204 }))
  const light = mbedPeer.endpoints().find((e) => e.type === 'Light')!
  const sensor = mbedPeer.endpoints().find((e) => e.type === 'Sensor')!

  // The platform profile the bridge publishes to.
  await openPage(page, 'Extensions')
  await addPlatform(page, words('en'), world.broker.url)

  // The mbed profile: a wrong key first, whose refusal is named, then the right one.
  const card = page.getByRole('region', { name: 'ARM mbed Connector' })
  await expect(card.getByText('No mbed profile yet.')).toBeVisible()
  await card.getByRole('button', { name: 'Add' }).click()
  const dialog = page.getByRole('dialog', { name: 'New ARM mbed Connector profile' })
  await expect(dialog.getByLabel('API host')).toHaveValue('https://api.connector.mbed.com')
  await expect(dialog.getByLabel('Default device type')).toHaveValue('mbed')
  // WebSocket is offered only for Pelion/Izuma hosts.
  await expect(dialog.getByLabel('Notification channel').getByRole('option')).toHaveText(['Long poll'])
  await dialog.getByLabel('Host kind').selectOption({ label: 'Pelion/Izuma' })
  await expect(dialog.getByLabel('Notification channel').getByRole('option')).toHaveText(['Long poll', 'WebSocket'])
  await dialog.getByLabel('Host kind').selectOption({ label: 'Connector' })
  await dialog.getByLabel('Profile name').fill('Lab mbed')
  await dialog.getByLabel('API host').fill(mbedPeer.url)
  await dialog.getByLabel('Access key').fill('ak_not_the_key')
  await dialog.getByLabel('Platform profile').selectOption({ label: 'Local broker' })
  await dialog.getByRole('button', { name: 'Save profile' }).click()
  await expect(dialog).toBeHidden()
  await expect(card.getByText('Access key set')).toBeVisible()
  await expect(card.getByRole('definition').filter({ hasText: 'Local broker' })).toBeVisible()
  await expect(page.getByText('ak_not_the_key')).toHaveCount(0)
  await card.getByRole('button', { name: 'Verify connection' }).click()
  // Cold trial: it said what happened, not what to do.
  await expect(card.getByRole('status')).toContainText(
    'mbed refused the access key (HTTP 401). Check the key in the mbed profile (Extensions, ARM mbed Connector, Edit); a key that was revoked or deleted needs a new one.',
  )

  // Started with that key, the bridge fails before its channel starts: the channel's row says why, not "Not started".
  await openPage(page, 'mbed')
  const refused = page.getByRole('region', { name: 'Bridge' })
  await refused.getByRole('button', { name: 'Start' }).click()
  await expect(refused.getByTestId('mbed-bridge-state')).toHaveText('Failed')
  await expect(refused.getByTestId('mbed-bridge-reason')).toHaveText(
    'mbed refused the access key (HTTP 401). Check the key in the mbed profile (Extensions, ARM mbed Connector, Edit); a key that was revoked or deleted needs a new one.',
  )
  await expect(refused.getByText('Long poll — Refused: mbed does not accept the access key')).toBeVisible()
  // A refused key cannot heal by itself: the panel says the bridge waits for the operator, not when it tries again.
  await expect(refused.getByTestId('mbed-bridge-restart')).toHaveText('The bridge does not try again by itself: fix the cause, then press Start.')
  await refused.getByRole('button', { name: 'Stop' }).click()
  await expect(refused.getByTestId('mbed-bridge-state')).toHaveText('Stopped')
  await openPage(page, 'Extensions')

  await card.getByRole('button', { name: 'Edit' }).click()
  const edit = page.getByRole('dialog', { name: 'Edit profile Lab mbed' })
  await expect(edit.getByLabel('Access key')).toHaveAttribute('placeholder', /leave empty to keep/)
  await edit.getByLabel('Access key').fill('ak_test_key')
  await edit.getByRole('button', { name: 'Save profile' }).click()
  await expect(edit).toBeHidden()
  await card.getByRole('button', { name: 'Verify connection' }).click()
  await expect(card.getByRole('status')).toContainText(`Connection verified (Connector at ${mbedPeer.url}, 4 of 100 endpoints registered).`)

  // The bridge.
  await openPage(page, 'mbed')
  await expect(page.getByRole('heading', { name: 'mbed bridge', level: 1 })).toBeVisible()
  const bridge = page.getByRole('region', { name: 'Bridge' })
  await expect(bridge.getByTestId('mbed-bridge-state')).toHaveText('Stopped')
  await bridge.getByRole('button', { name: 'Start' }).click()
  await expect(bridge.getByTestId('mbed-bridge-state')).toHaveText('Running')
  await expect(bridge.getByText('Long poll — Open')).toBeVisible()
  await expect(bridge.getByText('Connected', { exact: true })).toBeVisible()

  // Notifications reach the live stream and the MQTT subscriber, once the bridge has subscribed the resources (mbed,
  // and the strict peer, deliver notifications only for subscribed ones).
  await expect.poll(() => mbedPeer.subscribed('ak_test_key', light.name, '/3311/0/5850') && mbedPeer.subscribed('ak_test_key', sensor.name, '/3303/0/5700')).toBe(true)
  const stream = page.getByRole('region', { name: 'Live notifications' })
  const rows = stream.getByTestId('mbed-notification')
  mbedPeer.notify(light.name, '/3311/0/5850', '1')
  mbedPeer.notify(sensor.name, '/3303/0/5700', JSON.stringify({ celsius: 21.5 }))
  await expect(rows).toHaveCount(2)
  await expect(rows.first()).toContainText(sensor.name)
  await expect(rows.first()).toContainText('{"celsius":21.5}')
  await expect(rows.nth(1)).toContainText('/3311/0/5850')
  await expect
    .poll(() => events.filter((e) => e.topic.endsWith('/evt/notify/fmt/json')).map((e) => e.topic))
    .toEqual([`iot-2/type/Light/id/${light.name}/evt/notify/fmt/json`, `iot-2/type/Sensor/id/${sensor.name}/evt/notify/fmt/json`])
  await expect(bridge.getByTestId('mbed-counter-notifications')).toHaveText('2')
  await expect(bridge.getByTestId('mbed-counter-dropped')).toHaveText('0')

  await stream.getByRole('radio', { name: 'Hex' }).check()
  await expect(rows.nth(1)).toContainText('31')
  await stream.getByRole('radio', { name: 'JSON' }).check()
  await rows.first().click()
  await expect(stream.getByRole('region', { name: 'Notification details' })).toContainText('"celsius": 21.5')
  await stream.getByLabel('Filter by endpoint').fill(light.name)
  await expect(rows).toHaveCount(1)
  await stream.getByLabel('Filter by endpoint').fill('')

  // Paused, new notifications are counted, not shown; they appear on Resume. From the keyboard, the button keeps the
  // focus as it turns from Pause to Resume and back.
  await stream.getByRole('button', { name: 'Pause' }).focus()
  await page.keyboard.press('Space')
  mbedPeer.notify(light.name, '/3311/0/5850', '0')
  await expect(stream.getByText('Paused: 1 new notification not shown.')).toBeVisible()
  await expect(rows).toHaveCount(2)
  await expect(stream.getByRole('button', { name: 'Resume' })).toBeFocused()
  await page.keyboard.press('Enter')
  await expect(rows).toHaveCount(3)
  await expect(stream.getByRole('button', { name: 'Pause' })).toBeFocused()

  // A resource path with a leading '/' is refused in the form: nothing reaches mbed.
  const send = page.getByRole('region', { name: 'Send command' })
  await expect(send.getByLabel('Method')).toHaveValue('PUT')
  await send.getByLabel('Endpoint', { exact: true }).fill(light.name)
  await send.getByLabel('Resource path').fill('/3311/0/5850')
  await send.getByLabel('Payload', { exact: true }).fill('0.75')
  await send.getByRole('button', { name: 'Send command' }).click()
  await expect(send.getByText('The resource path must not start with “/”: write 3311/0/5850.')).toBeVisible()
  await expect(send.getByLabel('Resource path')).toBeFocused()
  await expect(send.getByLabel('Resource path')).toHaveAttribute('aria-invalid', 'true')
  expect(mbedPeer.commands()).toHaveLength(0)

  // Fixed, the PUT goes out with the text as its bytes; the device's async response marks it answered.
  await send.getByLabel('Resource path').fill('3311/0/5850')
  await send.getByRole('button', { name: 'Send command' }).click()
  const pending = page.getByRole('region', { name: 'Pending commands' })
  const command = pending.getByTestId('mbed-command')
  await expect(command).toHaveCount(1)
  await expect(command.getByRole('rowheader')).toHaveText(new RegExp(`^PUT\\s*${light.name}/3311/0/5850$`))
  await expect(command).toContainText('Answered (200)')
  await expect(command).toContainText('set to 0.75')
  await expect(send.getByRole('status')).toContainText('Answered (200)')
  const sent = mbedPeer.commands()
  expect(sent.map((c) => [c.method, c.ep, c.path, c.body.toString()])).toEqual([['PUT', light.name, '/3311/0/5850', '0.75']])
  await expect.poll(() => events.find((e) => e.topic === `iot-2/type/Light/id/${light.name}/evt/asyncResponse/fmt/json`)?.body.status).toBe(200)
  await expect(bridge.getByTestId('mbed-counter-asyncResponses')).toHaveText('1')

  // mbed failing for a while: the reason is shown with the channel's next try, which the bridge makes by itself.
  mbedPeer.faults.set({ kind: 'status', status: 502, path: /notification\/pull/, times: 3 })
  await expect(bridge.getByTestId('mbed-bridge-state')).toHaveText('Degraded')
  await expect(bridge.getByTestId('mbed-bridge-retry')).toHaveText(/^Fieldline tries again by itself at \d\d:\d\d:\d\d: nothing to do unless this lasts\.$/)
  await expect(bridge.getByTestId('mbed-bridge-state')).toHaveText('Running', { timeout: 30_000 })
  await expect(bridge.getByTestId('mbed-bridge-retry')).toHaveCount(0)

  // A connection mbed cuts: the reason says what happened and what to check, not to try again (the bridge does).
  mbedPeer.faults.set({ kind: 'drop', path: /notification\/pull/, times: 3 })
  await expect(bridge.getByTestId('mbed-bridge-reason')).toHaveText(
    /^Cannot reach 127\.0\.0\.1:\d+: the connection was cut off\. If it keeps happening, check the network or proxy between this computer and the service\.$/,
  )
  await expect(bridge.getByTestId('mbed-bridge-retry')).toHaveText(/^Fieldline tries again by itself/)
  await expect(bridge.getByTestId('mbed-bridge-state')).toHaveText('Running', { timeout: 30_000 })

  // Cold trial: a command mbed cannot take said only "PUT …: Failed (502)." where it was sent; the reason was in the list below.
  mbedPeer.faults.set({ kind: 'status', status: 502, path: /\/3311\/0\/5850/, times: 10 })
  await send.getByRole('button', { name: 'Send command' }).click()
  await expect(command).toHaveCount(2)
  await expect(send.getByRole('status')).toHaveText(`PUT ${light.name}/3311/0/5850: Failed (502). mbed is unavailable (HTTP 502).`)
  mbedPeer.faults.clear()

  // The broker away: what the bridge owes it waits on disk, through a stop; the next start says it delivers it first.
  await world.broker.kill()
  await expect(bridge.getByTestId('mbed-bridge-state')).toHaveText('Degraded')
  for (let i = 0; i < 3; i++) mbedPeer.notify(light.name, '/3311/0/5850', String(i))
  await expect(bridge.getByTestId('mbed-counter-queued')).toHaveText('3')
  await bridge.getByRole('button', { name: 'Stop' }).click()
  await expect(bridge.getByTestId('mbed-bridge-state')).toHaveText('Stopped', { timeout: 30_000 })
  await expect(bridge.getByTestId('mbed-bridge-kept')).toHaveCount(0)
  await bridge.getByRole('button', { name: 'Start' }).click()
  await expect(bridge.getByTestId('mbed-bridge-state')).toHaveText('Degraded')
  await expect(bridge.getByTestId('mbed-bridge-kept')).toHaveText('3 messages kept from the last run are being delivered to the broker before anything new: 3 still waiting.')
  await world.broker.start()
  await expect(bridge.getByTestId('mbed-bridge-kept')).toHaveText('The 3 messages kept from the last run are no longer waiting.', { timeout: 60_000 })
  await expect(bridge.getByTestId('mbed-counter-published')).toHaveText('3')

  await bridge.getByRole('button', { name: 'Stop' }).click()
  await expect(bridge.getByTestId('mbed-bridge-state')).toHaveText('Stopped')
})

test('deleting an mbed profile says how many journalled commands it would drop (none, or several), in English and in French; the question is answered from the keyboard and Escape deletes nothing', async ({
  app,
}) => {
  const { page } = app
  const en = words('en')
  await openPage(page, 'Extensions')
  for (const name of ['Lab mbed', 'Spare mbed']) {
    await page
      .getByRole('region', { name: en('mbed.card.title') })
      .getByRole('button', { name: en('extensions.add') })
      .click()
    const form = page.getByRole('dialog', { name: en('mbed.form.addTitle') })
    await form.getByLabel(en('profiles.form.name')).fill(name)
    await form.getByLabel(en('mbed.form.apiUrl')).fill(world.peer.url)
    await form.getByLabel(en('mbed.form.accessKey')).fill('ak_test_key')
    await form.getByRole('button', { name: en('profiles.form.save') }).click()
    await expect(form).toBeHidden()
  }
  // The profiles' ids, as the bridge's choice of profile holds them: where the core keeps each one's queue.
  await navigate(page, en, 'mbed')
  const options = page
    .getByRole('region', { name: en('mbed.view.bridge') })
    .getByLabel(en('mbed.view.profile'))
    .getByRole('option')
  await expect(options).toHaveCount(2)
  const ids = new Map(await options.evaluateAll((all) => all.map((o) => [(o.textContent ?? '').replace(/ \(.*\)$/, ''), o.getAttribute('value') ?? ''] as const)))
  // Three commands for devices taken from the broker by Lab mbed's bridge and not yet sent to mbed, as a bridge killed
  // before it sent them leaves its journal.
  const lab = profileQueueDir(app.dataDir, ids.get('Lab mbed')!)
  const journal = new CommandJournal({ dir: commandJournalDir(lab), capacity: 10 })
  journal.open()
  for (let i = 0; i < 3; i++) journal.take(`iot-2/type/Light/id/ep-${i}/cmd/put/fmt/json`, Buffer.from(`{"n":${i}}`))
  journal.close()

  for (const language of LANGUAGES) {
    const t = words(language)
    await switchLanguage(page, language)
    await navigate(page, t, 'extensions')
    const card = page.getByRole('region', { name: t('mbed.card.title') })
    for (const [name, count] of [
      ['Lab mbed', 3],
      ['Spare mbed', 0],
    ] as const) {
      const remove = card.getByRole('button', { name: t('extensions.deleteNamed', { name }) })
      await remove.focus()
      await page.keyboard.press('Enter')
      const question = page.getByRole('dialog', { name: t('extensions.deleteConfirm', { name }) })
      await expect(question.getByTestId('journalled-commands')).toHaveText(t('mbed.card.deleteCommands', { count }))
      // The focus starts on Cancel, inside the question, and Tab keeps it there.
      const cancel = question.getByRole('button', { name: t('common.cancel') })
      await expect(cancel).toBeFocused()
      await page.keyboard.press('Tab')
      await expect(question.getByRole('button', { name: t('extensions.delete'), exact: true })).toBeFocused()
      await page.keyboard.press('Tab')
      await expect(cancel).toBeFocused()
      await page.keyboard.press('Escape')
      await expect(question).toBeHidden()
      await expect(remove).toBeFocused()
      await expect(card.getByRole('heading', { name, exact: true })).toBeVisible()
    }
  }
  expect(journalledCommands(lab).count).toBe(3)
})
