/**
 * Sending failures as AppErrors the UI can translate (keys `mail.*`). Two sources: SendGrid's HTTP answers
 * (docs/wire/mail.md §8: 400 with a field list, 401, 403, 413, 429, 5xx) and nodemailer's SMTP errors (codes such as
 * EAUTH/ETLS/ESOCKET, the server's reply code, and the system error kept in `originalCode`).
 *
 * Nothing here may carry a secret: server replies are quoted only after `redact` has removed every secret the
 * caller knows of, including the base64 forms that SMTP AUTH puts on the wire.
 */
import { z } from 'zod'
import type { ErrorCode, MessageRef } from '../../../src-shared/contract'
import { AppError, isAppError } from '../common/errors'
import type { HttpResponse } from '../http/http-client'
import { classifyTransportError } from '../http/transport-errors'

const MAX_QUOTE = 200

/** Every secret and the encodings SMTP AUTH PLAIN/LOGIN send of it, replaced by [redacted]. */
export function redact(text: string, secrets: readonly string[], usernames: readonly string[] = []): string {
  let out = text
  for (const secret of secrets) {
    if (!secret) continue
    const forms = new Set([secret, Buffer.from(secret).toString('base64')])
    for (const user of usernames) forms.add(Buffer.from(`\u0000${user}\u0000${secret}`).toString('base64'))
    forms.add(Buffer.from(`\u0000\u0000${secret}`).toString('base64'))
    for (const form of forms) if (form.length >= 4) out = out.split(form).join('[redacted]')
  }
  return out
}

function quote(text: string, secrets: readonly string[], usernames: readonly string[] = []): string {
  return redact(text, secrets, usernames).replace(/\s+/g, ' ').trim().slice(0, MAX_QUOTE)
}

function make(code: ErrorCode, message: string, ref: MessageRef, extra: { serviceCode?: string; serviceMessage?: string; issues?: { path: string; message: string }[] } = {}): AppError {
  const details: { carrierCode?: string; carrierMessage?: string; issues?: { path: string; message: string }[] } = {}
  if (extra.serviceCode !== undefined) details.carrierCode = extra.serviceCode
  if (extra.serviceMessage) details.carrierMessage = extra.serviceMessage
  if (extra.issues && extra.issues.length > 0) details.issues = extra.issues
  return AppError.withRef(code, message, ref, details)
}

// ---------------------------------------------------------------------------------------------------------------
// SendGrid

const sendGridErrorsSchema = z.object({
  errors: z.array(z.object({ message: z.string().nullish(), field: z.string().nullish(), help: z.unknown().optional() })).min(1),
})

export interface SendGridErrorContext {
  /** The API host, for messages. */
  host: string
  /** The API base URL, shown when the host does not answer like SendGrid. */
  apiUrl: string
  /** The sender address, named in "sender not verified". */
  sender: string
  secrets: readonly string[]
}

/** SendGrid's `{"errors":[{"message","field","help"}]}`, or [] when the body is not that. */
export function readSendGridErrors(res: HttpResponse): { message: string; field: string | null }[] {
  const parsed = sendGridErrorsSchema.safeParse(res.tryJson())
  if (!parsed.success) return []
  return parsed.data.errors.map((e) => ({ message: e.message ?? '', field: e.field ?? null }))
}

/** X-RateLimit-Reset, the end of the key's rate-limit period (Unix epoch seconds), in epoch milliseconds; null when absent or unreadable. */
export function rateLimitReset(headers: Record<string, string>): number | null {
  const text = headers['x-ratelimit-reset']?.trim() ?? ''
  return /^\d+$/.test(text) && Number(text) > 0 ? Number(text) * 1000 : null
}

