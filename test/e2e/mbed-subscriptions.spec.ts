/**
 * mbed subscriptions end to end, through the UI, in English and in French: an mbed profile with one pre-subscription
 * rule (endpoint type Light, one resource path) written and fixed with the keyboard, the bridge started against the
 * strict mbed peer (which delivers a notification only for a subscribed resource, docs/wire/mbed.md §1.4) and a
 * Debian mosquitto, a notification of the covered resource seen on MQTT, the resource unsubscribed from the mbed view
 * and no notification of it after that, and a resource mbed does not observe refused by name (412).
 * Saving the access key puts it in the OS keychain, so the spec needs a D-Bus session with an unlocked keyring.
 */
import { expect, test } from './fixtures'
import { useMbedWorld } from './mbed-world'
import { LANGUAGES, navigate, switchLanguage, words } from './words'

const KEY = 'ak_test_key'
const PATH = '/3311/0/5850'
const world = useMbedWorld()

for (const language of LANGUAGES) {
  test(`${language}: a pre-subscription rule, a notification on MQTT, unsubscribed and silent, a 412 refusal by name`, async ({ app }) => {
    test.setTimeout(120_000)
    const { page } = app
    const mbed = world.peer
    const t = words(language)
    const [light, otherLight] = mbed.endpoints().filter((e) => e.type === 'Light')
    const sensor = mbed.endpoints().find((e) => e.type === 'Sensor')!
    const events = await world.watch('iot-2/type/+/id/+/evt/notify/fmt/json')
    const notified = (ep: string) => events.filter((e) => e.topic === `iot-2/type/Light/id/${ep}/evt/notify/fmt/json`).length
    await switchLanguage(page, language)

    // The platform profile the bridge publishes to.
    await navigate(page, t, 'extensions')
    await page
      .getByRole('region', { name: t('carriers.platform') })
      .getByRole('button', { name: t('extensions.add') })
      .click()
    const platformDialog = page.getByRole('dialog', { name: t('platform.form.addTitle') })
    await platformDialog.getByLabel(t('profiles.form.name')).fill('Local broker')
    await platformDialog.getByLabel(t('platform.form.url')).fill(world.broker.url)
    await platformDialog.getByLabel(t('platform.form.clientId')).fill('a:org1:fieldline')
    await platformDialog.getByRole('button', { name: t('profiles.form.save') }).click()
    await expect(platformDialog).toBeHidden()

    // The mbed profile: the default said in words, then one rule, written with the keyboard.
    const card = page.getByRole('region', { name: t('mbed.card.title') })
    await card.getByRole('button', { name: t('extensions.add') }).click()
    const dialog = page.getByRole('dialog', { name: t('mbed.form.addTitle') })
    await dialog.getByLabel(t('profiles.form.name')).fill('Lab mbed')
    await dialog.getByLabel(t('mbed.form.apiUrl')).fill(mbed.url)
    await dialog.getByLabel(t('mbed.form.accessKey')).fill(KEY)
    await dialog.getByLabel(t('mbed.form.platformProfile')).selectOption({ label: 'Local broker' })
    const subscriptions = dialog.getByRole('group', { name: t('mbed.rules.legend') })
    await expect(subscriptions.getByRole('radio', { name: t('mbed.rules.defaultMode') })).toBeChecked()
    await expect(subscriptions.getByText(t('mbed.rules.defaultHint'))).toBeVisible()
    await subscriptions.getByRole('radio', { name: t('mbed.rules.rulesMode') }).check()
    await expect(subscriptions.getByText(t('mbed.rules.noRule'))).toBeVisible()

    await subscriptions.getByRole('button', { name: t('mbed.rules.add') }).focus()
    await page.keyboard.press('Enter')
    const rule1 = subscriptions.getByRole('group', { name: t('mbed.rules.rule', { n: 1 }) })
    await expect(rule1.getByLabel(t('mbed.rules.name'))).toBeFocused()
    await page.keyboard.press('Tab')
    await expect(rule1.getByLabel(t('mbed.rules.type'))).toBeFocused()
    await page.keyboard.type('Light')
    await page.keyboard.press('Tab')
    // A path without its leading "/": the contract refuses it, and the form says so at the field.
    await page.keyboard.type(PATH.slice(1))
    await page.keyboard.press('Tab')
    await expect(rule1.getByRole('button', { name: t('mbed.rules.removeLabel', { n: 1 }) })).toBeFocused()
    await page.keyboard.press('Tab')
    await page.keyboard.press('Enter')
    const rule2 = subscriptions.getByRole('group', { name: t('mbed.rules.rule', { n: 2 }) })
    await expect(rule2.getByLabel(t('mbed.rules.name'))).toBeFocused()
    await rule2.getByRole('button', { name: t('mbed.rules.removeLabel', { n: 2 }) }).focus()
    await page.keyboard.press('Enter')
    await expect(rule2).toHaveCount(0)
    await expect(rule1.getByRole('button', { name: t('mbed.rules.removeLabel', { n: 1 }) })).toBeFocused()

    await dialog.getByRole('button', { name: t('profiles.form.save') }).click()
    const paths = rule1.getByLabel(t('mbed.rules.paths'))
    await expect(rule1.getByText(t('mbed.presubPathInvalid'))).toBeVisible()
    await expect(paths).toBeFocused()
    await expect(paths).toHaveAttribute('aria-invalid', 'true')
    await paths.fill(PATH)
    await dialog.getByRole('button', { name: t('profiles.form.save') }).click()
    await expect(dialog).toBeHidden()
    await expect(card.getByRole('definition').filter({ hasText: t('mbed.rules.count', { count: 1 }) })).toBeVisible()

    // The bridge subscribes what the rule covers: both Lights' resource, not the Sensor's.
    await navigate(page, t, 'mbed')
    const bridge = page.getByRole('region', { name: t('mbed.view.bridge') })
    await bridge.getByRole('button', { name: t('mbed.view.start') }).click()
    await expect(bridge.getByTestId('mbed-bridge-state')).toHaveText(t('mbed.view.state.running'))
    await expect.poll(() => mbed.subscribed(KEY, light!.name, PATH) && mbed.subscribed(KEY, otherLight!.name, PATH)).toBe(true)
    expect(mbed.subscribed(KEY, sensor.name, '/3303/0/5700')).toBe(false)

    const section = page.getByRole('region', { name: t('mbed.subscriptions.title'), exact: true })
    await expect(section.getByText(t('mbed.subscriptions.modeRules', { count: 1 }))).toBeVisible()
    await expect(section.getByText(t('mbed.subscriptions.rulesWritten'))).toBeVisible()
    const endpoints = section.getByTestId('mbed-subscription-endpoint')
    await expect(endpoints).toHaveCount(4)
    const row = endpoints.filter({ hasText: light!.name })
    await expect(row).toContainText(t('mbed.subscriptions.counts.subscribed', { count: 1 }))
    await row.focus()
    await page.keyboard.press('Enter')
    const resources = section.getByRole('region', { name: t('mbed.subscriptions.resourcesOf', { ep: light!.name }) })
    const resource = resources.getByTestId('mbed-subscription').filter({ hasText: PATH })
    await expect(resource).toContainText(t('mbed.subscriptions.state.subscribed'))
    await expect(resource).toContainText(t('mbed.subscriptions.via.bridge'))

    // A notification of the subscribed resource reaches MQTT.
    mbed.notify(light!.name, PATH, '1')
    await expect.poll(() => notified(light!.name)).toBe(1)

    // Unsubscribed from the view: mbed stops delivering it, and nothing of it reaches MQTT any more. The other Light's
    // notification, sent after it, is what must arrive first to show that.
    await resource.getByRole('button', { name: t('mbed.subscriptions.unsubscribeLabel', { path: PATH, ep: light!.name }) }).click()
    await expect(resource).toContainText(t('mbed.subscriptions.state.unsubscribed'))
    await expect(resource).toContainText(t('mbed.subscriptions.via.operator'))
    await expect.poll(() => mbed.subscribed(KEY, light!.name, PATH)).toBe(false)
    await expect(row).toContainText(t('mbed.subscriptions.counts.unsubscribed', { count: 1 }))
    mbed.notify(light!.name, PATH, '2')
    mbed.notify(otherLight!.name, PATH, '3')
    await expect.poll(() => notified(otherLight!.name)).toBe(1)
    expect(notified(light!.name)).toBe(1)

    // A resource mbed does not observe: refused with its reason, by name.
    await resources.getByLabel(t('mbed.subscriptions.newPath')).fill('/3/0/0')
    await resources.getByRole('button', { name: t('mbed.subscriptions.subscribeNew'), exact: true }).click()
    const refusal = t('mbed.notObservable', { path: '/3/0/0', ep: light!.name })
    await expect(resources.getByRole('status')).toHaveText(t('mbed.subscriptions.outcomeReason', { path: '/3/0/0', state: t('mbed.subscriptions.state.refused'), reason: refusal }))
    const refused = resources.getByTestId('mbed-subscription').filter({ hasText: '/3/0/0' })
    await expect(refused).toContainText(t('mbed.subscriptions.state.refused'))
    await expect(refused).toContainText(refusal)
    await expect(row).toContainText(t('mbed.subscriptions.counts.refused', { count: 1 }))

    await bridge.getByRole('button', { name: t('mbed.view.stop') }).click()
    await expect(bridge.getByTestId('mbed-bridge-state')).toHaveText(t('mbed.view.state.stopped'))
    await expect(section.getByText(t('mbed.subscriptions.notRunning'))).toBeVisible()
  })
}
