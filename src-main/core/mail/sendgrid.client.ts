/**
 * SendGrid v3 Mail Send (docs/wire/mail.md §8) through the one HTTP factory (http/http-client.ts): its TLS policy,
 * timeouts, redacted logs and its rule that a POST is repeated only when the service certainly did not act on it.
 *
 * `verify()` sends a sandbox-mode request from the sender to itself: SendGrid validates it (key, payload, verified
 * sender) and answers 200 without delivering anything. Being harmless, that request may be retried like a read.
 */
import { createGovernor, type Governor } from '../http/governor'
import { createHttpClient, parseRetryAfter, type HttpClient, type HttpTimeouts } from '../http/http-client'
import type { Logger } from '../log/logger'
import { rateLimitReset, sendGridError, sendGridTransportError, type SendGridErrorContext } from './mail-errors'
import { assertSafeMail, type MailAddress, type OutgoingMail } from './mail-validation'
import type { Mailer } from './mailer'

export interface SendGridConfig {
  /** Already checked by assertSecureUrl: https://, or http:// to a loopback peer. */
  baseUrl: string
  apiKey: string
  from: MailAddress
}

export interface SendGridMailerOptions {
  logger?: Logger
  /** Shared across mailers so that a 429 slows every later request of the account, not only this one. */
  governor?: Governor
  /** Attempts for what may be repeated (a 429, a sandbox check), the first included. Default 3. */
  maxAttempts?: number
  timeoutMs?: Partial<HttpTimeouts>
}

const MAIL_SEND = '/v3/mail/send'

/**
 * The governor of one SendGrid account. The spec gives no Mail Send rate; [I] two at a time and 10/s is far above what
 * invitations need and well below any plan's limit. `maxWaitMs` (default 10 s [I]) bounds the wait for a rate limit to
 * reset before a refused message is retried: an operator waits at the invitation, and a later reset is reported with
 * its time instead, nothing sent.
 */
export function createSendGridGovernor(maxWaitMs = 10_000): Governor {
  return createGovernor({ concurrency: 2, perSecond: 10, maxDelayMs: maxWaitMs })
}

/**
 * How long a 429 tells the client to stay away: Retry-After when present, else until X-RateLimit-Reset (the end of the
 * key's refresh period, in Unix epoch seconds, twilio.com/docs/sendgrid "Rate Limits"). A reset that is already past
 * by this computer's clock (the clocks differ) says nothing, and the usual back-off applies.
 */
export function sendGridRetryAfterMs(status: number, headers: Record<string, string>, now = Date.now()): number | null {
  const asked = parseRetryAfter(headers['retry-after'], now)
  if (asked !== null || status !== 429) return asked
  const reset = rateLimitReset(headers)
  return reset !== null && reset > now ? reset - now : null
}

interface SendGridBody {
  personalizations: { to: { email: string; name?: string }[] }[]
  from: { email: string; name?: string }
  subject: string
  content: { type: 'text/plain' | 'text/html'; value: string }[]
  headers?: Record<string, string>
  mail_settings?: { sandbox_mode: { enable: boolean } }
}

function address(a: MailAddress): { email: string; name?: string } {
  return a.name ? { email: a.address, name: a.name } : { email: a.address }
}

export function sendGridBody(mail: OutgoingMail, sandbox: boolean): SendGridBody {
  return {
    personalizations: [{ to: [address(mail.to)] }],
    from: address(mail.from),
    subject: mail.subject,
    // SendGrid wants text/plain first when both are present.
    content: [
      { type: 'text/plain', value: mail.text },
      { type: 'text/html', value: mail.html },
    ],
    headers: { 'Content-Language': mail.language },
    ...(sandbox ? { mail_settings: { sandbox_mode: { enable: true } } } : {}),
  }
}

export function createSendGridMailer(config: SendGridConfig, options: SendGridMailerOptions = {}): Mailer {
  const client: HttpClient = createHttpClient({
    baseUrl: config.baseUrl,
    service: 'SendGrid',
    maxAttempts: options.maxAttempts ?? 3,
    retryAfterMs: (status, headers) => sendGridRetryAfterMs(status, headers),
    governor: options.governor ?? createSendGridGovernor(),
    // Mail Send answers with an empty body or a short error list; anything large is not SendGrid.
    maxBodyBytes: 1024 * 1024,
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
  })
  const host = client.baseUrl.host
  const ctx: SendGridErrorContext = { host, apiUrl: client.baseUrl.origin + client.baseUrl.pathname.replace(/\/+$/, ''), sender: config.from.address, secrets: [config.apiKey] }
  const logger = options.logger

  async function post(body: SendGridBody, idempotent: boolean) {
    try {
      return await client.request({
        method: 'POST',
        path: MAIL_SEND,
        idempotent,
        headers: { authorization: `Bearer ${config.apiKey}`, 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify(body),
      })
    } catch (err) {
      throw sendGridTransportError(err, ctx)
    }
  }

  return {
    mode: 'sendgridApiKey',
    server: host,
    from: config.from,

    async verify() {
      const probe: OutgoingMail = {
        from: config.from,
        to: { address: config.from.address },
        subject: 'Fieldline: SendGrid settings check',
        text: 'Sandbox-mode check of the SendGrid settings; SendGrid does not deliver it.',
        html: '<p>Sandbox-mode check of the SendGrid settings; SendGrid does not deliver it.</p>',
        language: 'en',
      }
      assertSafeMail(probe)
      const res = await post(sendGridBody(probe, true), true)
      if (res.status === 200 || res.status === 202) {
        logger?.info({ mail: 'verify', mode: 'sendgridApiKey', server: host, status: res.status }, 'mail')
        return { delivered: res.status === 202 }
      }
      const e = sendGridError(res, ctx)
      logger?.warn({ mail: 'verify', mode: 'sendgridApiKey', server: host, status: res.status, outcome: e.code }, 'mail')
      throw e
    },

    async send(mail) {
      assertSafeMail(mail)
      const res = await post(sendGridBody(mail, false), false)
      if (res.status >= 200 && res.status < 300) {
        logger?.info({ mail: 'send', mode: 'sendgridApiKey', server: host, status: res.status }, 'mail')
        return { messageId: res.headers['x-message-id'] ?? null }
      }
      const e = sendGridError(res, ctx)
      logger?.warn({ mail: 'send', mode: 'sendgridApiKey', server: host, status: res.status, outcome: e.code }, 'mail')
      throw e
    },

    close: () => client.close(),
  }
}
