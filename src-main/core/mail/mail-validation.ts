/**
 * Input checks that throw translated AppErrors, for callers that do not come through the dispatcher (the CLI, the
 * services themselves) and as the last check before a transport: whatever the route, no line break reaches a
 * header and no malformed address reaches a server.
 */
import type { z } from 'zod'
import { AppError } from '../common/errors'
import { parseOrThrow } from '../common/validation'
import { addressProblem, displayNameProblem, MAX_SUBJECT_LENGTH, textProblem } from '../../../src-shared/models/mail-addresses'

export interface MailAddress {
  name?: string
  address: string
}

/** One message as the transports take it: one recipient, a text and an HTML part. */
export interface OutgoingMail {
  from: MailAddress
  to: MailAddress
  subject: string
  text: string
  html: string
  /** Content-Language of the message. */
  language: string
}

function headerInjection(field: string): AppError {
  return AppError.withRef(
    'VALIDATION',
    `${field} must not contain line breaks (they could add mail headers)`,
    { key: 'mail.headerInjection', params: { field } },
    {
      issues: [{ path: field, message: 'must not contain line breaks' }],
    },
  )
}

export function assertAddress(value: string, field: string): void {
  const problem = addressProblem(value)
  if (problem === 'lineBreak') throw headerInjection(field)
  if (problem) {
    throw AppError.withRef(
      'VALIDATION',
      `${field} is not a valid email address (expected name@example.com, without a display name)`,
      { key: 'mail.invalidAddress', params: { field } },
      {
        issues: [{ path: field, message: 'must be an email address such as name@example.com' }],
      },
    )
  }
}

export function assertDisplayName(value: string, field: string): void {
  const problem = displayNameProblem(value)
  if (problem === 'lineBreak') throw headerInjection(field)
  if (problem) {
    throw AppError.withRef(
      'VALIDATION',
      `${field} is not a valid name (one line, at most 100 characters, without <, >, @, " or \\)`,
      { key: 'mail.invalidName', params: { field } },
      {
        issues: [{ path: field, message: 'must be one line without <, >, @, " or \\' }],
      },
    )
  }
}

export function assertSubject(value: string, field = 'subject'): void {
  const problem = textProblem(value, MAX_SUBJECT_LENGTH)
  if (problem === 'lineBreak') throw headerInjection(field)
  if (problem) throw AppError.withRef('VALIDATION', `The ${field} is not valid (${problem})`, { key: 'mail.invalidSubject', params: { field } })
}

/** The last gate before a transport: every header value of the message. */
export function assertSafeMail(mail: OutgoingMail): void {
  assertAddress(mail.from.address, 'from.address')
  if (mail.from.name !== undefined) assertDisplayName(mail.from.name, 'from.name')
  assertAddress(mail.to.address, 'to.address')
  if (mail.to.name !== undefined) assertDisplayName(mail.to.name, 'to.name')
  assertSubject(mail.subject)
  if (!/^[a-z]{2}$/.test(mail.language)) throw AppError.withRef('VALIDATION', 'The language must be a two-letter code', { key: 'mail.invalidLanguage' })
}

/** Bridge schemas re-checked on direct calls (the CLI) exactly as the dispatcher checks them. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  return parseOrThrow(schema, input)
}
