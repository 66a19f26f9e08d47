/**
 * Reads the SendGrid service credentials an operator pastes for "SendGrid with username":
 * `{"name", "label", "credentials": {"hostname", "username", "password"}}` (a platform service binding), or the bare
 * `{"hostname", "username", "password"}` object. Other keys of a binding (plan, tags…) are ignored.
 *
 * Parsed by the shared JSON module (core/json: jsonc-parser's tree with offsets, depth guard, line map), so every
 * problem is pointed out with its line and column like any other JSON the operator edits. No diagnostic ever quotes
 * the password.
 */
import type { Node } from 'jsonc-parser'
import type { Diagnostic, MessageRef } from '../../../src-shared/contract'
import { hasControl } from '../../../src-shared/models/mail-addresses'
import { isSmtpHost, MAX_CREDENTIALS_JSON } from '../../../src-shared/models/mail'
import { makeDiagnostic } from '../json/diagnostic'
import { LineMap } from '../json/line-map'
import { parseJsonDocument } from '../json/parse'
import { memberNode } from '../json/pointer'

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

const FIELDS = ['hostname', 'username', 'password'] as const
/** A binding is two levels deep; anything far deeper is not credentials, and is refused before it is parsed. */
const MAX_DEPTH = 16
const MAX_SYNTAX_ERRORS = 20
/** jsonc-parser names its syntax errors in PascalCase; any other text (a JSON.parse message) could quote the input. */
const PARSER_ERROR_NAME = /^[A-Za-z]+$/

/** The value node of member `key`, like jsonc-parser's findNodeAtLocation: the first member of that name. */
const member = (object: Node, key: string): Node | undefined => memberNode(object, key)?.children?.[1]

/** The credentials syntax messages name the line and column in their text, so both travel as params. */
function withPosition(d: Diagnostic): Diagnostic {
  const detail = String(d.ref.params?.detail ?? '')
  const safe = PARSER_ERROR_NAME.test(detail) ? detail : 'InvalidSymbol'
  const params = d.ref.params?.detail === undefined ? { ...d.ref.params } : { ...d.ref.params, detail: safe, line: d.line, column: d.column }
  return { ...d, message: d.ref.params?.detail === undefined ? d.message : `JSON syntax error: ${safe}`, ref: { ...d.ref, params } }
}

export function parseSendGridCredentials(text: string): CredentialsCheck {
  if (text.length > MAX_CREDENTIALS_JSON) {
    const lines = new LineMap(text)
    return { valid: false, diagnostics: [makeDiagnostic(lines, 'error', `The credentials are longer than ${MAX_CREDENTIALS_JSON} characters`, { key: 'mail.credentials.tooLong' }, '', 0, 1)] }
  }
  const parsed = parseJsonDocument(text, {
    syntaxKey: 'mail.credentials.jsonSyntax',
    maxSyntaxErrors: MAX_SYNTAX_ERRORS,
    depth: { max: MAX_DEPTH, key: 'mail.credentials.tooDeep' },
  })
  if (!parsed.ok) return { valid: false, diagnostics: parsed.diagnostics.map(withPosition) }
  const { tree, lines } = parsed
  const error = (message: string, ref: MessageRef, pointer: string, node: { offset: number; length: number }): Diagnostic =>
    makeDiagnostic(lines, 'error', message, ref, pointer, node.offset, node.length)

  if (tree.type !== 'object') {
    return { valid: false, diagnostics: [error('The credentials must be a JSON object', { key: 'mail.credentials.notObject' }, '', tree)] }
  }
  const wrapped = member(tree, 'credentials')
  const bare = FIELDS.some((f) => member(tree, f) !== undefined)
  if (!wrapped && !bare) {
    return {
      valid: false,
      diagnostics: [
        error('Missing "credentials" (an object with hostname, username and password)', { key: 'mail.credentials.missing', params: { field: 'credentials' } }, '/credentials', {
          offset: tree.offset,
          length: 1,
        }),
      ],
    }
  }
  const base: string[] = wrapped ? ['credentials'] : []
  const holder: Node = wrapped ?? tree
  if (holder.type !== 'object') {
    return { valid: false, diagnostics: [error('"credentials" must be an object', { key: 'mail.credentials.notObject' }, '/credentials', holder)] }
  }

  const diagnostics: Diagnostic[] = []
  const values: Partial<Record<(typeof FIELDS)[number], string>> = {}
  for (const field of FIELDS) {
    const path = [...base, field].join('.')
    const pointer = `/${[...base, field].join('/')}`
    const node = member(holder, field)
    if (!node) {
      diagnostics.push(error(`Missing "${path}"`, { key: 'mail.credentials.missing', params: { field: path } }, pointer, { offset: holder.offset, length: 1 }))
      continue
    }
    if (node.type !== 'string' || typeof node.value !== 'string' || node.value.trim() === '') {
      diagnostics.push(error(`"${path}" must be a non-empty string`, { key: 'mail.credentials.notString', params: { field: path } }, pointer, node))
      continue
    }
    const value = node.value
    if (hasControl(value)) {
      diagnostics.push(error(`"${path}" must not contain line breaks or control characters`, { key: 'mail.credentials.control', params: { field: path } }, pointer, node))
      continue
    }
    if (field === 'hostname' && !isSmtpHost(value.trim())) {
      diagnostics.push(error(`"${path}" must be a host name such as smtp.sendgrid.net`, { key: 'mail.credentials.invalidHost', params: { field: path } }, pointer, node))
      continue
    }
    // The password is kept exactly as given: spaces may be part of it.
    values[field] = field === 'password' ? value : value.trim()
  }
  if (diagnostics.length > 0) return { valid: false, diagnostics }

  const optional = (key: 'name' | 'label'): string | undefined => {
    const node = wrapped ? member(tree, key) : undefined
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