export function sendGridError(res: HttpResponse, ctx: SendGridErrorContext): AppError {
  const list = readSendGridErrors(res)
  const status = res.status
  const first = list[0]?.message ? quote(list[0].message, ctx.secrets) : undefined
  const said = first ? ` (${first})` : ''
  const serviceCode = String(status)

  if (status === 404 || (list.length === 0 && res.isHtml() && status < 500)) {
    return make(
      'NOT_FOUND',
      `${ctx.apiUrl} does not answer like the SendGrid v3 API (HTTP ${status}); check the API URL`,
      { key: 'mail.sendgrid.notSendGrid', params: { url: ctx.apiUrl } },
      { serviceCode },
    )
  }
  if (status === 400) {
    const issues = list.map((e) => ({ path: e.field ?? '', message: quote(e.message, ctx.secrets) }))
    const fields = [...new Set(issues.map((i) => i.path).filter((p) => p !== ''))]
    const text = issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ')
    return make(
      'VALIDATION',
      `SendGrid refused the message${fields.length ? ` (fields: ${fields.join(', ')})` : ''}: ${text || 'Bad Request'}`,
      { key: 'mail.sendgrid.badRequest', params: { fields: fields.length ? fields.join(', ') : '—', count: issues.length } },
      { serviceCode, issues, ...(first ? { serviceMessage: first } : {}) },
    )
  }
  if (status === 401) {
    return make(
      'AUTH_FAILED',
      `SendGrid refused the API key: it is invalid, expired or revoked${said}`,
      { key: 'mail.sendgrid.unauthorized' },
      { serviceCode, ...(first ? { serviceMessage: first } : {}) },
    )
  }
  if (status === 403) {
    const senderProblem = list.some((e) => e.field === 'from' || /sender identity/i.test(e.message))
    if (senderProblem) {
      return make(
        'FORBIDDEN',
        `SendGrid will not send from ${ctx.sender}: it is not a verified Sender Identity of this account`,
        { key: 'mail.sendgrid.senderNotVerified', params: { sender: ctx.sender } },
        { serviceCode, ...(first ? { serviceMessage: first } : {}) },
      )
    }
    return make(
      'FORBIDDEN',
      `SendGrid refused the request${said}; the API key may lack the Mail Send permission, or the account is blocked for a while`,
      { key: 'mail.sendgrid.forbidden' },
      {
        serviceCode,
        ...(first ? { serviceMessage: first } : {}),
      },
    )
  }
  if (status === 413) {
    return make('TOO_LARGE', 'SendGrid refused the message: it is too large', { key: 'mail.sendgrid.tooLarge' }, { serviceCode, ...(first ? { serviceMessage: first } : {}) })
  }
  if (status === 429) {
    const reset = rateLimitReset(res.headers)
    const at = reset === null ? null : new Date(reset).toISOString()
    return make(
      'RATE_LIMITED',
      at
        ? `SendGrid's rate limit for this API key is spent until ${at}: nothing was sent; try again after that`
        : `SendGrid asked to slow down (HTTP 429, ${res.attempts} attempt(s)): nothing was sent; try again in a moment`,
      { key: at ? 'mail.sendgrid.rateLimitedUntil' : 'mail.sendgrid.rateLimited', params: at ? { at } : {} },
      { serviceCode },
    )
  }
  if (status >= 500) {
    return make(
      'CARRIER',
      `SendGrid is unavailable (HTTP ${status})${said}; nothing was sent`,
      { key: 'mail.sendgrid.unavailable', params: { status } },
      { serviceCode, ...(first ? { serviceMessage: first } : {}) },
    )
  }
  return make(
    'CARRIER',
    `SendGrid gave an unexpected answer (HTTP ${status})${said}`,
    { key: 'mail.sendgrid.unexpected', params: { status } },
    { serviceCode, ...(first ? { serviceMessage: first } : {}) },
  )
}

/**
 * The shared HTTP client already turns transport failures into NETWORK/TLS/TIMEOUT (keys errors.*); only its
 * UNKNOWN_OUTCOME is reworded, because for mail it means "the message may or may not have been sent".
 */
