/**
 * Reads the SendGrid service credentials an operator pastes for "SendGrid with username":
 * `{"name", "label", "credentials": {"hostname", "username", "password"}}` (a platform service binding), or the bare
 * `{"hostname", "username", "password"}` object. Other keys of a binding (plan, tags…) are ignored.
 *
 * jsonc-parser, Monaco's own parser (as in devices/extension-config.ts), gives the offset of every syntax error and
 * of every value, so each problem is pointed out with its line and column. No diagnostic ever quotes the password.
 */
import { findNodeAtLocation, parseTree, printParseErrorCode, type Node, type ParseError } from 'jsonc-parser'
import type { Diagnostic, MessageRef } from '../../../src-shared/contract'
import { hasControl } from '../../../src-shared/models/mail-addresses'
import { isSmtpHost, MAX_CREDENTIALS_JSON } from '../../../src-shared/models/mail'

export interface SendGridCredentials {
  hostname: string
  username: string
  password: string
  name?: string
  label?: string
}

export interface CredentialsCheck {
  valid: boolean
  diagnostics: Diagnostic[]
  /** Present only when valid. */
  value?: SendGridCredentials
}

/** 1-based line and column of an offset; lines end at LF (a CR before it counts as part of the line). */
function positionOf(text: string, offset: number): { line: number; column: number } {
  let line = 1
  let lineStart = 0
  const end = Math.min(offset, text.length)
  for (let i = 0; i < end; i++) {
    if (text.charCodeAt(i) === 10) {
      line++
      lineStart = i + 1
    }
  }
  return { line, column: offset - lineStart + 1 }
}

function diagnostic(text: string, message: string, ref: MessageRef, pointer: string, offset: number, length: number): Diagnostic {
  const start = positionOf(text, offset)
  const end = positionOf(text, offset + Math.max(length, 1))
  return { severity: 'error', message, ref, pointer, line: start.line, column: start.column, endLine: end.line, endColumn: end.column }
}

const FIELDS = ['hostname', 'username', 'password'] as const

export function parseSendGridCredentials(text: string): CredentialsCheck {
  if (text.length > MAX_CREDENTIALS_JSON) {
    return { valid: false, diagnostics: [diagnostic(text, `The credentials are longer than ${MAX_CREDENTIALS_JSON} characters`, { key: 'mail.credentials.tooLong' }, '', 0, 1)] }
  }
  const errors: ParseError[] = []
  const tree = parseTree(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false })
  if (errors.length > 0 || !tree) {
    // An empty paste gives no error from the parser, only no tree: report it as the value it expected.
    const syntax = errors.length > 0 ? errors : [{ error: 4 /* ValueExpected */, offset: 0, length: 0 } as ParseError]
    return {
      valid: false,
      diagnostics: syntax.slice(0, 20).map((e) => {
        const detail = printParseErrorCode(e.error)
        const { line, column } = positionOf(text, e.offset)
        return diagnostic(text, `JSON syntax error: ${detail}`, { key: 'mail.credentials.jsonSyntax', params: { detail, line, column } }, '', e.offset, e.length)
      }),
    }
  }
  if (tree.type !== 'object') {
    return { valid: false, diagnostics: [diagnostic(text, 'The credentials must be a JSON object', { key: 'mail.credentials.notObject' }, '', tree.offset, tree.length)] }
  }

  const wrapped = findNodeAtLocation(tree, ['credentials'])
  const bare = FIELDS.some((f) => findNodeAtLocation(tree, [f]) !== undefined)
  if (!wrapped && !bare) {
    return {
      valid: false,
      diagnostics: [diagnostic(text, 'Missing "credentials" (an object with hostname, username and password)', { key: 'mail.credentials.missing', params: { field: 'credentials' } }, '/credentials', tree.offset, 1)],
    }
  }
  const base: string[] = wrapped ? ['credentials'] : []
  const holder: Node = wrapped ?? tree
  if (holder.type !== 'object') {
    return { valid: false, diagnostics: [diagnostic(text, '"credentials" must be an object', { key: 'mail.credentials.notObject' }, '/credentials', holder.offset, holder.length)] }
  }

  const diagnostics: Diagnostic[] = []
  const values: Partial<Record<(typeof FIELDS)[number], string>> = {}
  for (const field of FIELDS) {
    const path = [...base, field].join('.')
    const pointer = `/${[...base, field].join('/')}`
    const node = findNodeAtLocation(holder, [field])
    if (!node) {
      diagnostics.push(diagnostic(text, `Missing "${path}"`, { key: 'mail.credentials.missing', params: { field: path } }, pointer, holder.offset, 1))
      continue
    }
    if (node.type !== 'string' || typeof node.value !== 'string' || node.value.trim() === '') {
      diagnostics.push(diagnostic(text, `"${path}" must be a non-empty string`, { key: 'mail.credentials.notString', params: { field: path } }, pointer, node.offset, node.length))
      continue
    }
    const value = node.value
    if (hasControl(value)) {
      diagnostics.push(diagnostic(text, `"${path}" must not contain line breaks or control characters`, { key: 'mail.credentials.control', params: { field: path } }, pointer, node.offset, node.length))
      continue
    }
    if (field === 'hostname' && !isSmtpHost(value.trim())) {
      diagnostics.push(diagnostic(text, `"${path}" must be a host name such as smtp.sendgrid.net`, { key: 'mail.credentials.invalidHost', params: { field: path } }, pointer, node.offset, node.length))
      continue
    }
    // The password is kept exactly as given: spaces may be part of it.
    values[field] = field === 'password' ? value : value.trim()
  }
  if (diagnostics.length > 0) return { valid: false, diagnostics }

  const optional = (key: 'name' | 'label'): string | undefined => {
    const node = wrapped ? findNodeAtLocation(tree, [key]) : undefined
    return node?.type === 'string' && typeof node.value === 'string' && node.value.trim() !== '' && !hasControl(node.value) ? node.value.trim().slice(0, 200) : undefined
  }
  const name = optional('name')
  const label = optional('label')
  return {
    valid: true,
    diagnostics: [],
    value: { hostname: values.hostname!, username: values.username!, password: values.password!, ...(name ? { name } : {}), ...(label ? { label } : {}) },
  }
}
