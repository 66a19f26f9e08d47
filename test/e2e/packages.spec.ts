/**
 * Custom device-management packages and the IoT platform (MQTT broker) profile end to end: the Packages page (add a
 * valid package, refuse an invalid one with line and column and store nothing, replace, edit, export, delete), the
 * platform card in Extensions (verify against a Debian mosquitto the spec starts on 127.0.0.1), uploading a package to
 * the platform's REST API (test/peers/platform-rest) from its page with the keyboard alone, and "Run action" on
 * a device against a simulated managed device — an MQTT client that answers custom actions as a gateway does
 * (docs/wire/platform-mqtt.md §3, docs/wire/dm-packages.md §4) — until the broker goes away. Saving a broker password puts it in the OS keychain, so that test
 * needs a D-Bus session with an unlocked keyring (.ci/run provides one); the others save no secret.
 */
import { readFile } from 'node:fs/promises'
import type { Locator, Page } from '@playwright/test'
import mqtt from 'mqtt'
import { mosquittoSkipReason, selfSignedCert, startMosquitto, type Mosquitto } from '../helpers/mosquitto'
import { missingService } from '../helpers/system'
import { expect, test } from './fixtures'
import { addDevice, openDevice, openPage, setEditorText, skipWithoutKeyring } from './steps'
import { PEER_API_KEY, PEER_TOKEN, startPlatformRestPeer } from '../peers/platform-rest/platform-rest.peer'

const BUNDLE = 'exampleDeviceType-actions-v1'

/**
 * The IBM documentation's own example package (docs/wire/dm-packages.md §4), as test/integration/dm-packages.test.ts has it. The
 * editor gets it on one line: typed into Monaco, line breaks would pick up auto-indentation and closing brackets.
 */
function examplePackage(version = '1.0', indent = 2): string {
  return JSON.stringify(
    {
      bundleId: BUNDLE,
      displayName: { en_US: 'example plugin actions' },
      version,
      provider: 'some company',
      actions: {
        installPlugin: {
          actionDisplayName: { en_US: 'Install Plugin' },
          parameters: [
            { name: 'pluginId', value: '\\w+', required: true },
            { name: 'pluginURI', value: '((http:\\/\\/|https:\\/\\/)(.*)+)', required: true },
          ],
        },
        enablePlugin: { actionDisplayName: { en_US: 'Enable Plugin' }, parameters: [{ name: 'pluginId', value: '\\w+', required: true }] },
        disablePlugin: { actionDisplayName: { en_US: 'Disable Plugin' }, parameters: [{ name: 'pluginId', value: '\\w+', required: true }] },
        uninstallPlugin: { actionDisplayName: { en_US: 'Uninstall Plugin' }, parameters: [{ name: 'pluginId', value: '\\w+', required: true }] },
      },
    },
    null,
    indent,
  )
}

const OTHER_PACKAGE = JSON.stringify(
  { bundleId: 'valve-maintenance', displayName: { en_US: 'Valve maintenance' }, version: '3', actions: { flush: { actionDisplayName: { en_US: 'Flush' } } } },
  null,
  2,
)

function jsonFile(name: string, text: string) {
  return { name, mimeType: 'application/json', buffer: Buffer.from(text) }
}

async function addPackageFile(page: Page, name: string, text: string): Promise<Locator> {
  await page.getByLabel('Package file', { exact: true }).setInputFiles(jsonFile(name, text))
  return page.getByRole('region', { name: 'Added files' })
}

async function addPlatformProfile(page: Page, values: { name: string; url: string; username?: string; password?: string }): Promise<Locator> {
  await openPage(page, 'Extensions')
  const card = page.getByRole('region', { name: 'IoT platform (MQTT)' })
  await card.getByRole('button', { name: 'Add' }).click()
  const dialog = page.getByRole('dialog', { name: 'New IoT platform (MQTT) profile' })
  await dialog.getByLabel('Profile name').fill(values.name)
  await dialog.getByLabel('Broker URL').fill(values.url)
  await dialog.getByLabel('Client ID').fill('a:org1:fieldline')
  if (values.username) await dialog.getByLabel('User name').fill(values.username)
  if (values.password) await dialog.getByLabel('Password/token', { exact: true }).fill(values.password)
  await dialog.getByRole('button', { name: 'Save profile' }).click()
  await expect(dialog).toBeHidden()
  await expect(card.getByRole('heading', { name: values.name })).toBeVisible()
  return card
}

