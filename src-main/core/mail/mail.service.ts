/**
 * The email extension and the team invitations: one email configuration with three modes (one active), verify,
 * test email, and invitations with their states (pending → sent | failed, revoked).
 *
 * Every operator change is written together with its audit entry in one bulkDocs call; secrets go to the vault
 * first, so the workspace never claims a secret the keychain refused. Secrets are write-only: nothing here returns
 * one, logs one or puts one in an error.
 */
import { randomBytes } from 'node:crypto'
import type { Diagnostic } from '../../../src-shared/contract'
import type { CallContext } from '../common/call-context'
import { AppError, isAppError } from '../common/errors'
import type { EventBus } from '../common/events'
import { createGovernor, type Governor } from '../http/governor'
import type { HttpTimeouts } from '../http/http-client'
import { parseCaBundle } from '../http/trust'
import type { Logger } from '../log/logger'
import { auditDoc, appendAudit, type AuditInput } from '../store/audit.store'
import { assertBulkOk, isConflict, type Db } from '../store/documents'
import { CURRENT_SCHEMA } from '../store/schema'
import type { SecretStore } from '../vault/secret-store'
import { sameAddress } from '../../../src-shared/models/mail-addresses'
import { parseSendGridCredentials } from './credentials-json'
import { mailConfigFromEnv, normaliseSendGridUrl, type ResolvedMailConfig } from './mail-config'
import {
  credentialsParseInputSchema,
  invitationIdSchema,
  invitationListInputSchema,
  inviteInputSchema,
  mailSaveSchema,
  mailVerifyInputSchema,
  SENDGRID_SMTP_PORT,
  sendTestInputSchema,
  type Invitation,
  type MailFailure,
  type MailMode,
  type MailSettingsView,
  type MailVerifyResult,
  type SendResult,
} from '../../../src-shared/models/mail'
import {
  emptySettingsDoc,
  invitationDocId,
  listInvitationDocs,
  mailSecretAccount,
  MAIL_SETTINGS_ID,
  MODE_SECRET,
  readInvitation,
  readMailSettings,
  toInvitation,
  type InvitationDoc,
  type MailSecretField,
  type MailSettingsDoc,
} from './mail.store'
import { assertSubject, parseInput, type OutgoingMail } from './mail-validation'
import type { Mailer } from './mailer'
import { createSendGridMailer } from './sendgrid.client'
import { assertSmtpSecurity, createSmtpMailer, type SmtpTimeouts } from './smtp.transport'
import { renderInvitation, renderTestEmail, type RenderedMail } from './templates'

export interface MailServiceDeps {
  db: Db
  vault: SecretStore
  /** For 'audit:changed'. */
  bus?: Pick<EventBus, 'emit'>
  logger?: Logger
  /** Told after the settings or the invitations change, for the events the contract will carry. */
  onChange?: (what: 'settings' | 'invitations') => void
  /**
   * The CLI's configuration from the environment (see mailConfigFromEnv), used instead of the saved one; pass
   * `'env'` to read process.env. Absent or null: the saved settings.
   */
  configOverride?: ResolvedMailConfig | 'env' | null
  smtpTimeouts?: Partial<SmtpTimeouts>
  /**
   * For the test peer only: the port and the CA of the SMTP server that stands in for smtp.sendgrid.net, which a
   * test cannot be (port 587, a public certificate). The saved settings never hold these.
   */
  sendgridSmtp?: { port?: number; ca?: string }
  sendgrid?: { maxAttempts?: number; timeoutMs?: Partial<HttpTimeouts>; governor?: Governor }
  now?: () => Date
}

export interface CredentialsPreview {
  valid: boolean
  diagnostics: Diagnostic[]
  hostname: string | null
  username: string | null
  name: string | null
  label: string | null
  /** The password is read but never returned. */
  passwordPresent: boolean
}

const AUDIT_TARGET = 'mail/settings'

function failureOf(e: AppError): MailFailure {
  const ref = e.details?.ref
  return { code: e.code, message: e.message, ...(ref ? { ref } : {}) }
}

/** What the audit trail says about a settings document: every setting, and which secrets are set (never their values). */
function settingsSummary(doc: MailSettingsDoc | null): Record<string, unknown> | undefined {
  if (!doc) return undefined
  return {
    active: doc.active,
    organisation: doc.organisation,
    sendgridApiKey: doc.sendgridApiKey,
    smtp: doc.smtp ? { ...doc.smtp, ca: doc.smtp.ca ? 'custom CA' : undefined } : null,
    sendgridUsername: doc.sendgridUsername,
    secretsSet: doc.secretFields,
  }
}

