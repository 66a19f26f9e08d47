import { isIP } from 'node:net'
import { AppError } from '../common/errors'

/**
 * Loopback hosts are the one place plain http:// is accepted: the test peers and local tunnels run there, and
 * traffic to them never leaves the machine. `URL.hostname` has already normalised IPv4 shorthands such as
 * `127.1` and wraps IPv6 literals in brackets.
 */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase()
  if (host === 'localhost') return true
  if (host === '[::1]' || host === '::1') return true
  return isIP(host) === 4 && host.startsWith('127.')
}

/**
 * Parses `url` and refuses anything that would carry credentials in clear text: only https://, or http:// to a
 * loopback host. URLs holding a user name or password are refused too, because a URL ends up in documents and
 * log lines where a secret must never be.
 */
export function assertSecureUrl(url: string): URL {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw AppError.withRef('VALIDATION', `Not a valid URL: ${url.slice(0, 200)}`, { key: 'errors.invalidUrl', params: { url: url.slice(0, 200) } })
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw AppError.withRef('VALIDATION', `Only https:// URLs are supported (got ${parsed.protocol})`, { key: 'errors.invalidUrl', params: { url: parsed.origin } })
  }
  if (parsed.username !== '' || parsed.password !== '') {
    throw AppError.withRef('VALIDATION', 'The URL must not contain a user name or password; enter credentials in their own fields', {
      key: 'errors.urlHasCredentials',
    })
  }
  if (parsed.protocol === 'http:' && !isLoopbackHost(parsed.hostname)) {
    throw AppError.withRef('VALIDATION', `Credentials may only be sent over https:// (plain http:// is accepted for this computer only): ${parsed.origin}`, {
      key: 'errors.insecureUrl',
      params: { url: parsed.origin },
    })
  }
  return parsed
}
