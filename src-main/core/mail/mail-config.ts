/**
 * A mail configuration ready to send: settings with their secrets, from the saved `mail:settings` document and the
 * vault, or — for scripts — from environment variables (FIELDLINE_SMTP_URL, FIELDLINE_MAIL_FROM,
 * FIELDLINE_SENDGRID_API_KEY, FIELDLINE_SENDGRID_URL, FIELDLINE_ORGANISATION). It lives in memory only.
 */
import { AppError } from '../common/errors'
import { assertSecureUrl } from '../http/secure-url'
import { addressProblem, displayNameProblem, hasControl, textProblem } from '../../../src-shared/models/mail-addresses'
import { DEFAULT_SENDGRID_URL, isSmtpHost, type MailMode } from '../../../src-shared/models/mail'
import { plainSmtpProblem } from '../../../src-shared/models/transport-rules'
import type { MailAddress } from './mail-validation'
import type { SendGridConfig } from './sendgrid.client'
import type { SmtpConfig } from './smtp.transport'

export type ResolvedMailConfig = { organisation: string | null } & ({ mode: 'sendgridApiKey'; sendgrid: SendGridConfig } | { mode: Extract<MailMode, 'smtp' | 'sendgridUsername'>; smtp: SmtpConfig })

/** The API base without a trailing slash; https://, or http:// for a loopback peer (assertSecureUrl). */
export function normaliseSendGridUrl(value: string): string {
  const url = assertSecureUrl(value)
  if (url.search !== '' || url.hash !== '') {
    throw AppError.withRef('VALIDATION', 'The SendGrid API URL must not have a query or a fragment', { key: 'errors.invalidUrl', params: { url: url.origin } })
  }
  // An empty path segment is no API's: it is a second address typed after the field's own (cold trial:
  // "https://api.sendgrid.comhttp://127.0.0.1:8080" was saved, with a host "api.sendgrid.comhttp").
  if (url.pathname.includes('//')) {
    const typed = value.trim()
    throw AppError.withRef('VALIDATION', `The SendGrid API URL "${typed}" holds more than one address: enter one, such as https://api.sendgrid.com`, {
      key: 'errors.invalidUrl',
      params: { url: typed },
    })
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`
}

function envError(variable: string, why: string): AppError {
  return AppError.withRef('VALIDATION', `${variable} ${why}`, { key: 'mail.env.invalid', params: { variable } })
}

/** "Name <address>" or a bare address; the name may not itself hold an address (see addresses.ts). */
export function parseMailFrom(value: string, variable = 'FIELDLINE_MAIL_FROM'): MailAddress {
  const text = value.trim()
  const match = /^(.*?)\s*<([^<>]*)>$/.exec(text)
  const name = match ? match[1]!.trim().replace(/^"(.*)"$/, '$1') : ''
  const address = match ? match[2]!.trim() : text
  if (addressProblem(address) !== null) throw envError(variable, 'must be "Name <name@example.com>" or name@example.com')
  if (name !== '' && displayNameProblem(name) !== null) throw envError(variable, 'has a display name that is not one plain line')
  return name === '' ? { address } : { name, address }
}

const SMTP_SCHEMES: Record<string, { security: SmtpConfig['security']; port: number }> = {
  'smtp:': { security: 'starttls', port: 587 },
  'smtps:': { security: 'tls', port: 465 },
  'smtp+insecure:': { security: 'none', port: 25 },
}

/**
 * smtp:// = STARTTLS required, smtps:// = TLS from the start, smtp+insecure:// = no TLS (loopback hosts only).
 * Messages never quote the URL: it may hold the password.
 */
export function parseSmtpUrl(value: string, from: MailAddress): SmtpConfig {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw envError('FIELDLINE_SMTP_URL', 'is not a valid URL (smtp://user:password@host:587)')
  }
  const scheme = SMTP_SCHEMES[url.protocol]
  if (!scheme) throw envError('FIELDLINE_SMTP_URL', 'must start with smtp://, smtps:// or smtp+insecure://')
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1')
  if (!isSmtpHost(host)) throw envError('FIELDLINE_SMTP_URL', 'has no valid host')
  if ((url.pathname !== '' && url.pathname !== '/') || url.search !== '' || url.hash !== '') throw envError('FIELDLINE_SMTP_URL', 'must not have a path, query or fragment')
  const plain = plainSmtpProblem(host, scheme.security)
  if (plain) throw AppError.withRef('VALIDATION', `smtp+insecure:// is accepted for this computer only (localhost, 127.x, ::1), not for ${host}`, plain)
  const username = url.username ? decodeURIComponent(url.username) : undefined
  const password = url.password ? decodeURIComponent(url.password) : undefined
  if ((password === undefined) !== (username === undefined)) throw envError('FIELDLINE_SMTP_URL', 'must have both a user name and a password, or neither')
  return {
    mode: 'smtp',
    host,
    port: url.port ? Number(url.port) : scheme.port,
    security: scheme.security,
    ...(username !== undefined ? { username } : {}),
    ...(password !== undefined ? { password } : {}),
    from,
  }
}

/** The configuration the environment describes, or null when it describes none. */
export function mailConfigFromEnv(env: NodeJS.ProcessEnv = process.env): ResolvedMailConfig | null {
  const apiKey = env.FIELDLINE_SENDGRID_API_KEY?.trim()
  const smtpUrl = env.FIELDLINE_SMTP_URL?.trim()
  if (!apiKey && !smtpUrl) return null
  if (apiKey && smtpUrl) throw AppError.withRef('VALIDATION', 'Set FIELDLINE_SMTP_URL or FIELDLINE_SENDGRID_API_KEY, not both', { key: 'mail.env.ambiguous' })
  const fromText = env.FIELDLINE_MAIL_FROM?.trim()
  if (!fromText) throw envError('FIELDLINE_MAIL_FROM', 'is required with FIELDLINE_SMTP_URL or FIELDLINE_SENDGRID_API_KEY (the sender address)')
  const from = parseMailFrom(fromText)
  const organisation = env.FIELDLINE_ORGANISATION?.trim() || null
  if (organisation !== null && textProblem(organisation, 120) !== null) throw envError('FIELDLINE_ORGANISATION', 'must be one line of at most 120 characters')
  if (apiKey) {
    if (hasControl(apiKey) || /\s/.test(apiKey)) throw envError('FIELDLINE_SENDGRID_API_KEY', 'must not contain spaces or control characters')
    return { mode: 'sendgridApiKey', organisation, sendgrid: { baseUrl: normaliseSendGridUrl(env.FIELDLINE_SENDGRID_URL?.trim() || DEFAULT_SENDGRID_URL), apiKey, from } }
  }
  return { mode: 'smtp', organisation, smtp: parseSmtpUrl(smtpUrl!, from) }
}
