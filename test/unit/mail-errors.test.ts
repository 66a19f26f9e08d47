import { describe, expect, it } from 'vitest'
import type { HttpResponse } from '../../src-main/core/http/http-client'
import { redact, sendGridError, smtpError, type SmtpErrorContext } from '../../src-main/core/mail/mail-errors'
import { sendGridRetryAfterMs } from '../../src-main/core/mail/sendgrid.client'

const PASSWORD = 'hunter2-Secret'
const ctx: SmtpErrorContext = { host: 'smtp.example.com', port: 587, phase: 'verify', secrets: [PASSWORD], usernames: ['mailer'] }

function nodemailerError(fields: Record<string, unknown>): Error {
  return Object.assign(new Error(String(fields.message ?? 'failed')), fields)
}

function response(status: number, body: unknown, headers: Record<string, string> = {}): HttpResponse {
  const text = typeof body === 'string' ? body : JSON.stringify(body)
  return {
    status,
    headers,
    mimeType: typeof body === 'string' ? 'text/html' : 'application/json',
    charset: 'utf-8',
    text,
    attempts: 1,
    isJson: () => typeof body !== 'string',
    tryJson: () => {
      try {
        return JSON.parse(text) as unknown
      } catch {
        return undefined
      }
    },
    isHtml: () => typeof body === 'string' && text.startsWith('<'),
  }
}

describe('redact', () => {
  it('removes a secret and the base64 forms SMTP AUTH sends', () => {
    const plain = Buffer.from(`\u0000mailer\u0000${PASSWORD}`).toString('base64')
    const login = Buffer.from(PASSWORD).toString('base64')
    expect(redact(`x ${PASSWORD} ${plain} ${login} y`, [PASSWORD], ['mailer'])).toBe('x [redacted] [redacted] [redacted] y')
  })
})

