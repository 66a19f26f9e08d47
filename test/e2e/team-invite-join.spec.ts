/**
 * An invitation accepted end to end: on the first computer team sync signs in as the CouchDB server admin
 * (test/peers/couchdb/, `couchUsers`) and email goes through a real smtp-server with STARTTLS (test/peers/smtp); the
 * invite dialog says the email will carry a code (for the user name chosen there), the code is read from the message the SMTP server received, and a
 * second computer (its own serve instance and workspace, in a second browser context) joins with it through Settings →
 * Team sync → "Join with an invitation code", gets the invited role and starts the sync until live.
 *
 * Both serve instances use the one OS keychain of this session; each workspace has its own entries in it, so the join
 * on the second computer leaves the first one's sync password alone and the first computer still signs in after it.
 */
import { simpleParser } from 'mailparser'
import type { CouchPeer } from '../peers/couchdb/couchdb.peer'
import { expect, test } from './fixtures'
import { configureSmtp, openPage, skipWithoutKeyring, startTlsSmtp, type TlsSmtp } from './steps'
import { COUCH_ADMIN, configureTeamSync, secondComputer, teamServer, type SecondComputer } from './team-sync-server'

const DB = 'e2e-invite'

let peer: CouchPeer
let mail: TlsSmtp | null = null
let second: SecondComputer | null = null

test.beforeEach(async () => {
  skipWithoutKeyring()
  mail = await startTlsSmtp()
  peer = await teamServer(DB)
})

test.afterEach(async () => {
  await second?.stop()
  second = null
  await mail?.close()
  mail = null
  await peer?.close()
})

test('invite with a code, read it from the email, join on a second computer with the dialog, start the sync', async ({ app }) => {
  test.setTimeout(180_000)
  const a = app.page
  const { smtp } = mail!
  await configureSmtp(a, mail!)
  await configureTeamSync(a, { url: peer.url, database: DB, user: COUCH_ADMIN.name, password: COUCH_ADMIN.password })

  await openPage(a, 'Team')
  await a.getByRole('button', { name: 'Invite operator' }).click()
  const invite = a.getByRole('dialog', { name: 'Invite an operator' })
  await expect(invite.getByText(`The email will carry a code that joins ${DB} on ${peer.url}`)).toBeVisible()
  await invite.getByLabel('Name', { exact: true }).fill('Omar Operator')
  await invite.getByLabel('Email', { exact: true }).fill('omar@example.org')
  await invite.getByLabel('Role').selectOption({ label: 'Operator' })
  await invite.getByLabel('User name on the team server (optional)').fill('omar.field')
  await invite.getByRole('button', { name: 'Send invitation' }).click()
  await expect(invite).toBeHidden()
  const row = a.getByRole('row').filter({ hasText: 'omar@example.org' })
  await expect(row).toContainText('Sent')
  await expect(row).toContainText('user omar.field on the team server')

  // The revocation's question says what it will do; not confirmed here.
  await row.getByRole('button', { name: 'Revoke' }).click()
  const question = a.getByRole('dialog', { name: 'Revoke the invitation of Omar Operator?' })
  await expect(question).toContainText('their user omar.field is removed from the team server')
  await question.getByRole('button', { name: 'Cancel' }).click()

  expect(smtp.received).toHaveLength(1)
  const text = (await simpleParser(smtp.received[0]!.raw)).text ?? ''
  const code = /^(FLJ1\.[A-Za-z0-9_-]+)$/m.exec(text)?.[1]
  expect(code, text).toBeDefined()

  second = await secondComputer(a)
  const b = second.page
  await openPage(b, 'Settings')
  const section = b.getByRole('region', { name: 'Team sync' })
  await section.getByRole('button', { name: 'Join with an invitation code' }).click()
  const dialog = b.getByRole('dialog', { name: 'Join a team with an invitation code' })
  await dialog.getByLabel('Invitation code').fill('FLJ1.not-a-code!')
  await dialog.getByRole('button', { name: 'Join', exact: true }).click()
  await expect(dialog.getByText('This is not a Fieldline invitation code')).toBeVisible()
  // As a mail client may wrap it.
  await dialog.getByLabel('Invitation code').fill(`${code!.slice(0, 30)}\n${code!.slice(30)}`)
  await dialog.getByRole('button', { name: 'Join', exact: true }).click()
  await expect(dialog).toBeHidden()
  await expect(section.getByText(`You joined ${DB} on ${peer.url} as omar.field. Your role: operator.`)).toBeVisible()
  await expect(section.getByText('Team sync is not set up yet')).toBeHidden()
  await section.getByRole('button', { name: 'Start the sync' }).click()
  await expect(section.getByRole('status', { name: 'Team sync state' })).toContainText('Live', { timeout: 30_000 })
  await expect(section.getByText('Signed in as')).toHaveCount(0)
  await expect(b.getByText(code!)).toHaveCount(0)

  // The first computer's password is its own keychain entry still: the join's new password did not replace it.
  const first = a.getByRole('navigation')
  await first.getByRole('link', { name: 'Settings' }).click()
  const ownSection = a.getByRole('region', { name: 'Team sync' })
  await ownSection.getByRole('button', { name: 'Verify' }).click()
  await expect(ownSection.getByText(`Signed in as ${COUCH_ADMIN.name}, role: administrator.`)).toBeVisible()

  // The inviter's Team page learns it from Omar's user on the server: Joined, with when, and nothing to send again.
  await openPage(a, 'Team')
  await expect(row).toContainText(/Joined\s*on /)
  await expect(row.getByRole('button', { name: 'Resend' })).toHaveCount(0)
  await expect(row.getByRole('button', { name: 'Revoke' })).toBeVisible()
})
