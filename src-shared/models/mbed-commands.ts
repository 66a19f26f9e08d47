/**
 * The rules a command for an mbed device follows (docs/wire/mbed.md §1.3, §2): an endpoint name that fits a request path, a
 * resource path that cannot climb out of /v2/endpoints/<ep>/ (payloads are strict base64: base64.ts). Pure functions, so that the
 * console's "Send command" form says what the core would refuse, next to its field, and the core's command check
 * (src-main/core/mbed/commands.ts) refuses by the same rule.
 */
import type { MessageRef } from './errors'

/** §1.3: a resource path is at most 255 characters with its leading '/'. */
export const MAX_RESOURCE_ID = 254
/** §1.4's limit on names. */
export const MAX_ENDPOINT_NAME = 64
/** The characters of an mbed endpoint name: no whitespace, '/', '?', '#' or control characters. */
// eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
export const ENDPOINT_NAME_CHARS = /^[^\s/?#\u0000-\u001f\u007f]+$/
// eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
const BAD_RESOURCE_CHARS = /[\s?#\u0000-\u001f\u007f\\]/

/** Whether `name` can be an mbed endpoint name in a request path: 1–64 characters of ENDPOINT_NAME_CHARS. */
export function isEndpointName(name: unknown): name is string {
  return typeof name === 'string' && name.length <= MAX_ENDPOINT_NAME && ENDPOINT_NAME_CHARS.test(name)
}

export function endpointNameProblem(name: string): MessageRef | null {
  return isEndpointName(name) ? null : { key: 'mbed.send.endpointInvalid' }
}

/** Why a resource path is refused; `fixed` is the path without its leading slashes, given only when that one is accepted. */
export type ResourceIdFault = { reason: 'empty' } | { reason: 'leadingSlash'; fixed: string } | { reason: 'tooLong' } | { reason: 'badChars' } | { reason: 'emptySegment' } | { reason: 'dotSegment' }

/** No leading '/' (§2), at most 254 characters, no '?', '#', '\', white space or control character, no empty, '.' or '..' segment. */
export function resourceIdFault(resourceId: string): ResourceIdFault | null {
  if (resourceId === '') return { reason: 'empty' }
  if (resourceId.startsWith('/')) {
    const fixed = resourceId.replace(/^\/+/, '')
    // The path without its slash is offered only when it would be accepted; else what is wrong with it is said instead.
    return (fixed === '' ? null : resourceIdFault(fixed)) ?? { reason: 'leadingSlash', fixed }
  }
  if (resourceId.length > MAX_RESOURCE_ID) return { reason: 'tooLong' }
  if (BAD_RESOURCE_CHARS.test(resourceId)) return { reason: 'badChars' }
  for (const segment of resourceId.split('/')) {
    if (segment === '') return { reason: 'emptySegment' }
    if (segment === '.' || segment === '..') return { reason: 'dotSegment' }
  }
  return null
}

/** The form's word on a resource path, next to its field. */
export function resourceIdProblem(resourceId: string): MessageRef | null {
  const fault = resourceIdFault(resourceId)
  if (!fault) return null
  switch (fault.reason) {
    case 'leadingSlash':
      return fault.fixed !== '' ? { key: 'mbed.send.resourceLeadingSlash', params: { fixed: fault.fixed.slice(0, 60) } } : { key: 'mbed.command.invalidResourceId' }
    case 'tooLong':
      return { key: 'form.tooLong', params: { max: MAX_RESOURCE_ID } }
    case 'badChars':
      return { key: 'mbed.send.resourceBadChars' }
    case 'empty':
    case 'emptySegment':
      return { key: 'mbed.send.resourceEmptySegment' }
    case 'dotSegment':
      return { key: 'mbed.send.resourceDotSegment' }
  }
}
