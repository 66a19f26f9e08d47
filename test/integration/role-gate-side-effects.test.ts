/**
 * A change the role gate refuses changes nothing, also outside the workspace: an operator's save or clearing of the team's
 * mail or weather settings leaves this computer's keychain as it was, and resending an invitation sends no mail, where
 * before the secret was replaced (or the mail sent) and only then the settings' write refused with "Not changed".
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mailSecretAccount } from '../../src-main/core/mail/mail.store'
import { updateSyncState } from '../../src-main/core/sync/sync.store'
import { weatherSecretAccount } from '../../src-main/core/weather/weather.store'
import { tempDir, testCore } from '../helpers/core'
import { DEFAULT_API_KEY, startSendGridPeer, type SendGridPeer } from '../peers/sendgrid/sendgrid.peer'

const SENDER = 'admin@example.com'
const NOT_SAVED = { bridge: { code: 'FORBIDDEN', details: { ref: { key: 'sync.role.notSaved.operator' } } } }

describe("an operator's refused change to team settings", () => {
  let core: Awaited<ReturnType<typeof testCore>>
  let sendgrid: SendGridPeer
  let cleanup: () => Promise<void>
  let invitation: string

  beforeAll(async () => {
    sendgrid = await startSendGridPeer({ verifiedSenders: [SENDER] })
    const t = await tempDir()
    cleanup = t.cleanup
    core = await testCore(t.dir)
    // Set up while no role was known, as before joining the team.
    await core.call('mail:saveSettings', {
      mode: 'sendgridApiKey',
      organisation: 'Gate Co',
      settings: { adminName: 'Ada Admin', adminEmail: SENDER, baseUrl: sendgrid.url },
      secrets: { apiKey: DEFAULT_API_KEY },
      activate: true,
    })
    await core.call('weather:saveSettings', { provider: 'twc', units: 'metric', language: 'en', secrets: { twcApiKey: 'twc-old' } })
    invitation = (await core.call('team:invite', { name: 'Tess', email: 'tess@example.org', role: 'operator' })).id
    await core.call('sync:saveSettings', { url: 'http://127.0.0.1:5984', database: 'team', username: 'olga', secrets: { password: 'pw' }, offline: true })
    await updateSyncState(core.workspace.db, (s) => {
      s.role = 'operator'
      s.roleAsOf = new Date().toISOString()
    })
    expect((await core.call('sync:status', {})).refused).toEqual(['profiles', 'teamSettings'])
  })
  afterAll(async () => {
    await core?.close()
    await sendgrid?.close()
    await cleanup?.()
  })

  it('keeps the mail key when saving or clearing the mail settings is refused', async () => {
    const before = await core.vault.get(mailSecretAccount('sendgridApiKey'))
    expect(before).toBe(DEFAULT_API_KEY)
    await expect(
      core.call('mail:saveSettings', { mode: 'sendgridApiKey', settings: { adminName: 'Ada Admin', adminEmail: SENDER, baseUrl: sendgrid.url }, secrets: { apiKey: 'SG.replaced' } }),
    ).rejects.toMatchObject(NOT_SAVED)
    await expect(core.call('mail:clearSettings', {})).rejects.toMatchObject(NOT_SAVED)
    expect(await core.vault.get(mailSecretAccount('sendgridApiKey'))).toBe(before)
  })

  it('keeps the weather key when saving the weather settings is refused', async () => {
    await expect(core.call('weather:saveSettings', { provider: 'twc', units: 'metric', language: 'en', secrets: { twcApiKey: 'twc-new' } })).rejects.toMatchObject(NOT_SAVED)
    expect(await core.vault.get(weatherSecretAccount('twcApiKey'))).toBe('twc-old')
  })

  it('sends no mail when resending an invitation is refused', async () => {
    const sent = sendgrid.messages().length
    await expect(core.call('team:resend', { id: invitation })).rejects.toMatchObject(NOT_SAVED)
    // The invitation's own send, before the role was known, went out: the count is the proof the peer records mail.
    expect(sent).toBe(1)
    expect(sendgrid.messages()).toHaveLength(sent)
  })
})