export function toSettingsView(doc: MailSettingsDoc | null): MailSettingsView {
  if (!doc) return { active: null, organisation: null, sendgridApiKey: null, smtp: null, sendgridUsername: null, updatedAt: null }
  const has = (field: MailSecretField) => doc.secretFields.includes(field)
  return {
    active: doc.active,
    organisation: doc.organisation,
    sendgridApiKey: doc.sendgridApiKey ? { ...doc.sendgridApiKey, apiKeySet: has(MODE_SECRET.sendgridApiKey) } : null,
    smtp: doc.smtp ? { ...doc.smtp, passwordSet: has(MODE_SECRET.smtp) } : null,
    sendgridUsername: doc.sendgridUsername ? { ...doc.sendgridUsername, passwordSet: has(MODE_SECRET.sendgridUsername) } : null,
    updatedAt: doc.updatedAt,
  }
}

const SECRET_LABEL: Record<MailMode, string> = { sendgridApiKey: 'SendGrid API key', smtp: 'SMTP password', sendgridUsername: 'SendGrid password' }

function secretRequired(mode: MailMode): AppError {
  return AppError.withRef('VALIDATION', `The ${SECRET_LABEL[mode]} is required`, { key: 'mail.secretRequired', params: { mode } }, { issues: [{ path: 'secrets', message: 'is required' }] })
}