test('adds a valid package, refuses an invalid one with line and column, replaces, edits, exports and deletes', async ({ app, target }) => {
  const { page } = app
  await openPage(page, 'Extensions')
  const card = page.getByRole('region', { name: 'Custom device-management packages' })
  await expect(card.getByText('No packages')).toBeVisible()
  await card.getByRole('link', { name: 'Open packages' }).click()
  await expect(page.getByRole('heading', { name: 'Device-management packages', level: 1 })).toBeVisible()
  await expect(page.getByText('The library is empty.')).toBeVisible()

  let added = await addPackageFile(page, 'example.json', examplePackage())
  await expect(added).toContainText(`example.json: package ${BUNDLE} (version 1.0) added.`)
  const rows = page.getByTestId('package-row')
  await expect(rows).toHaveCount(1)
  await expect(rows.first()).toContainText(BUNDLE)
  await expect(rows.first()).toContainText('example plugin actions')
  await expect(rows.first()).toContainText('some company')
  await expect(rows.first().getByRole('cell').nth(2)).toHaveText('4')

  // A bundle id with a space: refused where it is, and nothing is stored.
  added = await addPackageFile(page, 'broken.json', examplePackage().replace(`"${BUNDLE}"`, '"bad id!"'))
  await expect(added).toContainText('broken.json was not added: 1 error. Nothing was stored.')
  await expect(added.getByText('line 2, column 15')).toBeVisible()
  await expect(added.getByText('“bundleId” contains a space or another invisible character (U+0020)')).toBeVisible()
  await expect(rows).toHaveCount(1)

  // Too big: refused before it is read, in the core's words.
  added = await addPackageFile(page, 'huge.json', ' '.repeat(5 * 1024 * 1024 + 1))
  await expect(added).toContainText('huge.json was not added: The package is 5,242,881 bytes; packages larger than 5 MB are refused without being read. Nothing was stored.')
  await expect(rows).toHaveCount(1)

  // The same bundle again: the operator chooses. Cancel keeps the old one, Replace takes the new one.
  await addPackageFile(page, 'example-v2.json', examplePackage('2.0'))
  let conflict = page.getByRole('dialog', { name: `Package ${BUNDLE} already exists` })
  await expect(conflict).toContainText('(version 1.0)')
  await conflict.getByRole('button', { name: 'Cancel' }).click()
  await expect(added).toContainText(`example-v2.json: not added; the existing package ${BUNDLE} was kept.`)
  await expect(rows.first().getByRole('cell').first()).toHaveText('1.0')
  await addPackageFile(page, 'example-v2.json', examplePackage('2.0'))
  conflict = page.getByRole('dialog', { name: `Package ${BUNDLE} already exists` })
  await conflict.getByRole('button', { name: 'Replace' }).click()
  await expect(added).toContainText(`example-v2.json: package ${BUNDLE} replaced by version 2.0.`)
  await expect(rows.first().getByRole('cell').first()).toHaveText('2.0')

  // Dropped onto the page, like a file dragged from the file manager.
  const drop = await page.evaluateHandle((text) => {
    // Runs in the page, where DataTransfer exists; the Node typings this file is checked with do not declare it.
    const { DataTransfer: Transfer } = globalThis as unknown as { DataTransfer: new () => { items: { add(file: File): void } } }
    const transfer = new Transfer()
    transfer.items.add(new File([text], 'valve.json', { type: 'application/json' }))
    return transfer
  }, OTHER_PACKAGE)
  await page.getByRole('group', { name: 'Drop package files here' }).dispatchEvent('drop', { dataTransfer: drop })
  await expect(added).toContainText('valve.json: package valve-maintenance (version 3) added.')
  await expect(rows).toHaveCount(2)

  // Electron answers a download with its native save dialog, which a test cannot drive; the browser keeps the file.
  if (target === 'browser') {
    const download = page.waitForEvent('download')
    await page.getByRole('button', { name: `Export ${BUNDLE}` }).click()
    const file = await download
    expect(file.suggestedFilename()).toBe(`${BUNDLE}.json`)
    expect(await readFile(await file.path(), 'utf8')).toBe(examplePackage('2.0'))
  }

  // The editor: the core's diagnostics with their position; a refused save keeps the text.
  await page
    .getByRole('link', { name: `Open ${BUNDLE}` })
    .first()
    .click()
  await expect(page.getByRole('heading', { name: BUNDLE, level: 1 })).toBeVisible()
  await expect(page.locator('.monaco-editor').first()).toContainText('some company')
  await setEditorText(page, examplePackage('2.1', 0).replace('"\\\\w+"', '"[a-z"'))
  await expect(page.getByText(/Not a valid regular expression/).first()).toBeVisible()
  await page.getByRole('button', { name: 'Save package' }).click()
  await expect(page.getByText('The package was not saved. Fix the errors listed below; your text is kept.')).toBeVisible()
  await expect(page.getByRole('button', { name: 'line 1, column 251' })).toBeVisible()
  await expect(page.locator('.monaco-editor').first()).toContainText('[a-z')
  await setEditorText(page, examplePackage('2.1', 0))
  await expect(page.getByText('No problems found.')).toBeVisible()
  await page.getByRole('button', { name: 'Save package' }).click()
  await expect(page.getByRole('status').filter({ hasText: `Package ${BUNDLE} saved.` })).toBeVisible()
  await expect(page.getByRole('definition').filter({ hasText: '2.1' })).toBeVisible()

  // A changed bundle id is refused: the operator is told to add it as a new package.
  await setEditorText(page, examplePackage('2.1', 0).replace(`"${BUNDLE}"`, '"renamed-bundle"'))
  await page.getByRole('button', { name: 'Save package' }).click()
  await expect(page.getByText(`The bundle id cannot change from ${BUNDLE} to renamed-bundle; add it as a new package instead.`)).toBeVisible()

  await page.getByRole('link', { name: '← Packages' }).click()
  await page.getByRole('button', { name: 'Delete valve-maintenance' }).click()
  const confirm = page.getByRole('dialog', { name: 'Delete package valve-maintenance?' })
  await confirm.getByRole('button', { name: 'Delete' }).click()
  await expect(confirm).toBeHidden()
  await expect(rows).toHaveCount(1)
  await expect(rows.first()).toContainText(BUNDLE)
})

