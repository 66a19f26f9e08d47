/**
 * The REST face of the mbed peer (docs/wire/mbed.md §1.1–1.5, §1.7), after auth and faults have been applied by the
 * server layer. Long-poll GETs are answered by the notification hub itself (they may be held); everything else
 * returns a PeerResponse.
 */
import type { IncomingHttpHeaders, ServerResponse } from 'node:http'
import type { NotificationHub } from './channels'
import type { Devices, MbedCommand } from './devices'
import type { EndpointRecord, Registry } from './registry'
import { parsePreSubscriptions, type KeySubscriptions } from './subscriptions'
import { emptyResponse, isBase64, jsonResponse, pelionError, textResponse, type PeerResponse, type PelionErrorType } from './wire-format'

export type Flavour = 'connector' | 'pelion'

export interface ApiKeyInfo {
  key: string
  id: string
  name: string
  createdAt: string
}

export interface RestContext {
  flavour: Flavour
  registry: Registry
  devices: Devices
  hub: NotificationHub
  subscriptions(key: string): KeySubscriptions
  keyInfo(key: string): ApiKeyInfo
  requestId(): string
  asyncResponseId(ep: string, path: string): string
  transactions(): number
  /** Removes the endpoint and emits a `de-registrations` item (DELETE /v2/endpoints/{ep}). */
  deleteEndpoint(name: string): void
  /** Emits an `async-responses` item after the current request has been answered. */
  asyncAnswer(id: string, status: number): void
}

export interface ApiRequest {
  method: string
  url: URL
  headers: IncomingHttpHeaders
  body: Buffer
  key: string
}

/** §1.3: PUT payload ≤ 1,048,576 B; the same cap applies to a device-request's decoded payload. [I] for the latter. */
export const MAX_PAYLOAD = 1_048_576
const METHODS = new Set(['GET', 'PUT', 'POST', 'DELETE'])
/** §1.2: Pelion caps the deprecated GET /v2/endpoints at 200 results. */
const PELION_ENDPOINT_LIMIT = 200
const TWO_HOURS_S = 7200
const THREE_DAYS_S = 3 * 86400

/** A stable stats key for the request, with path parameters elided. */
export function routeKey(method: string, pathname: string): string {
  const s = pathname.split('/')
  const p = (() => {
    if (pathname === '/' || pathname === '/rest-versions' || pathname === '/v2/endpoints' || pathname === '/v2/limits') return pathname
    if (pathname.startsWith('/v2/endpoints/')) return s.length === 4 ? '/v2/endpoints/{ep}' : '/v2/endpoints/{ep}/{path}'
    if (pathname.startsWith('/v2/device-requests/')) return '/v2/device-requests/{ep}'
    if (pathname === '/v2/subscriptions') return pathname
    if (pathname.startsWith('/v2/subscriptions/')) return s.length === 4 ? '/v2/subscriptions/{ep}' : '/v2/subscriptions/{ep}/{path}'
    if (['/v2/notification/callback', '/v2/notification/pull', '/v2/notification/websocket', '/v2/notification/websocket-connect', '/v3/api-keys/me'].includes(pathname)) return pathname
    return '(unknown)'
  })()
  return `${method} ${p}`
}