describe('SMTP errors', () => {
  it.each([
    [{ code: 'EAUTH', response: '535 5.7.8 Authentication failed', responseCode: 535, command: 'AUTH PLAIN' }, 'AUTH_FAILED', 'mail.smtp.authFailed'],
    [{ code: 'EENVELOPE', response: '530 5.7.0 Authentication required', responseCode: 530, command: 'MAIL FROM' }, 'AUTH_FAILED', 'mail.smtp.authRequired'],
    // A server that takes a password only over TLS, reached with the security "None" (cold trial: smtp-server's 538 was
    // said as « refused the user name or password »; Postfix's 530 as « requires authentication »).
    [{ code: 'EAUTH', response: '538 Error: Must issue a STARTTLS command first', responseCode: 538, command: 'AUTH PLAIN' }, 'TLS', 'mail.smtp.tlsRequired'],
    [{ code: 'EENVELOPE', response: '530 5.7.0 Must issue a STARTTLS command first', responseCode: 530, command: 'MAIL FROM' }, 'TLS', 'mail.smtp.tlsRequired'],
    [{ code: 'ETLS', response: '454 TLS not available', responseCode: 454, command: 'STARTTLS' }, 'TLS', 'mail.smtp.starttlsUnavailable'],
    [{ code: 'ETLS', message: 'Error initiating TLS - self-signed certificate', command: 'STARTTLS' }, 'TLS', 'mail.smtp.tls'],
    [{ code: 'ESOCKET', originalCode: 'CERT_HAS_EXPIRED', message: 'certificate has expired', command: 'CONN' }, 'TLS', 'mail.smtp.tls'],
    [{ code: 'ESOCKET', originalCode: 'ERR_TLS_CERT_ALTNAME_INVALID', message: "Hostname/IP does not match certificate's altnames", command: 'CONN' }, 'TLS', 'mail.smtp.tls'],
    [{ code: 'ESOCKET', originalCode: 'ECONNREFUSED', message: 'connect ECONNREFUSED', command: 'CONN' }, 'NETWORK', 'mail.smtp.connectionRefused'],
    [{ code: 'EDNS', originalCode: 'ENOTFOUND', message: 'getaddrinfo ENOTFOUND', command: 'CONN' }, 'NETWORK', 'mail.smtp.hostNotFound'],
    [{ code: 'ETIMEDOUT', timeoutType: 'GREETING_TIMEOUT', message: 'Greeting never received', command: 'CONN' }, 'TIMEOUT', 'mail.smtp.timeout'],
    [{ code: 'ETIMEDOUT', timeoutType: 'SOCKET_TIMEOUT', message: 'Timeout', command: 'CONN' }, 'TIMEOUT', 'mail.smtp.timeout'],
    [{ code: 'ECONNECTION', message: 'Connection closed unexpectedly', command: 'CONN' }, 'NETWORK', 'mail.smtp.connectionLost'],
    [{ code: 'EENVELOPE', response: '550 5.1.1 No such user', responseCode: 550, command: 'RCPT TO' }, 'VALIDATION', 'mail.smtp.recipientRejected'],
    [{ code: 'EENVELOPE', response: '553 5.7.1 Sender not allowed', responseCode: 553, command: 'MAIL FROM' }, 'FORBIDDEN', 'mail.smtp.senderRejected'],
    [{ code: 'EMESSAGE', response: '451 4.3.0 Try again later', responseCode: 451, command: 'DATA' }, 'CARRIER', 'mail.smtp.tryLater'],
    [{ code: 'EENVELOPE', response: '451 4.2.1 Mailbox busy, try later', responseCode: 451, command: 'RCPT TO' }, 'CARRIER', 'mail.smtp.tryLater'],
    [{ code: 'EENVELOPE', response: '450 4.7.1 Greylisted, come back later', responseCode: 450, command: 'MAIL FROM' }, 'CARRIER', 'mail.smtp.tryLater'],
    [{ code: 'EMESSAGE', response: '554 5.6.0 Message rejected', responseCode: 554, command: 'DATA' }, 'CARRIER', 'mail.smtp.messageRejected'],
    [{ code: 'EPROTOCOL', message: 'Invalid greeting', command: 'CONN' }, 'CARRIER', 'mail.smtp.failed'],
  ])('maps %j', (fields, code, key) => {
    const e = smtpError(nodemailerError(fields), ctx)
    expect(e.code).toBe(code)
    expect(e.details?.ref?.key).toBe(key)
  })

  it('treats a lost connection or an idle timeout during a send as an unknown outcome, but not a failure to connect', () => {
    const send = { ...ctx, phase: 'send' as const }
    expect(smtpError(nodemailerError({ code: 'ECONNECTION', command: 'CONN' }), send).code).toBe('UNKNOWN_OUTCOME')
    expect(smtpError(nodemailerError({ code: 'ETIMEDOUT', timeoutType: 'SOCKET_TIMEOUT' }), send).code).toBe('UNKNOWN_OUTCOME')
    expect(smtpError(nodemailerError({ code: 'ETIMEDOUT', timeoutType: 'CONNECT_TIMEOUT' }), send).code).toBe('TIMEOUT')
    expect(smtpError(nodemailerError({ code: 'ESOCKET', originalCode: 'ECONNREFUSED' }), send).code).toBe('NETWORK')
  })

  it('never lets the password through, even when a server echoes it', () => {
    const echoed = Buffer.from(`\u0000mailer\u0000${PASSWORD}`).toString('base64')
    const e = smtpError(nodemailerError({ code: 'EAUTH', response: `535 bad credentials ${echoed} ${PASSWORD}`, responseCode: 535, command: 'AUTH PLAIN' }), ctx)
    expect(JSON.stringify({ message: e.message, details: e.details })).not.toMatch(new RegExp(`${PASSWORD}|${echoed}`))
    const tlsErr = smtpError(nodemailerError({ code: 'ETLS', message: `Error initiating TLS - ${PASSWORD}` }), ctx)
    expect(JSON.stringify({ message: tlsErr.message, details: tlsErr.details })).not.toContain(PASSWORD)
  })
})

