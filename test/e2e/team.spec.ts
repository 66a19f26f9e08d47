/**
 * The Email extension and the Team page end to end, against the wire-faithful SendGrid peer (on 127.0.0.1, where
 * the API may be plain http://): configure "SendGrid with API key", verify (a refused key, then the right one),
 * send a test email, invite an operator in French, resend, revoke; and the pasted service credentials of
 * "SendGrid with username", whose problems are pointed out by line and column. Saving a secret puts it in the OS
 * keychain, so those tests need a D-Bus session with an unlocked keyring (.ci/run provides one).
 */
import type { Locator, Page } from '@playwright/test'
import { DEFAULT_API_KEY, startSendGridPeer, type ReceivedMessage, type SendGridPeer } from '../peers/sendgrid/sendgrid.peer'
import { expect, test } from './fixtures'
import { openPage, skipWithoutKeyring } from './steps'
import { switchLanguage, words } from './words'

/** The peer's default verified Sender Identity. */
const SENDER = 'admin@example.com'

function subjectOf(message: ReceivedMessage): string {
  return message.body.personalizations[0]?.subject ?? message.body.subject ?? ''
}

function partOf(message: ReceivedMessage, type: string): string {
  return message.body.content.find((c) => c.type === type)?.value ?? ''
}

function toOf(message: ReceivedMessage): string {
  return message.body.personalizations[0]?.to[0]?.email ?? ''
}

async function openEmailSettings(page: Page): Promise<{ card: Locator; dialog: Locator }> {
  await openPage(page, 'Extensions')
  const card = page.getByRole('region', { name: 'Email' })
  await card.getByRole('button', { name: 'Configure' }).click()
  const dialog = page.getByRole('dialog', { name: 'Email settings' })
  await expect(dialog).toBeVisible()
  return { card, dialog }
}

test('without email configured, the Team page says so and links to Extensions; plain SMTP is refused for a remote host', async ({ app }) => {
  const { page } = app
  await openPage(page, 'Team')
  await expect(page.getByRole('heading', { name: 'Team', level: 1 })).toBeVisible()
  await expect(page.getByText('Email is not configured. Choose a mode in Extensions → Email.')).toBeVisible()
  await page.getByRole('link', { name: 'Configure email in Extensions' }).click()
  await expect(page.getByRole('heading', { name: 'Extensions', level: 1 })).toBeVisible()

  const card = page.getByRole('region', { name: 'Email' })
  await expect(card.getByText('Email is not configured yet.')).toBeVisible()
  await expect(card.getByRole('button', { name: 'Verify' })).toHaveCount(0)
  const { dialog } = await openEmailSettings(page)
  await dialog.getByRole('radiogroup', { name: 'Email mode' }).getByRole('radio', { name: 'SMTP' }).check()
  await expect(dialog.getByLabel('Port')).toHaveValue('587')
  await dialog.getByLabel('Security').selectOption({ label: 'TLS from the start' })
  await expect(dialog.getByLabel('Port')).toHaveValue('465')
  await dialog.getByLabel('Host', { exact: true }).fill('mail.example.com')
  await dialog.getByLabel('Security').selectOption({ label: 'None (this computer only)' })
  await dialog.getByLabel('Sender name').fill('Ada Admin')
  await dialog.getByLabel('Sender address').fill(SENDER)
  await dialog.getByRole('button', { name: 'Save email settings' }).click()
  await expect(dialog.getByText('SMTP without TLS is accepted for this computer only (localhost, 127.x, ::1), not for mail.example.com.')).toBeVisible()
  await expect(dialog.getByLabel('Security')).toHaveAttribute('aria-invalid', 'true')
})

