/**
 * Team invitations (core/team) on a real workspace: configuration problems before anything is written, unknown ids,
 * and the whole life of an invitation — created, sent, failed, sent again, revoked — through the SMTP mode against a
 * real smtp-server with STARTTLS and AUTH (certificates from a throw-away CA made with openssl at test time).
 */
import { simpleParser } from 'mailparser'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createMailService, type MailService } from '../../src-main/core/mail/mail.service'
import { createTeamService, type TeamService } from '../../src-main/core/team/team.service'
import type { InvitationDoc } from '../../src-main/core/team/invitations.store'
import { openWorkspace, type Workspace } from '../../src-main/core/store/workspace'
import { createMemoryStore } from '../../src-main/core/vault/memory.store'
import { CURRENT_SCHEMA } from '../../src-main/core/store/schema'
import { invitationSchema } from '../../src-shared/models/mail'
import { rejection, tempDir } from '../helpers/core'
import { missingService } from '../helpers/system'
import { firstAddress, makePki, opensslMissing, PASSWORD, startSmtp, USER, type Pki, type SmtpPeer } from '../peers/smtp/smtp.peer'

const ctx = { actor: 'tester' }

let workspace: Workspace
let cleanup: () => Promise<void>
let mail: MailService
let team: TeamService
let teamChanges: number

beforeEach(async () => {
  const dir = await tempDir('fieldline-team-')
  cleanup = dir.cleanup
  workspace = await openWorkspace(dir.dir)
  mail = createMailService({ db: workspace.db, vault: createMemoryStore(), smtpTimeouts: { greetingMs: 1500, connectionMs: 3000, socketMs: 5000 } })
  teamChanges = 0
  team = createTeamService({ db: workspace.db, mail, onChange: () => teamChanges++ })
})

afterEach(async () => {
  await workspace.close()
  await cleanup()
})

describe('invitations need an email configuration', () => {
  it('reports "not configured" before writing any invitation', async () => {
    const err = await rejection(team.invite({ name: 'Olga', email: 'olga@example.org', role: 'operator' }, ctx))
    expect(err.code).toBe('NOT_FOUND')
    expect(err.details?.ref?.key).toBe('mail.notConfigured')
    expect((await team.list()).items).toEqual([])
    expect(teamChanges).toBe(0)
  })

  it('needs the organisation name for invitations', async () => {
    await mail.saveSettings({ mode: 'sendgridApiKey', settings: { adminName: 'Ada Admin', adminEmail: 'ada@example.com' }, secrets: { apiKey: 'SG.secret-key-2' } }, ctx)
    const err = await rejection(team.invite({ name: 'Olga', email: 'olga@example.org', role: 'operator' }, ctx))
    expect(err.details?.ref?.key).toBe('mail.organisationRequired')
    expect((await team.list()).items).toEqual([])
  })

  it('tells a script using the environment which variables to set (cold trial: it was sent to Extensions → Email)', async () => {
    const saved = { ...process.env }
    try {
      for (const name of ['FIELDLINE_SMTP_URL', 'FIELDLINE_SENDGRID_API_KEY', 'FIELDLINE_ORGANISATION']) delete process.env[name]
      const cli = createMailService({ db: workspace.db, vault: createMemoryStore(), configOverride: 'env' })
      const cliTeam = createTeamService({ db: workspace.db, mail: cli })
      const none = await rejection(cliTeam.invite({ name: 'Olga', email: 'olga@example.org', role: 'operator' }, ctx))
      expect(none.details?.ref?.key).toBe('mail.notConfigured')
      expect(none.message).toContain('FIELDLINE_SMTP_URL')

      Object.assign(process.env, { FIELDLINE_SENDGRID_API_KEY: 'SG.secret-key-2', FIELDLINE_SENDGRID_URL: 'http://127.0.0.1:9', FIELDLINE_MAIL_FROM: 'ada@example.com' })
      const env = createMailService({ db: workspace.db, vault: createMemoryStore(), configOverride: 'env' })
      const envTeam = createTeamService({ db: workspace.db, mail: env })
      const noOrganisation = await rejection(envTeam.invite({ name: 'Olga', email: 'olga@example.org', role: 'operator' }, ctx))
      expect(noOrganisation.details?.ref?.key).toBe('mail.organisationRequired')
      expect(noOrganisation.message).toContain('FIELDLINE_ORGANISATION')
      expect((await team.list()).items).toEqual([])
    } finally {
      for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name]
      Object.assign(process.env, saved)
    }
  })

  it('reports unknown invitations and malformed ids', async () => {
    expect((await rejection(team.resend('0123456789abcdef', ctx))).details?.ref).toEqual({ key: 'mail.invitation.notFound', params: { id: '0123456789abcdef' } })
    expect((await rejection(team.revoke('../../etc', ctx))).code).toBe('VALIDATION')
  })
})

