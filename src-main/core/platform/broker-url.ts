/**
 * The core's word on a platform broker address and an application client id (docs/wire/platform-mqtt.md §3). The rules
 * are src-shared/models/transport-rules.ts, the ones the forms apply; profiles check them when an operator saves, the
 * link when it connects, and both throw the AppError made here.
 */
import { checkBrokerUrl, checkClientId, type BrokerSecurity, type ClientIdParts } from '../../../src-shared/models/transport-rules'
import { AppError } from '../common/errors'
import { urlHasCredentials } from '../http/secure-url'

/** 'tls': mqtts:// or wss://; 'loopback-plain': no TLS, but the traffic stays on this computer; 'plain-remote': warn. */
export type LinkSecurity = BrokerSecurity

/** Checks a broker URL (checkBrokerUrl); throws VALIDATION for anything that is not one. */
function checkedBrokerUrl(url: string): { url: URL; security: LinkSecurity } {
  const text = String(url)
  const check = checkBrokerUrl(text)
  if (check.ok) return check
  // The core names a bad broker URL with errors.invalidUrl, as it always has; the forms name the broker schemes.
  switch (check.reason) {
    case 'unparsable':
      throw AppError.withRef('VALIDATION', `Not a valid URL: ${text.slice(0, 200)}`, { key: 'errors.invalidUrl', params: { url: text.slice(0, 200) } })
    case 'scheme':
      throw AppError.withRef('VALIDATION', `The broker URL must be mqtt://, mqtts://, ws:// or wss:// with a host (got ${check.url.protocol})`, {
        key: 'errors.invalidUrl',
        params: { url: `${check.url.protocol}//${check.url.host}` },
      })
    case 'credentials':
      throw urlHasCredentials()
  }
}

/** Parses a broker URL: mqtt://, mqtts://, ws:// or wss:// with a host and no credentials in it. */
export function parseBrokerUrl(url: string): URL {
  return checkedBrokerUrl(url).url
}

/** Classifies a broker URL for the security indicator; throws VALIDATION for anything that is not a broker URL. */
export function linkSecurity(url: string): LinkSecurity {
  return checkedBrokerUrl(url).security
}

/** Parses an application client id (checkClientId): `a:<org>:<appId>`, `A:<org>:<appId>` or `A:<org>:<appId>:<instanceId>`. */
export function parseClientId(clientId: string): ClientIdParts {
  const text = String(clientId)
  const check = checkClientId(text)
  if (check.ok) return check.parts
  throw AppError.withRef('VALIDATION', `Invalid application client id ${JSON.stringify(text.slice(0, 100))}: use a:<org>:<appId> or A:<org>:<appId> (letters, digits, '-', '_', '.')`, check.ref)
}