describe('SendGrid errors', () => {
  const sg = { host: 'api.sendgrid.com', apiUrl: 'https://api.sendgrid.com', sender: 'ops@example.com', secrets: ['SG.key'] }

  it('lists the fields of a 400', () => {
    const e = sendGridError(
      response(400, {
        errors: [
          { message: 'Does not contain a valid address.', field: 'personalizations.0.to.0.email', help: null },
          { message: 'The subject is required.', field: 'subject', help: 'http://…' },
        ],
      }),
      sg,
    )
    expect(e.code).toBe('VALIDATION')
    expect(e.details?.ref).toEqual({ key: 'mail.sendgrid.badRequest', params: { fields: 'personalizations.0.to.0.email, subject', count: 2 } })
    expect(e.details?.issues).toEqual([
      { path: 'personalizations.0.to.0.email', message: 'Does not contain a valid address.' },
      { path: 'subject', message: 'The subject is required.' },
    ])
  })

  it.each([
    [401, { errors: [{ field: null, message: 'The provided authorization grant is invalid, expired, or revoked' }] }, 'AUTH_FAILED', 'mail.sendgrid.unauthorized'],
    [403, { errors: [{ field: 'from', message: 'The from address does not match a verified Sender Identity.' }] }, 'FORBIDDEN', 'mail.sendgrid.senderNotVerified'],
    [403, { errors: [{ field: null, message: 'access forbidden' }] }, 'FORBIDDEN', 'mail.sendgrid.forbidden'],
    [413, { errors: [{ field: null, message: 'too large' }] }, 'TOO_LARGE', 'mail.sendgrid.tooLarge'],
    [429, { errors: [{ field: null, message: 'too many requests' }] }, 'RATE_LIMITED', 'mail.sendgrid.rateLimited'],
    [500, { errors: [{ field: null, message: 'internal error' }] }, 'CARRIER', 'mail.sendgrid.unavailable'],
    [503, '<html><title>503</title></html>', 'CARRIER', 'mail.sendgrid.unavailable'],
    [404, '<html><title>Not Found</title></html>', 'NOT_FOUND', 'mail.sendgrid.notSendGrid'],
    [418, { errors: [{ field: null, message: 'teapot' }] }, 'CARRIER', 'mail.sendgrid.unexpected'],
  ] as const)('maps %i', (status, body, code, key) => {
    const e = sendGridError(response(status, body), sg)
    expect(e.code).toBe(code)
    expect(e.details?.ref?.key).toBe(key)
    expect(e.details?.carrierCode).toBe(String(status))
  })

  it('gives the reset time of a 429 when SendGrid sends X-RateLimit-Reset', () => {
    const e = sendGridError(response(429, { errors: [{ field: null, message: 'too many requests' }] }, { 'x-ratelimit-reset': '1800000000' }), sg)
    expect(e.details?.ref).toEqual({ key: 'mail.sendgrid.rateLimitedUntil', params: { at: '2027-01-15T08:00:00.000Z' } })
  })

  it('reads how long a 429 asks to wait: Retry-After first, else until X-RateLimit-Reset; a reset already past says nothing', () => {
    const now = 1_800_000_000_000
    expect(sendGridRetryAfterMs(429, { 'x-ratelimit-reset': '1800000007' }, now)).toBe(7000)
    expect(sendGridRetryAfterMs(429, { 'x-ratelimit-reset': '1800000007', 'retry-after': '2' }, now)).toBe(2000)
    expect(sendGridRetryAfterMs(429, { 'x-ratelimit-reset': '1799999990' }, now)).toBeNull()
    expect(sendGridRetryAfterMs(429, { 'x-ratelimit-reset': 'soon' }, now)).toBeNull()
    expect(sendGridRetryAfterMs(429, {}, now)).toBeNull()
    expect(sendGridRetryAfterMs(503, { 'x-ratelimit-reset': '1800000007' }, now)).toBeNull()
  })

  it('removes the key from anything SendGrid says', () => {
    const e = sendGridError(response(401, { errors: [{ field: null, message: 'key SG.key is revoked' }] }), sg)
    expect(JSON.stringify({ message: e.message, details: e.details })).not.toContain('SG.key')
  })
})
