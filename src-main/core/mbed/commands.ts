/**
 * Checks a command for an mbed device as the platform defined it (docs/wire/mbed.md §2): published on
 * `iot-2/type/<type>/id/<deviceId>/cmd/<command>/fmt/<fmt>` with the JSON body
 * `{"method": "PUT"|"POST", "deviceId": "<endpoint>", "resourceId": "3/0/1", "payload": "<base64>"}`.
 *
 * Rules, and why:
 * - The body must be a JSON object, whatever the topic's fmt says: the four fields are the command.
 * - `method` is exactly "PUT" or "POST": §2 says it is case sensitive and documents no other verb, so "put" or
 *   "GET" is refused rather than guessed at.
 * - `deviceId` is the mbed endpoint name and must equal the topic's device id. §2 puts the endpoint in both places
 *   without saying which wins; a command whose two addresses disagree was built by a confused publisher, and
 *   either choice could write to a device nobody meant. Refusing names the mismatch.
 * - `resourceId` has no leading '/' (§2). It is also refused when it has an empty segment, a '.' or '..' segment
 *   (URL normalisation would climb out of /v2/endpoints/<ep>/ into another API route), '?', '#', whitespace or
 *   control characters, or more than 254 characters (§1.3: a resource path is at most 255 with its '/').
 * - `payload` is strict base64 (RFC 4648 alphabet, padding, no whitespace) and required for PUT (the new value).
 *   For POST it may be omitted: a POST without body executes the resource (§1.3). "" is an empty value.
 * - The whole message is at most `maxBytes` (default 131,072, the platform's MQTT payload limit), which also keeps
 *   the decoded payload under §1.3's 1 MiB.
 * Extra fields are ignored: the platform's own messages may carry more than these four.
 */
import { isStrictBase64 } from '../../../src-shared/models/base64'
import { isEndpointName, MAX_RESOURCE_ID, resourceIdFault } from '../../../src-shared/models/mbed-commands'

export type CommandMethod = 'PUT' | 'POST'

export type CommandRefusal = 'tooLarge' | 'notJson' | 'notObject' | 'missingField' | 'invalidMethod' | 'invalidDeviceId' | 'deviceIdMismatch' | 'invalidResourceId' | 'invalidPayload'

export interface ValidCommand {
  method: CommandMethod
  deviceId: string
  resourceId: string
  /** `/` + resourceId: the resource path as mbed writes it. */
  path: string
  /** Decoded payload (empty for a POST without one). */
  payload: Buffer
}

export type CommandCheck = { ok: true; command: ValidCommand } | { ok: false; reason: CommandRefusal; message: string; field?: 'method' | 'deviceId' | 'resourceId' | 'payload' }

/** The platform's limit on an MQTT message (link.ts PLATFORM_MAX_PAYLOAD_BYTES). */
export const MAX_COMMAND_BYTES = 131_072

function shown(value: unknown): string {
  const text = typeof value === 'string' ? JSON.stringify(value.slice(0, 40)) : value === null ? 'null' : typeof value
  return text
}

function refuse(reason: CommandRefusal, message: string, field?: 'method' | 'deviceId' | 'resourceId' | 'payload'): CommandCheck {
  return field ? { ok: false, reason, message, field } : { ok: false, reason, message }
}

/** Why `resourceId` is not acceptable (resourceIdFault, the form's rule too), in the English of the bridge's refusals; null when it is. */
export function resourceIdProblem(resourceId: string): string | null {
  const fault = resourceIdFault(resourceId)
  if (!fault) return null
  switch (fault.reason) {
    case 'empty':
      return 'resourceId is empty'
    case 'leadingSlash':
      return `resourceId must not start with '/' (write "${fault.fixed.slice(0, 40)}")`
    case 'tooLong':
      return `resourceId is longer than ${MAX_RESOURCE_ID} characters`
    case 'badChars':
      return "resourceId must not contain whitespace, control characters, '\\', '?' or '#'"
    case 'emptySegment':
      return "resourceId must not contain an empty segment ('//' or a trailing '/')"
    case 'dotSegment':
      return "resourceId must not contain '.' or '..' segments"
  }
}

/**
 * Checks a command message. `topicDeviceId` is the device id of the topic it came on, or null for a command that did
 * not come over MQTT (the console's "Send command" form), where only the endpoint-name rule applies.
 */
export function checkCommand(raw: Buffer | string, topicDeviceId: string | null, maxBytes = MAX_COMMAND_BYTES): CommandCheck {
  const size = typeof raw === 'string' ? Buffer.byteLength(raw, 'utf8') : raw.length
  if (size > maxBytes) return refuse('tooLarge', `The command is ${size} bytes; the limit is ${maxBytes}`)
  let body: unknown
  try {
    body = JSON.parse(typeof raw === 'string' ? raw : raw.toString('utf8'))
  } catch {
    return refuse('notJson', 'The command is not JSON; expected {"method", "deviceId", "resourceId", "payload"}')
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return refuse('notObject', 'The command must be a JSON object {"method", "deviceId", "resourceId", "payload"}')
  }
  const fields = body as Record<string, unknown>

  const method = fields.method
  if (method === undefined || method === null) return refuse('missingField', 'The command has no "method"', 'method')
  if (method !== 'PUT' && method !== 'POST') {
    return refuse('invalidMethod', `"method" must be exactly "PUT" or "POST" (case-sensitive); got ${shown(method)}`, 'method')
  }

  const deviceId = fields.deviceId
  if (deviceId === undefined || deviceId === null) return refuse('missingField', 'The command has no "deviceId"', 'deviceId')
  if (!isEndpointName(deviceId)) return refuse('invalidDeviceId', `"deviceId" must be an mbed endpoint name (1–64 characters, no spaces, '/', '?' or '#'); got ${shown(deviceId)}`, 'deviceId')
  if (topicDeviceId !== null && deviceId !== topicDeviceId) {
    return refuse('deviceIdMismatch', `"deviceId" ${shown(deviceId)} does not match the topic's device id ${shown(topicDeviceId)}`, 'deviceId')
  }

  const resourceId = fields.resourceId
  if (resourceId === undefined || resourceId === null) return refuse('missingField', 'The command has no "resourceId"', 'resourceId')
  if (typeof resourceId !== 'string') return refuse('invalidResourceId', `"resourceId" must be a string such as "3/0/1"; got ${shown(resourceId)}`, 'resourceId')
  const problem = resourceIdProblem(resourceId)
  if (problem) return refuse('invalidResourceId', problem, 'resourceId')

  const payload = fields.payload
  if (payload === undefined || payload === null) {
    if (method === 'PUT') return refuse('missingField', 'A PUT command needs a "payload" (the new value, base64)', 'payload')
    return { ok: true, command: { method, deviceId, resourceId, path: `/${resourceId}`, payload: Buffer.alloc(0) } }
  }
  if (typeof payload !== 'string' || !isStrictBase64(payload)) {
    return refuse(
      'invalidPayload',
      `"payload" must be base64 (A–Z, a–z, 0–9, '+', '/', '=' padding); got ${typeof payload === 'string' ? `${payload.length} characters that are not` : shown(payload)}`,
      'payload',
    )
  }
  return { ok: true, command: { method, deviceId, resourceId, path: `/${resourceId}`, payload: Buffer.from(payload, 'base64') } }
}
