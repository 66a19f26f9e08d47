/**
 * Weather at a device's location end to end, against the weather peer (test/peers/weather/) on 127.0.0.1, where plain
 * http:// is allowed: the Weather card in Extensions pointed at the peer and verified, a device placed through its
 * Location section, its Weather panel, then the provider gone and the panel served from the cache "as of" its time
 * with the reason — in English and in French. The Weather Company needs its API key in the OS keychain, so that test
 * needs a D-Bus session with an unlocked keyring (.ci/run provides one); following a platform link's location reports
 * needs Debian's mosquitto.
 */
import type { Locator, Page } from '@playwright/test'
import mqtt from 'mqtt'
import { mosquittoSkipReason, startMosquitto, type Mosquitto } from '../helpers/mosquitto'
import { SITES, TWC_TEST_KEY, startWeatherPeer, type WeatherPeer } from '../peers/weather/weather.peer'
import { expect, test } from './fixtures'
import { addDevice, openDevice, openPage, skipWithoutKeyring } from './steps'

/** What the operator reads and clicks, in each language. */
const WORDS = {
  en: {
    extensions: 'Extensions',
    devices: 'Devices',
    weather: 'Weather',
    terms: /free API is for non-commercial use only/,
    configure: 'Configure',
    settingsDialog: 'Weather settings',
    advanced: 'Advanced',
    openMeteoUrl: 'Open-Meteo free API URL',
    saveSettings: 'Save settings',
    verify: 'Verify',
    verified: (url: string) => `Verified: Open-Meteo answered at ${url}.`,
    addDevice: 'Add device',
    deviceType: 'Device type',
    deviceId: 'Device ID',
    add: 'Add',
    location: 'Location',
    noLocation: 'No location yet.',
    setLocation: 'Set location',
    saveLocation: 'Save location',
    latitudeRange: 'Enter a number from \u221290 to 90.',
    operator: /Set by an operator/,
    phrase: 'Moderate rain',
    windDirection: 'WSW (247°)',
    requested: '48.39°, -4.49°',
    asOf: /As of /,
    valid: /Valid until /,
    // The URL the reading came from leads nowhere now: the cause in words, then where that URL is set.
    fromCache:
      /Shown from the cache: Open-Meteo cannot be reached at http:\/\/127\.0\.0\.1:\d+: the connection was refused\. Check the address and port, and that the service is running\. If the address is wrong, correct the API URL in Extensions → Weather → Configure \(Advanced\)\./,
    refresh: 'Refresh weather',
    attribution: 'Weather data by Open-Meteo.com (CC BY 4.0)',
  },
  fr: {
    extensions: 'Extensions',
    devices: 'Appareils',
    weather: 'Météo',
    terms: /API gratuite d’Open-Meteo est réservée à un usage non commercial/,
    configure: 'Configurer',
    settingsDialog: 'Paramètres météo',
    advanced: 'Avancé',
    openMeteoUrl: 'URL de l’API gratuite Open-Meteo',
    saveSettings: 'Enregistrer les paramètres',
    verify: 'Vérifier',
    verified: (url: string) => `Vérifié\u00a0: Open-Meteo a répondu à ${url}.`,
    addDevice: 'Ajouter un appareil',
    deviceType: 'Type d’appareil',
    deviceId: 'ID de l’appareil',
    add: 'Ajouter',
    location: 'Position',
    noLocation: 'Pas encore de position.',
    setLocation: 'Définir la position',
    saveLocation: 'Enregistrer la position',
    latitudeRange: 'Saisissez un nombre de \u221290 à 90.',
    operator: /Définie par un opérateur/,
    phrase: 'Pluie modérée',
    windDirection: 'OSO (247°)',
    requested: '48,39°\u202f; -4,49°',
    asOf: /Données du /,
    valid: /Valable jusqu’au /,
    fromCache:
      /Affiché depuis le cache\u00a0: Impossible de joindre Open-Meteo à http:\/\/127\.0\.0\.1:\d+\u00a0: la connexion a été refusée\. Vérifiez l’adresse et le port, et que le service est en marche\. Si l’adresse est fausse, corrigez l’URL de l’API dans Extensions → Météo → Configurer \(Avancé\)\./,
    refresh: 'Actualiser la météo',
    attribution: 'Données météo d’Open-Meteo.com (CC BY 4.0)',
  },
} as const

