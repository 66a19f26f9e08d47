import type { MessageRef } from '../../../src-shared/contract'
import type { PlatformProfile } from '../../../src-shared/models/profiles'
import { isLoopbackHost } from './profile-form'

/**
 * The platform (MQTT broker) profile form's checks, mirroring the contract (platformSettingsSchema) and the core's
 * rules (core/platform/link.ts: linkSecurity, parseClientId), so a problem shows next to its field, in the
 * operator's language, before anything is sent. The core checks again; this is only the early word.
 */
export type PlatformField = 'name' | 'url' | 'clientId' | 'username' | 'password' | 'ca'
export type PlatformProblems = Partial<Record<PlatformField, MessageRef>>
export type BrokerSecurity = PlatformProfile['security']

export interface PlatformFormValues {
  name: string
  url: string
  clientId: string
  username: string
  password: string
  ca: string
}

const LIMITS = { name: 80, url: 300, clientId: 200, username: 200, password: 4096, ca: 100_000 } as const
const SCHEMES = new Set(['mqtt:', 'mqtts:', 'ws:', 'wss:'])
const PEM_MARKER = '-----BEGIN CERTIFICATE-----'
/** The core's application client id forms (docs/wire/platform-mqtt.md §3): a:<org>:<appId>, and the scalable A:<org>:<appId>[:<instanceId>]. */
const CLIENT_ID = /^(?:a:[A-Za-z0-9._-]{1,36}:[A-Za-z0-9._-]{1,36}|A:[A-Za-z0-9._-]{1,36}:[A-Za-z0-9._-]{1,36}(?::[A-Za-z0-9._-]{1,36})?)$/

function parseBrokerUrl(value: string): URL | null {
  try {
    const url = new URL(value.trim())
    return SCHEMES.has(url.protocol) && url.hostname !== '' ? url : null
  } catch {
    return null
  }
}

/** How a broker URL travels, as the profile card shows it; null while the URL is not a broker URL. */
export function brokerSecurity(value: string): BrokerSecurity | null {
  const url = parseBrokerUrl(value)
  if (!url) return null
  if (url.protocol === 'mqtts:' || url.protocol === 'wss:') return 'tls'
  return isLoopbackHost(url.hostname) ? 'loopback-plain' : 'plain-remote'
}

export function brokerUrlProblem(value: string): MessageRef | null {
  const text = value.trim()
  if (text === '') return { key: 'profiles.form.required' }
  if (text.length > LIMITS.url) return { key: 'profiles.form.tooLong', params: { max: LIMITS.url } }
  const url = parseBrokerUrl(text)
  if (!url) return { key: 'platform.form.urlInvalid', params: { url: text } }
  // A URL ends up in documents and logs, where a secret must never be (the core refuses it too).
  if (url.username !== '' || url.password !== '') return { key: 'errors.urlHasCredentials' }
  return null
}

export function clientIdProblem(value: string): MessageRef | null {
  const text = value.trim()
  if (text === '') return { key: 'profiles.form.required' }
  if (text.length > LIMITS.clientId) return { key: 'profiles.form.tooLong', params: { max: LIMITS.clientId } }
  return CLIENT_ID.test(text) ? null : { key: 'platform.invalidClientId', params: { value: text } }
}

export function platformProblems(values: PlatformFormValues): PlatformProblems {
  const problems: PlatformProblems = {}
  const name = values.name.trim()
  if (name === '') problems.name = { key: 'profiles.form.required' }
  else if (name.length > LIMITS.name) problems.name = { key: 'profiles.form.tooLong', params: { max: LIMITS.name } }
  const url = brokerUrlProblem(values.url)
  if (url) problems.url = url
  const clientId = clientIdProblem(values.clientId)
  if (clientId) problems.clientId = clientId
  if (values.username.trim().length > LIMITS.username) problems.username = { key: 'profiles.form.tooLong', params: { max: LIMITS.username } }
  if (values.password.length > LIMITS.password) problems.password = { key: 'profiles.form.tooLong', params: { max: LIMITS.password } }
  const ca = values.ca.trim()
  if (values.ca.length > LIMITS.ca) problems.ca = { key: 'profiles.form.tooLong', params: { max: LIMITS.ca } }
  else if (ca !== '' && !ca.includes(PEM_MARKER)) problems.ca = { key: 'errors.invalidCa' }
  return problems
}

/**
 * Which field a refusal from the core is about, and the reference to show there. The core's invalid-URL message
 * speaks of https:// (it is shared with the web services); for a broker the form's own wording is right.
 */
export function platformFieldOfRef(ref: MessageRef | undefined, url: string): { field: PlatformField; ref: MessageRef } | null {
  switch (ref?.key) {
    case 'errors.invalidUrl':
      return { field: 'url', ref: { key: 'platform.form.urlInvalid', params: { url: url.trim() } } }
    case 'errors.urlHasCredentials':
      return { field: 'url', ref }
    case 'platform.invalidClientId':
      return { field: 'clientId', ref }
    case 'errors.invalidCa':
      return { field: 'ca', ref }
    default:
      return null
  }
}
