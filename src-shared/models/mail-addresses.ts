/**
 * What may go into a mail header or an HTML body. Pure functions (importing only the host rules), so the same rules
 * can run in the renderer (form hints), in the IPC transport's schemas and in the core, and can never disagree.
 *
 * Addresses are a deliberate subset of RFC 5322's addr-spec: a dot-atom local part and a host name, ASCII only,
 * no quoted strings, comments, IP literals or display names. Everything outside it is either exotic or the stuff
 * of spoofing ("ceo@bank.example" <attacker@evil.example>), and the operator types names in their own field.
 */

import { isDnsLabel } from './hosts'

export type TextProblem = 'lineBreak' | 'control' | 'empty' | 'tooLong'
export type AddressProblem = TextProblem | 'format'
export type NameProblem = TextProblem | 'addressLike'

export const MAX_ADDRESS_LENGTH = 254
const MAX_LOCAL_PART = 64
export const MAX_NAME_LENGTH = 100
export const MAX_SUBJECT_LENGTH = 250

/** CR, LF and the other characters some mail software also treats as the end of a line (NEL, LS, PS). */
const LINE_BREAK = /[\r\n\u0085\u2028\u2029]/
/** C0 and C1 controls and DEL, tab included: nothing a person types into a one-line field. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point of this pattern
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/
/** atext of RFC 5322 §3.2.3. */
const LOCAL_PART = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/
/**
 * Characters that let a display name pose as (or smuggle) an address: angle brackets and '@' make a name look like
 * an address in mail clients that show only the name, a double quote or a backslash would end nodemailer's quoting.
 */
const ADDRESS_LIKE = /[<>@"\\]/

/** A line-break problem comes first: it is the header-injection attempt and is reported as such. */
export function textProblem(value: string, maxLength: number): TextProblem | null {
  if (LINE_BREAK.test(value)) return 'lineBreak'
  if (CONTROL.test(value)) return 'control'
  if (value.trim() === '') return 'empty'
  if (value.length > maxLength) return 'tooLong'
  return null
}

/** Any control character, line breaks included: refused in secrets and pasted credentials (they end up in headers). */
export function hasControl(value: string): boolean {
  return CONTROL.test(value)
}

export function hasLineBreak(value: string): boolean {
  return LINE_BREAK.test(value)
}

/** Host names of at least two labels (no single-label intranet names, no IP literals); the top label not numeric. */
export function isHostName(domain: string): boolean {
  if (domain.length === 0 || domain.length > 253) return false
  const labels = domain.split('.')
  if (labels.length < 2) return false
  if (!labels.every(isDnsLabel)) return false
  return !/^\d+$/.test(labels[labels.length - 1]!)
}

export function addressProblem(value: string): AddressProblem | null {
  if (LINE_BREAK.test(value)) return 'lineBreak'
  if (CONTROL.test(value)) return 'control'
  if (value === '') return 'empty'
  if (value.length > MAX_ADDRESS_LENGTH) return 'tooLong'
  const at = value.lastIndexOf('@')
  if (at <= 0) return 'format'
  const local = value.slice(0, at)
  const domain = value.slice(at + 1)
  if (local.length > MAX_LOCAL_PART || !LOCAL_PART.test(local)) return 'format'
  return isHostName(domain) ? null : 'format'
}

export function isValidAddress(value: string): boolean {
  return addressProblem(value) === null
}

export function displayNameProblem(value: string): NameProblem | null {
  const problem = textProblem(value, MAX_NAME_LENGTH)
  if (problem) return problem
  return ADDRESS_LIKE.test(value) ? 'addressLike' : null
}

/** Addresses are compared without case: the domain is case-insensitive and no real mailbox differs by case alone. */
export function sameAddress(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase()
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

/** For text and for double- or single-quoted attribute values alike. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!)
}