export function handleRest(ctx: RestContext, req: ApiRequest, res: ServerResponse): PeerResponse | 'held' | Promise<PeerResponse> {
  const { pathname } = req.url
  const err = (status: number, type: PelionErrorType, message: string, fields?: { name: string; message: string }[]): PeerResponse =>
    pelionError(status, type, message, ctx.requestId(), fields ? { fields } : {})
  const notAllowed = (allow: string): PeerResponse => pelionError(405, 'method_not_allowed', `Method ${req.method} not allowed`, ctx.requestId(), { headers: { allow } })
  const notFound = (): PeerResponse => err(404, 'not_found', 'Not found')
  const pelion = ctx.flavour === 'pelion'

  let segments: string[]
  try {
    segments = pathname
      .split('/')
      .slice(1)
      .map((s) => decodeURIComponent(s))
  } catch {
    return err(400, 'validation_error', 'Malformed percent-encoding in path')
  }

  // §1.1: the root and /rest-versions carry no version prefix.
  if (pathname === '/') return req.method === 'GET' ? textResponse(200, 'DeviceServer v3.0.0-520\nREST version = v2') : notAllowed('GET')
  if (pathname === '/rest-versions') return req.method === 'GET' ? jsonResponse(200, ['v1', 'v2']) : notAllowed('GET')

  if (pathname === '/v2/limits') {
    if (req.method !== 'GET') return notAllowed('GET')
    // §1.7 (Connector). [I] Served in both flavours; nothing is enforced against the quota.
    return jsonResponse(200, { 'transaction-quota': 10000, 'transaction-count': ctx.transactions(), 'endpoint-quota': 100, 'endpoint-count': ctx.registry.size })
  }

  if (pathname === '/v2/endpoints') {
    if (req.method !== 'GET') return notAllowed('GET')
    const type = req.url.searchParams.get('type')
    let list = ctx.registry.list().filter((e) => type === null || e.type === type)
    if (pelion) list = list.slice(0, PELION_ENDPOINT_LIMIT)
    return jsonResponse(
      200,
      list.map((e) => ({ name: e.name, type: e.type, status: 'ACTIVE', q: e.queueMode })),
    )
  }

  if (segments[0] === 'v2' && segments[1] === 'endpoints' && segments.length >= 3) {
    const ep = segments[2] ?? ''
    if (segments.length === 3) {
      const record = ctx.registry.get(ep)
      if (req.method === 'GET') {
        // §1.2: `type` is the content type ("" when unknown); 404 = endpoint not found (CP).
        if (!record) return err(404, 'not_found', `Endpoint ${ep} not found`)
        return jsonResponse(
          200,
          record.resources.map((r) => ({ uri: r.path, ...(r.rt !== undefined ? { rt: r.rt } : {}), obs: r.obs, type: r.ct ?? '' })),
        )
      }
      if (req.method === 'DELETE') {
        // §1.2 Connector: deletes the endpoint, "may be async/202". The official client's own tests answer 200 or
        // 202 + async-response-id followed by an async-responses item {id, status: 200} (CN test/endpoints.js); the
        // peer takes the asynchronous form, which exercises both the id and the later item. [I] the choice between them.
        if (!record) return err(404, 'not_found', `Endpoint ${ep} not found`)
        const id = ctx.asyncResponseId(ep, '')
        ctx.deleteEndpoint(ep)
        ctx.asyncAnswer(id, 200)
        return jsonResponse(202, { 'async-response-id': id })
      }
      return notAllowed('GET, DELETE')
    }
    return resourceRequest(ctx, req, ep, `/${segments.slice(3).join('/')}`, err)
  }

  if (segments[0] === 'v2' && segments[1] === 'device-requests' && segments.length === 3) {
    if (!pelion) return notFound()
    if (req.method !== 'POST') return notAllowed('POST')
    return deviceRequest(ctx, req, segments[2] ?? '', err)
  }

  if (segments[0] === 'v2' && segments[1] === 'subscriptions') return subscriptions(ctx, req, segments.slice(2), err, notAllowed)

  if (pathname === '/v2/notification/callback') return callback(ctx, req, err, notAllowed)

  if (pathname === '/v2/notification/pull') {
    if (req.method === 'GET') {
      ctx.hub.pull(req.key, res, req.url.searchParams.get('noWait') === 'true')
      return 'held'
    }
    if (req.method === 'DELETE') return ctx.hub.deletePull(req.key) ? emptyResponse(204) : err(404, 'not_found', 'No long poll channel for this API key')
    return notAllowed('GET, DELETE')
  }

  if (pathname === '/v2/notification/websocket') {
    if (!pelion) return notFound()
    if (req.method === 'PUT') {
      // §1.5 register; [I] 201 when created, 200 when it already existed (a register is also an update).
      const outcome = ctx.hub.registerWebsocket(req.key)
      if (outcome === 'conflict')
        return err(409, 'conflict', `A ${ctx.hub.channelOf(req.key) ?? 'other'} notification channel exists for this API key; delete it before registering a websocket channel.`)
      return jsonResponse(outcome === 'created' ? 201 : 200, { status: ctx.hub.websocketStatus(req.key) ?? 'DISCONNECTED' })
    }
    if (req.method === 'GET') {
      const status = ctx.hub.websocketStatus(req.key)
      return status === null ? err(404, 'not_found', 'No websocket channel for this API key') : jsonResponse(200, { status })
    }
    if (req.method === 'DELETE') return ctx.hub.deleteWebsocket(req.key) ? emptyResponse(204) : err(404, 'not_found', 'No websocket channel for this API key')
    return notAllowed('PUT, GET, DELETE')
  }

  if (pathname === '/v2/notification/websocket-connect') {
    // [I] A plain GET without the upgrade headers is a client bug; real proxies answer 400 or 426.
    return pelion ? err(400, 'validation_error', 'WebSocket upgrade required') : notFound()
  }

  if (pathname === '/v3/api-keys/me') {
    if (!pelion) return notFound()
    if (req.method !== 'GET') return notAllowed('GET')
    // §1.7: the cheap "verify access key" call. The key itself is never echoed back.
    const info = ctx.keyInfo(req.key)
    return jsonResponse(200, { id: info.id, name: info.name, status: 'ACTIVE', object: 'api-key', created_at: info.createdAt })
  }

  return notFound()
}