type Words = (typeof WORDS)[keyof typeof WORDS]

let peer: WeatherPeer

test.beforeEach(async () => {
  peer = await startWeatherPeer()
})

test.afterEach(async () => {
  await peer?.close()
})

async function toFrench(page: Page) {
  await openPage(page, 'Settings')
  await page.getByLabel('Language').selectOption({ label: 'Français' })
  await expect(page.locator('html')).toHaveAttribute('lang', 'fr')
}

/** The Weather card pointed at the peer's Open-Meteo, then verified; returns the card. */
async function useOpenMeteoPeer(page: Page, w: Words): Promise<Locator> {
  await page.getByRole('navigation').getByRole('link', { name: w.extensions }).click()
  const card = page.getByRole('region', { name: w.weather })
  await expect(card.getByText(w.terms)).toBeVisible()
  await card.getByRole('button', { name: w.configure }).click()
  const dialog = page.getByRole('dialog', { name: w.settingsDialog })
  await dialog.getByText(w.advanced).click()
  await dialog.getByLabel(w.openMeteoUrl).fill(peer.url)
  await dialog.getByRole('button', { name: w.saveSettings }).click()
  await expect(dialog).toBeHidden()
  await card.getByRole('button', { name: w.verify }).click()
  await expect(card.getByRole('status')).toHaveText(w.verified(peer.url))
  return card
}

async function openNewDevice(page: Page, w: Words, typeId: string, deviceId: string): Promise<void> {
  await page.getByRole('navigation').getByRole('link', { name: w.devices }).click()
  await page.getByRole('button', { name: w.addDevice }).click()
  const dialog = page.getByRole('dialog')
  await dialog.getByLabel(w.deviceType).fill(typeId)
  await dialog.getByLabel(w.deviceId).fill(deviceId)
  await dialog.getByRole('button', { name: w.add, exact: true }).click()
  await page.getByTestId('device-row').filter({ hasText: deviceId }).click()
  await expect(page.getByRole('heading', { name: `${typeId}/${deviceId}`, level: 1 })).toBeVisible()
}

/** Places the device at Brest (the peer's gale) with the keyboard alone; a latitude out of range is refused first. */
async function placeAtBrest(page: Page, w: Words, latitude: string): Promise<Locator> {
  const location = page.getByRole('region', { name: w.location })
  await expect(location.getByText(w.noLocation)).toBeVisible()
  await location.getByRole('button', { name: w.setLocation }).focus()
  await page.keyboard.press('Enter')
  const dialog = page.getByRole('dialog')
  // The latitude has the focus; Tab goes on to the longitude, Enter submits.
  await expect(dialog.getByRole('textbox', { name: 'Latitude' })).toBeFocused()
  await page.keyboard.type('95')
  await page.keyboard.press('Tab')
  await page.keyboard.type('-4.49')
  await page.keyboard.press('Enter')
  await expect(dialog.getByText(w.latitudeRange)).toBeVisible()
  await expect(dialog.getByRole('textbox', { name: 'Latitude' })).toBeFocused()
  await page.keyboard.press('ControlOrMeta+a')
  await page.keyboard.type(latitude)
  await page.keyboard.press('Enter')
  await expect(dialog).toBeHidden()
  await expect(location.getByText(w.operator)).toBeVisible()
  return location
}

/** The panel at Brest, then the provider gone: the same reading, from the cache, as of its time, with the reason. */
async function weatherThenOffline(page: Page, w: Words): Promise<void> {
  const panel = page.getByRole('region', { name: w.weather })
  await expect(panel.getByText(w.phrase, { exact: true })).toBeVisible()
  await expect(panel.getByText(w.windDirection, { exact: true })).toBeVisible()
  await expect(panel.getByText(w.requested, { exact: true })).toBeVisible()
  await expect(panel.getByText(/°C$/).first()).toBeVisible()
  const status = panel.getByRole('status').filter({ hasText: w.asOf })
  await expect(status).toContainText(w.valid)
  await expect(panel.getByRole('link', { name: w.attribution })).toHaveAttribute('href', 'https://open-meteo.com/')

  await peer.close()
  await panel.getByRole('button', { name: w.refresh }).click()
  await expect(status).toContainText(w.fromCache)
  await expect(status).toContainText(w.asOf)
  await expect(panel.getByText(w.phrase, { exact: true })).toBeVisible()
}

