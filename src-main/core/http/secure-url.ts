/**
 * The core's word on a URL credentials are sent to. The rule itself is src-shared/models/transport-rules.ts, the one
 * the forms apply; this turns its verdict into the AppError the core throws.
 */
import { checkSecureUrl, type SecureUrlCheck } from '../../../src-shared/models/transport-rules'
import { AppError } from '../common/errors'

/** The refusal of a URL with a user name or password in it, whatever the URL is for. */
export function urlHasCredentials(): AppError {
  return AppError.withRef('VALIDATION', 'The URL must not contain a user name or password; enter credentials in their own fields', { key: 'errors.urlHasCredentials' })
}

function refusal(url: string, check: Exclude<SecureUrlCheck, { ok: true }>): AppError {
  switch (check.reason) {
    case 'unparsable':
      return AppError.withRef('VALIDATION', `Not a valid URL: ${url.slice(0, 200)}`, check.ref)
    case 'scheme':
      return AppError.withRef('VALIDATION', `Only https:// URLs are supported (got ${check.url.protocol})`, check.ref)
    case 'credentials':
      return urlHasCredentials()
    case 'plainRemote':
      return AppError.withRef('VALIDATION', `Credentials may only be sent over https:// (plain http:// is accepted for this computer only): ${check.url.origin}`, check.ref)
  }
}

/** Parses `url` and refuses anything that would carry credentials in clear text (checkSecureUrl). */
export function assertSecureUrl(url: string): URL {
  const check = checkSecureUrl(url)
  if (check.ok) return check.url
  throw refusal(url, check)
}