type ErrorFn = (status: number, type: PelionErrorType, message: string, fields?: { name: string; message: string }[]) => PeerResponse

/** §1.3 legacy per-resource form: GET|PUT|POST|DELETE /v2/endpoints/{ep}/{path} → 202 async-response-id. */
function resourceRequest(ctx: RestContext, req: ApiRequest, ep: string, path: string, err: ErrorFn): PeerResponse {
  if (!METHODS.has(req.method)) return pelionError(405, 'method_not_allowed', `Method ${req.method} not allowed`, ctx.requestId(), { headers: { allow: 'GET, PUT, POST, DELETE' } })
  if (path.length > 255) return err(400, 'validation_error', 'Resource path longer than 255 characters')
  if (req.body.length > MAX_PAYLOAD) return err(413, 'payload_too_large', 'Payload larger than 1048576 bytes')
  const record = ctx.registry.get(ep)
  // CP connectorError.py: 410 Gone = endpoint not found; 404 = resource not found.
  if (!record) return err(410, 'not_found', `Endpoint ${ep} not found`)
  if (path === '/' || path.includes('//') || !ctx.registry.hasPath(record, path)) return err(404, 'not_found', `Resource ${path} not found on ${ep}`)
  const q = req.url.searchParams

  if (req.method === 'GET' && q.get('cacheOnly') === 'true') {
    // §1.3: answered from the server's cache; 205 = nothing cached.
    const cached = ctx.registry.cached(ep, path)
    return cached ? { status: 200, headers: { 'content-type': cached.ct }, body: cached.value } : emptyResponse(205)
  }

  const cmd: MbedCommand = {
    method: req.method as MbedCommand['method'],
    ep,
    path,
    query: req.url.search.slice(1),
    body: req.body,
    asyncId: '',
    at: Date.now(),
    form: 'resource',
    ...(typeof req.headers['content-type'] === 'string' ? { contentType: req.headers['content-type'] } : {}),
    ...(typeof req.headers.accept === 'string' ? { accept: req.headers.accept } : {}),
  }

  if (q.get('noResp') === 'true') {
    // §1.3: non-confirmable → 204 with no async id; a queue-mode device cannot take one (409).
    if (record.queueMode) return err(409, 'conflict', `noResp is not supported for queue mode endpoint ${ep}`)
    ctx.devices.record(cmd)
    return emptyResponse(204)
  }

  // §1.3: 429 = another request ongoing or the device's queue is full (20 per device, JV).
  if (ctx.devices.isFull(ep)) return err(429, 'rate_limit_exceeded', `Request queue for ${ep} is full`)
  cmd.asyncId = ctx.asyncResponseId(ep, path)
  ctx.devices.submit(cmd, true, Date.now() + expirySeconds(record, null) * 1000)
  return jsonResponse(202, { 'async-response-id': cmd.asyncId })
}