/** Adds valve-maintenance to the library and a platform profile "Org platform" whose REST API is `restUrl`, with `token`. */
async function packageAndPlatform(page: Page, restUrl: string, token: string): Promise<void> {
  await openPage(page, 'Packages')
  await expect(await addPackageFile(page, 'valve.json', OTHER_PACKAGE)).toContainText('valve.json: package valve-maintenance (version 3) added.')
  await openPage(page, 'Extensions')
  const card = page.getByRole('region', { name: 'IoT platform (MQTT)' })
  await card.getByRole('button', { name: 'Add' }).click()
  const dialog = page.getByRole('dialog', { name: 'New IoT platform (MQTT) profile' })
  await dialog.getByLabel('Profile name').fill('Org platform')
  await dialog.getByLabel('Broker URL').fill('mqtts://org1.messaging.internetofthings.ibmcloud.com:8883')
  await dialog.getByLabel('Client ID').fill('a:org1:fieldline')
  // Derived from the client ID until another address is given.
  await expect(dialog.getByLabel('REST API URL')).toHaveAttribute('placeholder', 'https://org1.internetofthings.ibmcloud.com/api/v0002')
  await dialog.getByLabel('REST API URL').fill(restUrl)
  await dialog.getByLabel('User name').fill(PEER_API_KEY)
  await dialog.getByLabel('Password/token', { exact: true }).fill(token)
  await dialog.getByRole('button', { name: 'Save profile' }).click()
  await expect(dialog).toBeHidden()
}

