/**
 * The one email configuration on a real workspace with the in-memory vault: secrets write-only and in the vault
 * only, one active mode among three, each change with its audit entry, configuration errors before anything is
 * written. No network: nothing here sends.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { EventBus } from '../../src-main/core/common/events'
import { createMailService, type MailService } from '../../src-main/core/mail/mail.service'
import { mailSettingsViewSchema } from '../../src-shared/models/mail'
import { openWorkspace, type Workspace } from '../../src-main/core/store/workspace'
import { createMemoryStore, createUnavailableStore } from '../../src-main/core/vault/memory.store'
import type { SecretStore } from '../../src-main/core/vault/secret-store'
import { rejection, tempDir } from '../helpers/core'

const ctx = { actor: 'tester' }

let workspace: Workspace
let cleanup: () => Promise<void>
let vault: SecretStore
let mail: MailService
let changes: string[]
let busEvents: string[]

async function docs(prefix: string): Promise<Record<string, unknown>[]> {
  const page = await workspace.db.allDocs({ include_docs: true, startkey: prefix, endkey: `${prefix}\ufff0` })
  return page.rows.map((r) => r.doc as unknown as Record<string, unknown>)
}

const smtp = {
  mode: 'smtp' as const,
  organisation: 'Acme',
  settings: { host: 'smtp.example.com', port: 587, security: 'starttls' as const, username: 'mailer', senderName: 'Ada Admin', senderAddress: 'ada@example.com' },
  secrets: { password: 'smtp-Secret-1' },
}
const sendgrid = {
  mode: 'sendgridApiKey' as const,
  settings: { adminName: 'Ada Admin', adminEmail: 'ada@example.com' },
  secrets: { apiKey: 'SG.secret-key-2' },
}

beforeEach(async () => {
  const dir = await tempDir('fieldline-mail-settings-')
  cleanup = dir.cleanup
  workspace = await openWorkspace(dir.dir)
  vault = createMemoryStore()
  changes = []
  busEvents = []
  const bus = new EventBus()
  bus.subscribe((event) => busEvents.push(event))
  mail = createMailService({ db: workspace.db, vault, bus, onChange: () => changes.push('settings') })
})

afterEach(async () => {
  await workspace.close()
  await cleanup()
})

describe('email settings', () => {
  it('start empty', async () => {
    expect(await mail.getSettings()).toEqual({ active: null, organisation: null, sendgridApiKey: null, smtp: null, sendgridUsername: null, updatedAt: null })
  })

  it('keep each mode, one active, with secrets in the vault and only their presence in the workspace', async () => {
    await mail.saveSettings(smtp, ctx)
    const view = await mail.saveSettings(sendgrid, ctx)
    expect(view).toMatchObject({
      active: 'sendgridApiKey',
      organisation: 'Acme',
      sendgridApiKey: { adminName: 'Ada Admin', adminEmail: 'ada@example.com', baseUrl: 'https://api.sendgrid.com', apiKeySet: true },
      smtp: { host: 'smtp.example.com', port: 587, security: 'starttls', username: 'mailer', passwordSet: true },
    })
    expect(await vault.get('mail:settings/smtpPassword')).toBe('smtp-Secret-1')
    expect(await vault.get('mail:settings/sendgridApiKey')).toBe('SG.secret-key-2')
    const everything = JSON.stringify(await workspace.db.allDocs({ include_docs: true }))
    expect(everything).not.toContain('smtp-Secret-1')
    expect(everything).not.toContain('SG.secret-key-2')
    expect(JSON.stringify(view)).not.toMatch(/smtp-Secret-1|SG\.secret-key-2/)
    // What the bridge will return: the output schema keeps every field (nothing is stripped or invented).
    expect(mailSettingsViewSchema.parse(view)).toEqual(view)

    // Switching back keeps what was typed for the other mode; a save without a secret keeps the stored one.
    const back = await mail.saveSettings({ ...smtp, secrets: {} }, ctx)
    expect(back.active).toBe('smtp')
    expect(back.sendgridApiKey?.apiKeySet).toBe(true)
    expect(await vault.get('mail:settings/smtpPassword')).toBe('smtp-Secret-1')
    expect(changes).toEqual(['settings', 'settings', 'settings'])
    expect(busEvents).toEqual(['audit:changed', 'audit:changed', 'audit:changed'])
  })

  it('write each change with its audit entry, before and after, without secret values', async () => {
    await mail.saveSettings(smtp, ctx)
    await mail.saveSettings({ ...smtp, settings: { ...smtp.settings, port: 465, security: 'tls' }, secrets: { password: 'smtp-Secret-3' } }, ctx)
    const audit = await docs('audit:')
    expect(audit.map((a) => [a.action, a.target, a.actor, a.outcome])).toEqual([
      ['mail.settings.add', 'mail/settings', 'tester', 'ok'],
      ['mail.settings.update', 'mail/settings', 'tester', 'ok'],
    ])
    expect(audit[1]).toMatchObject({ before: { smtp: { port: 587 }, secretsSet: ['smtpPassword'] }, after: { smtp: { port: 465, security: 'tls' }, active: 'smtp' } })
    expect(JSON.stringify(audit)).not.toMatch(/smtp-Secret/)
    const [settings] = await docs('mail:')
    expect(settings).toMatchObject({ _id: 'mail:settings', kind: 'mailSettings', schemaVersion: 1, secretFields: ['smtpPassword'] })
  })

  it('can save a mode without making it the active one', async () => {
    await mail.saveSettings(smtp, ctx)
    const view = await mail.saveSettings({ ...sendgrid, activate: false }, ctx)
    expect(view.active).toBe('smtp')
    expect(view.sendgridApiKey?.apiKeySet).toBe(true)
  })

  it('clear a secret with null, and refuse to leave a mode without the secret it needs', async () => {
    await mail.saveSettings(sendgrid, ctx)
    const err = await rejection(mail.saveSettings({ ...sendgrid, secrets: { apiKey: null } }, ctx))
    expect(err.details?.ref).toEqual({ key: 'mail.secretRequired', params: { mode: 'sendgridApiKey' } })
    const relay = await mail.saveSettings({ ...smtp, settings: { ...smtp.settings, username: undefined }, secrets: { password: null } }, ctx)
    expect(relay.smtp).toMatchObject({ passwordSet: false })
    expect(relay.smtp?.username).toBeUndefined()
    expect(await vault.get('mail:settings/smtpPassword')).toBeNull()
  })

  it('refuse what must not be saved, and save nothing then', async () => {
    const cases: [unknown, string][] = [
      [{ ...smtp, settings: { ...smtp.settings, security: 'none' } }, 'mail.smtp.insecureHost'],
      [{ ...smtp, settings: { ...smtp.settings, ca: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----' } }, 'errors.invalidCa'],
      [{ ...smtp, secrets: {} }, 'mail.secretRequired'],
      [{ ...sendgrid, settings: { ...sendgrid.settings, baseUrl: 'http://sendgrid.example.com' } }, 'errors.insecureUrl'],
      [{ ...sendgrid, settings: { ...sendgrid.settings, adminEmail: 'Ada <ada@example.com>' } }, 'mail.invalidAddress'],
      [{ mode: 'sendgridUsername', settings: { senderName: 'Ada', senderAddress: 'ada@example.com' }, secrets: { password: 'x' } }, 'mail.credentials.required'],
      [
        { mode: 'sendgridUsername', settings: { senderName: 'Ada', senderAddress: 'ada@example.com' }, credentialsJson: '{"credentials":{"hostname":"smtp.sendgrid.net"}}' },
        'mail.credentials.invalid',
      ],
    ]
    for (const [input, key] of cases) {
      const err = await rejection(mail.saveSettings(input, ctx))
      expect(err.code, key).toBe('VALIDATION')
      expect(err.details?.ref?.key, key).toBe(key)
    }
    expect(await mail.getSettings()).toMatchObject({ active: null })
    expect(await docs('audit:')).toEqual([])
  })

  it('type in the SendGrid username credentials instead of pasting them', async () => {
    const view = await mail.saveSettings(
      {
        mode: 'sendgridUsername',
        organisation: 'Acme',
        settings: { senderName: 'Ada', senderAddress: 'ada@example.com', hostname: 'smtp.sendgrid.net', username: 'apikey' },
        secrets: { password: 'SG.typed' },
      },
      ctx,
    )
    expect(view.sendgridUsername).toEqual({ hostname: 'smtp.sendgrid.net', username: 'apikey', senderName: 'Ada', senderAddress: 'ada@example.com', passwordSet: true })
    expect(mailSettingsViewSchema.parse(view)).toEqual(view)
    expect(await vault.get('mail:settings/sendgridPassword')).toBe('SG.typed')
  })

  it('preview pasted credentials without returning the password', () => {
    const preview = mail.parseCredentials({ text: '{"name":"sg","credentials":{"hostname":"smtp.sendgrid.net","username":"apikey","password":"SG.pasted"}}' })
    expect(preview).toEqual({ valid: true, diagnostics: [], hostname: 'smtp.sendgrid.net', username: 'apikey', name: 'sg', label: null, passwordPresent: true })
    expect(JSON.stringify(preview)).not.toContain('SG.pasted')
    expect(mail.parseCredentials({ text: '{' })).toMatchObject({ valid: false, passwordPresent: false, diagnostics: [{ line: 1, column: 2 }] })
  })

  it('are removed with their secrets', async () => {
    await mail.saveSettings(smtp, ctx)
    await mail.saveSettings(sendgrid, ctx)
    expect(await mail.clearSettings(ctx)).toEqual({ cleared: true })
    expect(await mail.getSettings()).toMatchObject({ active: null, smtp: null })
    expect(await vault.has('mail:settings/smtpPassword')).toBe(false)
    expect(await vault.has('mail:settings/sendgridApiKey')).toBe(false)
    expect((await docs('audit:')).map((a) => a.action)).toContain('mail.settings.remove')
    expect(await mail.clearSettings(ctx)).toEqual({ cleared: false })
  })

  it('report a missing keychain as VAULT_UNAVAILABLE and write nothing', async () => {
    const blind = createMailService({ db: workspace.db, vault: createUnavailableStore('no Secret Service', 'linux') })
    const err = await rejection(blind.saveSettings(smtp, ctx))
    expect(err.code).toBe('VAULT_UNAVAILABLE')
    expect(await blind.getSettings()).toMatchObject({ active: null })
  })
})

describe('sending needs a configuration', () => {
  it('reports "not configured" for verify and the test email (invitations: team.test.ts)', async () => {
    expect((await rejection(mail.verify({ mode: 'smtp' }))).details?.ref).toEqual({ key: 'mail.modeNotConfigured', params: { mode: 'smtp' } })
    expect((await rejection(mail.sendTest({ to: 'olga@example.org' }, ctx))).details?.ref?.key).toBe('mail.notConfigured')
    expect((await rejection(mail.withActiveMailer(async () => 'ran'))).details?.ref?.key).toBe('mail.notConfigured')
  })

  it('says when the secret is not in this computer’s keychain (a replicated configuration)', async () => {
    await mail.saveSettings(smtp, ctx)
    await vault.clear('mail:settings/smtpPassword')
    const err = await rejection(mail.verify())
    expect(err.code).toBe('VALIDATION')
    expect(err.details?.ref).toEqual({ key: 'mail.secretMissing', params: { mode: 'smtp' } })
  })

  it('uses a configuration from the environment instead of the saved one (CLI)', async () => {
    const fromEnv = createMailService({
      db: workspace.db,
      vault,
      configOverride: { mode: 'smtp', organisation: null, smtp: { mode: 'smtp', host: '127.0.0.1', port: 1, security: 'none', from: { address: 'ops@example.com' } } },
    })
    await mail.saveSettings({ ...sendgrid, organisation: 'Saved Org' }, ctx)
    const err = await rejection(fromEnv.verify())
    // Port 1 on loopback refuses: the point is that SMTP from the override was used, not the saved SendGrid mode.
    expect(err.details?.ref?.key).toBe('mail.smtp.connectionRefused')
  })
})