/** §1.3 default expiry: 2 h for a normal device, 3 days for a queue-mode one. */
const expirySeconds = (record: EndpointRecord, given: number | null): number => given ?? (record.queueMode ? THREE_DAYS_S : TWO_HOURS_S)

const NON_NEGATIVE_INT = /^\d{1,9}$/

/** §1.3 Pelion form: POST /v2/device-requests/{device-id}?async-id=… → 202 without body. */
function deviceRequest(ctx: RestContext, req: ApiRequest, ep: string, err: ErrorFn): PeerResponse {
  const q = req.url.searchParams
  const asyncId = q.get('async-id')
  const fields: { name: string; message: string }[] = []
  if (!asyncId) fields.push({ name: 'async-id', message: 'async-id is required' })
  else if (asyncId.length > 1024) fields.push({ name: 'async-id', message: 'async-id is longer than 1024 characters' })
  for (const name of ['retry', 'expiry-seconds']) {
    const value = q.get(name)
    if (value !== null && !NON_NEGATIVE_INT.test(value)) fields.push({ name, message: `${name} must be a non-negative integer` })
  }

  let parsed: unknown
  try {
    parsed = JSON.parse(req.body.toString('utf8'))
  } catch {
    return err(400, 'validation_error', 'Request body is not valid JSON', [...fields, { name: 'body', message: 'invalid JSON' }])
  }
  const body = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : null
  if (!body) return err(400, 'validation_error', 'Request body must be a JSON object', [...fields, { name: 'body', message: 'must be an object' }])
  const method = body.method
  const uri = body.uri
  const payloadB64 = body['payload-b64']
  const contentType = body['content-type']
  const accept = body.accept
  // [I] Method is case sensitive, as in Watson's command JSON (§2); the swagger enum is upper case.
  if (typeof method !== 'string' || !METHODS.has(method)) fields.push({ name: 'method', message: 'method must be one of GET, PUT, POST, DELETE' })
  if (typeof uri !== 'string' || !uri.startsWith('/') || uri.length > 255) fields.push({ name: 'uri', message: "uri must be a path starting with '/', at most 255 characters" })
  if (payloadB64 !== undefined && (typeof payloadB64 !== 'string' || !isBase64(payloadB64))) fields.push({ name: 'payload-b64', message: 'payload-b64 must be base64' })
  if (contentType !== undefined && typeof contentType !== 'string') fields.push({ name: 'content-type', message: 'content-type must be a string' })
  if (accept !== undefined && typeof accept !== 'string') fields.push({ name: 'accept', message: 'accept must be a string' })
  if (fields.length > 0 || typeof method !== 'string' || typeof uri !== 'string' || !asyncId) return err(400, 'validation_error', 'Validation error', fields)

  const payload = typeof payloadB64 === 'string' ? Buffer.from(payloadB64, 'base64') : Buffer.alloc(0)
  if (payload.length > MAX_PAYLOAD) return err(413, 'payload_too_large', 'Payload larger than 1048576 bytes')
  // [?] in docs/wire/mbed.md §1.3: the immediate code for an unknown device. [I] 404 with the Pelion error body.
  const record = ctx.registry.get(ep)
  if (!record) return err(404, 'not_found', `Device ${ep} not found`)
  if (ctx.devices.isFull(ep)) return err(429, 'rate_limit_exceeded', `Request queue for ${ep} is full (20)`)

  const queryAt = uri.indexOf('?')
  const path = queryAt < 0 ? uri : uri.slice(0, queryAt)
  const cmd: MbedCommand = {
    method: method as MbedCommand['method'],
    ep,
    path,
    query: queryAt < 0 ? '' : uri.slice(queryAt + 1),
    body: payload,
    asyncId,
    at: Date.now(),
    form: 'device-request',
    ...(typeof contentType === 'string' ? { contentType } : {}),
    ...(typeof accept === 'string' ? { accept } : {}),
  }
  const expiry = q.get('expiry-seconds')
  // An unknown resource is not an immediate error here: the device answers it, as an async 404 item (JV AsyncIDResponse).
  ctx.devices.submit(cmd, ctx.registry.hasPath(record, path), Date.now() + expirySeconds(record, expiry === null ? null : Number(expiry)) * 1000)
  return emptyResponse(202)
}

