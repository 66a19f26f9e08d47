/**
 * The core's word on a URL credentials are sent to. The rule itself is src-shared/models/transport-rules.ts, the one
 * the forms apply; this turns its verdict into the AppError the core throws.
 */
import type { MessageRef } from '../../../src-shared/models/errors'
import { checkSecureUrl, type SecureUrlCheck } from '../../../src-shared/models/transport-rules'
import { AppError } from '../common/errors'

/**
 * A refusal's reference with the form's field it is about (`params.field`), when the caller names one: a form with two
 * URL fields (a platform profile's broker and REST API) gets the same keys for both, which alone would put both at the
 * first.
 */
function atField(ref: MessageRef, field: string | undefined): MessageRef {
  return field === undefined ? ref : { ...ref, params: { ...ref.params, field } }
}

/** The refusal of a URL with a user name or password in it, whatever the URL is for; `field` as in atField. */
export function urlHasCredentials(field?: string): AppError {
  return AppError.withRef('VALIDATION', 'The URL must not contain a user name or password; enter credentials in their own fields', atField({ key: 'errors.urlHasCredentials' }, field))
}

function refusal(url: string, check: Exclude<SecureUrlCheck, { ok: true }>, field: string | undefined): AppError {
  const ref = atField(check.ref, field)
  switch (check.reason) {
    case 'unparsable':
      return AppError.withRef('VALIDATION', `Not a valid URL: ${url.slice(0, 200)}`, ref)
    case 'scheme':
      return AppError.withRef('VALIDATION', `Only https:// URLs are supported, or http:// to this computer (got ${check.url.protocol})`, ref)
    case 'credentials':
      return urlHasCredentials(field)
    case 'plainRemote':
      return AppError.withRef('VALIDATION', `Credentials may only be sent over https:// (plain http:// is accepted for this computer only): ${check.url.origin}`, ref)
  }
}

/**
 * Parses `url` and refuses anything that would carry credentials in clear text (checkSecureUrl); a refusal names
 * `field`, the form's field the URL was typed in, when given (atField).
 */
export function assertSecureUrl(url: string, field?: string): URL {
  const check = checkSecureUrl(url)
  if (check.ok) return check.url
  throw refusal(url, check, field)
}
