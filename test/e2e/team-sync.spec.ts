/**
 * Settings → Team sync end to end against express-pouchdb with CouchDB users (test/peers/couchdb/, `couchUsers`) on
 * 127.0.0.1, where plain http:// is allowed: not set up, configured (the password to the OS keychain, so the test
 * needs a D-Bus session with an unlocked keyring), verified with the role the server gives, started until live, a
 * device pushed, stopped; a missing team database set up from the app by an administrator; and a save the server
 * refuses (a wrong password, another server, none at all), in English and in French.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { startCouchPeer, type CouchPeer } from '../peers/couchdb/couchdb.peer'
import { expect, test } from './fixtures'
import { addDevice, openPage, skipWithoutKeyring } from './steps'
import { LANGUAGES, switchLanguage, words, type Words } from './words'
import { freePort } from '../helpers/ports'

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

/** A web server that is not CouchDB, on a port of this computer. */
async function webServer(): Promise<Server> {
  const server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body>Welcome to nginx!</body></html>'))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return server
}

/** A message whose `{reason}` the window says in its own words (ECONNREFUSED as a sentence): what surrounds it, in order. */
function aroundReason(t: Words, key: string): RegExp {
  const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  return new RegExp(t(key, { reason: '\u0000' }).split('\u0000').map(escape).join('.+'))
}

for (const language of LANGUAGES) {
  test(`a save the server refuses saves nothing, says why at the field to fix and keeps the dialog as typed; the checkbox saves over a server that is down (${language})`, async ({ app }) => {
    const { page } = app
    const t = words(language)
    const other = await webServer()
    try {
      await switchLanguage(page, language)
      await page
        .getByRole('navigation')
        .getByRole('link', { name: t('nav.settings') })
        .click()
      const section = page.getByRole('region', { name: t('sync.card.title') })
      const notConfigured = section.getByText(t('sync.card.notConfigured'))
      await expect(notConfigured).toBeVisible()
      await section.getByRole('button', { name: t('sync.card.configure') }).click()
      const dialog = page.getByRole('dialog', { name: t('sync.form.title') })
      const url = dialog.getByLabel(t('sync.form.url'))
      const password = dialog.getByLabel(t('sync.form.password'))
      const save = dialog.getByRole('button', { name: t('sync.form.save') })
      await url.fill(peer.url)
      await dialog.getByLabel(t('sync.form.database')).fill('e2e-team')
      await dialog.getByLabel(t('sync.form.username')).fill('olga')
      await password.fill('olga-wrong-pw')

      // A wrong password (401): said at the password, which has the focus, and kept as typed to be corrected.
      await save.click()
      await expect(dialog.getByText(t('sync.unauthorized', { reason: 'Name or password is incorrect.' }))).toBeVisible()
      await expect(password).toBeFocused()
      await expect(password).toHaveValue('olga-wrong-pw')
      await expect(notConfigured).toBeVisible()

      // Another server at the address, then none at all: said at the URL, which has the focus.
      await password.fill('olga-pw')
      const web = `http://127.0.0.1:${(other.address() as AddressInfo).port}`
      await url.fill(web)
      await save.click()
      await expect(dialog.getByText(t('sync.notCouch'))).toBeVisible()
      await expect(url).toBeFocused()
      await expect(url).toHaveValue(web)
      const down = `http://127.0.0.1:${await freePort()}`
      await url.fill(down)
      await save.click()
      await expect(dialog.getByText(aroundReason(t, 'sync.check.unreachable'))).toBeVisible()
      await expect(url).toBeFocused()
      await expect(dialog).toBeVisible()
      await expect(password).toHaveValue('olga-pw')
      await expect(notConfigured).toBeVisible()
      await expect(section.getByRole('status', { name: t('sync.card.stateLabel') })).toHaveText(t('sync.card.notSetUp'))

      // Ticked, the server that is down no longer stops the save: saved, not checked, and said so.
      await dialog.getByLabel(t('sync.form.offline')).check()
      await save.click()
      await expect(dialog).toBeHidden()
      await expect(page.getByText(aroundReason(t, 'sync.check.savedUnchecked'))).toBeVisible()
      await expect(section.getByRole('status', { name: t('sync.card.stateLabel') })).toHaveText(t('sync.states.stopped'))
      await expect(section.getByText(down)).toBeVisible()
      await expect(page.getByText('olga-pw')).toHaveCount(0)
    } finally {
      await new Promise((resolve) => other.close(resolve))
    }
  })
}