/**
 * §1.4 subscriptions of the requesting key (see subscriptions.ts for the rules the peer keeps).
 * - PUT one resource: 404 unknown endpoint or resource, 412 not observable, else 200 — or, for a queue-mode endpoint,
 *   202 + async-response-id and the outcome as an async-responses item once the device takes the observation [I:
 *   the service must wait for a sleeping device, and 202 is the documented form of "later"].
 * - GET one: 200 / 404. DELETE one: 204 / 404. GET an endpoint: text/uri-list, 404 when none. DELETE an endpoint: 204.
 * - PUT /v2/subscriptions: the rules within the limits (400 naming the field otherwise), 204. GET returns them.
 */
function subscriptions(ctx: RestContext, req: ApiRequest, rest: string[], err: ErrorFn, notAllowed: (allow: string) => PeerResponse): PeerResponse {
  const subs = ctx.subscriptions(req.key)
  if (rest.length === 0) {
    if (req.method === 'GET') return jsonResponse(200, subs.pre)
    if (req.method === 'PUT') {
      const parsed = parsePreSubscriptions(req.body)
      if (!Array.isArray(parsed)) return err(400, 'validation_error', parsed.message, [{ name: parsed.field, message: parsed.message }])
      subs.pre = parsed
      return emptyResponse(204)
    }
    if (req.method === 'DELETE') {
      // §1.4 ⚠: CN "delete all subscriptions", the Pelion swagger "remove pre-subscriptions" — one per flavour.
      if (ctx.flavour === 'connector') subs.clear()
      else subs.pre = []
      return emptyResponse(204)
    }
    return notAllowed('GET, PUT, DELETE')
  }
  const ep = rest[0] ?? ''
  if (rest.length === 1) {
    if (req.method === 'GET') {
      const paths = subs.paths(ep)
      if (paths.length === 0) return err(404, 'not_found', `No subscriptions for ${ep}`)
      return textResponse(200, paths.join('\n'), 'text/uri-list')
    }
    if (req.method === 'DELETE') {
      subs.deleteEndpoint(ep)
      return emptyResponse(204)
    }
    return notAllowed('GET, DELETE')
  }
  const path = `/${rest.slice(1).join('/')}`
  if (req.method === 'PUT') {
    const record = ctx.registry.get(ep)
    if (!record) return err(404, 'not_found', `Endpoint ${ep} not found`)
    const resource = record.byPath.get(path)
    if (!resource) return err(404, 'not_found', `Resource ${path} not found on ${ep}`)
    if (!resource.obs) return err(412, 'precondition_failed', `Resource ${path} is not observable`)
    if (record.queueMode && !subs.has(ep, path)) {
      const id = ctx.asyncResponseId(ep, path)
      subs.add(ep, path)
      ctx.asyncAnswer(id, 200)
      return jsonResponse(202, { 'async-response-id': id })
    }
    subs.add(ep, path)
    return emptyResponse(200)
  }
  if (req.method === 'GET') return subs.has(ep, path) ? emptyResponse(200) : err(404, 'not_found', `Not subscribed to ${path} on ${ep}`)
  if (req.method === 'DELETE') return subs.delete(ep, path) ? emptyResponse(204) : err(404, 'not_found', `Not subscribed to ${path} on ${ep}`)
  return notAllowed('PUT, GET, DELETE')
}

