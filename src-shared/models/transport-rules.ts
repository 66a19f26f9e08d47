/**
 * Where credentials may travel and whom they are trusted to: the rules for service URLs, broker URLs, application
 * client ids, plain SMTP and custom CAs. Pure functions, so that the renderer's forms (the early word, in the
 * operator's language) and the core (the last word) apply one rule and cannot disagree. A `check…` function gives the
 * verdict with the reason for a refusal and the translatable reference the forms show; the core's adapters
 * (http/secure-url.ts, platform/broker-url.ts, mail/smtp.transport.ts, http/trust.ts) turn the same verdict into their
 * AppError.
 */

import type { MessageRef } from './errors'
import { isLoopbackHost } from './hosts'
import { PLATFORM_ID_SOURCE } from './platform-ids'

/** Longest URL text echoed back in a message. */
const SHOWN = 200

const CREDENTIALS_IN_URL: MessageRef = { key: 'errors.urlHasCredentials' }

/**
 * A bare host (what the 2017 platform called a "domain ID"), with or without a port, means https://. A text that names
 * another scheme without `//` (`javascript:alert(1)`, `mailto:ops@example.com`) is kept as typed, so that its refusal
 * quotes what the operator wrote rather than `https://javascript:alert(1)`: a colon followed by anything but a port
 * number is a scheme's.
 */