export function sendGridTransportError(err: unknown, ctx: SendGridErrorContext): unknown {
  if (isAppError(err) && err.code === 'UNKNOWN_OUTCOME') {
    return make('UNKNOWN_OUTCOME', `The connection to SendGrid (${ctx.host}) failed after the message was handed over; it may or may not have been sent, and was not sent again`, {
      key: 'mail.unknownOutcome',
      params: { host: ctx.host },
    })
  }
  if (isAppError(err)) return new AppError(err.code, redact(err.message, ctx.secrets), err.details)
  return err
}

// ---------------------------------------------------------------------------------------------------------------
// SMTP

export interface SmtpErrorContext {
  host: string
  port: number
  /** A send that failed after the connection was up may have delivered the message; a verify never sends. */
  phase: 'verify' | 'send'
  secrets: readonly string[]
  usernames: readonly string[]
}

interface NodemailerError {
  code: string
  originalCode: string
  message: string
  response: string
  responseCode: number
  command: string
  timeoutType: string
}

function fields(err: unknown): NodemailerError {
  const e = (typeof err === 'object' && err !== null ? err : {}) as Record<string, unknown>
  const str = (v: unknown): string => (typeof v === 'string' ? v : '')
  return {
    code: str(e.code),
    originalCode: str(e.originalCode),
    message: str(e.message),
    response: str(e.response),
    responseCode: typeof e.responseCode === 'number' ? e.responseCode : 0,
    command: str(e.command),
    timeoutType: str(e.timeoutType),
  }
}

const SETUP_TIMEOUTS = new Set(['CONNECT_TIMEOUT', 'GREETING_TIMEOUT', 'UPGRADE_TIMEOUT', 'DNS_TIMEOUT'])