describe('invitation 1 → 2 → 3 → 4', () => {
  /**
   * What each older schema lacks: 1 was written before codes (no account), 2 before joining was known (no joinedAt),
   * 3 before a send was marked while under way (no sending, no unknownSince).
   */
  const older = [
    {
      schemaVersion: 1,
      before: 'codes (a teammate on an older release may replicate one in)',
      id: '00000000000000aa',
      at: '2026-01-01T00:00:00.000Z',
      fields: { name: 'Old', email: 'old@example.org', role: 'viewer', language: 'en' },
    },
    {
      schemaVersion: 2,
      before: 'joining was known',
      id: '00000000000000bb',
      at: '2026-02-01T00:00:00.000Z',
      fields: { name: 'Two', email: 'two@example.org', role: 'operator', language: 'fr', account: null },
    },
    {
      schemaVersion: 3,
      before: 'sends were marked while under way',
      id: '00000000000000cc',
      at: '2026-03-01T00:00:00.000Z',
      fields: { name: 'Three', email: 'three@example.org', role: 'operator', language: 'en', account: null, joinedAt: null },
    },
  ]

  for (const { schemaVersion, before, id, at, fields } of older) {
    it(`reads an invitation written before ${before} (schema ${schemaVersion}) as one without an account, not joined, not cut off`, async () => {
      expect(CURRENT_SCHEMA.invitation).toBe(4)
      const written = {
        _id: `invitation:${id}`,
        kind: 'invitation',
        schemaVersion,
        ...fields,
        organisation: 'Acme',
        invitedBy: 'Ada',
        state: 'sent',
        via: 'smtp',
        attempts: 1,
        messageId: null,
        lastError: null,
        createdAt: at,
        updatedAt: at,
        sentAt: at,
        revokedAt: null,
      }
      await workspace.db.put(written)
      const { items } = await team.list()
      expect(items).toEqual([expect.objectContaining({ id, state: 'sent', account: null, joinedAt: null, unknownSince: null })])
      expect(invitationSchema.parse(items[0])).toEqual(items[0])
      // Revoked, it has no user on a team server to remove: recorded as before.
      expect(await team.revoke(id, ctx)).toMatchObject({ state: 'revoked', account: null })
    })
  }
})

/** openssl makes the test certificates; without it the suite skips loudly, or fails under FIELDLINE_STRICT=1. */
const NO_OPENSSL = missingService('openssl', opensslMissing())

