/**
 * The role the team server gives, reflected in the UI: a viewer's changing controls are off on the devices, packages
 * and profiles views, each described by the banner's reason; a change made before the role was known is refused by
 * the server and said in words; after a serve restart with the sync stopped the remembered role still holds; and a
 * device made before joining is discarded from the refused list, after a question.
 * express-pouchdb with CouchDB users (test/peers/couchdb/, `couchUsers`), the database set up as `sync setup` does.
 */
import AxeBuilder from '@axe-core/playwright'
import type { Page } from '@playwright/test'
import type { CouchPeer } from '../peers/couchdb/couchdb.peer'
import { expect, test } from './fixtures'
import { addDevice, openDevice, openPage, skipWithoutKeyring } from './steps'
import { configureTeamSync, teamServer } from './team-sync-server'

const DB = 'e2e-roles'
const BANNER = 'Team sync: you are a viewer. The team server refuses your changes, so editing is turned off.'
const SYNC = { timeout: 60_000 }

let peer: CouchPeer

test.beforeEach(async () => {
  skipWithoutKeyring()
  peer = await teamServer(DB)
  await peer.addUser('vera', 'vera-pw', ['viewer'])
})

test.afterEach(async () => {
  await peer?.close()
})

async function expectOff(button: ReturnType<Page['getByRole']>): Promise<void> {
  await expect(button).toBeDisabled()
  await expect(button).toHaveAccessibleDescription(new RegExp(BANNER.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
}

async function expectReadOnly(page: Page): Promise<void> {
  await expect(page.getByRole('status').filter({ hasText: BANNER })).toBeVisible()
  await openPage(page, 'Devices')
  await expectOff(page.getByRole('button', { name: 'Add device' }))
  await expectOff(page.getByRole('button', { name: 'Import', exact: true }))
  await openDevice(page, 'v-1')
  await expectOff(page.getByRole('button', { name: 'Delete', exact: true }))
  await expectOff(page.getByRole('button', { name: 'Save configuration' }))
  await openPage(page, 'Packages')
  await expectOff(page.getByRole('button', { name: 'Add package' }))
  await openPage(page, 'Extensions')
  const adds = page.getByRole('main').getByRole('button', { name: 'Add', exact: true })
  await expect(adds.first()).toBeVisible()
  for (const add of await adds.all()) await expectOff(add)
}

test("a viewer's changing controls are off with the reason, a refused change is explained, and the role holds after a restart without sync", async ({ app }) => {
  test.setTimeout(180_000)
  let page = app.page
  await openPage(page, 'Devices')
  await addDevice(page, 'meter', 'v-1')
  await expect(page.getByTestId('device-row').filter({ hasText: 'v-1' })).toBeVisible()

  await configureTeamSync(page, { url: peer.url, database: DB, user: 'vera', password: 'vera-pw' })
  const section = page.getByRole('region', { name: 'Team sync' })
  await section.getByRole('button', { name: 'Start' }).click()
  // The device added before the role was known goes up and is refused: said in words, not only listed.
  await expect(page.getByRole('alert').filter({ hasText: 'The team server refused your change to device:meter:v-1: your role there (viewer) does not allow it' })).toBeVisible(SYNC)
  await expect(section.getByRole('status', { name: 'Team sync state' })).toContainText('Live', SYNC)
  await expectReadOnly(page)
  // The banner, the refusal notices and the disabled controls pass axe as the views do (accessibility.spec.ts).
  const axe = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']).analyze()
  expect(axe.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(' | ')}`)).toEqual([])

  await openPage(page, 'Settings')
  await section.getByRole('button', { name: 'Stop' }).click()
  await expect(section.getByRole('status', { name: 'Team sync state' })).toContainText('Stopped')

  page = await app.restart()
  await openPage(page, 'Settings')
  await expect(page.getByRole('region', { name: 'Team sync' }).getByRole('status', { name: 'Team sync state' })).toContainText('Stopped')
  await expectReadOnly(page)
})

test('a viewer discards a device made here before joining, after a question: gone here, no longer listed as refused; and is not offered to follow locations', async ({ app }) => {
  test.setTimeout(180_000)
  const page = app.page
  await openPage(page, 'Devices')
  await addDevice(page, 'meter', 'v-2')
  // A platform profile from before joining: a viewer's computer records no location report, and says so instead of offering to follow.
  await openPage(page, 'Extensions')
  const platformCard = page.getByRole('region', { name: 'IoT platform (MQTT)' })
  await platformCard.getByRole('button', { name: 'Add' }).click()
  const form = page.getByRole('dialog', { name: 'New IoT platform (MQTT) profile' })
  await form.getByLabel('Profile name').fill('Lab broker')
  await form.getByLabel('Broker URL').fill('mqtt://127.0.0.1:1883')
  await form.getByLabel('Client ID').fill('a:org1:fieldline')
  await form.getByRole('button', { name: 'Save profile' }).click()
  await expect(platformCard.getByRole('button', { name: 'Follow device locations (Lab broker)' })).toBeVisible()
  await configureTeamSync(page, { url: peer.url, database: DB, user: 'vera', password: 'vera-pw' })
  const section = page.getByRole('region', { name: 'Team sync' })
  await section.getByRole('button', { name: 'Start' }).click()
  await expect(section.getByRole('status', { name: 'Team sync state' })).toContainText('Live', SYNC)
  const discard = section.getByRole('button', { name: 'Discard my unsent change to device:meter:v-2' })
  await expect(discard).toBeEnabled(SYNC)

  // Cancel changes nothing.
  await discard.click()
  const dialog = page.getByRole('dialog', { name: 'Discard this computer’s unsent change to device:meter:v-2?' })
  await expect(dialog).toContainText('Nothing is sent to the team')
  const axe = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']).analyze()
  expect(axe.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(' | ')}`)).toEqual([])
  await dialog.getByRole('button', { name: 'Cancel' }).click()
  await expect(dialog).toBeHidden()
  await expect(discard).toBeVisible()

  // The device's own page says it too, and discards it from there, back to the list.
  await openPage(page, 'Devices')
  await openDevice(page, 'v-2')
  await expect(page.getByText('device:meter:v-2: refused by the team server for your role.')).toBeVisible()
  await page.getByRole('button', { name: 'Discard my unsent change to device:meter:v-2' }).click()
  await dialog.getByRole('button', { name: 'Discard the change' }).click()
  await expect(page.getByRole('status').filter({ hasText: 'device:meter:v-2 removed from this computer (the team server never had it).' })).toBeVisible()
  await expect(page.getByRole('heading', { name: 'Devices', level: 1 })).toBeVisible()
  await expect(page.getByTestId('device-row').filter({ hasText: 'v-2' })).toHaveCount(0)
  await openPage(page, 'Settings')
  await expect(discard).toBeHidden()
  // The platform profile made before joining is refused too, and stays listed until discarded in its turn.
  await expect(section.getByRole('heading', { name: 'Refused by the server (1)' })).toBeVisible()
  await expect(section.getByRole('listitem').filter({ hasText: 'device:meter:v-2' })).toHaveCount(0)
  await expect(section.getByRole('button', { name: /^Discard my unsent change to profile:platform:/ })).toBeVisible()
  await openPage(page, 'Extensions')
  await expect(
    platformCard.getByRole('status').filter({ hasText: 'This computer is a viewer on the team server, which refuses its changes to devices: location reports are not recorded here.' }),
  ).toBeVisible()
  await expect(platformCard.getByRole('button', { name: /Follow device locations/ })).toHaveCount(0)
  expect((await peer.docs(DB)).map((d) => d._id)).not.toContain('device:meter:v-2')
})