// Cold trial, in French: a package saved by a Windows editor as Windows-1252 was kept (and could be uploaded) with
// U+FFFD in place of its accents, one saved as "Unicode" (UTF-16) was accepted by the window but refused by the CLI,
// and a package of 1,500 actions counted them "1500".
test('in French, refuses a package file that is not UTF-8 saying what to do, and counts actions with the locale’s grouping', async ({ app }) => {
  const { page } = app
  await openPage(page, 'Settings')
  await page.getByLabel('Language').selectOption({ label: 'Français' })
  await page.getByRole('navigation').getByRole('link', { name: 'Paquets' }).click()
  const added = page.getByRole('region', { name: 'Fichiers ajoutés' })
  const input = page.getByLabel('Fichier de paquet', { exact: true })

  const accented = examplePackage().replace('example plugin actions', 'Pompe à eau')
  await input.setInputFiles({ name: 'latin1.json', mimeType: 'application/json', buffer: Buffer.from(accented, 'latin1') })
  const offset = Buffer.from(accented, 'latin1').indexOf(0xe0)
  await expect(added).toContainText(
    `latin1.json n’a pas été ajouté\u00a0: Ligne 4, octet ${offset}\u00a0: ce n’est pas de l’UTF-8 (octet 0xE0\u202f; peut-être du Latin-1 ou du Windows-1252). Enregistrez le fichier en UTF-8 et ajoutez-le de nouveau. Rien n’a été enregistré.`,
  )
  await input.setInputFiles({ name: 'unicode.json', mimeType: 'application/json', buffer: Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(accented, 'utf16le')]) })
  await expect(added).toContainText('unicode.json n’a pas été ajouté\u00a0: Ce fichier est du texte en UTF-16LE, pas en UTF-8. Enregistrez-le en UTF-8 et ajoutez-le de nouveau.')
  await expect(page.getByTestId('package-row')).toHaveCount(0)

  const actions = Object.fromEntries(Array.from({ length: 1500 }, (_, i) => [`a${i}`, { actionDisplayName: { fr_FR: 'Action' } }]))
  await input.setInputFiles(jsonFile('many.json', JSON.stringify({ bundleId: 'many', displayName: { fr_FR: 'Pompe à eau' }, actions })))
  await expect(page.getByTestId('package-row')).toHaveCount(1)
  await expect(page.getByTestId('package-row').first()).toContainText('Pompe à eau')
  await expect(page.getByTestId('package-row').first().getByRole('cell').nth(2)).toHaveText('1\u202f500')
})

test('uploads a package to the platform from its page with the keyboard alone, sees it marked as there, replaces it there only once confirmed, and removes it', async ({ app }) => {
  // The profile's token goes to the OS keychain.
  skipWithoutKeyring()
  const rest = await startPlatformRestPeer()
  try {
    const { page } = app
    await packageAndPlatform(page, rest.url, PEER_TOKEN)

    await openPage(page, 'Packages')
    await page.getByRole('link', { name: 'Open valve-maintenance', exact: true }).click()
    const state = page.getByTestId('platform-state')
    await expect(state).toHaveText('Not on the platform (Org platform).')

    // From the page's first control, Tab to Upload and press Enter: no pointer.
    await page.getByRole('link', { name: '← Packages' }).focus()
    const upload = page.getByRole('button', { name: 'Upload to platform' })
    for (let i = 0; i < 30 && !(await upload.evaluate((b) => b === b.ownerDocument.activeElement)); i++) await page.keyboard.press('Tab')
    await expect(upload).toBeFocused()
    await page.keyboard.press('Enter')
    await expect(page.getByRole('status').filter({ hasText: 'valve-maintenance was uploaded to Org platform.' })).toBeVisible()
    await expect(state).toHaveText('On the platform (Org platform): the same package as here.')
    expect(rest.bundles()['valve-maintenance']).toMatchObject({ bundleId: 'valve-maintenance', version: '3' })
    await expect(upload).toBeDisabled()

    // Another version kept here: the platform's is replaced only once the operator confirms (focus starts on Cancel).
    await page.getByRole('link', { name: '← Packages' }).click()
    await addPackageFile(page, 'valve-4.json', OTHER_PACKAGE.replace('"version": "3"', '"version": "4"'))
    await page.getByRole('dialog', { name: 'Package valve-maintenance already exists' }).getByRole('button', { name: 'Replace' }).click()
    await page.getByRole('link', { name: 'Open valve-maintenance', exact: true }).click()
    await expect(state).toHaveText('On the platform (Org platform), but the package there differs from this one.')
    await upload.focus()
    await page.keyboard.press('Enter')
    const replace = page.getByRole('dialog', { name: 'Replace valve-maintenance on Org platform?' })
    await expect(replace.getByRole('button', { name: 'Cancel' })).toBeFocused()
    await page.keyboard.press('Tab')
    await expect(replace.getByRole('button', { name: 'Replace on platform' })).toBeFocused()
    await page.keyboard.press('Enter')
    await expect(replace).toBeHidden()
    await expect(state).toHaveText('On the platform (Org platform): the same package as here.')
    expect(rest.bundles()['valve-maintenance']).toMatchObject({ version: '4' })

    // Removed from the platform after its own question; the library keeps the package.
    await page.getByRole('button', { name: 'Remove from platform' }).click()
    await page.getByRole('dialog', { name: 'Remove valve-maintenance from Org platform?' }).getByRole('button', { name: 'Remove from platform' }).click()
    await expect(state).toHaveText('Not on the platform (Org platform).')
    expect(rest.bundles()).not.toHaveProperty('valve-maintenance')
  } finally {
    await rest.close()
  }
})

