/**
 * The SMTP modes end to end against real smtp-server instances on 127.0.0.1: STARTTLS + AUTH, TLS from the start, a
 * server without STARTTLS, a plain loopback relay. The certificates come from a throw-away CA that this file makes
 * with openssl in a temporary directory (never in the repository), so trusting it takes the custom-CA setting.
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net'
import { simpleParser, type ParsedMail } from 'mailparser'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createMailService, type MailService } from '../../src-main/core/mail/mail.service'
import { createTeamService } from '../../src-main/core/team/team.service'
import { createSmtpMailer } from '../../src-main/core/mail/smtp.transport'
import { openWorkspace, type Workspace } from '../../src-main/core/store/workspace'
import { createMemoryStore } from '../../src-main/core/vault/memory.store'
import type { SecretStore } from '../../src-main/core/vault/secret-store'
import { rejection, tempDir } from '../helpers/core'
import { missingService } from '../helpers/system'
import { firstAddress, makePki, opensslMissing, PASSWORD, startSmtp, USER, type Pki, type SmtpPeer } from '../peers/smtp/smtp.peer'
import { freePort } from '../helpers/ports'

const ctx = { actor: 'tester' }

/** A TCP server that accepts and then says nothing: the greeting never comes. */
async function startSilent(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>()
  const server: Server = createServer((socket) => {
    sockets.add(socket)
    socket.on('error', () => undefined)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
}

/** openssl makes the test certificates; without it the suite skips loudly, or fails under FIELDLINE_STRICT=1. */
const NO_OPENSSL = missingService('openssl', opensslMissing())

describe.skipIf(NO_OPENSSL !== null)('SMTP modes against smtp-server', () => {
  let pki: Pki
  let cleanupPki: () => Promise<void>
  let starttls: SmtpPeer
  let implicitTls: SmtpPeer
  let noStarttls: SmtpPeer

  beforeAll(async () => {
    const dir = await tempDir('fieldline-mail-pki-')
    cleanupPki = dir.cleanup
    pki = await makePki(dir.dir)
    starttls = await startSmtp({ key: pki.keyPem, cert: pki.certPem, secure: false })
    implicitTls = await startSmtp({ key: pki.keyPem, cert: pki.certPem, secure: true })
    // A relay that cannot do TLS: plain-text AUTH would be accepted, which is exactly what must never happen off loopback.
    noStarttls = await startSmtp({ secure: false, disabledCommands: ['STARTTLS'], allowInsecureAuth: true })
  })

  afterAll(async () => {
    await Promise.all([starttls?.close(), implicitTls?.close(), noStarttls?.close()])
    await cleanupPki?.()
  })

  let workspace: Workspace
  let cleanup: () => Promise<void>
  let vault: SecretStore
  let logLines: string[]
  let mail: MailService

  const logger = {
    info: (...args: unknown[]) => void logLines.push(JSON.stringify(args)),
    warn: (...args: unknown[]) => void logLines.push(JSON.stringify(args)),
    error: (...args: unknown[]) => void logLines.push(JSON.stringify(args)),
    debug: (...args: unknown[]) => void logLines.push(JSON.stringify(args)),
  }

  /** Invitations through the mail service under test (header checks and the SendGrid-username mode send them). */
  const team = () => createTeamService({ db: workspace.db, mail })

  function service(extra: Partial<Parameters<typeof createMailService>[0]> = {}): MailService {
    return createMailService({ db: workspace.db, vault, logger, smtpTimeouts: { greetingMs: 1500, connectionMs: 3000, socketMs: 5000 }, ...extra })
  }

  function smtpSettings(peer: SmtpPeer, overrides: Record<string, unknown> = {}) {
    return {
      mode: 'smtp' as const,
      organisation: 'Acme Field Ops',
      settings: { host: '127.0.0.1', port: peer.port, security: 'starttls' as const, username: USER, senderName: 'Ada Admin', senderAddress: 'ada@acme.example', ca: pki.caPem, ...overrides },
      secrets: { password: PASSWORD },
    }
  }

  /** Everything the workspace holds, as text: no secret may be in it. */
  async function workspaceText(): Promise<string> {
    const all = await workspace.db.allDocs({ include_docs: true })
    return JSON.stringify(all.rows.map((r) => r.doc))
  }

  beforeEach(async () => {
    const dir = await tempDir('fieldline-mail-smtp-')
    cleanup = dir.cleanup
    workspace = await openWorkspace(dir.dir)
    vault = createMemoryStore()
    logLines = []
    mail = service()
  })

  afterEach(async () => {
    await workspace.close()
    await cleanup()
  })

  describe('SMTP with STARTTLS and AUTH', () => {
    it('verifies (connect, STARTTLS, AUTH) without sending anything', async () => {
      await mail.saveSettings(smtpSettings(starttls), ctx)
      const before = starttls.received.length
      await expect(mail.verify()).resolves.toEqual({ mode: 'smtp', server: `127.0.0.1:${starttls.port}`, delivered: false })
      expect(starttls.received.length).toBe(before)
    })

    it('sends the test email over TLS, authenticated, with the right sender, recipient, subject, parts and language', async () => {
      await mail.saveSettings(smtpSettings(starttls), ctx)
      const before = starttls.received.length
      const result = await mail.sendTest({ to: 'tess@example.org', language: 'fr' }, ctx)
      expect(result.mode).toBe('smtp')
      expect(result.messageId).toMatch(/^<.+>$/)
      const got = starttls.received[before]!
      expect(got).toMatchObject({ from: 'ada@acme.example', to: ['tess@example.org'], secure: true, user: USER })
      const parsed: ParsedMail = await simpleParser(got.raw)
      expect(firstAddress(parsed.from)).toEqual({ address: 'ada@acme.example', name: 'Ada Admin' })
      expect(firstAddress(parsed.to)?.address).toBe('tess@example.org')
      expect(parsed.subject).toBe('E-mail de test Fieldline')
      expect(parsed.text).toContain('Ceci est un message de test de Fieldline')
      expect(parsed.html).toContain('<html lang="fr">')
      expect(parsed.headers.get('content-language')).toBe('fr')
      expect(parsed.messageId).toBe(result.messageId)
    })

    it('maps a wrong password to a translated authentication error, without the password anywhere', async () => {
      await mail.saveSettings({ ...smtpSettings(starttls), secrets: { password: 'Wr0ng-Pa55word!' } }, ctx)
      const err = await rejection(mail.verify())
      expect(err.code).toBe('AUTH_FAILED')
      expect(err.details?.ref).toEqual({ key: 'mail.smtp.authFailed', params: { host: '127.0.0.1' } })
      const everything = [JSON.stringify(err), err.message, ...logLines, await workspaceText()].join('\n')
      for (const secret of ['Wr0ng-Pa55word!', Buffer.from('Wr0ng-Pa55word!').toString('base64'), Buffer.from(`\u0000${USER}\u0000Wr0ng-Pa55word!`).toString('base64')]) {
        expect(everything).not.toContain(secret)
      }
    })
  })

  describe('SMTP with TLS from the start', () => {
    it('verifies and sends with the custom CA', async () => {
      await mail.saveSettings(smtpSettings(implicitTls, { security: 'tls' }), ctx)
      await expect(mail.verify()).resolves.toMatchObject({ mode: 'smtp', delivered: false })
      const before = implicitTls.received.length
      await mail.sendTest({ to: 'tess@example.org' }, ctx)
      expect(implicitTls.received[before]).toMatchObject({ secure: true, user: USER, to: ['tess@example.org'] })
    })

    it('refuses a certificate from a CA it was not given', async () => {
      const { ca: _ca, ...withoutCa } = smtpSettings(implicitTls, { security: 'tls' }).settings
      await mail.saveSettings({ ...smtpSettings(implicitTls), settings: withoutCa }, ctx)
      const auths = implicitTls.authAttempts
      const err = await rejection(mail.verify())
      expect(err.code).toBe('TLS')
      expect(err.details?.ref?.key).toBe('mail.smtp.tls')
      expect(String(err.details?.ref?.params?.reason)).toBe('unable to verify the first certificate')
      expect(implicitTls.authAttempts).toBe(auths)
    })
  })

  describe('TLS failures', () => {
    it('refuses the untrusted certificate of a STARTTLS server without the custom CA, before any password is sent', async () => {
      const { ca: _ca, ...withoutCa } = smtpSettings(starttls).settings
      await mail.saveSettings({ ...smtpSettings(starttls), settings: withoutCa }, ctx)
      const auths = starttls.authAttempts
      const err = await rejection(mail.verify())
      expect(err.code).toBe('TLS')
      expect(err.details?.ref?.key).toBe('mail.smtp.tls')
      expect(String(err.details?.ref?.params?.reason)).toMatch(/certificate/i)
      expect(starttls.authAttempts).toBe(auths)
    })

    it('fails when STARTTLS is required and the server does not offer it, and never sends the password in clear', async () => {
      await mail.saveSettings(smtpSettings(noStarttls, { ca: undefined }), ctx)
      const err = await rejection(mail.verify())
      expect(err.code).toBe('TLS')
      expect(err.details?.ref?.key).toBe('mail.smtp.starttlsUnavailable')
      const sendErr = await rejection(mail.sendTest({ to: 'tess@example.org' }, ctx))
      expect(sendErr.details?.ref?.key).toBe('mail.smtp.starttlsUnavailable')
      expect(noStarttls.authAttempts).toBe(0)
      expect(noStarttls.received).toHaveLength(0)
    })
  })

  describe('plain SMTP', () => {
    it('is accepted for a loopback relay', async () => {
      await mail.saveSettings(smtpSettings(noStarttls, { security: 'none', ca: undefined }), ctx)
      await mail.sendTest({ to: 'tess@example.org' }, ctx)
      expect(noStarttls.received.at(-1)).toMatchObject({ secure: false, user: USER })
    })

    it('is refused for any other host', async () => {
      const err = await rejection(mail.saveSettings(smtpSettings(noStarttls, { host: 'smtp.example.com', security: 'none' }), ctx))
      expect(err.code).toBe('VALIDATION')
      expect(err.details?.ref).toEqual({ key: 'mail.smtp.insecureHost', params: { host: 'smtp.example.com' } })
      expect(await mail.getSettings()).toMatchObject({ active: null, smtp: null })
    })
  })

  describe('connection failures', () => {
    it('reports a refused connection', async () => {
      const port = await freePort()
      await mail.saveSettings({ ...smtpSettings(starttls), settings: { ...smtpSettings(starttls).settings, port } }, ctx)
      const err = await rejection(mail.verify())
      expect(err.code).toBe('NETWORK')
      expect(err.details?.ref).toEqual({ key: 'mail.smtp.connectionRefused', params: { host: '127.0.0.1', port } })
      const sendErr = await rejection(mail.sendTest({ to: 'tess@example.org' }, ctx))
      expect(sendErr.details?.ref?.key).toBe('mail.smtp.connectionRefused')
    })

    it('reports a server that never greets as a timeout', async () => {
      const silent = await startSilent()
      try {
        mail = service({ smtpTimeouts: { greetingMs: 300, connectionMs: 3000, socketMs: 3000 } })
        await mail.saveSettings({ ...smtpSettings(starttls), settings: { ...smtpSettings(starttls).settings, port: silent.port } }, ctx)
        const err = await rejection(mail.verify())
        expect(err.code).toBe('TIMEOUT')
        expect(err.details?.ref).toEqual({ key: 'mail.smtp.timeout', params: { host: '127.0.0.1' } })
        // A send that never got past the greeting cannot have delivered anything: a timeout, not an unknown outcome.
        const sendErr = await rejection(mail.sendTest({ to: 'tess@example.org' }, ctx))
        expect(sendErr.code).toBe('TIMEOUT')
      } finally {
        await silent.close()
      }
    })
  })

  describe('header injection', () => {
    it('refuses CR or LF in an address, a name or the organisation before anything is sent or stored', async () => {
      await mail.saveSettings(smtpSettings(starttls), ctx)
      const connections = starttls.connections
      const attempts: [string, Promise<unknown>][] = [
        ['to', mail.sendTest({ to: 'tess@example.org\r\nBcc: everyone@example.org' }, ctx)],
        ['email', team().invite({ name: 'Eve', email: 'eve@example.org\nBcc: x@example.org', role: 'viewer' }, ctx)],
        ['name', team().invite({ name: 'Eve\r\nBcc: x@example.org', email: 'eve@example.org', role: 'viewer' }, ctx)],
        ['invitedBy', team().invite({ name: 'Eve', email: 'eve@example.org', role: 'viewer', invitedBy: 'Boss\nSubject: hi' }, ctx)],
        ['organisation', mail.saveSettings({ ...smtpSettings(starttls), organisation: 'Acme\r\nBcc: x@example.org' }, ctx)],
        ['settings.senderName', mail.saveSettings(smtpSettings(starttls, { senderName: 'Ada\rBcc: x@example.org' }), ctx)],
      ]
      for (const [field, attempt] of attempts) {
        const err = await rejection(attempt)
        expect(err.code, field).toBe('VALIDATION')
        expect(err.details?.ref?.key, field).toBe('mail.headerInjection')
        expect(String(err.details?.ref?.params?.field), field).toContain(field)
      }
      expect(starttls.connections).toBe(connections)
      expect((await team().list()).items).toEqual([])
      expect((await mail.getSettings()).organisation).toBe('Acme Field Ops')
    })

    it('refuses a line break in the subject at the transport itself, before connecting', async () => {
      const mailer = createSmtpMailer({
        mode: 'smtp',
        host: '127.0.0.1',
        port: starttls.port,
        security: 'starttls',
        username: USER,
        password: PASSWORD,
        ca: pki.caPem,
        from: { name: 'Ada', address: 'ada@acme.example' },
      })
      const connections = starttls.connections
      const err = await rejection(mailer.send({ from: mailer.from, to: { address: 'tess@example.org' }, subject: 'Hi\r\nBcc: x@example.org', text: 't', html: '<p>t</p>', language: 'en' }))
      expect(err.details?.ref?.key).toBe('mail.headerInjection')
      expect(starttls.connections).toBe(connections)
    })
  })

  describe('SendGrid with username (SMTP to the credentials host, STARTTLS required)', () => {
    const credentials = (password: string) => JSON.stringify({ name: 'sendgrid-fieldline', label: 'sendgrid', credentials: { hostname: 'localhost', username: USER, password } }, null, 2)

    it('sends through the pasted credentials; the password goes to the vault and the pasted text is kept nowhere', async () => {
      mail = service({ sendgridSmtp: { port: starttls.port, ca: pki.caPem } })
      const view = await mail.saveSettings(
        { mode: 'sendgridUsername', organisation: 'Acme Field Ops', settings: { senderName: 'Ada Admin', senderAddress: 'ada@acme.example' }, credentialsJson: credentials(PASSWORD) },
        ctx,
      )
      expect(view.active).toBe('sendgridUsername')
      expect(view.sendgridUsername).toEqual({
        hostname: 'localhost',
        username: USER,
        senderName: 'Ada Admin',
        senderAddress: 'ada@acme.example',
        name: 'sendgrid-fieldline',
        label: 'sendgrid',
        passwordSet: true,
      })
      expect(await vault.get('mail:settings/sendgridPassword')).toBe(PASSWORD)
      const stored = await workspaceText()
      expect(stored).not.toContain(PASSWORD)
      expect(stored).not.toContain('"credentials"')

      await expect(mail.verify()).resolves.toEqual({ mode: 'sendgridUsername', server: `localhost:${starttls.port}`, delivered: false })
      const before = starttls.received.length
      const invitation = await team().invite({ name: 'Ann Admin', email: 'ann@example.org', role: 'administrator', language: 'en' }, ctx)
      expect(invitation).toMatchObject({ state: 'sent', via: 'sendgridUsername' })
      const got = starttls.received[before]!
      expect(got).toMatchObject({ secure: true, user: USER, from: 'ada@acme.example', to: ['ann@example.org'] })
      const parsed = await simpleParser(got.raw)
      expect(parsed.text).toContain('as an administrator.')
    })

    it('points out malformed credentials JSON with its line and column and stores nothing', async () => {
      const text = '{\n  "credentials": {\n    "hostname": "smtp.sendgrid.net",\n    "username": "apikey"\n    "password": "x"\n  }\n}'
      const err = await rejection(mail.saveSettings({ mode: 'sendgridUsername', settings: { senderName: 'Ada', senderAddress: 'ada@acme.example' }, credentialsJson: text }, ctx))
      expect(err.code).toBe('VALIDATION')
      expect(err.details?.ref).toMatchObject({ key: 'mail.credentials.invalid', params: { line: 5, column: 5 } })
      expect(err.details?.diagnostics?.[0]).toMatchObject({ line: 5, column: 5, ref: { key: 'mail.credentials.jsonSyntax' } })
      expect(await mail.getSettings()).toMatchObject({ active: null, sendgridUsername: null })
    })
  })
})
