import type { ErrorInfo, MessageRef } from '../../../src-shared/contract'
import { isSmtpHost, type MailMode, type MailSettingsView, type SmtpSecurity } from '../../../src-shared/models/mail'
import { addressProblem, displayNameProblem, hasControl, textProblem } from '../../../src-shared/models/mail-addresses'
import { urlProblem } from './profile-form'
import type { CredentialsPreview, MailSave } from './state/mail.svelte'

/**
 * The email forms' checks. They run the same pure functions as the bridge schemas (models/mail-addresses.ts), so
 * the operator sees a problem next to its field, in their language, before anything is sent. This matters more
 * than for other forms: the dispatcher refuses input that fails the contract with a generic "invalid input", and
 * a line break in a name is a header-injection attempt the operator should be told about by name.
 *
 * A problem's `params.field` holds the field's key ('adminName'); the text names it in the current language
 * (see fieldLabelRef in features/mail/mail-text.ts).
 */
export type MailField =
  | 'organisation'
  | 'adminName'
  | 'adminEmail'
  | 'apiKey'
  | 'baseUrl'
  | 'host'
  | 'port'
  | 'security'
  | 'username'
  | 'password'
  | 'senderName'
  | 'senderAddress'
  | 'ca'
  | 'credentials'
  | 'hostname'
export type MailProblems = Partial<Record<MailField, MessageRef>>

export interface SendGridApiKeyValues {
  adminName: string
  adminEmail: string
  apiKey: string
  baseUrl: string
}

export interface SmtpValues {
  host: string
  port: number | null
  security: SmtpSecurity
  username: string
  password: string
  clearPassword: boolean
  senderName: string
  senderAddress: string
  ca: string
}

export interface SendGridUsernameValues {
  credentialsJson: string
  hostname: string
  username: string
  password: string
  senderName: string
  senderAddress: string
}

export interface MailFormValues {
  mode: MailMode
  organisation: string
  activate: boolean
  sendgridApiKey: SendGridApiKeyValues
  smtp: SmtpValues
  sendgridUsername: SendGridUsernameValues
}

/** The submission ports: 465 speaks TLS from the first byte, 587 starts plain and upgrades with STARTTLS. */
export const SMTP_TLS_PORT = 465
export const SMTP_SUBMISSION_PORT = 587

const MAX_SECRET = 4096
const MAX_USERNAME = 256
const MAX_ORGANISATION = 120
const MAX_CA = 256 * 1024
const PEM_MARKER = '-----BEGIN CERTIFICATE-----'

const required: MessageRef = { key: 'mail.form.required' }

/** The core's rule (core/http/secure-url.ts): plain SMTP only to this computer. */
function isLoopbackHost(hostname: string): boolean {
  const host = hostname.trim().toLowerCase()
  if (host === 'localhost' || host === '::1' || host === '[::1]') return true
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)
}

/** A line break anywhere is named as what it is; the other problems as the core names them. */
export function nameRef(value: string, field: string): MessageRef | null {
  const problem = displayNameProblem(value)
  if (problem === null) return null
  if (problem === 'lineBreak') return { key: 'mail.headerInjection', params: { field } }
  if (problem === 'empty') return required
  return { key: 'mail.invalidName', params: { field } }
}

export function addressRef(value: string, field: string): MessageRef | null {
  // Surrounding spaces are a typing accident, not part of the address; the value sent is trimmed the same way.
  const problem = addressProblem(value.trim() === '' ? '' : value.replace(/^[ \t]+|[ \t]+$/g, ''))
  if (problem === null) return null
  if (problem === 'lineBreak') return { key: 'mail.headerInjection', params: { field } }
  if (problem === 'empty') return required
  return { key: 'mail.invalidAddress', params: { field } }
}

function lineRef(value: string, max: number, field: string): MessageRef | null {
  const problem = textProblem(value, max)
  if (problem === null) return null
  if (problem === 'lineBreak') return { key: 'mail.headerInjection', params: { field } }
  if (problem === 'empty') return required
  if (problem === 'tooLong') return { key: 'mail.form.tooLong', params: { max } }
  return { key: 'mail.invalidText', params: { field } }
}

function secretRef(value: string): MessageRef | null {
  if (value === '') return null
  if (hasControl(value)) return { key: 'mail.form.secretControl' }
  return value.length > MAX_SECRET ? { key: 'mail.form.tooLong', params: { max: MAX_SECRET } } : null
}