describe.skipIf(NO_OPENSSL !== null)('invitations sent over SMTP with STARTTLS and AUTH', () => {
  let pki: Pki
  let cleanupPki: () => Promise<void>
  let starttls: SmtpPeer

  beforeAll(async () => {
    const dir = await tempDir('fieldline-team-pki-')
    cleanupPki = dir.cleanup
    pki = await makePki(dir.dir)
    starttls = await startSmtp({ key: pki.keyPem, cert: pki.certPem, secure: false })
  })

  afterAll(async () => {
    await starttls?.close()
    await cleanupPki?.()
  })

  function smtpSettings(peer: SmtpPeer, overrides: Record<string, unknown> = {}) {
    return {
      mode: 'smtp' as const,
      organisation: 'Acme Field Ops',
      settings: { host: '127.0.0.1', port: peer.port, security: 'starttls' as const, username: USER, senderName: 'Ada Admin', senderAddress: 'ada@acme.example', ca: pki.caPem, ...overrides },
      secrets: { password: PASSWORD },
    }
  }

  it('invites an operator: the invitation arrives translated, HTML-escaped, and is listed as sent with its audit trail', async () => {
    await mail.saveSettings(smtpSettings(starttls, {}), ctx)
    await mail.saveSettings({ ...smtpSettings(starttls), organisation: '<b>Acme</b> & Fils' }, ctx)
    const before = starttls.received.length
    const invitation = await team.invite({ name: "Zoë O'Brien & Co", email: 'zoe@example.org', role: 'operator', language: 'fr' }, ctx)
    expect(invitation).toMatchObject({ state: 'sent', via: 'smtp', attempts: 1, email: 'zoe@example.org', role: 'operator', language: 'fr', invitedBy: 'Ada Admin', lastError: null })
    expect(invitation.sentAt).not.toBeNull()

    const got = starttls.received[before]!
    expect(got.to).toEqual(['zoe@example.org'])
    const parsed = await simpleParser(got.raw)
    expect(firstAddress(parsed.to)).toEqual({ address: 'zoe@example.org', name: "Zoë O'Brien & Co" })
    expect(parsed.subject).toBe('Ada Admin vous invite à rejoindre <b>Acme</b> & Fils sur Fieldline')
    expect(parsed.headers.get('content-language')).toBe('fr')
    expect(parsed.text).toContain("Bonjour Zoë O'Brien & Co,")
    expect(parsed.text).toContain('avec le rôle «\u00a0opérateur\u00a0»')
    expect(parsed.text).toContain(`Référence de l’invitation\u00a0: ${invitation.id}`)
    const html = parsed.html || ''
    expect(html).toContain('&lt;b&gt;Acme&lt;/b&gt; &amp; Fils')
    expect(html).toContain('Zoë O&#39;Brien &amp; Co')
    expect(html).not.toContain('<b>Acme</b>')

    const { items } = await team.list()
    expect(items.map((i) => [i.id, i.state])).toEqual([[invitation.id, 'sent']])
    const audit = (await workspace.db.allDocs({ include_docs: true, startkey: 'audit:', endkey: 'audit:\ufff0' })).rows.map(
      (r) => r.doc as unknown as { action: string; target: string; outcome: string },
    )
    expect(audit.filter((a) => a.target === `invitation/${invitation.id}`).map((a) => [a.action, a.outcome])).toEqual([
      ['invitation.create', 'ok'],
      ['invitation.send', 'ok'],
    ])
  })

  it('records a failed invitation with its reason, sends it again once fixed, and refuses to resend a revoked one', async () => {
    await mail.saveSettings(smtpSettings(starttls), ctx)
    await mail.saveSettings({ ...smtpSettings(starttls), secrets: { password: 'wrong-password' } }, ctx)
    const failed = await team.invite({ name: 'Victor Viewer', email: 'victor@example.org', role: 'viewer', language: 'en' }, ctx)
    expect(failed.state).toBe('failed')
    expect(failed.lastError).toMatchObject({ code: 'AUTH_FAILED', ref: { key: 'mail.smtp.authFailed' } })
    // What the bridge will return: the output schema keeps every field, the failure reason included.
    expect(invitationSchema.parse(failed)).toEqual(failed)

    await mail.saveSettings(smtpSettings(starttls), ctx)
    const before = starttls.received.length
    const sent = await team.resend(failed.id, ctx)
    expect(sent).toMatchObject({ state: 'sent', attempts: 2, lastError: null })
    const parsed = await simpleParser(starttls.received[before]!.raw)
    expect(parsed.subject).toBe('Ada Admin invited you to join Acme Field Ops on Fieldline')
    expect(parsed.text).toContain('as a viewer.')

    const revoked = await team.revoke(failed.id, ctx)
    expect(revoked.state).toBe('revoked')
    expect(revoked.revokedAt).not.toBeNull()
    const err = await rejection(team.resend(failed.id, ctx))
    expect(err.code).toBe('CONFLICT')
    expect(err.details?.ref?.key).toBe('mail.invitation.revoked')
    expect(starttls.received.length).toBe(before + 1)
    expect((await team.list({ state: 'revoked' })).items.map((i) => i.id)).toEqual([failed.id])
  })

  it('refuses a second invitation to the same address while one is active', async () => {
    await mail.saveSettings(smtpSettings(starttls), ctx)
    await team.invite({ name: 'Olga Operator', email: 'olga@example.org', role: 'operator' }, ctx)
    const err = await rejection(team.invite({ name: 'Olga Operator', email: 'OLGA@example.org', role: 'administrator' }, ctx))
    expect(err.code).toBe('CONFLICT')
    expect(err.details?.ref?.key).toBe('mail.invitation.exists')
  })

  it('sends one invitation when the same address is invited twice at once (two windows), and refuses the other as a duplicate', async () => {
    await mail.saveSettings(smtpSettings(starttls), ctx)
    const received = starttls.received.length
    const both = await Promise.allSettled([
      team.invite({ name: 'Paul Operator', email: 'paul@example.org', role: 'operator' }, ctx),
      team.invite({ name: 'Paul Operator', email: 'PAUL@example.org', role: 'operator' }, ctx),
    ])
    expect(both.map((r) => r.status)).toEqual(['fulfilled', 'rejected'])
    expect(both[0]).toMatchObject({ value: { state: 'sent' } })
    expect(both[1]).toMatchObject({ reason: { code: 'CONFLICT', details: { ref: { key: 'mail.invitation.exists', params: { state: 'sent' } } } } })
    expect((await team.list()).items.filter((i) => i.email.toLowerCase() === 'paul@example.org')).toHaveLength(1)
    expect(starttls.received.length).toBe(received + 1)
  })
})