test('sets a location, shows the weather there, then from the cache as of its time when the provider is gone; clears it', async ({ app }) => {
  const { page } = app
  await useOpenMeteoPeer(page, WORDS.en)
  await openNewDevice(page, WORDS.en, 'meter', 'brest-1')
  const location = await placeAtBrest(page, WORDS.en, String(SITES.gale.latitude))
  await expect(location.getByRole('definition').filter({ hasText: '48.39°' })).toBeVisible()
  await weatherThenOffline(page, WORDS.en)

  await location.getByRole('button', { name: 'Clear location' }).click()
  const confirm = page.getByRole('dialog', { name: 'Clear the location of meter/brest-1?' })
  await expect(confirm.getByRole('button', { name: 'Cancel' })).toBeFocused()
  await confirm.getByRole('button', { name: 'Clear location' }).click()
  await expect(location.getByText('No location yet.')).toBeVisible()
  await expect(page.getByRole('region', { name: 'Weather' })).toHaveCount(0)

  await openPage(page, 'Activity')
  // In the trail itself: the Action filter offers the same words.
  const trail = page.getByRole('list', { name: 'Activity log, newest first' })
  await expect(trail.getByText('Device location cleared').first()).toBeVisible()
  await expect(trail.getByText('Device location set').first()).toBeVisible()
})

test('in French: sets a location with a decimal comma, shows the weather in French, then from the cache', async ({ app }) => {
  const { page } = app
  await toFrench(page)
  await useOpenMeteoPeer(page, WORDS.fr)
  await openNewDevice(page, WORDS.fr, 'compteur', 'brest-2')
  const location = await placeAtBrest(page, WORDS.fr, '48,39')
  await expect(location.getByRole('definition').filter({ hasText: '48,39°' })).toBeVisible()
  await weatherThenOffline(page, WORDS.fr)
})