export function smtpError(err: unknown, ctx: SmtpErrorContext): AppError {
  if (isAppError(err)) return err
  const e = fields(err)
  const where = `${ctx.host}:${ctx.port}`
  const reply = e.response ? quote(e.response, ctx.secrets, ctx.usernames) : ''
  const serviceExtra = { ...(e.responseCode ? { serviceCode: String(e.responseCode) } : {}), ...(reply ? { serviceMessage: reply } : {}) }
  const withReply = reply ? ` (${reply})` : ''

  // 538 (RFC 4954: encryption required for the mechanism), or Postfix's "530 Must issue a STARTTLS command first": the
  // server takes nothing before TLS, which the security "None" never starts. Neither the password nor the account is
  // wrong.
  if (e.responseCode === 538 || (e.responseCode >= 500 && /STARTTLS/i.test(e.response))) {
    return make(
      'TLS',
      `The SMTP server ${where} accepts only an encrypted connection: choose STARTTLS (smtp://) or TLS from the start (smtps://)${withReply}`,
      { key: 'mail.smtp.tlsRequired', params: { host: ctx.host } },
      serviceExtra,
    )
  }
  if (e.code === 'EAUTH' || e.code === 'ENOAUTH' || (e.command.startsWith('AUTH') && e.responseCode >= 500)) {
    return make('AUTH_FAILED', `The SMTP server ${where} refused the user name or password${withReply}`, { key: 'mail.smtp.authFailed', params: { host: ctx.host } }, serviceExtra)
  }
  if (e.responseCode === 530 || (e.command === 'MAIL FROM' && /auth/i.test(e.response) && e.responseCode >= 500)) {
    return make(
      'AUTH_FAILED',
      `The SMTP server ${where} requires authentication: enter a user name and password${withReply}`,
      { key: 'mail.smtp.authRequired', params: { host: ctx.host } },
      serviceExtra,
    )
  }
  if (e.code === 'ETLS' && e.command === 'STARTTLS' && e.responseCode > 0) {
    return make(
      'TLS',
      `The SMTP server ${where} does not offer STARTTLS, which this configuration requires${withReply}`,
      { key: 'mail.smtp.starttlsUnavailable', params: { host: ctx.host } },
      serviceExtra,
    )
  }
  const system = classifyTransportError({ code: e.originalCode || e.code, message: e.message })
  if (e.code === 'ETLS' || system?.kind === 'tls') {
    // Node's advice about --use-system-ca speaks to developers; the operator's remedy is the custom CA setting.
    const reason = quote(e.message.replace(/^Error initiating TLS - /, '').replace(/;\s*if the root CA is installed locally.*$/s, ''), ctx.secrets, ctx.usernames) || 'TLS failed'
    // The English message says the system's code in words where it has one (the CLI prints it as it is).
    return make('TLS', `The secure connection to the SMTP server ${where} could not be established or verified: ${system?.kind === 'tls' ? system.explained : reason}`, {
      key: 'mail.smtp.tls',
      params: { host: ctx.host, reason },
    })
  }
  if (e.code === 'ETIMEDOUT' || system?.kind === 'timeout') {
    if (ctx.phase === 'send' && !SETUP_TIMEOUTS.has(e.timeoutType)) return unknownOutcome(ctx)
    return make('TIMEOUT', `The SMTP server ${where} did not answer in time`, { key: 'mail.smtp.timeout', params: { host: ctx.host } })
  }
  if (e.originalCode === 'ECONNREFUSED') {
    return make('NETWORK', `The SMTP server ${where} refused the connection: is the host and port right, and the server running?`, {
      key: 'mail.smtp.connectionRefused',
      params: { host: ctx.host, port: ctx.port },
    })
  }
  if (e.code === 'EDNS' || e.originalCode === 'ENOTFOUND' || e.originalCode === 'EAI_AGAIN') {
    return make('NETWORK', `The SMTP host ${ctx.host} was not found`, { key: 'mail.smtp.hostNotFound', params: { host: ctx.host } })
  }
  // A 4xx is the server's "not now" wherever it comes (RCPT TO included: greylisting, a busy mailbox): the address is
  // not wrong (cold trial: a 451 on RCPT TO was said as « refused the recipient »).
  if (e.responseCode >= 400 && e.responseCode < 500) {
    return make('CARRIER', `The SMTP server ${where} asked to try again later${withReply}`, { key: 'mail.smtp.tryLater', params: { host: ctx.host } }, serviceExtra)
  }
  if (e.code === 'EENVELOPE' && e.command === 'RCPT TO') {
    return make('VALIDATION', `The SMTP server ${where} refused the recipient${withReply}`, { key: 'mail.smtp.recipientRejected', params: { host: ctx.host } }, serviceExtra)
  }
  if ((e.code === 'EENVELOPE' || e.code === 'EMESSAGE') && e.command === 'MAIL FROM') {
    return make('FORBIDDEN', `The SMTP server ${where} refused the sender address${withReply}`, { key: 'mail.smtp.senderRejected', params: { host: ctx.host } }, serviceExtra)
  }
  if (e.code === 'EENVELOPE' || e.code === 'EMESSAGE') {
    return make('CARRIER', `The SMTP server ${where} refused the message${withReply}`, { key: 'mail.smtp.messageRejected', params: { host: ctx.host } }, serviceExtra)
  }
  if (e.code === 'ESOCKET' || e.code === 'ECONNECTION' || system?.kind === 'network') {
    if (ctx.phase === 'send') return unknownOutcome(ctx)
    return make('NETWORK', `The connection to the SMTP server ${where} was lost`, { key: 'mail.smtp.connectionLost', params: { host: ctx.host } })
  }
  const reason = quote(e.message || 'unknown error', ctx.secrets, ctx.usernames)
  return make('CARRIER', `Sending through the SMTP server ${where} failed: ${reason}`, { key: 'mail.smtp.failed', params: { host: ctx.host, reason } }, serviceExtra)
}

function unknownOutcome(ctx: SmtpErrorContext): AppError {
  return make('UNKNOWN_OUTCOME', `The connection to the SMTP server ${ctx.host}:${ctx.port} failed while the message was being sent; it may or may not have been sent, and was not sent again`, {
    key: 'mail.unknownOutcome',
    params: { host: ctx.host },
  })
}