// Cold trial: with a token the platform refuses, Upload showed the refusal twice, in the status line and in the alert.
test('an upload the platform refuses for its credentials says so once, and uploads nothing', async ({ app }) => {
  skipWithoutKeyring()
  const rest = await startPlatformRestPeer()
  try {
    const { page } = app
    await packageAndPlatform(page, rest.url, 'not-the-token')

    await openPage(page, 'Packages')
    await page.getByRole('link', { name: 'Open valve-maintenance', exact: true }).click()
    const refusal = page.getByText('refused the API key or its token')
    await expect(refusal).toHaveCount(1)
    await page.getByRole('button', { name: 'Upload to platform' }).click()
    await expect(page.getByRole('alert').filter({ hasText: 'refused the API key or its token' })).toBeVisible()
    await expect(refusal).toHaveCount(1)
    expect(rest.bundles()).not.toHaveProperty('valve-maintenance')
  } finally {
    await rest.close()
  }
})

test.describe('with a broker', () => {
  let broker: Mosquitto

  test.beforeEach(async () => {
    const reason = mosquittoSkipReason()
    test.skip(reason !== null, reason ?? '')
  })

  test.afterEach(async () => {
    await broker?.stop()
  })

  test('platform profile: a plain URL to another computer is flagged; TLS without the broker’s CA, then refused credentials, are named; the fixed profile verifies', async ({ app }) => {
    skipWithoutKeyring()
    const pair = await selfSignedCert()
    const noOpenssl = missingService('openssl', pair === null ? 'openssl not found: no certificate for the TLS listener' : null)
    test.skip(noOpenssl !== null, noOpenssl ?? '')
    broker = await startMosquitto({ auth: { username: 'fieldline', password: 'right-token' }, tls: pair! })
    const { page } = app
    await openPage(page, 'Extensions')
    const card = page.getByRole('region', { name: 'IoT platform (MQTT)' })
    await expect(card.getByText('No broker profile yet.')).toBeVisible()
    await card.getByRole('button', { name: 'Add' }).click()
    const dialog = page.getByRole('dialog', { name: 'New IoT platform (MQTT) profile' })
    await dialog.getByLabel('Profile name').fill('Plant broker')
    await dialog.getByLabel('Broker URL').fill('mqtt://broker.example.com:1883')
    await expect(dialog.getByRole('alert')).toContainText('Unencrypted — leaves this computer')
    await dialog.getByLabel('Client ID').fill('d:org1:pump:p-1')
    await dialog.getByRole('button', { name: 'Save profile' }).click()
    await expect(dialog.getByText('“d:org1:pump:p-1” is not an application client ID')).toBeVisible()
    await expect(dialog.getByLabel('Client ID')).toBeFocused()
    await dialog.getByLabel('Client ID').fill('a:org1:fieldline')
    await dialog.getByLabel('Broker URL').fill(broker.tlsUrl ?? '')
    await expect(dialog.getByText('Unencrypted — leaves this computer')).toHaveCount(0)
    await dialog.getByLabel('User name').fill('fieldline')
    await dialog.getByLabel('Password/token', { exact: true }).fill('wrong-token')
    await dialog.getByRole('button', { name: 'Save profile' }).click()
    await expect(dialog).toBeHidden()

    await expect(card.getByText('TLS', { exact: true })).toBeVisible()
    await expect(card.getByText('Password/token set')).toBeVisible()
    await expect(page.getByText('wrong-token')).toHaveCount(0)
    // The broker's certificate comes from a CA nobody trusts yet.
    await card.getByRole('button', { name: 'Verify connection' }).click()
    await expect(card.getByRole('status').filter({ hasText: /The secure connection to the broker .* could not be verified/ })).toBeVisible()

    await card.getByRole('button', { name: 'Edit' }).click()
    let edit = page.getByRole('dialog', { name: 'Edit profile Plant broker' })
    await edit.getByLabel('Custom CA (PEM)').fill(pair!.cert)
    await edit.getByRole('button', { name: 'Save profile' }).click()
    await expect(edit).toBeHidden()
    await expect(card.getByText('Custom CA set')).toBeVisible()
    await card.getByRole('button', { name: 'Verify connection' }).click()
    await expect(card.getByRole('status').filter({ hasText: /refused the user name and password/ })).toBeVisible()

    await card.getByRole('button', { name: 'Edit' }).click()
    edit = page.getByRole('dialog', { name: 'Edit profile Plant broker' })
    const password = edit.getByLabel('Password/token', { exact: true })
    await expect(password).toHaveValue('')
    await expect(password).toHaveAttribute('placeholder', /leave empty to keep/)
    await password.fill('right-token')
    await edit.getByRole('button', { name: 'Save profile' }).click()
    await expect(edit).toBeHidden()
    await card.getByRole('button', { name: 'Verify connection' }).click()
    await expect(card.getByRole('status').filter({ hasText: 'Connection verified' })).toBeVisible()

    await card.getByRole('button', { name: 'Delete' }).click()
    await page.getByRole('dialog', { name: 'Delete profile Plant broker?' }).getByRole('button', { name: 'Delete' }).click()
    await expect(card.getByText('No broker profile yet.')).toBeVisible()
  })

  test('runs actions on a device marked as supporting the bundle: values checked first, then 200, 501, a timeout, and not connected once the broker is gone', async ({ app }) => {
    broker = await startMosquitto()
    // A gateway-managed device: receives iotdm-1/type/T/id/D/mgmt/custom/…, answers on iotdevice-1/type/T/id/D/response.
    const answers: Record<string, number | 'never'> = { installPlugin: 200, disablePlugin: 501, uninstallPlugin: 'never' }
    const received: { action: string; fields: { field: string; value: string }[] }[] = []
    const device = await mqtt.connectAsync(broker.url, { clientId: 'g:org1:gw:gw1' })
    try {
      await device.subscribeAsync('iotdm-1/type/pump/id/p-1/mgmt/custom/#', { qos: 1 })
      device.on('message', (topic, payload) => {
        const body = JSON.parse(payload.toString()) as { d: { fields: { field: string; value: string }[] }; reqId: string }
        const action = topic.split('/').pop() ?? ''
        received.push({ action, fields: body.d.fields })
        const answer = answers[action]
        if (typeof answer === 'number') void device.publishAsync('iotdevice-1/type/pump/id/p-1/response', JSON.stringify({ rc: answer, reqId: body.reqId }), { qos: 1 })
      })

      const { page } = app
      await openPage(page, 'Packages')
      await addPackageFile(page, 'example.json', examplePackage())
      await expect(page.getByTestId('package-row')).toHaveCount(1)
      await openPage(page, 'Devices')
      await addDevice(page, 'pump', 'p-1')
      await openDevice(page, 'p-1')

      const management = page.getByRole('region', { name: 'Device management' })
      await expect(management.getByRole('button', { name: 'Run action' })).toHaveCount(0)
      await management.getByRole('checkbox', { name: BUNDLE }).check()
      await management.getByRole('button', { name: 'Save supported packages' }).click()
      await expect(page.getByRole('status').filter({ hasText: 'Supported packages saved.' })).toBeVisible()

      const run = management.getByRole('region', { name: `example plugin actions (${BUNDLE})` })
      await expect(run.getByLabel('Action', { exact: true })).toHaveValue('installPlugin')
      // No broker profile yet: the operator is told so, and where to add one.
      await run.getByLabel('pluginId').fill('p1')
      await run.getByLabel('pluginURI').fill('https://example.com/p1.zip')
      await run.getByRole('button', { name: 'Run action' }).click()
      await expect(run.getByRole('status')).toContainText('No IoT platform (MQTT) profile yet: add one in Extensions.')
      await expect(run.getByRole('link', { name: 'Set up the IoT platform in Extensions' })).toBeVisible()

      const card = await addPlatformProfile(page, { name: 'Lab broker', url: broker.url })
      await page.goBack()
      await expect(run.getByLabel('Action', { exact: true })).toBeVisible()
      await expect(management.getByText(`Actions go through Lab broker (${broker.url})`)).toBeVisible()

      // Checked before anything is sent: a value that does not match its pattern, a required value missing.
      await run.getByLabel('pluginId').fill('not valid!')
      await run.getByLabel('pluginURI').fill('')
      await run.getByRole('button', { name: 'Run action' }).click()
      await expect(run.getByText('The value does not match the pattern \\w+ (the whole value must match).')).toBeVisible()
      await expect(run.getByText('A value is required.')).toBeVisible()
      await expect(run.getByLabel('pluginId')).toBeFocused()
      expect(received).toEqual([])

      await run.getByLabel('pluginId').fill('p1')
      await run.getByLabel('pluginURI').fill('https://example.com/p1.zip')
      await run.getByRole('button', { name: 'Run action' }).click()
      await expect(run.getByRole('status')).toContainText('Device response: 200 Success')
      await expect(run.getByRole('status')).toContainText(/Request ID: [0-9a-f-]{36}/)
      expect(received).toEqual([
        {
          action: 'installPlugin',
          fields: [
            { field: 'pluginId', value: 'p1' },
            { field: 'pluginURI', value: 'https://example.com/p1.zip' },
          ],
        },
      ])

      await run.getByLabel('Action', { exact: true }).selectOption('disablePlugin')
      await run.getByLabel('pluginId').fill('p1')
      await run.getByRole('button', { name: 'Run action' }).click()
      await expect(run.getByRole('status')).toContainText('Device response: 501 Not implemented')

      // Silence: the page stays usable while it waits, shows the wait, then says so.
      await run.getByLabel('Action', { exact: true }).selectOption('uninstallPlugin')
      await run.getByLabel('pluginId').fill('p1')
      await run.getByLabel('Timeout (seconds)').fill('3')
      await run.getByRole('button', { name: 'Run action' }).click()
      await expect(run.getByRole('progressbar', { name: 'Waiting for the device’s response' })).toBeVisible()
      await expect(run.getByRole('status')).toContainText('waiting up to 3 s')
      await expect(management.getByRole('checkbox', { name: BUNDLE })).toBeEnabled()
      await expect(run.getByRole('status')).toContainText('No response within 3 s.', { timeout: 15_000 })
      expect(received.map((r) => r.action)).toEqual(['installPlugin', 'disablePlugin', 'uninstallPlugin'])

      // The link the actions used is connected, and the card says so; when the broker goes away, it says that too.
      await openPage(page, 'Extensions')
      await expect(card.getByText('Connected', { exact: true })).toBeVisible()
      await broker.kill()
      await expect(card.getByText('Reconnecting…', { exact: true })).toBeVisible()
      await expect(card.getByText(/The connection to the broker .* was lost/)).toBeVisible()

      // An action meanwhile is not sent, and the operator is told why (the core waits up to 10 s for the link first).
      await page.goBack()
      await run.getByLabel('Action', { exact: true }).selectOption('enablePlugin')
      await run.getByLabel('pluginId').fill('p1')
      await run.getByRole('button', { name: 'Run action' }).click()
      // While the core waits for the link, nothing has left: the page says it is preparing, not "sent" (cold trial).
      await expect(run.getByRole('status')).toContainText('Preparing: setting up the wait for the device’s response; nothing sent yet…')
      await expect(run.getByRole('status')).toContainText('Not connected to the MQTT broker (reconnecting…); the message was not sent.', { timeout: 20_000 })
      await expect(run.getByRole('status')).not.toContainText('Action sent')
      expect(received.map((r) => r.action)).not.toContain('enablePlugin')
    } finally {
      await device.endAsync(true)
    }
  })
})