test('The Weather Company: a refused key is named with TWC’s code; with the right key, unlimited visibility and a calm wind in words', async ({ app }) => {
  skipWithoutKeyring()
  const { page } = app
  await openPage(page, 'Extensions')
  const card = page.getByRole('region', { name: 'Weather' })
  await card.getByRole('button', { name: 'Configure' }).click()
  let dialog = page.getByRole('dialog', { name: 'Weather settings' })
  await dialog.getByLabel('Provider').selectOption({ label: 'The Weather Company (Data API v3, API key)' })
  // The key is required before anything is sent.
  await dialog.getByRole('button', { name: 'Save settings' }).click()
  await expect(dialog.getByText('The Weather Company needs its API key.')).toBeVisible()
  await expect(dialog.getByLabel('API key of The Weather Company')).toBeFocused()
  await dialog.getByLabel('API key of The Weather Company').fill('not-the-key')
  await dialog.getByText('Advanced').click()
  await dialog.getByLabel('The Weather Company API URL').fill(peer.url)
  await dialog.getByRole('button', { name: 'Save settings' }).click()
  await expect(dialog).toBeHidden()
  await expect(card.getByText(/non-commercial/)).toHaveCount(0)
  await expect(card.getByRole('definition').filter({ hasText: 'The Weather Company' })).toBeVisible()
  await expect(card.getByText('not-the-key')).toHaveCount(0)

  await card.getByRole('button', { name: 'Verify' }).click()
  await expect(card.getByRole('status')).toContainText('Verification failed: The Weather Company refused the API key')
  await expect(card.getByRole('status')).toContainText('CDN-0001')

  await card.getByRole('button', { name: 'Configure' }).click()
  dialog = page.getByRole('dialog', { name: 'Weather settings' })
  await expect(dialog.getByLabel('API key of The Weather Company')).toHaveValue('')
  await expect(dialog.getByLabel('API key of The Weather Company')).toHaveAttribute('placeholder', /leave empty to keep/)
  await dialog.getByLabel('API key of The Weather Company').fill(TWC_TEST_KEY)
  await dialog.getByRole('button', { name: 'Save settings' }).click()
  await expect(dialog).toBeHidden()
  await card.getByRole('button', { name: 'Verify' }).click()
  await expect(card.getByRole('status')).toHaveText(`Verified: The Weather Company answered at ${peer.url}.`)

  await openPage(page, 'Devices')
  await addDevice(page, 'station', 'paranal')
  await openDevice(page, 'paranal')
  await page.getByRole('region', { name: 'Location' }).getByRole('button', { name: 'Set location' }).click()
  let form = page.getByRole('dialog')
  await form.getByLabel('Latitude').fill(String(SITES.clear.latitude))
  await form.getByLabel('Longitude').fill(String(SITES.clear.longitude))
  await form.getByRole('button', { name: 'Save location' }).click()
  const panel = page.getByRole('region', { name: 'Weather' })
  await expect(panel.getByText('The Weather Company', { exact: true })).toBeVisible()
  await expect(panel.getByRole('definition').filter({ hasText: 'Unlimited' })).toBeVisible()
  await expect(panel.getByText('The provider answers for the point itself.')).toBeVisible()
  await expect(panel.getByRole('link', { name: 'Weather data provided by The Weather Company' })).toHaveAttribute('href', 'https://weather.com/')

  // The device moves to the peer's still day: the panel follows the new location.
  await page.getByRole('region', { name: 'Location' }).getByRole('button', { name: 'Change location' }).click()
  form = page.getByRole('dialog')
  await expect(form.getByLabel('Latitude')).toHaveValue(String(SITES.clear.latitude))
  await form.getByLabel('Latitude').fill(String(SITES.calm.latitude))
  await form.getByLabel('Longitude').fill(String(SITES.calm.longitude))
  await form.getByRole('button', { name: 'Save location' }).click()
  await expect(panel.getByText('45.19°, 5.72°', { exact: true })).toBeVisible()
  await expect(panel.getByRole('definition').filter({ hasText: /^Calm$/ })).toBeVisible()
  await expect(panel.getByRole('definition').filter({ hasText: 'None reported' })).toBeVisible()
})

test.describe('with a broker', () => {
  let broker: Mosquitto

  test.beforeEach(async () => {
    const reason = mosquittoSkipReason()
    test.skip(reason !== null, reason ?? '')
    broker = await startMosquitto()
  })

  test.afterEach(async () => {
    await broker?.stop()
  })

  test('follows a platform link’s location reports from the device page, and shows the one a gateway sends as it arrives', async ({ app }) => {
    const { page } = app
    await useOpenMeteoPeer(page, WORDS.en)
    const platformCard = page.getByRole('region', { name: 'IoT platform (MQTT)' })
    await platformCard.getByRole('button', { name: 'Add' }).click()
    const dialog = page.getByRole('dialog', { name: 'New IoT platform (MQTT) profile' })
    await dialog.getByLabel('Profile name').fill('Lab broker')
    await dialog.getByLabel('Broker URL').fill(broker.url)
    await dialog.getByLabel('Client ID').fill('a:org1:fieldline')
    await dialog.getByRole('button', { name: 'Save profile' }).click()
    await expect(dialog).toBeHidden()
    await expect(platformCard.getByRole('button', { name: 'Follow device locations (Lab broker)' })).toBeVisible()

    await openNewDevice(page, WORDS.en, 'pump', 'p-7')
    const location = page.getByRole('region', { name: 'Location' })
    await location.getByRole('button', { name: 'Follow device locations (Lab broker)' }).click()
    await expect(location.getByRole('status')).toContainText('Followed on Lab broker since')

    const gateway = await mqtt.connectAsync(broker.url, { clientId: 'g:org1:gw:gw1' })
    try {
      const answers: { rc: number; reqId: string }[] = []
      await gateway.subscribeAsync('iotdm-1/type/pump/id/p-7/response', { qos: 1 })
      gateway.on('message', (_topic, payload) => answers.push(JSON.parse(payload.toString()) as { rc: number; reqId: string }))
      // The core subscribes once the link is up; a report sent before that reaches nobody, so the gateway repeats it.
      let n = 0
      await expect(async () => {
        const report = { d: { latitude: SITES.gale.latitude, longitude: SITES.gale.longitude, elevation: 52, measuredDateTime: new Date().toISOString() }, reqId: `loc-${++n}` }
        await gateway.publishAsync('iotdevice-1/type/pump/id/p-7/device/update/location', JSON.stringify(report), { qos: 1 })
        await expect(location.getByText(/Reported by the device/)).toBeVisible({ timeout: 1000 })
      }).toPass({ timeout: 15_000 })
      await expect(location.getByRole('definition').filter({ hasText: '52 m' })).toBeVisible()
      await expect(page.getByRole('region', { name: 'Weather' }).getByText('Moderate rain', { exact: true })).toBeVisible()
      await expect.poll(() => answers.some((a) => a.rc === 200)).toBe(true)
    } finally {
      await gateway.endAsync()
    }

    await openPage(page, 'Extensions')
    await expect(platformCard.getByText(/Followed on Lab broker since/)).toBeVisible()
  })
})