export function createMailService(deps: MailServiceDeps) {
  const { db, vault, bus, logger, onChange } = deps
  const now = deps.now ?? (() => new Date())
  const override = deps.configOverride === 'env' ? mailConfigFromEnv() : (deps.configOverride ?? null)
  // One governor for every SendGrid mailer of this service: a 429 slows the account, not one request. The spec gives
  // no Mail Send rate; [I] two at a time and 10/s is far above what invitations need and well below any plan's limit.
  const governor = deps.sendgrid?.governor ?? createGovernor({ concurrency: 2, perSecond: 10 })
  /** Invitations with a send in flight: a revoke or a second send meanwhile is refused rather than left to race it. */
  const busy = new Set<string>()

  const changed = (what: 'settings' | 'invitations'): void => {
    onChange?.(what)
    bus?.emit('audit:changed', {})
  }

  function notConfigured(mode?: MailMode): AppError {
    return mode
      ? AppError.withRef('NOT_FOUND', `The email mode ${mode} is not configured`, { key: 'mail.modeNotConfigured', params: { mode } })
      : AppError.withRef('NOT_FOUND', 'Email is not configured: choose a mode in Extensions → Email', { key: 'mail.notConfigured' })
  }

  async function secret(doc: MailSettingsDoc, mode: MailMode): Promise<string | null> {
    const field = MODE_SECRET[mode]
    if (!doc.secretFields.includes(field)) return null
    return vault.get(mailSecretAccount(field))
  }

  function secretMissing(mode: MailMode): AppError {
    return AppError.withRef('VALIDATION', `The ${SECRET_LABEL[mode]} is not stored on this computer: enter it again in Extensions → Email`, { key: 'mail.secretMissing', params: { mode } })
  }

  /** The saved configuration of `mode` (default: the active one) with its secret, or the override. */
  async function resolve(mode?: MailMode): Promise<ResolvedMailConfig> {
    const doc = await readMailSettings(db)
    if (override && (mode === undefined || mode === override.mode)) {
      return { ...override, organisation: override.organisation ?? doc?.organisation ?? null }
    }
    const chosen = mode ?? doc?.active ?? undefined
    if (!doc || !chosen) throw notConfigured(mode)
    const organisation = doc.organisation
    if (chosen === 'sendgridApiKey') {
      const s = doc.sendgridApiKey
      if (!s) throw notConfigured(chosen)
      const apiKey = await secret(doc, chosen)
      if (!apiKey) throw secretMissing(chosen)
      return { mode: chosen, organisation, sendgrid: { baseUrl: s.baseUrl, apiKey, from: { name: s.adminName, address: s.adminEmail } } }
    }
    if (chosen === 'smtp') {
      const s = doc.smtp
      if (!s) throw notConfigured(chosen)
      const password = s.username ? await secret(doc, chosen) : null
      if (s.username && !password) throw secretMissing(chosen)
      return {
        mode: chosen,
        organisation,
        smtp: {
          mode: chosen,
          host: s.host,
          port: s.port,
          security: s.security,
          ...(s.username && password ? { username: s.username, password } : {}),
          ...(s.ca ? { ca: s.ca } : {}),
          from: { name: s.senderName, address: s.senderAddress },
        },
      }
    }
    const s = doc.sendgridUsername
    if (!s) throw notConfigured(chosen)
    const password = await secret(doc, chosen)
    if (!password) throw secretMissing(chosen)
    return {
      mode: chosen,
      organisation,
      smtp: {
        mode: chosen,
        host: s.hostname,
        port: deps.sendgridSmtp?.port ?? SENDGRID_SMTP_PORT,
        security: 'starttls',
        username: s.username,
        password,
        ...(deps.sendgridSmtp?.ca ? { ca: deps.sendgridSmtp.ca } : {}),
        from: { name: s.senderName, address: s.senderAddress },
      },
    }
  }

  function mailerFor(config: ResolvedMailConfig): Mailer {
    if (config.mode === 'sendgridApiKey') {
      return createSendGridMailer(config.sendgrid, {
        governor,
        ...(logger ? { logger } : {}),
        ...(deps.sendgrid?.maxAttempts !== undefined ? { maxAttempts: deps.sendgrid.maxAttempts } : {}),
        ...(deps.sendgrid?.timeoutMs ? { timeoutMs: deps.sendgrid.timeoutMs } : {}),
      })
    }
    return createSmtpMailer(config.smtp, { ...(logger ? { logger } : {}), ...(deps.smtpTimeouts ? { timeouts: deps.smtpTimeouts } : {}) })
  }

  async function withMailer<T>(config: ResolvedMailConfig, run: (mailer: Mailer) => Promise<T>): Promise<T> {
    const mailer = mailerFor(config)
    try {
      return await run(mailer)
    } finally {
      await mailer.close()
    }
  }

  async function writeWithAudit(docs: object[]): Promise<PouchDB.Core.Response[]> {
    const results = await db.bulkDocs(docs as MailSettingsDoc[])
    assertBulkOk(results)
    return results as PouchDB.Core.Response[]
  }

  function invitationNotFound(id: string): AppError {
    return AppError.withRef('NOT_FOUND', `There is no invitation ${id}`, { key: 'mail.invitation.notFound', params: { id } })
  }

  async function mustGetInvitation(rawId: unknown): Promise<InvitationDoc & { _rev: string }> {
    const id = parseInput(invitationIdSchema, rawId)
    const doc = await readInvitation(db, id)
    if (!doc) throw invitationNotFound(id)
    return doc
  }

  /**
   * Applies `change` to the newest revision and writes it with its audit entry. A replica may have changed the
   * invitation meanwhile (409): then the change is applied again to what it wrote.
   */
  async function updateInvitation(id: string, change: (latest: InvitationDoc & { _rev: string }, at: string) => { doc: InvitationDoc; audit: AuditInput }): Promise<InvitationDoc> {
    for (let attempt = 0; ; attempt++) {
      const latest = await readInvitation(db, id)
      if (!latest) throw invitationNotFound(id)
      const at = now().toISOString()
      const { doc, audit } = change(latest, at)
      try {
        const [written] = await writeWithAudit([doc, auditDoc({ ...audit, at })])
        changed('invitations')
        return { ...doc, _rev: written!.rev }
      } catch (e) {
        if (!isConflict(e) || attempt >= 3) throw e
      }
    }
  }

  /** Marks an invitation as being sent until `run` settles; a second send or a revoke meanwhile is refused. */
  async function reserved<T>(id: string, run: () => Promise<T>): Promise<T> {
    if (busy.has(id)) throw AppError.withRef('CONFLICT', `Invitation ${id} is being sent right now`, { key: 'mail.invitation.busy', params: { id } })
    busy.add(id)
    try {
      return await run()
    } finally {
      busy.delete(id)
    }
  }

  /**
   * Sends one invitation (reserved by the caller) and records the outcome; an AppError becomes state 'failed' with
   * its reason rather than a throw, because the invitation exists and the operator sees why it did not go out.
   */
  async function deliver(doc: InvitationDoc, mailer: Mailer, action: 'invitation.send' | 'invitation.resend', ctx: CallContext): Promise<Invitation> {
    const id = doc._id.slice('invitation:'.length)
    const rendered: RenderedMail = renderInvitation({
      language: doc.language,
      name: doc.name,
      email: doc.email,
      role: doc.role,
      organisation: doc.organisation,
      invitedBy: doc.invitedBy,
      reference: id,
    })
    const mail: OutgoingMail = { from: mailer.from, to: { name: doc.name, address: doc.email }, ...rendered }
    let outcome: { messageId: string | null } | AppError
    try {
      outcome = await mailer.send(mail)
    } catch (e) {
      if (!isAppError(e)) {
        outcome = new AppError('INTERNAL', 'Unexpected failure while sending the invitation')
        logger?.error({ mail: action, err: e }, 'mail')
      } else {
        outcome = e
      }
    }
    const result = outcome
    const saved = await updateInvitation(id, (latest, at) => {
      const attempts = latest.attempts + 1
      const base = { ...latest, via: mailer.mode, attempts, updatedAt: at }
      // A revocation that replicated in while the message was on its way stays a revocation.
      const keepRevoked = latest.state === 'revoked'
      const next: InvitationDoc =
        result instanceof AppError
          ? { ...base, state: keepRevoked ? 'revoked' : 'failed', lastError: failureOf(result) }
          : { ...base, state: keepRevoked ? 'revoked' : 'sent', lastError: null, messageId: result.messageId, sentAt: at }
      return {
        doc: next,
        audit: {
          actor: ctx.actor,
          action,
          target: `invitation/${id}`,
          outcome: result instanceof AppError ? 'failed' : 'ok',
          before: { state: latest.state },
          after: { state: next.state, via: mailer.mode, email: latest.email },
          ...(result instanceof AppError ? { detail: `${result.code}${result.details?.ref ? ` ${result.details.ref.key}` : ''}` } : {}),
        },
      }
    })
    return toInvitation(saved)
  }

  return {
    async getSettings(): Promise<MailSettingsView> {
      return toSettingsView(await readMailSettings(db))
    },

    /** Checks pasted service credentials for the editor; the password is read, never returned. */
    parseCredentials(rawInput: unknown): CredentialsPreview {
      const { text } = parseInput(credentialsParseInputSchema, rawInput)
      const check = parseSendGridCredentials(text)
      return {
        valid: check.valid,
        diagnostics: check.diagnostics,
        hostname: check.value?.hostname ?? null,
        username: check.value?.username ?? null,
        name: check.value?.name ?? null,
        label: check.value?.label ?? null,
        passwordPresent: check.value !== undefined,
      }
    },

    async saveSettings(rawInput: unknown, ctx: CallContext): Promise<MailSettingsView> {
      const input = parseInput(mailSaveSchema, rawInput)
      const at = now().toISOString()
      const existing = await readMailSettings(db)
      const next: MailSettingsDoc = { ...(existing ?? emptySettingsDoc(at)), updatedAt: at }
      const field = MODE_SECRET[input.mode]
      // A string sets or replaces the mode's secret, null clears it, undefined keeps it.
      let secretChange: string | null | undefined

      if (input.mode === 'sendgridApiKey') {
        next.sendgridApiKey = { adminName: input.settings.adminName, adminEmail: input.settings.adminEmail, baseUrl: normaliseSendGridUrl(input.settings.baseUrl) }
        secretChange = input.secrets.apiKey
      } else if (input.mode === 'smtp') {
        const s = input.settings
        assertSmtpSecurity(s.host, s.security)
        if (s.ca !== undefined) parseCaBundle([s.ca])
        next.smtp = {
          host: s.host,
          port: s.port,
          security: s.security,
          ...(s.username !== undefined && s.username !== '' ? { username: s.username } : {}),
          senderName: s.senderName,
          senderAddress: s.senderAddress,
          ...(s.ca !== undefined ? { ca: s.ca } : {}),
        }
        secretChange = input.secrets.password
      } else {
        const s = input.settings
        let hostname = s.hostname
        let username = s.username
        let name: string | undefined
        let label: string | undefined
        secretChange = input.secrets.password
        if (input.credentialsJson !== undefined) {
          const check = parseSendGridCredentials(input.credentialsJson)
          if (!check.valid || !check.value) {
            const first = check.diagnostics[0]
            throw AppError.withRef(
              'VALIDATION',
              `The SendGrid credentials are not valid${first ? ` (line ${first.line}, column ${first.column}: ${first.message})` : ''}`,
              { key: 'mail.credentials.invalid', params: { count: check.diagnostics.length, line: first?.line ?? 1, column: first?.column ?? 1 } },
              { diagnostics: check.diagnostics },
            )
          }
          ;({ hostname, username, name, label } = check.value)
          secretChange = check.value.password
        }
        if (!hostname || !username) {
          throw AppError.withRef('VALIDATION', 'Paste the SendGrid credentials, or enter the host name and the user name', { key: 'mail.credentials.required' }, {
            issues: [
              ...(hostname ? [] : [{ path: 'settings.hostname', message: 'is required' }]),
              ...(username ? [] : [{ path: 'settings.username', message: 'is required' }]),
            ],
          })
        }
        next.sendgridUsername = {
          hostname,
          username,
          senderName: s.senderName,
          senderAddress: s.senderAddress,
          ...(name ? { name } : {}),
          ...(label ? { label } : {}),
        }
      }

      const fields = new Set(next.secretFields)
      if (typeof secretChange === 'string') fields.add(field)
      else if (secretChange === null) fields.delete(field)
      const needsSecret = input.mode !== 'smtp' || next.smtp?.username !== undefined
      if (needsSecret && !fields.has(field)) throw secretRequired(input.mode)
      next.secretFields = [...fields].sort()
      if (input.organisation !== undefined) next.organisation = input.organisation
      if (input.activate) next.active = input.mode

      // The keychain first: if it refuses, the workspace must not claim a secret that is not there.
      if (typeof secretChange === 'string') await vault.set(mailSecretAccount(field), secretChange)
      else if (secretChange === null) await vault.clear(mailSecretAccount(field))

      try {
        const [written] = await writeWithAudit([
          next,
          auditDoc({
            at,
            actor: ctx.actor,
            action: existing ? 'mail.settings.update' : 'mail.settings.add',
            target: AUDIT_TARGET,
            outcome: 'ok',
            ...(existing ? { before: settingsSummary(existing) } : {}),
            after: settingsSummary(next),
          }),
        ])
        next._rev = written!.rev
      } catch (e) {
        if (isConflict(e)) throw AppError.withRef('CONFLICT', 'The email settings were changed elsewhere; reload them and try again', { key: 'mail.settingsChanged' })
        throw e
      }
      changed('settings')
      return toSettingsView(next)
    },

    /** Removes the whole email configuration and its secrets. */
    async clearSettings(ctx: CallContext): Promise<{ cleared: boolean }> {
      const existing = await readMailSettings(db)
      if (!existing) return { cleared: false }
      for (const field of existing.secretFields) await vault.clear(mailSecretAccount(field))
      const at = now().toISOString()
      await writeWithAudit([
        { _id: MAIL_SETTINGS_ID, _rev: existing._rev, _deleted: true },
        auditDoc({ at, actor: ctx.actor, action: 'mail.settings.remove', target: AUDIT_TARGET, outcome: 'ok', before: settingsSummary(existing) }),
      ])
      changed('settings')
      return { cleared: true }
    },

    async verify(rawInput: unknown = {}): Promise<MailVerifyResult> {
      const { mode } = parseInput(mailVerifyInputSchema, rawInput)
      const config = await resolve(mode)
      return withMailer(config, async (mailer) => {
        const { delivered } = await mailer.verify()
        return { mode: config.mode, server: mailer.server, delivered }
      })
    },

    async sendTest(rawInput: unknown, ctx: CallContext): Promise<SendResult> {
      const input = parseInput(sendTestInputSchema, rawInput)
      const config = await resolve()
      return withMailer(config, async (mailer) => {
        const rendered = renderTestEmail({ language: input.language, mode: config.mode, server: mailer.server, sentAt: now() })
        const audit = { actor: ctx.actor, action: 'mail.test.send', target: input.to, after: { via: config.mode, language: input.language } }
        try {
          const { messageId } = await mailer.send({ from: mailer.from, to: { address: input.to }, ...rendered })
          await appendAudit(db, { ...audit, outcome: 'ok' })
          bus?.emit('audit:changed', {})
          return { mode: config.mode, messageId }
        } catch (e) {
          if (isAppError(e)) {
            try {
              await appendAudit(db, { ...audit, outcome: 'failed', detail: `${e.code}${e.details?.ref ? ` ${e.details.ref.key}` : ''}` })
              bus?.emit('audit:changed', {})
            } catch {
              // The sending failure is what the operator must see; a failed audit write must not replace it.
            }
          }
          throw e
        }
      })
    },

    async invite(rawInput: unknown, ctx: CallContext): Promise<Invitation> {
      const input = parseInput(inviteInputSchema, rawInput)
      // Configuration problems are reported before anything is written: no invitation exists that could not be sent.
      const config = await resolve()
      if (!config.organisation) {
        throw AppError.withRef('VALIDATION', 'Enter the organisation name in Extensions → Email: invitations name it', { key: 'mail.organisationRequired' })
      }
      const organisation = config.organisation
      return withMailer(config, async (mailer) => {
        const duplicate = (await listInvitationDocs(db)).find((d) => d.state !== 'revoked' && sameAddress(d.email, input.email))
        if (duplicate) {
          const id = duplicate._id.slice('invitation:'.length)
          throw AppError.withRef('CONFLICT', `${input.email} already has an invitation (${id}, ${duplicate.state}); resend or revoke it`, {
            key: 'mail.invitation.exists',
            params: { email: input.email, id, state: duplicate.state },
          })
        }
        const id = randomBytes(8).toString('hex')
        const at = now().toISOString()
        const doc: InvitationDoc = {
          _id: invitationDocId(id),
          kind: 'invitation',
          schemaVersion: CURRENT_SCHEMA.invitation,
          name: input.name,
          email: input.email,
          role: input.role,
          language: input.language,
          organisation,
          invitedBy: input.invitedBy ?? mailer.from.name ?? mailer.from.address,
          state: 'pending',
          via: null,
          attempts: 0,
          messageId: null,
          lastError: null,
          createdAt: at,
          updatedAt: at,
          sentAt: null,
          revokedAt: null,
        }
        // The subject holds the inviter's and the organisation's names: checked before the invitation exists.
        assertSubject(renderInvitation({ ...doc, reference: id }).subject)
        await writeWithAudit([
          doc,
          auditDoc({
            at,
            actor: ctx.actor,
            action: 'invitation.create',
            target: `invitation/${id}`,
            outcome: 'ok',
            after: { name: doc.name, email: doc.email, role: doc.role, language: doc.language, state: 'pending' },
          }),
        ])
        changed('invitations')
        return reserved(id, () => deliver(doc, mailer, 'invitation.send', ctx))
      })
    },

    async resend(rawId: unknown, ctx: CallContext): Promise<Invitation> {
      const doc = await mustGetInvitation(rawId)
      const id = doc._id.slice('invitation:'.length)
      if (doc.state === 'revoked') {
        throw AppError.withRef('CONFLICT', `Invitation ${id} was revoked and cannot be sent again; invite ${doc.email} anew`, { key: 'mail.invitation.revoked', params: { id } })
      }
      return reserved(id, async () => {
        const config = await resolve()
        return withMailer(config, (mailer) => deliver(doc, mailer, 'invitation.resend', ctx))
      })
    },

    async revoke(rawId: unknown, ctx: CallContext): Promise<Invitation> {
      const doc = await mustGetInvitation(rawId)
      const id = doc._id.slice('invitation:'.length)
      if (doc.state === 'revoked') return toInvitation(doc)
      if (busy.has(id)) throw AppError.withRef('CONFLICT', `Invitation ${id} is being sent right now; revoke it when that is over`, { key: 'mail.invitation.busy', params: { id } })
      const saved = await updateInvitation(id, (latest, at) => ({
        doc: { ...latest, state: 'revoked', revokedAt: latest.revokedAt ?? at, updatedAt: at },
        audit: { actor: ctx.actor, action: 'invitation.revoke', target: `invitation/${id}`, outcome: 'ok', before: { state: latest.state }, after: { state: 'revoked', email: latest.email } },
      }))
      return toInvitation(saved)
    },

    async get(rawId: unknown): Promise<Invitation> {
      return toInvitation(await mustGetInvitation(rawId))
    },

    /** Newest first. */
    async list(rawInput: unknown = {}): Promise<{ items: Invitation[] }> {
      const { state } = parseInput(invitationListInputSchema, rawInput)
      const docs = await listInvitationDocs(db)
      const items = docs
        .filter((d) => state === undefined || d.state === state)
        .sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b._id.localeCompare(a._id))
        .map(toInvitation)
      return { items }
    },

    async close(): Promise<void> {
      // Mailers are closed after each operation; nothing else is held open.
    },
  }
}

export type MailService = ReturnType<typeof createMailService>
