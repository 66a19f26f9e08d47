/**
 * The SMTP mode end to end: a real smtp-server on 127.0.0.1 with STARTTLS and AUTH, its certificate signed by a CA
 * made for this test (trusted through the "Custom CA" setting). Configure, verify, invite an operator, see the
 * message arrive over TLS and the invitation listed as sent, then revoke it.
 */
import { USER } from '../peers/smtp/smtp.peer'
import { expect, test } from './fixtures'
import { configureSmtp, openPage, skipWithoutKeyring, startTlsSmtp, type TlsSmtp } from './steps'

let mail: TlsSmtp | null = null

test.beforeEach(async () => {
  skipWithoutKeyring()
  mail = await startTlsSmtp()
})

test.afterEach(async () => {
  await mail?.close()
  mail = null
})

test('SMTP with STARTTLS: configure, verify, invite an operator, see it received and sent, revoke', async ({ app }) => {
  const { page } = app
  const { smtp } = mail!
  const card = await configureSmtp(page, mail!)

  await card.getByRole('button', { name: 'Verify' }).click()
  await expect(card.getByRole('status')).toContainText('Email verified')
  expect(smtp.received).toHaveLength(0)

  await openPage(page, 'Team')
  await page.getByRole('button', { name: 'Invite operator' }).click()
  const invite = page.getByRole('dialog', { name: 'Invite an operator' })
  await invite.getByLabel('Name', { exact: true }).fill('Omar Operator')
  await invite.getByLabel('Email', { exact: true }).fill('omar@example.org')
  await invite.getByLabel('Role').selectOption({ label: 'Operator' })
  await invite.getByRole('button', { name: 'Send invitation' }).click()
  await expect(invite).toBeHidden()
  const row = page.getByRole('row').filter({ hasText: 'omar@example.org' })
  await expect(row).toContainText('Sent')

  expect(smtp.received).toHaveLength(1)
  const message = smtp.received[0]!
  expect(message).toMatchObject({ from: 'admin@north-plant.example', to: ['omar@example.org'], secure: true, user: USER })
  expect(message.raw.toString()).toContain('North Plant')

  await row.getByRole('button', { name: 'Revoke' }).click()
  await page.getByRole('dialog', { name: 'Revoke the invitation of Omar Operator?' }).getByRole('button', { name: 'Revoke' }).click()
  await expect(row).toContainText('Revoked')
  expect(smtp.received).toHaveLength(1)
})

test('the email settings open on the active mode, with the focus on it, not on the first mode', async ({ app }) => {
  const { page } = app
  await openPage(page, 'Extensions')
  const card = page.getByRole('region', { name: 'Email' })
  const dialog = page.getByRole('dialog', { name: 'Email settings' })
  const modes = dialog.getByRole('radiogroup', { name: 'Email mode' })
  await card.getByRole('button', { name: 'Configure' }).click()
  await modes.getByRole('radio', { name: 'SMTP' }).check()
  await dialog.getByLabel('Organisation name').fill('North Plant')
  await dialog.getByLabel('Host', { exact: true }).fill('localhost')
  await dialog.getByLabel('Port').fill(String(mail!.smtp.port))
  await dialog.getByLabel('Sender name').fill('Plant Admin')
  await dialog.getByLabel('Sender address').fill('admin@north-plant.example')
  await dialog.getByRole('button', { name: 'Save email settings' }).click()
  await expect(dialog).toBeHidden()
  await expect(card).toContainText('Active mode')

  // The form fills itself from the saved settings as it opens: the focus must follow it to the active mode.
  await card.getByRole('button', { name: 'Configure' }).click()
  await expect(modes.getByRole('radio', { name: 'SMTP' })).toBeChecked()
  await expect(modes.getByRole('radio', { name: 'SMTP' })).toBeFocused()
  // Another mode looked at and left: the next opening is on the active one again.
  await page.keyboard.press('ArrowLeft')
  await expect(modes.getByRole('radio', { name: 'SendGrid with API key' })).toBeChecked()
  await dialog.getByRole('button', { name: 'Cancel' }).click()
  await expect(dialog).toBeHidden()
  await card.getByRole('button', { name: 'Configure' }).click()
  await expect(modes.getByRole('radio', { name: 'SMTP' })).toBeFocused()
  await expect(dialog.getByLabel('Host', { exact: true })).toHaveValue('localhost')
})