test('the device list shows the weather the panel fetched as columns, and says why a cell is empty', async ({ app }) => {
  const { page } = app
  await useOpenMeteoPeer(page, WORDS.en)
  await openNewDevice(page, WORDS.en, 'meter', 'nowhere-1')
  await openNewDevice(page, WORDS.en, 'meter', 'brest-3')
  await placeAtBrest(page, WORDS.en, String(SITES.gale.latitude))
  const panel = page.getByRole('region', { name: 'Weather' })
  await expect(panel.getByText('Moderate rain', { exact: true })).toBeVisible()

  await page.getByRole('navigation').getByRole('link', { name: 'Devices' }).click()
  await page.getByRole('button', { name: 'Columns', exact: true }).click()
  for (const column of ['Weather', 'Temperature', 'Wind speed', 'Weather as of']) await page.getByRole('checkbox', { name: column, exact: true }).check()
  await expect(page).toHaveURL(/[?&]cols=[^&]*weatherPhrase%2CweatherTemperature%2CweatherWindSpeed%2CweatherAsOf/)
  const brest = page.getByTestId('device-row').filter({ hasText: 'brest-3' })
  await expect(brest).toContainText('Moderate rain')
  await expect(brest).toContainText('72.4 km/h')
  await expect(brest).toContainText(/°C/)
  const nowhere = page.getByTestId('device-row').filter({ hasText: 'nowhere-1' })
  await expect(nowhere.locator('[data-weather="none"]').first()).toHaveAttribute('title', 'No location: set one to see the weather here.')

  // Ordered by wind speed, highest first: the gale, then the device without a reading (empty cells come last).
  await page.getByRole('button', { name: 'Wind speed', exact: true }).click()
  await page.getByRole('button', { name: 'Wind speed', exact: true }).click()
  await expect(page).toHaveURL(/[?&]sort=weatherWindSpeed&desc=1/)
  await expect(page.getByTestId('device-row').first()).toContainText('brest-3')

  // The weather filter, with how many devices are in each state.
  await page.getByRole('group', { name: 'Filters' }).getByRole('combobox', { name: 'Weather' }).selectOption({ label: 'No location (1)' })
  await expect(page).toHaveURL(/[?&]weather=none/)
  await expect(page.getByTestId('device-row')).toHaveCount(1)
  await expect(page.getByTestId('device-row')).toContainText('nowhere-1')
  await page.getByRole('group', { name: 'Filters' }).getByRole('combobox', { name: 'Weather' }).selectOption({ label: 'Any weather' })
  await expect(page.getByTestId('device-row')).toHaveCount(2)

  // With the provider gone the list still shows the cached weather: it never asks the provider.
  await peer.close()
  await page.reload()
  await page.waitForSelector('[data-app-state="ready"]')
  await expect(page.getByTestId('device-row').filter({ hasText: 'brest-3' })).toContainText('72.4 km/h')
})