const CALLBACK_KEYS = new Set(['url', 'headers', 'serialization'])
/** §1.5: URL and headers together at most 400 characters. */
const CALLBACK_MAX_CHARS = 400
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]'])

/**
 * §1.5 callback channel. PUT `{url, headers?}` (Pelion also `serialization`): the server tests the URL with a PUT of
 * `{}` and registers it only on 200/204 → 204; otherwise 400 (Connector: "URL not accessible"). GET → {url, headers}
 * or 404; DELETE → 204 or 404. [I] Unknown fields, a non-object `headers` or non-string header values → 400 naming
 * the field; `serialization` only on the Pelion flavour, where the swagger has it.
 */
function callback(ctx: RestContext, req: ApiRequest, err: ErrorFn, notAllowed: (allow: string) => PeerResponse): PeerResponse | Promise<PeerResponse> {
  if (req.method === 'GET') {
    const cb = ctx.hub.callbackOf(req.key)
    return cb ? jsonResponse(200, cb) : err(404, 'not_found', 'No callback URL registered for this API key')
  }
  if (req.method === 'DELETE') return ctx.hub.deleteCallback(req.key) ? emptyResponse(204) : err(404, 'not_found', 'No callback URL registered for this API key')
  if (req.method !== 'PUT') return notAllowed('PUT, GET, DELETE')
  let body: unknown
  try {
    body = JSON.parse(req.body.toString('utf8'))
  } catch {
    return err(400, 'validation_error', 'Request body is not valid JSON', [{ name: 'body', message: 'invalid JSON' }])
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return err(400, 'validation_error', 'Request body must be a JSON object', [{ name: 'body', message: 'must be an object' }])
  const fields = body as Record<string, unknown>
  const unknown = Object.keys(fields).find((k) => !CALLBACK_KEYS.has(k) || (k === 'serialization' && ctx.flavour !== 'pelion'))
  if (unknown !== undefined) return err(400, 'validation_error', `Unknown field ${unknown}`, [{ name: unknown, message: 'unknown field' }])
  const url = fields.url
  if (typeof url !== 'string' || !URL.canParse(url) || !['http:', 'https:'].includes(new URL(url).protocol)) {
    return err(400, 'validation_error', 'url must be an http(s) URL', [{ name: 'url', message: 'must be an http(s) URL' }])
  }
  const headers = fields.headers ?? {}
  if (typeof headers !== 'object' || headers === null || Array.isArray(headers) || Object.values(headers).some((v) => typeof v !== 'string')) {
    return err(400, 'validation_error', 'headers must be an object of strings', [{ name: 'headers', message: 'must be an object of strings' }])
  }
  const headerMap = headers as Record<string, string>
  const size = url.length + Object.entries(headerMap).reduce((n, [k, v]) => n + k.length + v.length, 0)
  if (size > CALLBACK_MAX_CHARS) return err(400, 'validation_error', `url and headers together exceed ${CALLBACK_MAX_CHARS} characters`, [{ name: 'url', message: 'too long' }])
  if (!LOOPBACK.has(new URL(url).hostname)) return err(400, 'validation_error', 'Callback URL is not accessible', [{ name: 'url', message: 'not accessible' }])
  return ctx.hub.registerCallback(req.key, url, headerMap).then((outcome) => {
    if (outcome === 'conflict') return err(409, 'conflict', `A ${ctx.hub.channelOf(req.key) ?? 'other'} notification channel exists for this API key; delete it before registering a callback.`)
    if (outcome === 'unreachable') return err(400, 'validation_error', 'Callback URL is not accessible: the test PUT was not answered 200 or 204', [{ name: 'url', message: 'not accessible' }])
    return emptyResponse(204)
  })
}
