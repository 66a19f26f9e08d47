/**
 * Settings → Team sync end to end against express-pouchdb with CouchDB users (test/peers/couchdb/, `couchUsers`) on
 * 127.0.0.1, where plain http:// is allowed: not set up, configured (the password to the OS keychain, so the test
 * needs a D-Bus session with an unlocked keyring), verified with the role the server gives, started until live, a
 * device pushed, stopped; and a missing team database set up from the app by an administrator. English only; the French strings are checked by the i18n tests.
 */
import { startCouchPeer, type CouchPeer } from '../peers/couchdb/couchdb.peer'
import { expect, test } from './fixtures'
import { addDevice, openPage, skipWithoutKeyring } from './steps'

const ADMIN = { name: 'e2e-admin', password: 'e2e-admin-pw' }

let peer: CouchPeer

test.beforeEach(async () => {
  skipWithoutKeyring()
  peer = await startCouchPeer({ couchUsers: { admin: ADMIN.name, password: ADMIN.password } })
  await peer.addUser('olga', 'olga-pw', ['operator'])
  const auth = `Basic ${Buffer.from(`${ADMIN.name}:${ADMIN.password}`).toString('base64')}`
  await fetch(`${peer.url}/e2e-team`, { method: 'PUT', headers: { authorization: auth } })
})

test.afterEach(async () => {
  await peer?.close()
})

test('configure team sync, verify the role, start until live, see a device reach the server, stop', async ({ app }) => {
  const { page } = app
  await addDevice(page, 'meter', 'sync-1')
  await openPage(page, 'Settings')
  const section = page.getByRole('region', { name: 'Team sync' })
  await expect(section.getByText('Team sync is not set up yet: join your team with the code from your invitation email')).toBeVisible()
  // Not "Stopped": there is nothing to start yet.
  await expect(section.getByRole('status', { name: 'Team sync state' })).toHaveText('Not set up')

  await section.getByRole('button', { name: 'Configure' }).click()
  const dialog = page.getByRole('dialog', { name: 'Team sync settings' })
  await dialog.getByLabel('Server URL').fill('http://couch.example.com')
  await dialog.getByLabel('Database').fill('e2e-team')
  await dialog.getByLabel('User name').fill('olga')
  await dialog.getByLabel('Password').fill('olga-pw')
  await dialog.getByRole('button', { name: 'Save' }).click()
  // Plain http:// goes to this computer only.
  await expect(dialog.getByText('Credentials may only be sent over https:// (plain http:// is accepted for this computer only): http://couch.example.com')).toBeVisible()
  await dialog.getByLabel('Server URL').fill(peer.url)
  await dialog.getByRole('button', { name: 'Save' }).click()
  await expect(dialog).toBeHidden()
  await expect(page.getByText('olga-pw')).toHaveCount(0)
  await expect(section.getByRole('status', { name: 'Team sync state' })).toHaveText('Stopped')

  await section.getByRole('button', { name: 'Verify' }).click()
  await expect(section.getByText('Signed in as olga, role: operator.')).toBeVisible()
  await expect(section.getByRole('button', { name: 'Set up the team database' })).toHaveCount(0)
  // Not started yet, nothing is counted: said once, not as "unknown to send, unknown to receive".
  await expect(section.getByRole('definition').filter({ hasText: 'not known while the sync is stopped' })).toBeVisible()
  await section.getByRole('button', { name: 'Start' }).click()
  await expect(section.getByRole('status', { name: 'Team sync state' })).toContainText('Live', { timeout: 20_000 })
  await expect.poll(async () => (await peer.docs('e2e-team')).map((d) => d._id), { timeout: 20_000 }).toContain('device:meter:sync-1')
  await section.getByRole('button', { name: 'Stop' }).click()
  await expect(section.getByRole('status', { name: 'Team sync state' })).toContainText('Stopped')
})

test('an administrator sets up a missing team database from the app: the start said it was missing and who sets it up', async ({ app }) => {
  const { page } = app
  await openPage(page, 'Settings')
  const section = page.getByRole('region', { name: 'Team sync' })
  await section.getByRole('button', { name: 'Configure' }).click()
  const dialog = page.getByRole('dialog', { name: 'Team sync settings' })
  await dialog.getByLabel('Server URL').fill(peer.url)
  await dialog.getByLabel('Database').fill('e2e-new-team')
  await dialog.getByLabel('User name').fill(ADMIN.name)
  await dialog.getByLabel('Password').fill(ADMIN.password)
  await dialog.getByRole('button', { name: 'Save' }).click()
  await expect(dialog).toBeHidden()

  const setUp = section.getByRole('button', { name: 'Set up the team database' })
  // A verification that reads the administrator role offers the step at once (the status carries the role it read).
  await expect(setUp).toHaveCount(0)
  await section.getByRole('button', { name: 'Verify' }).click()
  await expect(section.getByText(`Signed in as ${ADMIN.name}, role: administrator.`)).toBeVisible()
  await expect(setUp).toBeVisible()
  await section.getByRole('button', { name: 'Start' }).click()
  const state = section.getByRole('status', { name: 'Team sync state' })
  await expect(state).toContainText('The team database does not exist yet. An administrator of the team server sets it up', { timeout: 20_000 })
  await setUp.click()
  await expect(page.getByText('The team database e2e-new-team was created on the server, with its access rules. Start the sync.')).toBeVisible()
  const auth = `Basic ${Buffer.from(`${ADMIN.name}:${ADMIN.password}`).toString('base64')}`
  expect((await fetch(`${peer.url}/e2e-new-team/_design/fieldline-roles`, { headers: { authorization: auth } })).status).toBe(200)
  // The refused start stays on screen until stopped; started again, it goes live.
  await section.getByRole('button', { name: 'Stop' }).click()
  await expect(state).toContainText('Stopped')
  await section.getByRole('button', { name: 'Start' }).click()
  await expect(state).toContainText('Live', { timeout: 20_000 })
})
