/**
 * The email extension: one email configuration with three modes (one active), verify and the test email, and the
 * active configuration's mailer for the rooms that send through it (team invitations, core/team).
 *
 * Every operator change is written together with its audit entry in one bulkDocs call; secrets go to the vault
 * first, so the workspace never claims a secret the keychain refused. Secrets are write-only: nothing here returns
 * one, logs one or puts one in an error.
 */
import type { Diagnostic } from '../../../src-shared/contract'
import type { CallContext } from '../common/call-context'
import { AppError, isAppError } from '../common/errors'
import type { EventBus } from '../common/events'
import type { Governor } from '../http/governor'
import type { HttpTimeouts } from '../http/http-client'
import { parseCaBundle } from '../http/trust'
import type { Logger } from '../log/logger'
import { auditDoc, appendAudit } from '../store/audit.store'
import { assertBulkOk, isConflict, type Db } from '../store/documents'
import type { SecretStore } from '../vault/secret-store'
import { parseSendGridCredentials } from './credentials-json'
import { mailConfigFromEnv, normaliseSendGridUrl, type ResolvedMailConfig } from './mail-config'
import {
  credentialsParseInputSchema,
  mailSaveSchema,
  mailVerifyInputSchema,
  SENDGRID_SMTP_PORT,
  sendTestInputSchema,
  type MailMode,
  type MailSettingsView,
  type MailVerifyResult,
  type SendResult,
} from '../../../src-shared/models/mail'
import { emptySettingsDoc, mailSecretAccount, MAIL_SETTINGS_ID, MODE_SECRET, readMailSettings, type MailSecretField, type MailSettingsDoc } from './mail.store'
import { parseInput } from './mail-validation'
import type { Mailer } from './mailer'
import { createSendGridGovernor, createSendGridMailer } from './sendgrid.client'
import { assertSmtpSecurity, createSmtpMailer, type SmtpTimeouts } from './smtp.transport'
import { renderTestEmail } from './templates'

export interface MailServiceDeps {
  db: Db
  vault: SecretStore
  /**
   * The role gate (core/sync/role-gate.ts), asked before the keychain is touched: the workspace write refuses a change
   * the team server would refuse, but only after a secret was already replaced.
   */
  gate?: { check(docs: readonly { _id?: string }[]): void }
  /** For 'audit:changed'. */
  bus?: Pick<EventBus, 'emit'>
  logger?: Logger
  /** Told after the settings change, for the event the contract carries. */
  onChange?: () => void
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
  const { db, vault, bus, logger, onChange, gate } = deps
  const now = deps.now ?? (() => new Date())
  const override = deps.configOverride === 'env' ? mailConfigFromEnv() : (deps.configOverride ?? null)
  // One governor for every SendGrid mailer of this service: a 429 slows the account, not one request.
  const governor = deps.sendgrid?.governor ?? createSendGridGovernor()

  const changed = (): void => {
    onChange?.()
    bus?.emit('audit:changed', {})
  }

  function notConfigured(mode?: MailMode): AppError {
    return mode
      ? AppError.withRef('NOT_FOUND', `The email mode ${mode} is not configured`, { key: 'mail.modeNotConfigured', params: { mode } })
      : AppError.withRef(
          'NOT_FOUND',
          // The CLI reads the environment too: a script is told which variables (the window never reads them).
          `Email is not configured: choose a mode in Extensions → Email${deps.configOverride === 'env' ? ', or set FIELDLINE_SMTP_URL or FIELDLINE_SENDGRID_API_KEY with FIELDLINE_MAIL_FROM' : ''}`,
          { key: 'mail.notConfigured' },
        )
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
          throw AppError.withRef(
            'VALIDATION',
            'Paste the SendGrid credentials, or enter the host name and the user name',
            { key: 'mail.credentials.required' },
            {
              issues: [...(hostname ? [] : [{ path: 'settings.hostname', message: 'is required' }]), ...(username ? [] : [{ path: 'settings.username', message: 'is required' }])],
            },
          )
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

      gate?.check([next])
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
      changed()
      return toSettingsView(next)
    },

    /** Removes the whole email configuration and its secrets. */
    async clearSettings(ctx: CallContext): Promise<{ cleared: boolean }> {
      const existing = await readMailSettings(db)
      if (!existing) return { cleared: false }
      gate?.check([existing])
      for (const field of existing.secretFields) await vault.clear(mailSecretAccount(field))
      const at = now().toISOString()
      await writeWithAudit([
        { _id: MAIL_SETTINGS_ID, _rev: existing._rev, _deleted: true },
        auditDoc({ at, actor: ctx.actor, action: 'mail.settings.remove', target: AUDIT_TARGET, outcome: 'ok', before: settingsSummary(existing) }),
      ])
      changed()
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
              // The code and the message's reference only: the server's reply may quote the address or the account.
              const ref = e.details?.ref
              await appendAudit(db, { ...audit, outcome: 'failed', error: { code: e.code, message: ref?.key ?? e.code, ...(ref ? { details: { ref } } : {}) } })
              bus?.emit('audit:changed', {})
            } catch {
              // The sending failure is what the operator must see; a failed audit write must not replace it.
            }
          }
          throw e
        }
      })
    },

    /**
     * Runs `run` with a mailer for the active configuration (or the override) and the organisation name, then closes
     * the mailer. Configuration problems (none active, secret not on this computer) are thrown before `run` starts.
     */
    async withActiveMailer<T>(run: (mailer: Mailer, organisation: string | null, source: { environment: boolean }) => Promise<T>): Promise<T> {
      const config = await resolve()
      return withMailer(config, (mailer) => run(mailer, config.organisation ?? null, { environment: override !== null }))
    },

    async close(): Promise<void> {
      // Mailers are closed after each operation; nothing else is held open.
    },
  }
}

export type MailService = ReturnType<typeof createMailService>
