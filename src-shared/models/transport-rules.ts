/**
 * Where credentials may travel and whom they are trusted to: the rules for service URLs, broker URLs, application
 * client ids, plain SMTP and custom CAs. Pure functions, so that the renderer's forms (the early word, in the
 * operator's language) and the core (the last word) apply one rule and can never disagree. Each problem comes back
 * as the translatable reference the core's refusal carries; `test/unit/transport-rules.test.ts` holds them to the
 * core's checks.
 */

import type { MessageRef } from './errors'

/** Longest URL text echoed back in a message. */
const SHOWN = 200

/**
 * This computer: the one place plain transports are accepted (the test peers and local tunnels run there, and the
 * traffic never leaves the machine). Takes `URL.hostname` (IPv6 in brackets, IPv4 shorthands such as 127.1 already
 * expanded) as well as a host typed alone.
 */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.trim().toLowerCase()
  if (host === 'localhost' || host === '[::1]' || host === '::1') return true
  const octets = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host)
  return octets !== null && octets[1] === '127' && octets.slice(2).every((o) => Number(o) <= 255)
}

/** A bare host (what the 2017 platform called a "domain ID") means https://. */
export function withDefaultScheme(text: string): string {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `https://${text}`
}

function parse(url: string): URL | null {
  try {
    return new URL(url)
  } catch {
    return null
  }
}

/**
 * A URL credentials are sent to: https://, or plain http:// to this computer only; never a user name or password in
 * it, because a URL ends up in documents and log lines where a secret must never be.
 */
export function secureUrlProblem(url: string): MessageRef | null {
  const parsed = parse(url)
  if (!parsed) return { key: 'errors.invalidUrl', params: { url: url.slice(0, SHOWN) } }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return { key: 'errors.invalidUrl', params: { url: parsed.origin } }
  if (parsed.username !== '' || parsed.password !== '') return { key: 'errors.urlHasCredentials' }
  if (parsed.protocol === 'http:' && !isLoopbackHost(parsed.hostname)) return { key: 'errors.insecureUrl', params: { url: parsed.origin } }
  return null
}

const BROKER_SCHEMES = new Set(['mqtt:', 'mqtts:', 'ws:', 'wss:'])

/** How a broker URL travels: 'tls' (mqtts://, wss://), 'loopback-plain' (no TLS, this computer), 'plain-remote' (warn). */
export type BrokerSecurity = 'tls' | 'loopback-plain' | 'plain-remote'

/**
 * A broker URL: mqtt://, mqtts://, ws:// or wss:// with a host, and no credentials in it. The problem names the broker
 * schemes (errors.invalidUrl speaks of https://, which is right for the web services only).
 */
export function brokerUrlProblem(url: string): MessageRef | null {
  const parsed = parse(url)
  if (!parsed || !BROKER_SCHEMES.has(parsed.protocol) || parsed.hostname === '') return { key: 'platform.invalidBrokerUrl', params: { url: url.slice(0, SHOWN) } }
  if (parsed.username !== '' || parsed.password !== '') return { key: 'errors.urlHasCredentials' }
  return null
}

/** The security indicator of a broker URL; null while it is not a broker URL. Plain MQTT is allowed, with a warning. */
export function brokerSecurity(url: string): BrokerSecurity | null {
  if (brokerUrlProblem(url)) return null
  const parsed = new URL(url)
  if (parsed.protocol === 'mqtts:' || parsed.protocol === 'wss:') return 'tls'
  return isLoopbackHost(parsed.hostname) ? 'loopback-plain' : 'plain-remote'
}

/**
 * An application client id (docs/wire/platform-mqtt.md §3): `a:<org>:<appId>`, or the scalable `A:<org>:<appId>[:<instanceId>]`,
 * each part 1–36 of the platform's id characters. Device (`d:`) and gateway (`g:`) ids are refused: the link acts as an
 * application.
 */
export const CLIENT_ID_PATTERN = /^(?:a:([A-Za-z0-9._-]{1,36}):([A-Za-z0-9._-]{1,36})|A:([A-Za-z0-9._-]{1,36}):([A-Za-z0-9._-]{1,36})(?::([A-Za-z0-9._-]{1,36}))?)$/

export function clientIdProblem(clientId: string): MessageRef | null {
  return CLIENT_ID_PATTERN.test(clientId) ? null : { key: 'platform.invalidClientId', params: { value: clientId.slice(0, 100) } }
}

/** SMTP without TLS would send the password in clear: only where the traffic never leaves the machine. */
export function plainSmtpProblem(host: string, security: 'tls' | 'starttls' | 'none'): MessageRef | null {
  return security === 'none' && !isLoopbackHost(host) ? { key: 'mail.smtp.insecureHost', params: { host } } : null
}

/** The form of a custom CA: one or more PEM certificates (the core then checks each one parses). */
export function caBundleProblem(pem: string): MessageRef | null {
  return pem.includes('-----BEGIN CERTIFICATE-----') ? null : { key: 'errors.invalidCa' }
}
