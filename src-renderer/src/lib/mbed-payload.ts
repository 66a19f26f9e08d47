import type { MessageRef } from '../../../src-shared/contract'
import { isStrictBase64 } from '../../../src-shared/models/base64'

/**
 * mbed payloads as the operator sees and types them. Payloads cross the bridge in base64 (docs/wire/mbed.md §1.6); the
 * renderer decodes them itself, because the stream is shown in the operator's choice of text, hex or JSON and a
 * round trip per row would be absurd at thousands of notifications a second.
 */

export type PayloadFormat = 'text' | 'hex' | 'json'
export type CommandPayloadFormat = 'text' | 'base64'

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

/**
 * The payload as `mbed:sendCommand` takes it (base64), or the problem. A PUT always carries one (an empty text is an
 * empty value); a POST without one executes the resource (§1.3), so an empty POST payload is left out.
 */
export function commandPayload(method: 'PUT' | 'POST', text: string, format: CommandPayloadFormat): { payload: string | undefined } | { problem: MessageRef } {
  if (text === '' && method === 'POST') return { payload: undefined }
  const payload = format === 'text' ? textToBase64(text) : text
  if (format === 'base64' && !isStrictBase64(payload)) return { problem: { key: 'mbed.send.payloadNotBase64' } }
  return { payload }
}
