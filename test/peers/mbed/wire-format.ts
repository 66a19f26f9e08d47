/**
 * Bytes on the wire for the mbed Device Connector / Pelion Connect peer (docs/wire/mbed.md §1): response shapes, the
 * Pelion error body, the notification envelope (§1.6) and the pre-serialised items it is built from.
 */

export interface PeerResponse {
  status: number
  headers: Record<string, string>
  body: Buffer
}

const EMPTY = Buffer.alloc(0)

export function jsonResponse(status: number, value: unknown, headers: Record<string, string> = {}): PeerResponse {
  return { status, headers: { 'content-type': 'application/json', ...headers }, body: Buffer.from(JSON.stringify(value)) }
}

export function textResponse(status: number, text: string, contentType = 'text/plain', headers: Record<string, string> = {}): PeerResponse {
  return { status, headers: { 'content-type': contentType, ...headers }, body: Buffer.from(text) }
}

export function emptyResponse(status: number, headers: Record<string, string> = {}): PeerResponse {
  return { status, headers, body: EMPTY }
}

/**
 * §1.1: the Pelion error body `{code, message, object:"error", request_id, type, fields?}`. [I] The peer answers every
 * error this way in both flavours (Connector bodies are not documented; a client must key off the status code).
 */
export type PelionErrorType =
  | 'validation_error'
  | 'invalid_token'
  | 'access_denied'
  | 'not_found'
  | 'conflict'
  | 'precondition_failed'
  | 'payload_too_large'
  | 'rate_limit_exceeded'
  | 'internal_server_error'
  | 'system_unavailable'
  | 'method_not_allowed'

export interface PelionErrorBody {
  code: number
  message: string
  object: 'error'
  request_id: string
  type: PelionErrorType
  fields?: { name: string; message: string }[]
}

export function pelionError(
  status: number,
  type: PelionErrorType,
  message: string,
  requestId: string,
  extra: { fields?: { name: string; message: string }[]; headers?: Record<string, string> } = {},
): PeerResponse {
  const body: PelionErrorBody = { code: status, message, object: 'error', request_id: requestId, type }
  if (extra.fields) body.fields = extra.fields
  return jsonResponse(status, body, extra.headers)
}

/** [I] The `type` a status fault carries: the §1.1 enum has no "gone"/"bad gateway", so those map to the nearest. */
export function errorTypeFor(status: number): PelionErrorType {
  switch (status) {
    case 401:
      return 'invalid_token'
    case 410:
      return 'not_found'
    case 429:
      return 'rate_limit_exceeded'
    case 500:
      return 'internal_server_error'
    default:
      return status >= 500 ? 'system_unavailable' : 'validation_error'
  }
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  410: 'Gone',
  413: 'Request Entity Too Large',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
}

export const reasonPhrase = (status: number): string => REASONS[status] ?? 'Error'

/** What a load balancer in front of the API serves when the service behind it is sick: HTML, not the JSON error. */
export function htmlPage(status: number, headers: Record<string, string> = {}): PeerResponse {
  const title = `${status} ${reasonPhrase(status)}`
  return textResponse(
    status,
    `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`,
    'text/html',
    headers,
  )
}

/** §1.6 envelope keys, in the order the peer writes them. An item's kind is its index here. */
export const ENVELOPE_KEYS = ['notifications', 'registrations', 'reg-updates', 'de-registrations', 'registrations-expired', 'async-responses'] as const
export type EnvelopeKey = (typeof ENVELOPE_KEYS)[number]
export const KIND = { notifications: 0, registrations: 1, 'reg-updates': 2, 'de-registrations': 3, 'registrations-expired': 4, 'async-responses': 5 } as const satisfies Record<EnvelopeKey, number>
export type ItemKind = (typeof KIND)[EnvelopeKey]

/**
 * One envelope entry, already serialised. The stream generator must reach ≥ 20,000 items/s on two cores, so an item
 * is rendered to JSON once when it is produced and every channel's queue shares that string; an envelope is then a
 * concatenation, never a JSON.stringify of objects.
 */
export interface QueuedItem {
  kind: ItemKind
  json: string
}

export interface Envelope {
  body: string
  items: number
  notifications: number
  asyncResponses: number
}

export function buildEnvelope(items: readonly QueuedItem[]): Envelope {
  const buckets: string[][] = [[], [], [], [], [], []]
  for (const item of items) buckets[item.kind]?.push(item.json)
  let body = '{'
  for (let k = 0; k < buckets.length; k++) {
    const bucket = buckets[k] ?? []
    if (bucket.length === 0) continue
    if (body.length > 1) body += ','
    body += `"${ENVELOPE_KEYS[k]}":[${bucket.join(',')}]`
  }
  body += '}'
  return { body, items: items.length, notifications: buckets[0]?.length ?? 0, asyncResponses: buckets[5]?.length ?? 0 }
}

/**
 * §1.6: `max-age` is typed as a string by the Python models while the service's example frames show a number. The
 * peer always sends a number: a frame is what the service put on the wire, a generated model's type is an
 * annotation written by hand around it. (Our client still reads both, as §1.6 advises.)
 */
export const DEFAULT_MAX_AGE = 0

export interface ResourceItem {
  path: string
  obs: boolean
  rt?: string
  ct?: string
}

/** §1.6 registrations / reg-updates entry: `{ep, ept, q, resources:[{path, rt?, ct?, obs}]}`. */
export function registrationJson(ep: string, ept: string, queueMode: boolean, resources: readonly ResourceItem[]): string {
  return JSON.stringify({
    ep,
    ept,
    q: queueMode,
    resources: resources.map((r) => ({ path: r.path, ...(r.rt !== undefined ? { rt: r.rt } : {}), ...(r.ct !== undefined ? { ct: r.ct } : {}), obs: r.obs })),
  })
}

/** §1.6 async-responses entry. Success carries payload (base64, possibly empty), ct and max-age; errors carry `error`. */
export function asyncResponseJson(id: string, status: number, payload: Buffer | null, ct: string | null, maxAge: string | null, error: string | null): string {
  let json = `{"id":${JSON.stringify(id)},"status":${status}`
  if (payload !== null) json += `,"payload":"${payload.toString('base64')}"`
  if (ct !== null) json += `,"ct":${JSON.stringify(ct)}`
  if (maxAge !== null) json += `,"max-age":${maxAge}`
  if (error !== null) json += `,"error":${JSON.stringify(error)}`
  return `${json}}`
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

export const isBase64 = (text: string): boolean => BASE64.test(text)