describe('sends cut off by a process that ended', () => {
  /** An invitation marked as being sent by workspace `by`, as a killed `team invite` leaves it (team-invite-kill.test.ts). */
  async function markedSend(id: string, by: string, state: 'pending' | 'revoked' = 'pending'): Promise<void> {
    const at = '2026-04-01T00:00:00.000Z'
    const doc: InvitationDoc = {
      _id: `invitation:${id}`,
      kind: 'invitation',
      schemaVersion: CURRENT_SCHEMA.invitation,
      name: 'Tess',
      email: `${id}@example.org`,
      role: 'operator',
      language: 'en',
      organisation: 'Acme',
      invitedBy: 'Ada',
      state,
      via: null,
      attempts: 0,
      messageId: null,
      lastError: null,
      createdAt: at,
      updatedAt: at,
      sentAt: null,
      revokedAt: state === 'revoked' ? at : null,
      account: null,
      joinedAt: null,
      sending: { since: at, by },
      unknownSince: null,
    }
    await workspace.db.put(doc)
  }

  it("judges only this workspace's marks: a teammate's send may still be under way", async () => {
    await markedSend('00000000000000d1', 'this-workspace')
    await markedSend('00000000000000d2', 'a-teammate')
    await markedSend('00000000000000d3', 'this-workspace', 'revoked')
    const here = createTeamService({ db: workspace.db, mail, workspaceId: 'this-workspace' })
    expect((await here.interruptedSends()).map((i) => [i.id, i.state])).toEqual([
      ['00000000000000d1', 'unknown'],
      ['00000000000000d3', 'revoked'],
    ])
    const { items } = await here.list()
    expect(Object.fromEntries(items.map((i) => [i.id, [i.state, i.unknownSince]]))).toEqual({
      '00000000000000d1': ['unknown', '2026-04-01T00:00:00.000Z'],
      '00000000000000d2': ['pending', null],
      '00000000000000d3': ['revoked', null],
    })
    // Judged once: the marks are gone, so a later open changes nothing.
    expect(await here.interruptedSends()).toEqual([])
    // A workspace without an id (a read-only copy) judges none.
    expect(await createTeamService({ db: workspace.db, mail, workspaceId: null }).interruptedSends()).toEqual([])
  })
})
