/**
 * The rules a platform broker address and an application client id follow (docs/wire/platform-mqtt.md §3). Profiles check them when an
 * operator saves, the link when it connects; they live apart from the link so that both can use them.
 */
import { AppError } from '../common/errors'
import { isLoopbackHost } from '../http/secure-url'

/** 'tls': mqtts:// or wss://; 'loopback-plain': no TLS, but the traffic stays on this computer; 'plain-remote': warn. */
export type LinkSecurity = 'tls' | 'loopback-plain' | 'plain-remote'

const SCHEMES = new Set(['mqtt:', 'mqtts:', 'ws:', 'wss:'])

/** Parses a broker URL: mqtt://, mqtts://, ws:// or wss:// with a host and no credentials in it. */
export function parseBrokerUrl(url: string): URL {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw AppError.withRef('VALIDATION', `Not a valid URL: ${String(url).slice(0, 200)}`, { key: 'errors.invalidUrl', params: { url: String(url).slice(0, 200) } })
  }
  if (!SCHEMES.has(parsed.protocol) || parsed.hostname === '') {
    throw AppError.withRef('VALIDATION', `The broker URL must be mqtt://, mqtts://, ws:// or wss:// with a host (got ${parsed.protocol})`, {
      key: 'errors.invalidUrl',
      params: { url: `${parsed.protocol}//${parsed.host}` },
    })
  }
  // A URL ends up in documents and log lines, where a secret must never be.
  if (parsed.username !== '' || parsed.password !== '') {
    throw AppError.withRef('VALIDATION', 'The URL must not contain a user name or password; enter credentials in their own fields', {
      key: 'errors.urlHasCredentials',
    })
  }
  return parsed
}

/** Classifies a broker URL for the security indicator; throws VALIDATION for anything that is not a broker URL. */
export function linkSecurity(url: string): LinkSecurity {
  const parsed = parseBrokerUrl(url)
  if (parsed.protocol === 'mqtts:' || parsed.protocol === 'wss:') return 'tls'
  return isLoopbackHost(parsed.hostname) ? 'loopback-plain' : 'plain-remote'
}

const CLIENT_ID = /^(?:a:([A-Za-z0-9._-]{1,36}):([A-Za-z0-9._-]{1,36})|A:([A-Za-z0-9._-]{1,36}):([A-Za-z0-9._-]{1,36})(?::([A-Za-z0-9._-]{1,36}))?)$/

/**
 * Parses an application client id (docs/wire/platform-mqtt.md §3): `a:<org>:<appId>`, or the scalable forms `A:<org>:<appId>` and
 * `A:<org>:<appId>:<instanceId>` (instanceId ≤ 36). appId uses the platform charset `a-zA-Z0-9-_.`; its length
 * (1–36) and the org's charset are not documented and follow the platform's other ids [I]. Device (`d:`) and
 * gateway (`g:`) ids are refused: this link acts as an application.
 */
export function parseClientId(clientId: string): { scalable: boolean; org: string; appId: string; instanceId?: string } {
  const m = typeof clientId === 'string' ? CLIENT_ID.exec(clientId) : null
  if (!m) {
    const shown = String(clientId).slice(0, 100)
    throw AppError.withRef('VALIDATION', `Invalid application client id ${JSON.stringify(shown)}: use a:<org>:<appId> or A:<org>:<appId> (letters, digits, '-', '_', '.')`, {
      key: 'platform.invalidClientId',
      params: { value: shown },
    })
  }
  if (m[1] !== undefined && m[2] !== undefined) return { scalable: false, org: m[1], appId: m[2] }
  return { scalable: true, org: m[3] ?? '', appId: m[4] ?? '', ...(m[5] !== undefined ? { instanceId: m[5] } : {}) }
}