function hostRef(value: string): MessageRef | null {
  const host = value.trim()
  if (host === '') return required
  return isSmtpHost(host) ? null : { key: 'mail.form.invalidHost' }
}

function put(problems: MailProblems, field: MailField, ref: MessageRef | null): void {
  if (ref) problems[field] = ref
}

/** What the pasted credentials say, as far as the last check of the current text knows. */
export type PasteState = { text: string; preview: CredentialsPreview | null }

function credentialsRef(paste: PasteState): MessageRef | null {
  const preview = paste.preview
  if (paste.text.trim() === '' || preview === null || preview.valid) return null
  const first = preview.diagnostics[0]
  return { key: 'mail.credentials.invalid', params: { count: preview.diagnostics.length, line: first?.line ?? 1, column: first?.column ?? 1 } }
}

/** Problems of the current mode's fields (the other modes' fields are not sent, so they are not checked). */
export function mailProblems(values: MailFormValues, view: MailSettingsView | null, paste: PasteState): MailProblems {
  const problems: MailProblems = {}
  if (values.organisation.trim() !== '' || view?.organisation) put(problems, 'organisation', lineRef(values.organisation, MAX_ORGANISATION, 'organisation'))

  if (values.mode === 'sendgridApiKey') {
    const v = values.sendgridApiKey
    put(problems, 'adminName', nameRef(v.adminName, 'adminName'))
    put(problems, 'adminEmail', addressRef(v.adminEmail, 'adminEmail'))
    if (v.apiKey === '' && !view?.sendgridApiKey?.apiKeySet) put(problems, 'apiKey', { key: 'mail.secretRequired', params: { mode: 'sendgridApiKey' } })
    else put(problems, 'apiKey', secretRef(v.apiKey))
    if (v.baseUrl.trim() !== '') put(problems, 'baseUrl', urlProblem(v.baseUrl))
    return problems
  }

  if (values.mode === 'smtp') {
    const v = values.smtp
    put(problems, 'host', hostRef(v.host))
    if (v.port === null || !Number.isInteger(v.port) || v.port < 1 || v.port > 65535) put(problems, 'port', { key: 'mail.form.portRange' })
    if (v.security === 'none' && !problems.host && !isLoopbackHost(v.host)) put(problems, 'security', { key: 'mail.smtp.insecureHost', params: { host: v.host.trim() } })
    if (v.username.trim() !== '') {
      put(problems, 'username', lineRef(v.username, MAX_USERNAME, 'username'))
      const passwordKept = (view?.smtp?.passwordSet ?? false) && !v.clearPassword
      if (v.password === '' && !passwordKept) put(problems, 'password', { key: 'mail.secretRequired', params: { mode: 'smtp' } })
      else put(problems, 'password', secretRef(v.password))
    } else if (v.password !== '') {
      put(problems, 'password', { key: 'mail.form.passwordNeedsUser' })
    }
    put(problems, 'senderName', nameRef(v.senderName, 'senderName'))
    put(problems, 'senderAddress', addressRef(v.senderAddress, 'senderAddress'))
    const ca = v.ca.trim()
    if (ca !== '') put(problems, 'ca', ca.length > MAX_CA ? { key: 'mail.form.tooLong', params: { max: MAX_CA } } : ca.includes(PEM_MARKER) ? null : { key: 'errors.invalidCa' })
    return problems
  }

  const v = values.sendgridUsername
  if (paste.text.trim() !== '') {
    // Pasted credentials win over the typed ones (the core does the same), so only they are checked.
    put(problems, 'credentials', credentialsRef(paste))
  } else {
    put(problems, 'hostname', hostRef(v.hostname))
    put(problems, 'username', lineRef(v.username, MAX_USERNAME, 'username'))
    if (v.password === '' && !view?.sendgridUsername?.passwordSet) put(problems, 'password', { key: 'mail.secretRequired', params: { mode: 'sendgridUsername' } })
    else put(problems, 'password', secretRef(v.password))
  }
  put(problems, 'senderName', nameRef(v.senderName, 'senderName'))
  put(problems, 'senderAddress', addressRef(v.senderAddress, 'senderAddress'))
  return problems
}

