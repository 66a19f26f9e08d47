/**
 * The rules a command for an mbed device follows (docs/wire/mbed.md §1.3, §2): an endpoint name that fits a request path, a
 * resource path that cannot climb out of /v2/endpoints/<ep>/, and a strict base64 payload. Pure functions returning
 * the translatable problem, so the console's "Send command" form says what the core would refuse, next to its field.
 */
import type { MessageRef } from './errors'

const MAX_RESOURCE_ID = 254
/** mbed endpoint names: ≤ 64 characters (§1.4's limit on names), no whitespace, '/', '?' or '#'. */
// eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
const ENDPOINT_NAME = /^[^\s/?#\u0000-\u001f\u007f]{1,64}$/
// eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
const BAD_RESOURCE_CHARS = /[\s?#\u0000-\u001f\u007f\\]/
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

/** Strict RFC 4648 base64 (padding required, no whitespace, no URL alphabet), as the core reads payloads. */
export function isStrictBase64(text: string): boolean {
  return BASE64.test(text)
}

export function endpointNameProblem(name: string): MessageRef | null {
  return ENDPOINT_NAME.test(name) ? null : { key: 'mbed.send.endpointInvalid' }
}

/** Why a resource path would be refused: no leading '/', no empty, '.' or '..' segment, no '?', '#' or white space. */
export function resourceIdProblem(resourceId: string): MessageRef | null {
  if (resourceId.startsWith('/')) {
    const fixed = resourceId.replace(/^\/+/, '')
    return fixed !== '' ? { key: 'mbed.send.resourceLeadingSlash', params: { fixed: fixed.slice(0, 60) } } : { key: 'mbed.command.invalidResourceId' }
  }
  if (resourceId.length > MAX_RESOURCE_ID) return { key: 'form.tooLong', params: { max: MAX_RESOURCE_ID } }
  if (BAD_RESOURCE_CHARS.test(resourceId)) return { key: 'mbed.send.resourceBadChars' }
  for (const segment of resourceId.split('/')) {
    if (segment === '') return { key: 'mbed.send.resourceEmptySegment' }
    if (segment === '.' || segment === '..') return { key: 'mbed.send.resourceDotSegment' }
  }
  return null
}
