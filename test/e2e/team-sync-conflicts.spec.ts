/**
 * Two operators, two computers: two serve instances (each its own workspace) shown in two browser contexts, syncing
 * with one express-pouchdb server (test/peers/couchdb/, `couchUsers`, the team database set up with its `_security`
 * and validation). Both edit the same device's configuration while the server is down, the server comes back, and the
 * one conflict is shown on both; resolved on one ("Keep mine"), it is gone on both.
 *
 * Both serve instances use the one OS keychain of this session, where the sync password has one entry: the two users
 * therefore share a password here (on two real computers each keychain holds its own).
 */
import type { Page } from '@playwright/test'
import type { CouchPeer } from '../peers/couchdb/couchdb.peer'
import { expect, test } from './fixtures'
import { addDevice, openDevice, openPage, setEditorText, skipWithoutKeyring } from './steps'
import { configureTeamSync, secondComputer, teamServer, type SecondComputer } from './team-sync-server'

const PASSWORD = 'team-pw'
const DB = 'e2e-conflicts'
const DEVICE_ID = 'shared-1'
const DOC_ID = `device:meter:${DEVICE_ID}`
/** What the operator knows the device by: the window names the conflict so, its id second. */
const TITLE = `meter / ${DEVICE_ID}`
/** Live sync retries with back-off up to a minute; after an outage the next attempt may be tens of seconds away. */
const SYNC = { timeout: 90_000 }

let peer: CouchPeer
let second: SecondComputer | null = null

test.beforeEach(async () => {
  skipWithoutKeyring()
  peer = await teamServer(DB)
  await peer.addUser('olga', PASSWORD, ['operator'])
  await peer.addUser('otto', PASSWORD, ['operator'])
})

test.afterEach(async () => {
  await second?.stop()
  second = null
  await peer?.close()
})

async function startTeamSync(page: Page, user: string): Promise<void> {
  await configureTeamSync(page, { url: peer.url, database: DB, user, password: PASSWORD })
  await page.getByRole('region', { name: 'Team sync' }).getByRole('button', { name: 'Start' }).click()
  await expect(syncState(page)).toContainText('Live', SYNC)
}

const syncState = (page: Page) => page.getByRole('region', { name: 'Team sync' }).getByRole('status', { name: 'Team sync state' })

async function editConfiguration(page: Page, iccid: string): Promise<void> {
  await openPage(page, 'Devices')
  await openDevice(page, DEVICE_ID)
  await setEditorText(page, `{"jasper": {"iccid": "${iccid}"}}`)
  await page.getByRole('button', { name: 'Save configuration' }).click()
  await expect(page.getByText('Configuration saved.')).toBeVisible()
}

test('both edit one device offline, come back online: one conflict on both, resolved on one, gone on both', async ({ app }) => {
  test.setTimeout(300_000)
  const a = app.page
  await openPage(a, 'Devices')
  await addDevice(a, 'meter', DEVICE_ID)
  await startTeamSync(a, 'olga')
  await expect.poll(async () => (await peer.docs(DB)).map((d) => d._id), SYNC).toContain(DOC_ID)

  // The second computer: its own serve instance and workspace, in a second browser context.
  second = await secondComputer(a)
  const b = second.page
  await startTeamSync(b, 'otto')
  await openPage(b, 'Devices')
  await expect(b.getByTestId('device-row').filter({ hasText: DEVICE_ID })).toBeVisible(SYNC)

  // The server goes away; both see it and edit the same device meanwhile.
  await peer.stop()
  for (const page of [a, b]) {
    await openPage(page, 'Settings')
    await expect(syncState(page)).toContainText('Offline', SYNC)
  }
  await editConfiguration(a, '89011234567890123456')
  await editConfiguration(b, '89011234567890654321')
  await peer.start()

  for (const page of [a, b]) {
    await openPage(page, 'Settings')
    await expect(page.getByRole('heading', { name: 'Conflicts (1)' })).toBeVisible(SYNC)
    await expect(page.getByRole('button', { name: `Review ${TITLE}` })).toBeVisible()
  }

  // Resolved on A: its version kept, the other removed in one write.
  await a.getByRole('button', { name: `Review ${TITLE}` }).click()
  const dialog = a.getByRole('dialog', { name: `Conflict: ${TITLE}` })
  await expect(dialog.getByText(`Device · ${DOC_ID}`)).toBeVisible()
  await expect(dialog.getByText('89011234567890123456').first()).toBeVisible()
  await expect(dialog.getByText('89011234567890654321').first()).toBeVisible()
  await dialog.getByRole('button', { name: 'Keep mine' }).click()
  await expect(dialog).toBeHidden()
  await expect(a.getByRole('heading', { name: /^Conflicts/ })).toHaveCount(0)

  // Gone on B too, once the resolution has travelled; B's device now holds A's configuration.
  await expect(b.getByRole('heading', { name: /^Conflicts/ })).toHaveCount(0, SYNC)
  await openPage(b, 'Devices')
  await openDevice(b, DEVICE_ID)
  await expect(b.locator('.monaco-editor').first()).toContainText('89011234567890123456')
})
