/**
 * SMTP through nodemailer (the de-facto Node SMTP client; smtp-server, its sibling, is the test peer). One connection
 * per operation: invitations are few, and a pooled connection would outlive a settings change.
 *
 * TLS policy: 'tls' is TLS from the first byte, 'starttls' upgrades and fails if the server cannot (requireTLS), and
 * 'none' is plain text, accepted for loopback hosts only. Certificates are always verified: Node's `ca` option
 * replaces the trusted roots rather than adding to them, so a custom CA is passed together with the bundled and
 * system roots, never instead of them.
 */
import type tls from 'node:tls'
import { AppError } from '../common/errors'
import { trustedCas } from '../http/trust'
import type { Logger } from '../log/logger'
import { smtpError } from './mail-errors'
import type { MailMode, SmtpSecurity } from '../../../src-shared/models/mail'
import { plainSmtpProblem } from '../../../src-shared/models/transport-rules'
import { assertSafeMail, type MailAddress, type OutgoingMail } from './mail-validation'
import type { Mailer } from './mailer'

export interface SmtpConfig {
  mode: Extract<MailMode, 'smtp' | 'sendgridUsername'>
  host: string
  port: number
  security: SmtpSecurity
  username?: string
  password?: string
  /** Extra trusted CA certificates (PEM), added to the default roots. */
  ca?: string
  from: MailAddress
}

export interface SmtpTimeouts {
  /** TCP connection. */
  connectionMs: number
  /** From connecting to the server's greeting (also bounds the TLS upgrade). */
  greetingMs: number
  /** Longest silence once connected. */
  socketMs: number
}

export const DEFAULT_SMTP_TIMEOUTS: SmtpTimeouts = { connectionMs: 10_000, greetingMs: 15_000, socketMs: 60_000 }

export interface SmtpMailerOptions {
  logger?: Logger
  timeouts?: Partial<SmtpTimeouts>
}

/** The plain-text mode would send the password in clear: only where the traffic never leaves the machine (plainSmtpProblem). */
export function assertSmtpSecurity(host: string, security: SmtpSecurity): void {
  const problem = plainSmtpProblem(host, security)
  if (problem) throw AppError.withRef('VALIDATION', `SMTP without TLS is accepted for this computer only (localhost, 127.x, ::1), not for ${host}`, problem)
}

/**
 * nodemailer's `tls` options: the roots every TLS client of the core trusts (http/trust.ts) plus the custom CA, if
 * any. Verification is left on (rejectUnauthorized is never set) and Node checks the host name against the certificate.
 */
export function smtpTlsOptions(ca: string | undefined): tls.ConnectionOptions {
  return { minVersion: 'TLSv1.2', ca: trustedCas(ca !== undefined && ca.trim() !== '' ? [ca] : []) }
}

export function createSmtpMailer(config: SmtpConfig, options: SmtpMailerOptions = {}): Mailer {
  assertSmtpSecurity(config.host, config.security)
  const timeouts = { ...DEFAULT_SMTP_TIMEOUTS, ...options.timeouts }
  const tlsOptions = smtpTlsOptions(config.ca)
  const server = `${config.host}:${config.port}`
  const secrets = config.password ? [config.password] : []
  const usernames = config.username ? [config.username] : []
  const logger = options.logger

  // nodemailer is loaded by the first verify or send, not by every process that opens the core.
  const transport = async () =>
    (await import('nodemailer')).createTransport({
      host: config.host,
      port: config.port,
      secure: config.security === 'tls',
      requireTLS: config.security === 'starttls',
      ignoreTLS: config.security === 'none',
      tls: tlsOptions,
      // With a user name, authentication is not optional: a server that does not offer AUTH is an error, not a pass.
      ...(config.username ? { auth: { user: config.username, pass: config.password ?? '' }, forceAuth: true } : {}),
      connectionTimeout: timeouts.connectionMs,
      greetingTimeout: timeouts.greetingMs,
      socketTimeout: timeouts.socketMs,
      // nodemailer's own logging would write the SMTP dialogue, AUTH lines included; ours records outcomes only.
      logger: false,
      debug: false,
      disableFileAccess: true,
      disableUrlAccess: true,
    })

  return {
    mode: config.mode,
    server,
    from: config.from,

    async verify() {
      const t = await transport()
      try {
        await t.verify()
        logger?.info({ mail: 'verify', mode: config.mode, server, outcome: 'ok' }, 'mail')
        return { delivered: false }
      } catch (err) {
        const e = smtpError(err, { host: config.host, port: config.port, phase: 'verify', secrets, usernames })
        logger?.warn({ mail: 'verify', mode: config.mode, server, outcome: e.code, key: e.details?.ref?.key }, 'mail')
        throw e
      } finally {
        t.close()
      }
    },

    async send(mail: OutgoingMail) {
      assertSafeMail(mail)
      const t = await transport()
      try {
        const info = await t.sendMail({
          from: { name: mail.from.name ?? '', address: mail.from.address },
          to: [{ name: mail.to.name ?? '', address: mail.to.address }],
          subject: mail.subject,
          text: mail.text,
          html: mail.html,
          headers: { 'Content-Language': mail.language },
          disableFileAccess: true,
          disableUrlAccess: true,
        })
        logger?.info({ mail: 'send', mode: config.mode, server, outcome: 'ok' }, 'mail')
        return { messageId: typeof info.messageId === 'string' ? info.messageId : null }
      } catch (err) {
        const e = smtpError(err, { host: config.host, port: config.port, phase: 'send', secrets, usernames })
        logger?.warn({ mail: 'send', mode: config.mode, server, outcome: e.code, key: e.details?.ref?.key }, 'mail')
        throw e
      } finally {
        t.close()
      }
    },

    async close() {
      // Nothing is kept open between operations.
    },
  }
}