test.describe('with the keychain', () => {
  let peer: SendGridPeer

  test.beforeEach(async () => {
    skipWithoutKeyring()
    peer = await startSendGridPeer()
  })

  test.afterEach(async () => {
    await peer?.close()
  })

  test('SendGrid with an API key: verify, test email, invite in French, resend, revoke, delete and undo; a line break in a name is refused', async ({ app }) => {
    const { page } = app
    const { card, dialog } = await openEmailSettings(page)
    await dialog.getByRole('radiogroup', { name: 'Email mode' }).getByRole('radio', { name: 'SendGrid with API key' }).check()
    await dialog.getByLabel('Organisation name').fill('Acme Field Ops')
    await dialog.getByLabel('Administrator name').fill('Ada Admin')
    await dialog.getByLabel('Administrator email').fill(SENDER)
    await dialog.getByLabel('API key', { exact: true }).fill('SG.not-the-key')
    await dialog.getByText('Advanced').click()
    await dialog.getByLabel('API URL').fill(peer.url)
    await dialog.getByRole('button', { name: 'Save email settings' }).click()
    await expect(dialog).toBeHidden()

    // The card shows the settings and only whether the key is set, never the key.
    await expect(card.getByText('SendGrid with API key')).toBeVisible()
    await expect(card.getByText('Ada Admin (admin@example.com)')).toBeVisible()
    await expect(card.getByText('API key set')).toBeVisible()
    await expect(page.getByText('SG.not-the-key')).toHaveCount(0)

    await card.getByRole('button', { name: 'Verify' }).click()
    await expect(card.getByRole('status')).toContainText('SendGrid refused the API key: it is invalid, expired or revoked')
    expect(peer.stats().byStatus['401']).toBe(1)

    await card.getByRole('button', { name: 'Configure' }).click()
    await expect(dialog.getByLabel('API key', { exact: true })).toHaveValue('')
    await expect(dialog.getByLabel('API key', { exact: true })).toHaveAttribute('placeholder', '(set — leave empty to keep)')
    await dialog.getByLabel('API key', { exact: true }).fill(DEFAULT_API_KEY)
    await dialog.getByRole('button', { name: 'Save email settings' }).click()
    await expect(dialog).toBeHidden()
    await card.getByRole('button', { name: 'Verify' }).click()
    await expect(card.getByRole('status')).toContainText('Email verified')
    // Verification runs in sandbox mode: validated by the service, nothing delivered.
    expect(peer.stats().sandbox).toBe(1)
    expect(peer.messages()).toHaveLength(0)

    await card.getByRole('button', { name: 'Send test email' }).click()
    const testDialog = page.getByRole('dialog', { name: 'Send a test email' })
    await testDialog.getByLabel('Recipient address').fill('tess@example.org')
    await testDialog.getByRole('button', { name: 'Send test email' }).click()
    await expect(testDialog.getByRole('status')).toContainText('Test email sent to tess@example.org')
    await testDialog.getByRole('button', { name: 'Close' }).click()
    expect(peer.messages()).toHaveLength(1)
    const testMail = peer.messages()[0]!
    expect(toOf(testMail)).toBe('tess@example.org')
    expect(testMail.body.from.email).toBe(SENDER)
    expect(subjectOf(testMail)).toBe('Fieldline test email')

    await openPage(page, 'Team')
    await expect(page.getByText('Invitations are sent with SendGrid with API key.')).toBeVisible()
    await page.getByRole('button', { name: 'Invite operator' }).click()
    const invite = page.getByRole('dialog', { name: 'Invite an operator' })
    // A text field drops CR and LF as typed; U+2028 survives it, and mail software may break a header on it.
    await invite.getByLabel('Name', { exact: true }).fill('Élodie\u2028Bcc: everyone@evil.example')
    await invite.getByLabel('Email', { exact: true }).fill('elodie@example.org')
    await invite.getByRole('button', { name: 'Send invitation' }).click()
    await expect(invite.getByText('The name must not contain line breaks: they could add mail headers.')).toBeVisible()
    await expect(invite.getByLabel('Name', { exact: true })).toBeFocused()
    expect(peer.messages()).toHaveLength(1)

    await invite.getByLabel('Name', { exact: true }).fill('Élodie Martin')
    await invite.getByLabel('Role').selectOption({ label: 'Viewer' })
    await invite.getByLabel('Invitation language').selectOption({ label: 'Français' })
    await invite.getByRole('button', { name: 'Send invitation' }).click()
    await expect(invite).toBeHidden()
    const row = page.getByRole('row').filter({ hasText: 'elodie@example.org' })
    await expect(row).toContainText('Élodie Martin')
    await expect(row).toContainText('Viewer')
    await expect(row).toContainText('French')
    await expect(row).toContainText('Sent')

    expect(peer.messages()).toHaveLength(2)
    const invitation = peer.messages()[1]!
    expect(toOf(invitation)).toBe('elodie@example.org')
    expect(invitation.body.from.email).toBe(SENDER)
    expect(subjectOf(invitation)).toBe('Ada Admin vous invite à rejoindre Acme Field Ops sur Fieldline')
    expect(partOf(invitation, 'text/html')).toContain('lang="fr"')
    expect(partOf(invitation, 'text/plain')).toContain('Acme Field Ops')

    await row.getByRole('button', { name: 'Resend' }).click()
    await expect(page.getByRole('status').filter({ hasText: 'Invitation sent again to Élodie Martin' })).toBeVisible()
    await expect(row).toContainText('2 attempts')
    expect(peer.messages()).toHaveLength(3)
    expect(toOf(peer.messages()[2]!)).toBe('elodie@example.org')

    await row.getByRole('button', { name: 'Revoke' }).click()
    const confirm = page.getByRole('dialog', { name: 'Revoke the invitation of Élodie Martin?' })
    await expect(confirm).toContainText('Élodie Martin (elodie@example.org)')
    await confirm.getByRole('button', { name: 'Revoke' }).click()
    await expect(confirm).toBeHidden()
    await expect(row).toContainText('Revoked')
    await expect(row.getByRole('button', { name: 'Resend' })).toHaveCount(0)
    await expect(row.getByRole('button', { name: 'Revoke' })).toHaveCount(0)

    await page.getByLabel('Show', { exact: true }).selectOption({ label: 'Sent' })
    await expect(page.getByText('No invitation is in this state.')).toBeVisible()
    await page.getByLabel('Show', { exact: true }).selectOption({ label: 'Revoked' })
    await expect(row).toBeVisible()
    expect(peer.messages()).toHaveLength(3)

    // Deleting goes to the trash without a question; the notice's Undo brings the invitation back as it was.
    await row.getByRole('button', { name: 'Delete the invitation of Élodie Martin' }).click()
    await expect(row).toHaveCount(0)
    await page.getByRole('button', { name: 'Undo: restore Élodie Martin <elodie@example.org>' }).click()
    await expect(page.getByRole('status').filter({ hasText: 'Élodie Martin <elodie@example.org> restored.' })).toBeVisible()
    await expect(row).toContainText('Revoked')
    await expect(row).toContainText('2 attempts')
    // The Undo went with its notice: the focus is on the row that came back (its first cell), not the page's heading.
    await expect(row.locator('th, td').first()).toBeFocused()
  })

  test('in French, from the keyboard: a SendGrid rate limit that resets later keeps the invitation to resend and says when, in French', async ({ app }) => {
    const { page } = app
    const t = words('fr')
    const press = async (target: Locator, key = 'Enter') => {
      await target.focus()
      await page.keyboard.press(key)
    }
    const type = async (field: Locator, text: string) => {
      await field.focus()
      // The API URL starts filled with SendGrid's own.
      await page.keyboard.press('ControlOrMeta+A')
      await page.keyboard.type(text)
    }
    await switchLanguage(page, 'fr')
    await press(page.getByRole('navigation').getByRole('link', { name: t('nav.extensions') }))
    await press(page.getByRole('region', { name: t('mail.card.title') }).getByRole('button', { name: t('mail.card.configure') }))
    const dialog = page.getByRole('dialog', { name: t('mail.form.title') })
    await press(dialog.getByRole('radio', { name: t('mail.modes.sendgridApiKey') }), 'Space')
    await type(dialog.getByLabel(t('mail.form.organisation')), 'Acme Field Ops')
    await type(dialog.getByLabel(t('mail.form.adminName')), 'Ada Admin')
    await type(dialog.getByLabel(t('mail.form.adminEmail')), SENDER)
    await type(dialog.getByLabel(t('mail.form.apiKey'), { exact: true }), DEFAULT_API_KEY)
    await press(dialog.getByText(t('mail.form.advanced')))
    await type(dialog.getByLabel(t('mail.form.apiUrl')), peer.url)
    await press(dialog.getByRole('button', { name: t('mail.form.save') }))
    await expect(dialog).toBeHidden()

    // One message a minute: the first invitation goes, the second meets the limit, whose reset is too far to wait for.
    peer.setRateLimit({ limit: 1, windowMs: 60_000 })
    await press(page.getByRole('navigation').getByRole('link', { name: t('nav.team') }))
    for (const [name, email] of [
      ['Ana Martin', 'ana@example.org'],
      ['Bruno Petit', 'bruno@example.org'],
    ] as const) {
      await press(page.getByRole('button', { name: t('team.inviteButton') }))
      const invite = page.getByRole('dialog', { name: t('team.invite.title') })
      await type(invite.getByLabel(t('team.invite.name'), { exact: true }), name)
      await type(invite.getByLabel(t('team.invite.email'), { exact: true }), email)
      await page.keyboard.press('Enter')
      await expect(invite).toBeHidden()
    }
    const row = page.getByRole('row').filter({ hasText: 'bruno@example.org' })
    await expect(row).toContainText(t('team.states.failed'))
    const reason = await row.locator('.reason').first().innerText()
    // The reset as a French date and time, not the core's ISO text.
    expect(reason).toMatch(/^La limite d’envoi de cette clé d’API SendGrid est atteinte\u00a0: rien n’a été envoyé\. Réessayez après cette heure\u00a0: \d{1,2} déc\. \d{4}, \d{2}:\d{2}:\d{2}\.$/)
    expect(peer.messages().map(toOf)).toEqual(['ana@example.org'])
    expect(peer.stats().byStatus['429']).toBe(1)

    // Once the limit is lifted, Resend sends the invitation that was kept.
    peer.setRateLimit(null)
    await press(row.getByRole('button', { name: t('team.resendLabel', { name: 'Bruno Petit' }) }))
    await expect(row).toContainText(t('team.states.sent'))
    expect(peer.messages().map(toOf)).toEqual(['ana@example.org', 'bruno@example.org'])

    // The table fits Playwright's 1280 px in French, every action whole in the window (cold trial: the last column was
    // cut to « Su… » beside addresses kept on one line).
    expect(page.viewportSize()?.width).toBe(1280)
    const table = page.locator('.data-table')
    expect(await table.evaluate((el) => el.scrollWidth - el.clientWidth)).toBeLessThanOrEqual(0)
    for (const name of ['Ana Martin', 'Bruno Petit']) {
      for (const label of ['team.resendLabel', 'team.revokeLabel', 'team.deleteLabel']) {
        await expect(page.getByRole('button', { name: t(label, { name }) })).toBeInViewport({ ratio: 1 })
      }
    }
  })

  test('an invitation whose serve process was killed mid-send shows as of unknown outcome after the restart, in French within 1280 px, and Dismiss takes it as sent', async ({ app, target }) => {
    test.skip(target !== 'browser', 'kills the serve process')
    const { dialog } = await openEmailSettings(app.page)
    await dialog.getByRole('radiogroup', { name: 'Email mode' }).getByRole('radio', { name: 'SendGrid with API key' }).check()
    await dialog.getByLabel('Organisation name').fill('Acme Field Ops')
    await dialog.getByLabel('Administrator name').fill('Ada Admin')
    await dialog.getByLabel('Administrator email').fill(SENDER)
    await dialog.getByLabel('API key', { exact: true }).fill(DEFAULT_API_KEY)
    await dialog.getByText('Advanced').click()
    await dialog.getByLabel('API URL').fill(peer.url)
    await dialog.getByRole('button', { name: 'Save email settings' }).click()
    await expect(dialog).toBeHidden()

    // SendGrid holds its answer: the invitation is written, its mail on the way, when the core is killed.
    peer.faults.set({ kind: 'latency', ms: 120_000 })
    await openPage(app.page, 'Team')
    await app.page.getByRole('button', { name: 'Invite operator' }).click()
    const invite = app.page.getByRole('dialog', { name: 'Invite an operator' })
    await invite.getByLabel('Name', { exact: true }).fill('Ana Martin-Dupont de la Fontaine')
    await invite.getByLabel('Email', { exact: true }).fill('ana.martin-dupont.de-la-fontaine@example.org')
    await invite.getByLabel('Email', { exact: true }).press('Enter')
    await expect(app.page.getByRole('row').filter({ hasText: 'ana.martin' })).toContainText('Pending')
    process.kill(app.serve!.pid, 'SIGKILL')
    const page = await app.restart()
    peer.faults.clear()

    const t = words('fr')
    await switchLanguage(page, 'fr')
    await page
      .getByRole('navigation')
      .getByRole('link', { name: t('nav.team') })
      .click()
    const row = page.getByRole('row').filter({ hasText: 'ana.martin' })
    await expect(row).toContainText(t('team.states.unknown'))
    await expect(row).toContainText('le message est peut-être parti')
    expect(page.viewportSize()?.width).toBe(1280)
    const table = page.locator('.data-table')
    expect(await table.evaluate((el) => el.scrollWidth - el.clientWidth)).toBeLessThanOrEqual(0)
    const name = 'Ana Martin-Dupont de la Fontaine'
    for (const label of ['team.resendLabel', 'team.dismissLabel', 'team.revokeLabel', 'team.deleteLabel']) {
      await expect(page.getByRole('button', { name: t(label, { name }) })).toBeInViewport({ ratio: 1 })
    }
    const sentBefore = peer.messages().length

    await page.getByRole('button', { name: t('team.dismissLabel', { name }) }).click()
    await expect(row).toContainText(t('team.states.sent'))
    await expect(page.getByRole('button', { name: t('team.dismissLabel', { name }) })).toHaveCount(0)
    // Dismissed, not sent: no message went out for it after the restart.
    expect(peer.messages()).toHaveLength(sentBefore)
  })

  test('SendGrid with username: a malformed paste is pointed out by line and column; the password is never shown or kept', async ({ app }) => {
    const { page } = app
    const { card, dialog } = await openEmailSettings(page)
    await dialog.getByRole('radiogroup', { name: 'Email mode' }).getByRole('radio', { name: 'SendGrid with username' }).check()
    const pasted = dialog.getByLabel('Service credentials (JSON)')
    // A missing comma after "username" (line 6): the problem is at the start of line 7.
    const malformed = [
      '{',
      '  "name": "mail-1",',
      '  "label": "sendgrid",',
      '  "credentials": {',
      '    "hostname": "smtp.sendgrid.net",',
      '    "username": "apikey"',
      '    "password": "SG.pasted-Secret-9"',
      '  }',
      '}',
    ].join('\n')
    await pasted.fill(malformed)
    const problems = dialog.getByRole('alert')
    await expect(problems).toContainText('1 problem in the pasted credentials')
    await expect(problems).toContainText('Line 7, column 5: JSON syntax error (a comma was expected between two items).')
    await dialog.getByLabel('Sender name').fill('Ada Admin')
    await dialog.getByLabel('Sender address').fill(SENDER)
    await dialog.getByRole('button', { name: 'Save email settings' }).click()
    await expect(dialog.getByText('The SendGrid credentials are not valid (line 7, column 5; 1 problem).')).toBeVisible()

    await pasted.fill(malformed.replace('"apikey"', '"apikey",'))
    await expect(dialog.getByText('Password present')).toBeVisible()
    await expect(dialog.getByText('smtp.sendgrid.net', { exact: true })).toBeVisible()
    await expect(dialog.getByText('apikey', { exact: true })).toBeVisible()
    await expect(problems).toHaveText('')
    // Typed credentials are not used while pasted ones are there.
    await expect(dialog.getByLabel('Host name')).toBeDisabled()
    await dialog.getByRole('button', { name: 'Save email settings' }).click()
    await expect(dialog).toBeHidden()

    await expect(card.getByText('SendGrid with username')).toBeVisible()
    await expect(card.getByText('mail-1 · sendgrid')).toBeVisible()
    await expect(card.getByText('smtp.sendgrid.net:587')).toBeVisible()
    await expect(card.getByText('Password set')).toBeVisible()
    await expect(page.getByText('SG.pasted-Secret-9')).toHaveCount(0)

    // The pasted text is not kept: the form opens with an empty box and the saved password kept.
    await card.getByRole('button', { name: 'Configure' }).click()
    await expect(dialog.getByRole('radio', { name: 'SendGrid with username' })).toBeChecked()
    await expect(pasted).toHaveValue('')
    await expect(dialog.getByLabel('Host name')).toHaveValue('smtp.sendgrid.net')
    await expect(dialog.getByLabel('Password', { exact: true })).toHaveAttribute('placeholder', '(set — leave empty to keep)')
    expect(await page.content()).not.toContain('SG.pasted-Secret-9')
  })
})