export function withDefaultScheme(text: string): string {
  const named = /^[a-z][a-z0-9+.-]*:(?:\/\/|(?!\d+(?:[/?#]|$)))/i.test(text)
  return named ? text : `https://${text}`
}

function parse(url: string): URL | null {
  try {
    const parsed = new URL(url)
    // Chromium's parser percent-encodes what the URL standard refuses in a host ("https://not a url" parses there),
    // Node's refuses it: a '%' left in a host name means no host, so the form says what the core would.
    return parsed.hostname.includes('%') ? null : parsed
  } catch {
    return null
  }
}

function hasCredentials(url: URL): boolean {
  return url.username !== '' || url.password !== ''
}

/**
 * What a refusal of a URL's scheme quotes: its origin (no path, query or credentials), or for a scheme without one (a
 * bare `host:port`, which the parser reads as the scheme `host:`), its scheme and host, else what was typed. An opaque
 * origin is the text `null`, which named nothing the operator typed (« null » n’est pas une URL https:// valide).
 */
function shownWithoutPath(url: URL, text: string): string {
  if (url.origin !== 'null') return url.origin
  if (url.host !== '') return `${url.protocol}//${url.host}`
  return hasCredentials(url) ? url.protocol : text.slice(0, SHOWN)
}

/** Why a URL is refused: not a URL at all, a scheme other than the rule's, a user name or password in it, or plain text to another computer. */
export type UrlRefusal = 'unparsable' | 'scheme' | 'credentials' | 'plainRemote'

export type SecureUrlCheck = { ok: true; url: URL } | { ok: false; reason: 'unparsable'; ref: MessageRef } | { ok: false; reason: Exclude<UrlRefusal, 'unparsable'>; ref: MessageRef; url: URL }

/**
 * A URL credentials are sent to: https://, or plain http:// to this computer only; never a user name or password in
 * it, because a URL ends up in documents and log lines where a secret must never be.
 */
export function checkSecureUrl(text: string): SecureUrlCheck {
  const url = parse(text)
  if (!url) return { ok: false, reason: 'unparsable', ref: { key: 'errors.invalidUrl', params: { url: text.slice(0, SHOWN) } } }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return { ok: false, reason: 'scheme', url, ref: { key: 'errors.invalidUrl', params: { url: shownWithoutPath(url, text) } } }
  if (hasCredentials(url)) return { ok: false, reason: 'credentials', url, ref: CREDENTIALS_IN_URL }
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) return { ok: false, reason: 'plainRemote', url, ref: { key: 'errors.insecureUrl', params: { url: url.origin } } }
  return { ok: true, url }
}

export function secureUrlProblem(url: string): MessageRef | null {
  const check = checkSecureUrl(url)
  return check.ok ? null : check.ref
}

const BROKER_SCHEMES = new Set(['mqtt:', 'mqtts:', 'ws:', 'wss:'])

/** How a broker URL travels: 'tls' (mqtts://, wss://), 'loopback-plain' (no TLS, this computer), 'plain-remote' (warn). */
export type BrokerSecurity = 'tls' | 'loopback-plain' | 'plain-remote'

export type BrokerUrlCheck =
  { ok: true; url: URL; security: BrokerSecurity } | { ok: false; reason: 'unparsable'; ref: MessageRef } | { ok: false; reason: 'scheme' | 'credentials'; ref: MessageRef; url: URL }

/**
 * A broker URL: mqtt://, mqtts://, ws:// or wss:// with a host, and no credentials in it. Plain MQTT to another
 * computer is allowed (plant networks) and classed 'plain-remote', for a warning. The reference names the broker
 * schemes (errors.invalidUrl speaks of https://, which is right for the web services only).
 */
export function checkBrokerUrl(text: string): BrokerUrlCheck {
  const url = parse(text)
  const invalid: MessageRef = { key: 'platform.invalidBrokerUrl', params: { url: text.slice(0, SHOWN) } }
  if (!url) return { ok: false, reason: 'unparsable', ref: invalid }
  if (!BROKER_SCHEMES.has(url.protocol) || url.hostname === '') return { ok: false, reason: 'scheme', url, ref: invalid }
  if (hasCredentials(url)) return { ok: false, reason: 'credentials', url, ref: CREDENTIALS_IN_URL }
  const security = url.protocol === 'mqtts:' || url.protocol === 'wss:' ? 'tls' : isLoopbackHost(url.hostname) ? 'loopback-plain' : 'plain-remote'
  return { ok: true, url, security }
}

export function brokerUrlProblem(url: string): MessageRef | null {
  const check = checkBrokerUrl(url)
  return check.ok ? null : check.ref
}

/** The security indicator of a broker URL; null while it is not a broker URL. */
export function brokerSecurity(url: string): BrokerSecurity | null {
  const check = checkBrokerUrl(url)
  return check.ok ? check.security : null
}

/**
 * An application client id (docs/wire/platform-mqtt.md §3): `a:<org>:<appId>`, or the scalable `A:<org>:<appId>[:<instanceId>]`,
 * each part one of the platform's ids. appId's length and the org's charset are not documented and follow the
 * platform's other ids [I]. Device (`d:`) and gateway (`g:`) ids are refused: the link acts as an application.
 */
const ID = PLATFORM_ID_SOURCE
const CLIENT_ID_PATTERN = new RegExp(`^(?:a:(${ID}):(${ID})|A:(${ID}):(${ID})(?::(${ID}))?)$`)

export interface ClientIdParts {
  scalable: boolean
  org: string
  appId: string
  instanceId?: string
}

export type ClientIdCheck = { ok: true; parts: ClientIdParts } | { ok: false; ref: MessageRef }

export function checkClientId(clientId: string): ClientIdCheck {
  const m = CLIENT_ID_PATTERN.exec(clientId)
  if (!m) return { ok: false, ref: { key: 'platform.invalidClientId', params: { value: clientId.slice(0, 100) } } }
  if (m[1] !== undefined && m[2] !== undefined) return { ok: true, parts: { scalable: false, org: m[1], appId: m[2] } }
  return { ok: true, parts: { scalable: true, org: m[3] ?? '', appId: m[4] ?? '', ...(m[5] !== undefined ? { instanceId: m[5] } : {}) } }
}

export function clientIdProblem(clientId: string): MessageRef | null {
  const check = checkClientId(clientId)
  return check.ok ? null : check.ref
}

/** SMTP without TLS would send the password in clear: only where the traffic never leaves the machine. */
export function plainSmtpProblem(host: string, security: 'tls' | 'starttls' | 'none'): MessageRef | null {
  return security === 'none' && !isLoopbackHost(host) ? { key: 'mail.smtp.insecureHost', params: { host } } : null
}

const PEM_BEGIN = '-----BEGIN CERTIFICATE-----'
const PEM_END = '-----END CERTIFICATE-----'

/**
 * The PEM certificate blocks in `text`, in order, each from its BEGIN line to the first END line after it. A scan by
 * hand rather than a lazy regex: the time stays linear in the text however many unfinished blocks a paste holds.
 */
export function pemCertificates(text: string): string[] {
  const certs: string[] = []
  let from = 0
  for (;;) {
    const begin = text.indexOf(PEM_BEGIN, from)
    if (begin < 0) return certs
    // A block holds something between its markers.
    const end = text.indexOf(PEM_END, begin + PEM_BEGIN.length + 1)
    if (end < 0) return certs
    from = end + PEM_END.length
    certs.push(text.slice(begin, from))
  }
}

/** The form of a custom CA: one or more PEM certificates (the core then checks each one parses). */
export function caBundleProblem(pem: string): MessageRef | null {
  return pemCertificates(pem).length > 0 ? null : { key: 'errors.invalidCa' }
}
