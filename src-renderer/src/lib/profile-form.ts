import type { MessageRef } from '../../../src-shared/contract'
import type { ControlCenterProfile as Profile } from '../../../src-shared/models/profiles'

/**
 * The profile form's checks, mirroring the contract (profileSaveSchema) and the core's URL rule, so the operator
 * sees a problem next to its field before anything is sent. The core checks again; this is only the early word.
 */
export type ProfileField = 'name' | 'baseUrl' | 'username' | 'apiKey' | 'soap' | 'concurrency' | 'perSecond'
export type ProfileProblems = Partial<Record<ProfileField, MessageRef>>

export interface ProfileFormValues {
  name: string
  baseUrl: string
  username: string
  apiKey: string
  password: string
  licenseKey: string
  clearPassword: boolean
  clearLicenseKey: boolean
  concurrency: number | null
  perSecond: number | null
}

const LIMITS = { name: 80, baseUrl: 300, username: 200 } as const
const SECRET_MAX = 4096

/** This computer, as the core's rule reads a URL's host (core/http/secure-url.ts). */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase()
  if (host === 'localhost' || host === '[::1]') return true
  return /^\d+\.\d+\.\d+\.\d+$/.test(host) && host.startsWith('127.')
}

/** The core's rule (core/http/secure-url.ts): https://, or plain http:// to this computer only; no credentials in it. */
export function urlProblem(value: string): MessageRef | null {
  const text = value.trim()
  if (text === '') return { key: 'profiles.form.required' }
  if (text.length > LIMITS.baseUrl) return { key: 'profiles.form.tooLong', params: { max: LIMITS.baseUrl } }
  // A bare host is what the console called the "domain ID"; the core reads it as https://.
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `https://${text}`
  let url: URL
  try {
    url = new URL(withScheme)
  } catch {
    return { key: 'errors.invalidUrl', params: { url: text } }
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return { key: 'errors.invalidUrl', params: { url: text } }
  if (url.username !== '' || url.password !== '') return { key: 'errors.urlHasCredentials' }
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) return { key: 'errors.insecureUrl', params: { url: url.origin } }
  return null
}

function textProblem(value: string, max: number): MessageRef | null {
  const text = value.trim()
  if (text === '') return { key: 'profiles.form.required' }
  return text.length > max ? { key: 'profiles.form.tooLong', params: { max } } : null
}

/** Whether a secret will be set once saved: typed now, or already set and neither replaced nor cleared. */
function willBeSet(typed: string, cleared: boolean, alreadySet: boolean): boolean {
  if (cleared) return false
  return typed !== '' || alreadySet
}

export function profileProblems(values: ProfileFormValues, existing: Profile | null): ProfileProblems {
  const problems: ProfileProblems = {}
  const name = textProblem(values.name, LIMITS.name)
  if (name) problems.name = name
  const baseUrl = urlProblem(values.baseUrl)
  if (baseUrl) problems.baseUrl = baseUrl
  const username = textProblem(values.username, LIMITS.username)
  if (username) problems.username = username

  if (!willBeSet(values.apiKey, false, existing?.secrets.apiKey ?? false)) problems.apiKey = { key: 'profiles.apiKeyRequired' }
  else if (values.apiKey.length > SECRET_MAX) problems.apiKey = { key: 'profiles.form.tooLong', params: { max: SECRET_MAX } }

  const password = willBeSet(values.password, values.clearPassword, existing?.secrets.password ?? false)
  const licenseKey = willBeSet(values.licenseKey, values.clearLicenseKey, existing?.secrets.licenseKey ?? false)
  if (password !== licenseKey) problems.soap = { key: 'profiles.soapPair' }
  else if (values.password.length > SECRET_MAX || values.licenseKey.length > SECRET_MAX) problems.soap = { key: 'profiles.form.tooLong', params: { max: SECRET_MAX } }

  const c = values.concurrency
  if (c === null || !Number.isInteger(c) || c < 1 || c > 4) problems.concurrency = { key: 'profiles.form.concurrencyRange' }
  const p = values.perSecond
  if (p === null || !Number.isFinite(p) || p < 0.2 || p > 50) problems.perSecond = { key: 'profiles.form.perSecondRange' }
  return problems
}

/** Which field a refusal from the core is about, so it is shown there rather than at the bottom of the form. */
export function fieldOfRef(key: string | undefined): ProfileField | null {
  switch (key) {
    case 'errors.invalidUrl':
    case 'errors.insecureUrl':
    case 'errors.urlHasCredentials':
      return 'baseUrl'
    case 'profiles.apiKeyRequired':
      return 'apiKey'
    case 'profiles.soapPair':
      return 'soap'
    default:
      return null
  }
}
