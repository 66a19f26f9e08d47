/**
 * "SendGrid with API key" end to end against test/peers/sendgrid: the peer is first checked against the wire rules of
 * docs/wire/mail.md §8 with plain fetch, then the mail service is run against it for every answer the spec lists.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createMailService, type MailService } from '../../src-main/core/mail/mail.service'
import { createTeamService, type TeamService } from '../../src-main/core/team/team.service'
import { createSendGridMailer } from '../../src-main/core/mail/sendgrid.client'
import { openWorkspace, type Workspace } from '../../src-main/core/store/workspace'
import { createMemoryStore } from '../../src-main/core/vault/memory.store'
import type { SecretStore } from '../../src-main/core/vault/secret-store'
import { rejection, tempDir } from '../helpers/core'
import { DEFAULT_API_KEY, startSendGridPeer, type SendGridPeer } from '../peers/sendgrid/sendgrid.peer'

const ctx = { actor: 'tester' }
const SENDER = 'admin@example.com'

let peer: SendGridPeer

beforeAll(async () => {
  peer = await startSendGridPeer({ verifiedSenders: [SENDER] })
})

afterAll(async () => {
  await peer?.close()
})

afterEach(() => {
  peer.faults.clear()
  peer.setRateLimit(null)
  peer.setVerifiedSenders([SENDER])
})

const validBody = () => ({
  personalizations: [{ to: [{ email: 'tess@example.org', name: 'Tess' }] }],
  from: { email: SENDER, name: 'Ada Admin' },
  subject: 'Hello',
  content: [
    { type: 'text/plain', value: 'Hi' },
    { type: 'text/html', value: '<p>Hi</p>' },
  ],
})

async function post(body: unknown, key: string | null = DEFAULT_API_KEY, type = 'application/json'): Promise<{ status: number; text: string; headers: Headers }> {
  const headers: Record<string, string> = { 'content-type': type }
  if (key !== null) headers.authorization = `Bearer ${key}`
  const res = await fetch(`${peer.url}/v3/mail/send`, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) })
  return { status: res.status, text: await res.text(), headers: res.headers }
}

function errorFields(text: string): (string | null)[] {
  return (JSON.parse(text) as { errors: { field: string | null; message: string }[] }).errors.map((e) => e.field)
}

describe('the SendGrid peer (spec §8)', () => {
  it('queues a valid message with 202, an empty body and an X-Message-Id', async () => {
    const before = peer.messages().length
    const r = await post(validBody())
    expect(r.status).toBe(202)
    expect(r.text).toBe('')
    const stored = peer.messages()
    expect(stored).toHaveLength(before + 1)
    expect(stored.at(-1)!.messageId).toBe(r.headers.get('x-message-id'))
  })

  it('validates in sandbox mode with 200 and delivers nothing', async () => {
    const before = peer.messages().length
    const r = await post({ ...validBody(), mail_settings: { sandbox_mode: { enable: true } } })
    expect(r.status).toBe(200)
    expect(r.text).toBe('')
    expect(peer.messages()).toHaveLength(before)
  })

  it('answers 401 without a key or with an unknown one', async () => {
    expect((await post(validBody(), null)).status).toBe(401)
    const r = await post(validBody(), 'SG.nope')
    expect(r.status).toBe(401)
    expect(JSON.parse(r.text)).toEqual({ errors: [{ field: null, message: 'The provided authorization grant is invalid, expired, or revoked', help: null }] })
  })

  it('lists every problem of the body with its field (400)', async () => {
    const r = await post({ personalizations: [{ to: [] }], from: {}, content: [{ type: 'text/html', value: '' }] })
    expect(r.status).toBe(400)
    expect(errorFields(r.text)).toEqual(['personalizations.0.to', 'from.email', 'subject', 'content.0.value'])
    expect(errorFields((await post({ ...validBody(), personalizations: [] })).text)).toEqual(['personalizations'])
    expect(errorFields((await post({ ...validBody(), personalizations: [{ to: [{ email: 'not an address' }] }] })).text)).toEqual(['personalizations.0.to.0.email'])
    const duplicate = await post({ ...validBody(), personalizations: [{ to: [{ email: 'a@example.org' }], cc: [{ email: 'A@example.org' }] }] })
    expect(errorFields(duplicate.text)).toEqual(['personalizations.0'])
    const many = Array.from({ length: 1001 }, (_, i) => ({ email: `r${i}@example.org` }))
    expect(errorFields((await post({ ...validBody(), personalizations: [{ to: many }] })).text)).toEqual(['personalizations'])
    expect(
      errorFields(
        (
          await post({
            ...validBody(),
            content: [
              { type: 'text/html', value: '<p>x</p>' },
              { type: 'text/plain', value: 'x' },
            ],
          })
        ).text,
      ),
    ).toEqual(['content.1.type'])
    expect((await post('{not json')).status).toBe(400)
    expect((await post(validBody(), DEFAULT_API_KEY, 'text/plain')).status).toBe(415)
  })

  it('answers 415 "Invalid UTF8 in request" for a body that is not UTF-8, and 401 "authorization required" without a key', async () => {
    const bytes = Buffer.concat([Buffer.from(JSON.stringify(validBody()).replace('Hello', 'H')), Buffer.from([0xff])])
    const res = await fetch(`${peer.url}/v3/mail/send`, { method: 'POST', headers: { authorization: `Bearer ${DEFAULT_API_KEY}`, 'content-type': 'application/json' }, body: bytes })
    expect(res.status).toBe(415)
    expect(await res.json()).toEqual({ errors: [{ field: null, message: 'Invalid UTF8 in request', help: null }] })
    expect(JSON.parse((await post(validBody(), null)).text)).toEqual({ errors: [{ field: null, message: 'authorization required', help: null }] })
  })

  it('accepts a subject given in every personalization instead of at the top', async () => {
    const { subject: _subject, ...body } = validBody()
    expect((await post({ ...body, personalizations: [{ to: [{ email: 'tess@example.org' }], subject: 'Per person' }] })).status).toBe(202)
    expect(errorFields((await post(body)).text)).toEqual(['subject'])
  })

  it('answers 403 for a sender that is not a verified Sender Identity, in sandbox mode too', async () => {
    const body = { ...validBody(), from: { email: 'someone@elsewhere.example' } }
    const r = await post(body)
    expect(r.status).toBe(403)
    expect(errorFields(r.text)).toEqual(['from'])
    expect((await post({ ...body, mail_settings: { sandbox_mode: { enable: true } } })).status).toBe(403)
    peer.setVerifiedSenders(['@elsewhere.example'])
    expect((await post(body)).status).toBe(202)
  })

  it('answers 413 over the size limit and 429 over the rate limit', async () => {
    const small = await startSendGridPeer({ maxBodyBytes: 1000 })
    try {
      const res = await fetch(`${small.url}/v3/mail/send`, {
        method: 'POST',
        headers: { authorization: `Bearer ${DEFAULT_API_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ ...validBody(), content: [{ type: 'text/plain', value: 'x'.repeat(2000) }] }),
      })
      expect(res.status).toBe(413)
    } finally {
      await small.close()
    }
    peer.setRateLimit({ limit: 1, windowMs: 60_000 })
    expect((await post(validBody())).status).toBe(202)
    const limited = await post(validBody())
    expect(limited.status).toBe(429)
    expect(limited.headers.get('x-ratelimit-remaining')).toBe('0')
    expect(Number(limited.headers.get('x-ratelimit-reset'))).toBeGreaterThan(Date.now() / 1000 - 1)
    expect(limited.headers.get('x-ratelimit-limit')).toBe('1')
  })

  it('says on every answer under a rate limit what is left and when the period resets, as SendGrid does', async () => {
    peer.setRateLimit({ limit: 3, windowMs: 60_000 })
    const first = await post(validBody())
    expect(first.status).toBe(202)
    expect(first.headers.get('x-ratelimit-limit')).toBe('3')
    expect(first.headers.get('x-ratelimit-remaining')).toBe('2')
    const reset = Number(first.headers.get('x-ratelimit-reset'))
    expect(reset).toBeGreaterThan(Date.now() / 1000 + 50)
    const refusedForBody = await post({ ...validBody(), subject: '' })
    expect(refusedForBody.status).toBe(400)
    expect(refusedForBody.headers.get('x-ratelimit-remaining')).toBe('1')
    expect(Number(refusedForBody.headers.get('x-ratelimit-reset'))).toBe(reset)
  })

  it('sends the rate-limit headers with a 429 it is told to answer', async () => {
    peer.faults.set({ kind: 'status', status: 429, resetInSeconds: 120, times: 1 })
    const r = await post(validBody())
    expect(r.status).toBe(429)
    expect(r.headers.get('x-ratelimit-remaining')).toBe('0')
    expect(Number(r.headers.get('x-ratelimit-reset'))).toBeGreaterThan(Date.now() / 1000 + 100)
  })
})

describe('SendGrid with API key', () => {
  let workspace: Workspace
  let cleanup: () => Promise<void>
  let vault: SecretStore
  let logLines: string[]
  let mail: MailService
  /** Invitations are what the extension sends for real: the SendGrid answers are checked through them. */
  let team: TeamService
  const logger = {
    info: (...args: unknown[]) => void logLines.push(JSON.stringify(args)),
    warn: (...args: unknown[]) => void logLines.push(JSON.stringify(args)),
    error: (...args: unknown[]) => void logLines.push(JSON.stringify(args)),
    debug: (...args: unknown[]) => void logLines.push(JSON.stringify(args)),
  }

  const settings = (apiKey = DEFAULT_API_KEY, adminEmail = SENDER) => ({
    mode: 'sendgridApiKey' as const,
    organisation: 'Acme Field Ops',
    settings: { adminName: 'Ada Admin', adminEmail, baseUrl: peer.url },
    secrets: { apiKey },
  })

  beforeEach(async () => {
    const dir = await tempDir('fieldline-mail-sendgrid-')
    cleanup = dir.cleanup
    workspace = await openWorkspace(dir.dir)
    vault = createMemoryStore()
    logLines = []
    mail = createMailService({ db: workspace.db, vault, logger, sendgrid: { maxAttempts: 2 } })
    team = createTeamService({ db: workspace.db, mail, logger })
  })

  afterEach(async () => {
    await mail.close()
    await workspace.close()
    await cleanup()
  })

  it('saves the settings with the key in the vault only, and verifies with a sandbox request that delivers nothing', async () => {
    const view = await mail.saveSettings(settings(), ctx)
    expect(view).toMatchObject({ active: 'sendgridApiKey', organisation: 'Acme Field Ops', sendgridApiKey: { adminName: 'Ada Admin', adminEmail: SENDER, baseUrl: peer.url, apiKeySet: true } })
    expect(JSON.stringify(view)).not.toContain(DEFAULT_API_KEY)
    expect(await vault.get('mail:settings/sendgridApiKey')).toBe(DEFAULT_API_KEY)
    const stats = peer.stats()
    const stored = peer.messages().length
    await expect(mail.verify()).resolves.toEqual({ mode: 'sendgridApiKey', server: new URL(peer.url).host, delivered: false })
    expect(peer.stats().sandbox).toBe(stats.sandbox + 1)
    expect(peer.messages()).toHaveLength(stored)
  })

  it('sends the test email (202) with sender, recipient, subject, text then HTML, and language', async () => {
    await mail.saveSettings(settings(), ctx)
    const result = await mail.sendTest({ to: 'tess@example.org', language: 'en' }, ctx)
    const message = peer.messages().at(-1)!
    expect(result).toEqual({ mode: 'sendgridApiKey', messageId: message.messageId })
    expect(message.apiKey).toBe(DEFAULT_API_KEY)
    expect(message.body.from).toEqual({ email: SENDER, name: 'Ada Admin' })
    expect(message.body.personalizations).toEqual([{ to: [{ email: 'tess@example.org' }] }])
    expect(message.body.subject).toBe('Fieldline test email')
    expect(message.body.content.map((c) => c.type)).toEqual(['text/plain', 'text/html'])
    expect(message.body.content[0]!.value).toContain('sent through SendGrid (API key)')
    expect(message.body.headers).toEqual({ 'Content-Language': 'en' })
    expect(message.body.mail_settings).toBeUndefined()
  })

  it('sends an invitation in French with every value escaped in the HTML part', async () => {
    await mail.saveSettings({ ...settings(), organisation: 'R&D <Lab>' }, ctx)
    // A double quote may not be in a display name (it would end the quoting of the name): refused before sending.
    const refused = await rejection(team.invite({ name: 'Léa "Lee" Roux', email: 'lea@example.org', role: 'administrator', language: 'fr' }, ctx))
    expect(refused.details?.ref).toEqual({ key: 'mail.invalidName', params: { field: 'name' } })
    const sent = await team.invite({ name: 'Léa Roux & Co', email: 'lea@example.org', role: 'administrator', language: 'fr' }, ctx)
    expect(sent).toMatchObject({ state: 'sent', via: 'sendgridApiKey', organisation: 'R&D <Lab>' })
    const message = peer.messages().at(-1)!
    expect(message.messageId).toBe(sent.messageId)
    expect(message.body.personalizations[0]!.to).toEqual([{ email: 'lea@example.org', name: 'Léa Roux & Co' }])
    expect(message.body.subject).toBe('Ada Admin vous invite à rejoindre R&D <Lab> sur Fieldline')
    expect(message.body.headers).toEqual({ 'Content-Language': 'fr' })
    const [text, html] = message.body.content
    expect(text!.value).toContain('avec le rôle «\u00a0administrateur\u00a0»')
    expect(html!.value).toContain('<strong>R&amp;D &lt;Lab&gt;</strong>')
    expect(html!.value).toContain('Bonjour Léa Roux &amp; Co,')
    expect(html!.value).not.toContain('<Lab>')
  })

  it('maps 401 (bad key) without putting the key in the error, the logs or the workspace', async () => {
    await mail.saveSettings(settings('SG.revoked-key-123'), ctx)
    const err = await rejection(mail.verify())
    expect(err.code).toBe('AUTH_FAILED')
    expect(err.details?.ref).toEqual({ key: 'mail.sendgrid.unauthorized' })
    const sendErr = await rejection(mail.sendTest({ to: 'tess@example.org' }, ctx))
    expect(sendErr.details?.ref?.key).toBe('mail.sendgrid.unauthorized')
    const all = await workspace.db.allDocs({ include_docs: true })
    const everything = [JSON.stringify(err), err.message, JSON.stringify(sendErr), ...logLines, JSON.stringify(all.rows)].join('\n')
    expect(everything).not.toContain('SG.revoked-key-123')
    expect(logLines.length).toBeGreaterThan(0)
  })

  it('maps 403 to "sender not verified", naming the sender', async () => {
    await mail.saveSettings(settings(DEFAULT_API_KEY, 'ops@unverified.example'), ctx)
    const err = await rejection(mail.verify())
    expect(err.code).toBe('FORBIDDEN')
    expect(err.details?.ref).toEqual({ key: 'mail.sendgrid.senderNotVerified', params: { sender: 'ops@unverified.example' } })
  })

  it('maps 400 to a validation error that lists the fields', async () => {
    const mailer = createSendGridMailer({ baseUrl: peer.url, apiKey: DEFAULT_API_KEY, from: { name: 'Ada', address: SENDER } })
    try {
      const err = await rejection(mailer.send({ from: mailer.from, to: { address: 'tess@example.org' }, subject: 'Empty', text: '', html: '', language: 'en' }))
      expect(err.code).toBe('VALIDATION')
      expect(err.details?.ref).toEqual({ key: 'mail.sendgrid.badRequest', params: { fields: 'content.0.value, content.1.value', count: 2 } })
      expect(err.details?.issues?.map((i) => i.path)).toEqual(['content.0.value', 'content.1.value'])
      expect(err.message).toContain('content.0.value')
    } finally {
      await mailer.close()
    }
  })

  it('maps 413 to "too large"', async () => {
    const small = await startSendGridPeer({ maxBodyBytes: 600 })
    try {
      await mail.saveSettings({ ...settings(), settings: { ...settings().settings, baseUrl: small.url } }, ctx)
      const invitation = await team.invite({ name: 'Tess', email: 'tess@example.org', role: 'viewer' }, ctx)
      expect(invitation.state).toBe('failed')
      expect(invitation.lastError).toMatchObject({ code: 'TOO_LARGE', ref: { key: 'mail.sendgrid.tooLarge' } })
      const err = await rejection(mail.sendTest({ to: 'tess@example.org' }, ctx))
      expect(err.code).toBe('TOO_LARGE')
      expect(small.messages()).toHaveLength(0)
    } finally {
      await small.close()
    }
  })

  it('retries a 429 once SendGrid’s announced reset has passed, and sends the message once', async () => {
    await mail.saveSettings(settings(), ctx)
    const before = peer.messages().length
    peer.faults.set({ kind: 'status', status: 429, resetInSeconds: 1, times: 1 })
    await mail.sendTest({ to: 'tess@example.org' }, ctx)
    expect(peer.messages()).toHaveLength(before + 1)

    // The key's period lasts 1.5 s: a retry after the usual back-off (a tenth of a second) is refused again.
    peer.setRateLimit({ limit: 1, windowMs: 1500 })
    await mail.sendTest({ to: 'tess@example.org' }, ctx)
    const refused = peer.stats().byStatus['429'] ?? 0
    const invitation = await team.invite({ name: 'Tess', email: 'tess@example.org', role: 'viewer' }, ctx)
    expect(invitation).toMatchObject({ state: 'sent', lastError: null })
    expect(peer.stats().byStatus['429']).toBe(refused + 1)
    expect(peer.messages()).toHaveLength(before + 3)
  })

  it('stops at once when the reset is too far to wait for, says when, and the invitation is sent by a resend after it', async () => {
    await mail.saveSettings(settings(), ctx)
    peer.setRateLimit({ limit: 1, windowMs: 60_000 })
    await mail.sendTest({ to: 'tess@example.org' }, ctx)
    const before = peer.messages().length
    const refused = peer.stats().byStatus['429'] ?? 0

    const err = await rejection(mail.sendTest({ to: 'tess@example.org' }, ctx))
    expect(err.code).toBe('RATE_LIMITED')
    const at = String(err.details?.ref?.params?.at)
    expect(err.details?.ref?.key).toBe('mail.sendgrid.rateLimitedUntil')
    expect(Date.parse(at)).toBeGreaterThan(Date.now() + 30_000)
    expect(err.message).toContain(at)

    const invitation = await team.invite({ name: 'Olga Operator', email: 'olga@example.org', role: 'operator' }, ctx)
    expect(invitation.state).toBe('failed')
    expect(invitation.lastError).toMatchObject({ code: 'RATE_LIMITED', ref: { key: 'mail.sendgrid.rateLimitedUntil', params: { at } } })
    // One request each: a wait that long is not made, and a retry before it would only be refused again.
    expect(peer.stats().byStatus['429']).toBe(refused + 2)
    expect(peer.messages()).toHaveLength(before)

    peer.setRateLimit(null)
    await expect(team.resend(invitation.id, ctx)).resolves.toMatchObject({ state: 'sent', attempts: 2, lastError: null })
    expect(peer.messages().map((m) => m.body.personalizations[0]!.to[0]!.email)).toContain('olga@example.org')
  })

  it('maps 500 to "unavailable" and records the invitation as failed with that reason; resend sends it', async () => {
    await mail.saveSettings(settings(), ctx)
    peer.faults.set({ kind: 'status', status: 500, times: 1 })
    const failed = await team.invite({ name: 'Olga Operator', email: 'olga@example.org', role: 'operator' }, ctx)
    expect(failed.state).toBe('failed')
    expect(failed.lastError).toMatchObject({ code: 'CARRIER', ref: { key: 'mail.sendgrid.unavailable', params: { status: 500 } } })
    const audit = (await workspace.db.allDocs({ include_docs: true, startkey: 'audit:', endkey: 'audit:\ufff0' })).rows.map(
      (r) => r.doc as unknown as { action: string; outcome: string; error?: unknown },
    )
    // The code and the message's reference only: the server's reply stays out of the replicated trail.
    expect(audit.find((a) => a.action === 'invitation.send')).toMatchObject({
      outcome: 'failed',
      error: { code: 'CARRIER', message: 'mail.sendgrid.unavailable', details: { ref: { key: 'mail.sendgrid.unavailable' } } },
    })
    const sent = await team.resend(failed.id, ctx)
    expect(sent).toMatchObject({ state: 'sent', attempts: 2, lastError: null })
  })

  it('reports a 503 without Retry-After on a send as an unknown outcome and does not send again', async () => {
    await mail.saveSettings(settings(), ctx)
    const requests = peer.stats().requests
    peer.faults.set({ kind: 'status', status: 503, times: 1 })
    const err = await rejection(mail.sendTest({ to: 'tess@example.org' }, ctx))
    expect(err.code).toBe('UNKNOWN_OUTCOME')
    expect(err.details?.ref?.key).toBe('mail.unknownOutcome')
    expect(peer.stats().requests).toBe(requests + 1)
  })

  it('retries the harmless sandbox check through a 503 with Retry-After, and maps a lasting 503 to "unavailable"', async () => {
    await mail.saveSettings(settings(), ctx)
    peer.faults.set({ kind: 'status', status: 503, retryAfterSeconds: 0, times: 1 })
    await expect(mail.verify()).resolves.toMatchObject({ delivered: false })
    peer.faults.set({ kind: 'status', status: 503, retryAfterSeconds: 0 })
    const err = await rejection(mail.verify())
    expect(err).toMatchObject({ code: 'CARRIER', details: { ref: { key: 'mail.sendgrid.unavailable', params: { status: 503 } } } })
  })

  it('reports a dropped connection on a send as an unknown outcome, even when SendGrid had queued it', async () => {
    await mail.saveSettings(settings(), ctx)
    const before = peer.messages().length
    peer.faults.set({ kind: 'drop', afterAccept: true, times: 1 })
    const err = await rejection(mail.sendTest({ to: 'tess@example.org' }, ctx))
    expect(err.code).toBe('UNKNOWN_OUTCOME')
    expect(err.details?.ref?.key).toBe('mail.unknownOutcome')
    // Queued once, never repeated.
    expect(peer.messages()).toHaveLength(before + 1)
  })

  it('reports a connection that always drops as a network error on verify', async () => {
    await mail.saveSettings(settings(), ctx)
    peer.faults.set({ kind: 'drop' })
    const err = await rejection(mail.verify())
    expect(err.code).toBe('NETWORK')
    expect(err.details?.ref?.key).toBe('errors.network')
  })

  it('refuses plain http:// to anything but a loopback host', async () => {
    const err = await rejection(mail.saveSettings({ ...settings(), settings: { ...settings().settings, baseUrl: 'http://api.sendgrid.com' } }, ctx))
    expect(err.code).toBe('VALIDATION')
    expect(err.details?.ref?.key).toBe('errors.insecureUrl')
  })

  it('maps a 404 from a URL that is not the API to "not SendGrid"', async () => {
    await mail.saveSettings({ ...settings(), settings: { ...settings().settings, baseUrl: `${peer.url}/not-the-api` } }, ctx)
    const err = await rejection(mail.verify())
    expect(err.code).toBe('NOT_FOUND')
    expect(err.details?.ref).toEqual({ key: 'mail.sendgrid.notSendGrid', params: { url: `${peer.url}/not-the-api` } })
  })
})
