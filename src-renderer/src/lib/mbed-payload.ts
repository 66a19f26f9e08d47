import type { MessageRef } from '../../../src-shared/contract'

/**
 * mbed payloads as the operator sees and types them. Payloads cross the bridge in base64 (docs/wire/mbed.md §1.6); the
 * renderer decodes them itself, because the stream is shown in the operator's choice of text, hex or JSON and a
 * round trip per row would be absurd at thousands of notifications a second.
 *
 * The "Send command" form's rules are the core's (core/mbed/commands.ts: checkCommand, resourceIdProblem,
 * isEndpointName, envelope.ts isStrictBase64), so a command the core would refuse is refused here first, in the
 * operator's language, next to its field.
 */

export type PayloadFormat = 'text' | 'hex' | 'json'
export type CommandPayloadFormat = 'text' | 'base64'
export type CommandField = 'deviceId' | 'resourceId' | 'payload'
export type CommandProblems = Partial<Record<CommandField, MessageRef>>

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/
/** The contract's limit on `mbed:sendCommand`'s payload (base64 characters). */
export const MAX_COMMAND_PAYLOAD = 180_000
const MAX_RESOURCE_ID = 254
// eslint-disable-next-line no-control-regex -- control characters are exactly what the core refuses
const ENDPOINT_NAME = /^[^\s/?#\u0000-\u001f\u007f]{1,64}$/
// eslint-disable-next-line no-control-regex -- control characters are exactly what the core refuses
const BAD_RESOURCE_CHARS = /[\s?#\u0000-\u001f\u007f\\]/

/** Strict RFC 4648 base64 (padding required, no whitespace, no URL alphabet), as the core reads payloads. */
export function isStrictBase64(text: string): boolean {
  return BASE64.test(text)
}

export function decodeBase64(text: string): Uint8Array | null {
  if (!isStrictBase64(text)) return null
  const binary = atob(text)
  const bytes = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
  return bytes
}

export function encodeBase64(bytes: Uint8Array): string {
  // In slices: String.fromCharCode(...all) would overflow the argument limit on a large payload.
  let binary = ''
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  return btoa(binary)
}

export function textToBase64(text: string): string {
  return encodeBase64(new TextEncoder().encode(text))
}

const utf8 = new TextDecoder('utf-8')

/** UTF-8 text; bytes that are not UTF-8 show as U+FFFD rather than failing the whole row. */
export function bytesToText(bytes: Uint8Array): string {
  return utf8.decode(bytes)
}

export function bytesToHex(bytes: Uint8Array, maxBytes = bytes.length): string {
  const n = Math.min(bytes.length, maxBytes)
  const parts = new Array<string>(n)
  for (let i = 0; i < n; i++) parts[i] = (bytes[i] ?? 0).toString(16).padStart(2, '0')
  return parts.join(' ') + (n < bytes.length ? ' …' : '')
}

export type PayloadView =
  | { kind: 'text'; text: string }
  | { kind: 'hex'; text: string }
  | { kind: 'json'; compact: string; pretty: string }
  /** Asked for JSON, but the payload is not: its text is shown with a note. */
  | { kind: 'notJson'; text: string }
  /** The payload is not base64 (the core never sends that; a newer core might). */
  | { kind: 'invalid' }

/**
 * A payload in the chosen form. `maxBytes` bounds what a list row decodes: only the detail view needs all of it.
 */
export function viewPayload(base64: string, format: PayloadFormat, maxBytes = Number.POSITIVE_INFINITY): PayloadView {
  const bytes = decodeBase64(base64)
  if (!bytes) return { kind: 'invalid' }
  if (format === 'hex') return { kind: 'hex', text: bytesToHex(bytes, maxBytes) }
  const text = bytesToText(bytes.length > maxBytes && format === 'text' ? bytes.subarray(0, maxBytes) : bytes)
  if (format === 'text') return { kind: 'text', text }
  try {
    const value: unknown = JSON.parse(text)
    return { kind: 'json', compact: JSON.stringify(value), pretty: JSON.stringify(value, null, 2) }
  } catch {
    return { kind: 'notJson', text }
  }
}

/** Why `resourceId` would be refused, as the core's resourceIdProblem decides it, or null. */
export function resourceIdProblem(value: string): MessageRef | null {
  if (value === '') return { key: 'profiles.form.required' }
  if (value.startsWith('/')) {
    const fixed = value.replace(/^\/+/, '')
    return fixed !== '' ? { key: 'mbed.send.resourceLeadingSlash', params: { fixed: fixed.slice(0, 60) } } : { key: 'mbed.command.invalidResourceId' }
  }
  if (value.length > MAX_RESOURCE_ID) return { key: 'profiles.form.tooLong', params: { max: MAX_RESOURCE_ID } }
  if (BAD_RESOURCE_CHARS.test(value)) return { key: 'mbed.send.resourceBadChars' }
  for (const segment of value.split('/')) {
    if (segment === '') return { key: 'mbed.send.resourceEmptySegment' }
    if (segment === '.' || segment === '..') return { key: 'mbed.send.resourceDotSegment' }
  }
  return null
}

export function endpointProblem(value: string): MessageRef | null {
  if (value === '') return { key: 'profiles.form.required' }
  return ENDPOINT_NAME.test(value) ? null : { key: 'mbed.send.endpointInvalid' }
}

/**
 * The payload as `mbed:sendCommand` takes it (base64), or the problem. A PUT always carries one (an empty text is an
 * empty value); a POST without one executes the resource (§1.3), so an empty POST payload is left out.
 */
export function commandPayload(method: 'PUT' | 'POST', text: string, format: CommandPayloadFormat): { payload: string | undefined } | { problem: MessageRef } {
  if (text === '' && method === 'POST') return { payload: undefined }
  const payload = format === 'text' ? textToBase64(text) : text
  if (format === 'base64' && !isStrictBase64(payload)) return { problem: { key: 'mbed.send.payloadNotBase64' } }
  if (payload.length > MAX_COMMAND_PAYLOAD) return { problem: { key: 'mbed.send.payloadTooLarge', params: { max: MAX_COMMAND_PAYLOAD } } }
  return { payload }
}

export function commandProblems(values: { method: 'PUT' | 'POST'; deviceId: string; resourceId: string; payload: string; format: CommandPayloadFormat }): CommandProblems {
  const problems: CommandProblems = {}
  const deviceId = endpointProblem(values.deviceId)
  if (deviceId) problems.deviceId = deviceId
  const resourceId = resourceIdProblem(values.resourceId)
  if (resourceId) problems.resourceId = resourceId
  const payload = commandPayload(values.method, values.payload, values.format)
  if ('problem' in payload) problems.payload = payload.problem
  return problems
}