/** The bridge input for the current mode. Secrets travel only when typed (absent keeps, null clears). */
export function mailSaveInput(values: MailFormValues, paste: PasteState): MailSave {
  const common = { ...(values.organisation.trim() !== '' ? { organisation: values.organisation.trim() } : {}), activate: values.activate }
  if (values.mode === 'sendgridApiKey') {
    const v = values.sendgridApiKey
    return {
      mode: 'sendgridApiKey',
      ...common,
      settings: { adminName: v.adminName.trim(), adminEmail: v.adminEmail.trim(), ...(v.baseUrl.trim() !== '' ? { baseUrl: v.baseUrl.trim() } : {}) },
      secrets: v.apiKey !== '' ? { apiKey: v.apiKey } : {},
    }
  }
  if (values.mode === 'smtp') {
    const v = values.smtp
    const username = v.username.trim()
    return {
      mode: 'smtp',
      ...common,
      settings: {
        host: v.host.trim(),
        port: v.port ?? SMTP_SUBMISSION_PORT,
        security: v.security,
        ...(username !== '' ? { username } : {}),
        senderName: v.senderName.trim(),
        senderAddress: v.senderAddress.trim(),
        ...(v.ca.trim() !== '' ? { ca: v.ca.trim() } : {}),
      },
      secrets: v.clearPassword ? { password: null } : v.password !== '' ? { password: v.password } : {},
    }
  }
  const v = values.sendgridUsername
  const pasted = paste.text.trim() !== ''
  return {
    mode: 'sendgridUsername',
    ...common,
    settings: {
      senderName: v.senderName.trim(),
      senderAddress: v.senderAddress.trim(),
      ...(!pasted && v.hostname.trim() !== '' ? { hostname: v.hostname.trim() } : {}),
      ...(!pasted && v.username.trim() !== '' ? { username: v.username.trim() } : {}),
    },
    ...(pasted ? { credentialsJson: paste.text } : {}),
    secrets: !pasted && v.password !== '' ? { password: v.password } : {},
  }
}

/** A bridge path ('settings.adminName', 'to.address') as the field key it is about. */
export function fieldKeyOf(path: string): string {
  switch (path) {
    case 'from.name':
      return 'senderName'
    case 'from.address':
      return 'senderAddress'
    case 'to.address':
      return 'to'
    case 'to.name':
      return 'name'
    default:
      return path.split('.').pop() ?? path
  }
}

const FORM_FIELDS = new Set<string>(['organisation', 'adminName', 'adminEmail', 'apiKey', 'baseUrl', 'host', 'port', 'security', 'username', 'password', 'senderName', 'senderAddress', 'ca', 'hostname'])
const FIELD_KEYS = new Set(['mail.headerInjection', 'mail.invalidAddress', 'mail.invalidName', 'mail.invalidText'])

/**
 * Which settings field a refusal from the core is about, with the message to show there; null when it is about
 * the whole form (shown at the bottom). Refusals the contract's own checks make carry only paths and English text
 * (`errors.invalidInput`): the path still finds the field.
 */
export function settingsFieldOf(error: ErrorInfo, mode: MailMode): { field: MailField; ref: MessageRef } | null {
  if (error.code !== 'VALIDATION') return null
  const ref = error.details?.ref
  const key = ref?.key
  if (ref && key && FIELD_KEYS.has(key) && typeof ref.params?.field === 'string') {
    const field = fieldKeyOf(ref.params.field)
    if (FORM_FIELDS.has(field)) return { field: field as MailField, ref: { ...ref, params: { ...ref.params, field } } }
  }
  if (ref && key === 'mail.smtp.insecureHost') return { field: 'security', ref }
  if (ref && key === 'errors.invalidCa') return { field: 'ca', ref }
  if (ref && (key === 'errors.invalidUrl' || key === 'errors.insecureUrl' || key === 'errors.urlHasCredentials')) return { field: 'baseUrl', ref }
  if (ref && key === 'mail.secretRequired') return { field: mode === 'sendgridApiKey' ? 'apiKey' : 'password', ref }
  if (ref && (key === 'mail.credentials.invalid' || key === 'mail.credentials.required')) return { field: 'credentials', ref }
  const issue = error.details?.issues?.[0]
  if (issue) {
    const field = fieldKeyOf(issue.path)
    if (FORM_FIELDS.has(field)) return { field: field as MailField, ref: { key: 'mail.form.refused', params: { reason: issue.message } } }
  }
  return null
}
