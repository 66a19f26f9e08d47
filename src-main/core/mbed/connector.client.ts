/**
 * REST client for ARM mbed Device Connector (legacy, api.connector.mbed.com, `/v2` forms) and Pelion / Izuma
 * Device Management "Connect" (the 'pelion' flavour: device-requests with a client-chosen async id, the WebSocket
 * notification channel, key verification via /v3/api-keys/me). Wire reference: docs/wire/mbed.md §1.
 *
 * Built on the one HTTP client (http/http-client.ts): TLS always verified with the profile's extra CA, the rate
 * governor, the retry policy (a POST that may have reached the service is never repeated), and the secure-URL rule:
 * the access key travels only over https:// or wss://, plain http:// and ws:// being accepted for loopback hosts
 * alone (test peers, local tunnels).
 *
 * Two HTTP clients are built: one for API calls, under the account's governor, and one for the long poll, outside
 * it. A held long poll lasts up to the server's hold time (tens of seconds); under the governor it would occupy an
 * in-flight slot the whole time and starve commands.
 */
import { randomUUID } from 'node:crypto'
import { WebSocket } from 'ws'
import { z } from 'zod'
import type { ErrorCode, MessageRef } from '../../../src-shared/contract'
import type { MbedPresubscription } from '../../../src-shared/models/mbed-presubscriptions'
import { accessKeyProblem } from '../../../src-shared/models/profile-rules'
import { AppError } from '../common/errors'
import { createGovernor, type Governor } from '../http/governor'
import { createHttpClient, type HttpClient, type HttpResponse, type HttpTimeouts } from '../http/http-client'
import { assertSecureUrl } from '../http/secure-url'
import { trustedCas } from '../http/trust'
import type { Logger } from '../log/logger'

export type MbedFlavour = 'connector' | 'pelion'

/** docs/wire/mbed.md §1.1: the legacy Connector host. */
export const MBED_CONNECTOR_URL = 'https://api.connector.mbed.com'
/** Where the WebSocket channel connects, relative to the API base (§1.5). */
export const WEBSOCKET_CONNECT_PATH = '/v2/notification/websocket-connect'

export interface MbedClientOptions {
  /** API base URL; default the legacy Connector host. */
  baseUrl?: string
  /** The application's access key (Pelion keys look like `ak_…`). Never logged, never put in a URL. */
  accessKey: string
  /** Default 'connector'. */
  flavour?: MbedFlavour
  /** WebSocket channel URL; default derived from baseUrl (https → wss, http → ws) + /v2/notification/websocket-connect. */
  wsUrl?: string
  /** Extra PEM CA certificates, trusted in addition to the bundled and system roots (HTTP and WebSocket). */
  ca?: string[]
  /** Forward proxy for the REST calls and the long poll. [I] The WebSocket channel does not use it. */
  proxy?: string
  /** The account's governor for API calls; default 4 in flight, 20 started per second. */
  governor?: Governor
  timeoutMs?: Partial<HttpTimeouts>
  /**
   * Longest wait for a long poll's answer headers. The server holds a poll open until it has something or its own
   * hold time runs out (then 204), so this must be longer than that hold. Default 90 s.
   */
  pollTimeoutMs?: number
  logger?: Logger
  userAgent?: string
}

/** `GET /v2/endpoints` item (§1.2); `q` = queue mode. */
export interface MbedEndpoint {
  name: string
  /** The endpoint type (`ept`); '' when the service does not say. */
  type: string
  status?: string
  queueMode: boolean
}

/** `GET /v2/endpoints/{ep}` item (§1.2): the wire's `uri` as `path`, its `type` (a content type) as `ct`. */
export interface MbedResource {
  path: string
  rt?: string
  obs: boolean
  ct: string
}

export type ResourceMethod = 'GET' | 'PUT' | 'POST' | 'DELETE'

export interface ResourceRequest {
  ep: string
  /** Resource path with its leading '/', e.g. `/3/0/1`. Segments are percent-encoded here. */
  path: string
  method: ResourceMethod
  /** The value (PUT) or the execute / create body (POST); none for GET and DELETE, optional for POST. */
  payload?: Buffer
  /** Content type of the payload; default text/plain, the documented form of a resource value (§1.3). */
  contentType?: string
  /** Pelion only: the async id to send; a random UUID when absent. Lets a caller register it before sending. */
  asyncId?: string
  /** GET only: answer from the service's cache (§1.3 `cacheOnly=true`; 205 when nothing is cached). */
  cacheOnly?: boolean
  /** Non-confirmable: 204 and no async id (§1.3 `noResp=true`; 409 for a queue-mode endpoint). */
  noResp?: boolean
}

/**
 * What a resource request came back with: usually 'async' (202, the answer arrives later as an `async-responses`
 * item with that id), or 'done' when the Connector answered directly (200/201/204, §1.3; 205 = `cacheOnly` and
 * nothing cached).
 */
export type ResourceResult = { kind: 'async'; asyncId: string; status: number } | { kind: 'done'; status: number; payload: string; ct?: string }

export type PullResult =
  /** 200: an envelope. `body` is the parsed JSON, or undefined when the body is not JSON (counted as malformed). */
  | { kind: 'envelope'; body: unknown; bytes: number }
  /** 204: the server's hold ran out with nothing to say. */
  | { kind: 'idle' }
  /** 410: the channel was deleted (§1.5 "CHANNEL_DELETED"). */
  | { kind: 'gone' }
  /** 429: slow down; the governor is already paused, `retryAfterMs` is the service's own hint when it gave one. */
  | { kind: 'rateLimited'; retryAfterMs: number | null }

/** `PUT /v2/subscriptions/{ep}/{path}` (§1.4): subscribed now (200/204), or 202 and the outcome as an async response. */
export type SubscribeResult = { kind: 'subscribed'; status: number } | { kind: 'async'; asyncId: string }

export type VerifyDetail = { kind: 'limits'; transactionQuota?: number; transactionCount?: number; endpointQuota?: number; endpointCount?: number } | { kind: 'apiKey'; name?: string; status?: string }

export interface VerifyResult {
  flavour: MbedFlavour
  /** Origin and path of the API, for display (never carries the key). */
  apiUrl: string
  detail: VerifyDetail
}

export interface MbedClient {
  readonly flavour: MbedFlavour
  /** Origin and path of the API, for display and logs. */
  readonly apiUrl: string
  /** One cheap authenticated call (§1.7): GET /v2/limits (Connector) or GET /v3/api-keys/me (Pelion). */
  verify(): Promise<VerifyResult>
  listEndpoints(options?: { type?: string }): Promise<MbedEndpoint[]>
  endpointResources(ep: string): Promise<MbedResource[]>
  resourceRequest(request: ResourceRequest): Promise<ResourceResult>
  /** §1.4 subscribe one resource. 412 (not observable) and 404 (no such endpoint or resource) throw with their status. */
  subscribe(ep: string, path: string): Promise<SubscribeResult>
  /** GET /v2/subscriptions/{ep}/{path}: 200 subscribed, 404 not. */
  isSubscribed(ep: string, path: string): Promise<boolean>
  /** DELETE /v2/subscriptions/{ep}/{path}: true when removed, false when there was none (404). */
  unsubscribe(ep: string, path: string): Promise<boolean>
  /** GET /v2/subscriptions/{ep}: the subscribed paths (text/uri-list); [] on 404. */
  endpointSubscriptions(ep: string): Promise<string[]>
  /** DELETE /v2/subscriptions/{ep}: every subscription of the endpoint; true when removed, false on 404. */
  unsubscribeEndpoint(ep: string): Promise<boolean>
  /** GET /v2/subscriptions: the pre-subscription rules. */
  presubscriptions(): Promise<MbedPresubscription[]>
  /** PUT /v2/subscriptions: replaces the pre-subscription rules ([] clears them). */
  setPresubscriptions(rules: readonly MbedPresubscription[]): Promise<void>
  /** One GET /v2/notification/pull. `noWait` asks for an immediate answer (the first poll creates the channel). */
  pull(options: { noWait: boolean }): Promise<PullResult>
  /** PUT /v2/notification/websocket: registers (or confirms) the WebSocket channel (§1.5). Pelion only. */
  registerWebSocket(): Promise<void>
  /** Opens the channel's socket with `Authorization: Bearer`; the caller attaches its listeners at once. Pelion only. */
  openWebSocket(options?: { handshakeTimeoutMs?: number }): WebSocket
  close(): Promise<void>
}

const DEFAULT_POLL_TIMEOUT_MS = 90_000
const MAX_SERVICE_MESSAGE = 300

// ---- wire schemas (§1.2, §1.7) --------------------------------------------------------------------------------------

const endpointListSchema = z.array(
  z.object({
    name: z.string().min(1),
    type: z.string().nullish(),
    status: z.string().nullish(),
    q: z.boolean().nullish(),
  }),
)

const resourceListSchema = z.array(
  z.object({
    uri: z.string().min(1),
    rt: z.string().nullish(),
    obs: z.boolean().nullish(),
    type: z.string().nullish(),
  }),
)

const limitsSchema = z.object({
  'transaction-quota': z.number().optional(),
  'transaction-count': z.number().optional(),
  'endpoint-quota': z.number().optional(),
  'endpoint-count': z.number().optional(),
})

const apiKeySchema = z.object({ name: z.string().optional(), status: z.string().optional() })

const asyncIdSchema = z.object({ 'async-response-id': z.string().min(1) })

/** What GET /v2/subscriptions returns (§1.4); read leniently apart from the shape, as the service wrote it. */
const presubscriptionListSchema = z.array(z.object({ 'endpoint-name': z.string().optional(), 'endpoint-type': z.string().optional(), 'resource-path': z.array(z.string()).optional() }))

/** §1.1 Pelion error body; the Connector's are undocumented, so only status codes are relied on. */
const pelionErrorSchema = z.object({ message: z.string().optional(), type: z.string().optional(), code: z.number().optional() })

// ---- errors ---------------------------------------------------------------------------------------------------------

interface ErrorContext {
  apiUrl: string
  /** English name of the call, for messages: "list endpoints", "PUT /3/0/1 on node-001". */
  operation: string
}

function make(code: ErrorCode, message: string, ref: MessageRef, res: HttpResponse | null): AppError {
  const extra: { carrierCode?: string; carrierMessage?: string } = {}
  if (res) {
    // details.carrierCode / carrierMessage are the contract's fields for "what the external service said".
    extra.carrierCode = String(res.status)
    const said = serviceMessage(res)
    if (said) extra.carrierMessage = said
  }
  return AppError.withRef(code, message, ref, extra)
}

/** The service's own words: the Pelion error's message/type, else the first line of a short text body. */
function serviceMessage(res: HttpResponse): string {
  const parsed = pelionErrorSchema.safeParse(res.tryJson())
  if (parsed.success && (parsed.data.message || parsed.data.type)) {
    return [parsed.data.type, parsed.data.message].filter(Boolean).join(': ').slice(0, MAX_SERVICE_MESSAGE)
  }
  if (res.isHtml()) {
    const title = /<title[^>]*>([^<]*)<\/title>/i.exec(res.text)?.[1]
    return (title ?? '').replace(/\s+/g, ' ').trim().slice(0, MAX_SERVICE_MESSAGE)
  }
  return res.text.replace(/\s+/g, ' ').trim().slice(0, MAX_SERVICE_MESSAGE)
}

/** The host answered, but not like an mbed API (an HTML console, a proxy page, a login portal). */
export function notMbedApi(ctx: ErrorContext, res: HttpResponse): AppError {
  const what = `HTTP ${res.status}${res.mimeType ? ` ${res.mimeType}` : ''}`
  return make('NOT_FOUND', `${ctx.apiUrl} does not answer like an mbed API (${what}). Check the API host.`, { key: 'mbed.notMbedApi', params: { url: ctx.apiUrl } }, res)
}

/** Maps a status the caller did not handle itself. */
export function mbedHttpError(res: HttpResponse, ctx: ErrorContext): AppError {
  const status = res.status
  const said = serviceMessage(res)
  const quote = `HTTP ${status}${said ? ` ${said}` : ''}`
  if (status === 401 || status === 403) {
    return make('AUTH_FAILED', `mbed refused the access key (${quote})`, { key: 'mbed.authFailed', params: { status } }, res)
  }
  if (res.isHtml() && status !== 429 && status < 500) return notMbedApi(ctx, res)
  if (status === 429) return make('RATE_LIMITED', `mbed asked to slow down while trying to ${ctx.operation} (${quote})`, { key: 'mbed.rateLimited' }, res)
  if (status >= 500) return make('CARRIER', `mbed is unavailable; could not ${ctx.operation} (${quote})`, { key: 'mbed.unavailable', params: { status } }, res)
  if (status === 413) return make('TOO_LARGE', `mbed refused the request as too large (${quote})`, { key: 'mbed.tooLarge' }, res)
  return make('CARRIER', `mbed could not ${ctx.operation} (${quote})`, { key: 'mbed.requestFailed', params: { status } }, res)
}

function badResponse(ctx: ErrorContext, detail: string, res: HttpResponse): AppError {
  return make('CARRIER', `mbed answered "${ctx.operation}" in an unexpected form (${detail.slice(0, 200)})`, { key: 'mbed.badResponse' }, res)
}

function parseRetryAfterMs(value: string | undefined): number | null {
  if (value === undefined) return null
  const seconds = Number(value.trim())
  if (Number.isFinite(seconds) && seconds >= 0) return Math.round(seconds * 1000)
  const date = Date.parse(value)
  return Number.isNaN(date) ? null : Math.max(0, date - Date.now())
}

// ---- URLs -----------------------------------------------------------------------------------------------------------

/**
 * The WebSocket URL, checked by the same rule as the REST base: wss://, or ws:// to a loopback host only. The
 * secure-URL rule is written for http(s); ws and wss map onto it one to one.
 */
export function checkWebSocketUrl(url: string): URL {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw AppError.withRef('VALIDATION', `Not a valid URL: ${url.slice(0, 200)}`, { key: 'errors.invalidUrl', params: { url: url.slice(0, 200) } })
  }
  if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') {
    throw AppError.withRef('VALIDATION', `The WebSocket URL must be wss:// (got ${parsed.protocol})`, { key: 'errors.invalidUrl', params: { url: parsed.origin } })
  }
  const asHttp = new URL(url)
  asHttp.protocol = parsed.protocol === 'wss:' ? 'https:' : 'http:'
  assertSecureUrl(asHttp.href)
  return parsed
}

/** https://host/base → wss://host/base/v2/notification/websocket-connect. */
export function deriveWebSocketUrl(baseUrl: URL): string {
  const ws = new URL(baseUrl.href)
  ws.protocol = baseUrl.protocol === 'https:' ? 'wss:' : 'ws:'
  ws.pathname = `${baseUrl.pathname.replace(/\/+$/, '')}${WEBSOCKET_CONNECT_PATH}`
  ws.search = ''
  ws.hash = ''
  return ws.href
}

/** Encodes each segment of a resource path (`/3/0/1` stays as it is; a space or '#' in a segment cannot escape it). */
export function encodeResourcePath(path: string): string {
  return path
    .split('/')
    .map((segment) => encodeURIComponent(segment))
    .join('/')
}

/** /v2/subscriptions/{ep}/{path} with the endpoint and each path segment encoded. */
function subscriptionPath(ep: string, path: string): string {
  return `/v2/subscriptions/${encodeURIComponent(ep)}${encodeResourcePath(path.startsWith('/') ? path : `/${path}`)}`
}

// ---- the client -----------------------------------------------------------------------------------------------------

export function createMbedClient(options: MbedClientOptions): MbedClient {
  const flavour = options.flavour ?? 'connector'
  if (flavour !== 'connector' && flavour !== 'pelion') {
    throw AppError.withRef('VALIDATION', `Unknown mbed flavour ${String(flavour)}: use connector or pelion`, { key: 'mbed.invalidFlavour' })
  }
  if (typeof options.accessKey !== 'string' || accessKeyProblem(options.accessKey)) {
    // A header value with a line break would be refused by undici anyway; saying so here names the field.
    throw AppError.withRef('VALIDATION', 'The mbed access key is missing or contains spaces or control characters', { key: 'mbed.invalidAccessKey' })
  }
  const base = assertSecureUrl(options.baseUrl ?? MBED_CONNECTOR_URL)
  const apiUrl = `${base.origin}${base.pathname.replace(/\/+$/, '')}`
  const wsUrl = checkWebSocketUrl(options.wsUrl ?? deriveWebSocketUrl(base)).href
  // Accept goes with the JSON API calls only: a resource request's answer is the device's value, in its own type.
  const bearer = { authorization: `Bearer ${options.accessKey}` }
  const auth = { ...bearer, accept: 'application/json' }
  const governor = options.governor ?? createGovernor({ concurrency: 4, perSecond: 20 })
  const common = {
    baseUrl: apiUrl,
    service: 'mbed',
    ...(options.ca ? { ca: options.ca } : {}),
    ...(options.proxy ? { proxy: options.proxy } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.userAgent ? { userAgent: options.userAgent } : {}),
  }
  const api: HttpClient = createHttpClient({ ...common, governor, ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}) })
  // The long poll: its own governor (no cap: there is one poll at a time) and one attempt per call, so the channel
  // sees every 410/429/failure and applies §1.5's rules itself rather than the generic retry policy.
  const poller: HttpClient = createHttpClient({
    ...common,
    governor: createGovernor({ concurrency: Infinity, perSecond: Infinity }),
    maxAttempts: 1,
    timeoutMs: { ...options.timeoutMs, headers: options.pollTimeoutMs ?? DEFAULT_POLL_TIMEOUT_MS },
  })
  const wsCa = wsUrl.startsWith('wss:') ? trustedCas(options.ca ?? []) : undefined

  function requirePelion(what: string): void {
    if (flavour !== 'pelion') {
      throw AppError.withRef('VALIDATION', `${what} needs a Pelion/Izuma host (the 'pelion' flavour); the legacy Connector does not offer it`, { key: 'mbed.needsPelion' })
    }
  }

  async function getJson<T>(path: string, schema: z.ZodType<T>, ctx: ErrorContext, query?: Record<string, string>): Promise<T> {
    const res = await api.request({ method: 'GET', path, headers: auth, ...(query ? { query } : {}) })
    if (res.status !== 200) throw mbedHttpError(res, ctx)
    if (res.isHtml()) throw notMbedApi(ctx, res)
    const body = res.tryJson()
    if (body === undefined) throw notMbedApi(ctx, res)
    const parsed = schema.safeParse(body)
    if (!parsed.success) throw badResponse(ctx, parsed.error.issues[0]?.message ?? 'invalid', res)
    return parsed.data
  }

  return {
    flavour,
    apiUrl,

    async verify() {
      if (flavour === 'pelion') {
        const ctx = { apiUrl, operation: 'verify the access key' }
        const key = await getJson('/v3/api-keys/me', apiKeySchema, ctx)
        return { flavour, apiUrl, detail: { kind: 'apiKey', ...(key.name !== undefined ? { name: key.name } : {}), ...(key.status !== undefined ? { status: key.status } : {}) } }
      }
      const ctx = { apiUrl, operation: 'read the account limits' }
      const limits = await getJson('/v2/limits', limitsSchema, ctx)
      return {
        flavour,
        apiUrl,
        detail: {
          kind: 'limits',
          ...(limits['transaction-quota'] !== undefined ? { transactionQuota: limits['transaction-quota'] } : {}),
          ...(limits['transaction-count'] !== undefined ? { transactionCount: limits['transaction-count'] } : {}),
          ...(limits['endpoint-quota'] !== undefined ? { endpointQuota: limits['endpoint-quota'] } : {}),
          ...(limits['endpoint-count'] !== undefined ? { endpointCount: limits['endpoint-count'] } : {}),
        },
      }
    },

    async listEndpoints(listOptions = {}) {
      const ctx = { apiUrl, operation: 'list endpoints' }
      const list = await getJson('/v2/endpoints', endpointListSchema, ctx, listOptions.type ? { type: listOptions.type } : undefined)
      return list.map((e) => ({ name: e.name, type: e.type ?? '', ...(e.status ? { status: e.status } : {}), queueMode: e.q === true }))
    },

    async endpointResources(ep) {
      const ctx = { apiUrl, operation: `list the resources of ${ep}` }
      const res = await api.request({ method: 'GET', path: `/v2/endpoints/${encodeURIComponent(ep)}`, headers: auth })
      if (res.status === 404 || res.status === 410) {
        throw make('NOT_FOUND', `mbed has no endpoint ${ep}`, { key: 'mbed.endpointNotFound', params: { ep } }, res)
      }
      if (res.status !== 200) throw mbedHttpError(res, ctx)
      const body = res.isHtml() ? undefined : res.tryJson()
      if (body === undefined) throw notMbedApi(ctx, res)
      const parsed = resourceListSchema.safeParse(body)
      if (!parsed.success) throw badResponse(ctx, parsed.error.issues[0]?.message ?? 'invalid', res)
      return parsed.data.map((r) => ({ path: r.uri, ...(r.rt ? { rt: r.rt } : {}), obs: r.obs === true, ct: r.type ?? '' }))
    },

    async resourceRequest(request) {
      const ctx = { apiUrl, operation: `${request.method} ${request.path} on ${request.ep}` }
      const payload = request.payload ?? Buffer.alloc(0)
      const contentType = request.contentType ?? 'text/plain'
      if (request.cacheOnly && request.method !== 'GET') throw AppError.withRef('VALIDATION', 'cacheOnly applies to GET only', { key: 'mbed.cacheOnlyGetOnly' })
      // cacheOnly and noResp exist only in the per-resource form, which Pelion serves too (§1.3, PY ResourcesApi).
      if (flavour === 'pelion' && !request.cacheOnly && !request.noResp) {
        // §1.3 newer form: the async id is ours, so the caller can match the answer even if it beats the 202. Empty
        // values are left out rather than sent as "": an execute without payload carries neither field.
        const asyncId = request.asyncId ?? randomUUID()
        const body = JSON.stringify({
          method: request.method,
          uri: request.path,
          ...(payload.length > 0 ? { 'content-type': contentType, 'payload-b64': payload.toString('base64') } : {}),
        })
        const res = await api.request({
          method: 'POST',
          path: `/v2/device-requests/${encodeURIComponent(request.ep)}`,
          query: { 'async-id': asyncId },
          headers: { ...auth, 'content-type': 'application/json' },
          body,
        })
        if (res.status === 202 || res.status === 200 || res.status === 201) return { kind: 'async', asyncId, status: res.status }
        if (res.status === 404) throw make('NOT_FOUND', `mbed has no device ${request.ep}`, { key: 'mbed.endpointNotFound', params: { ep: request.ep } }, res)
        throw mbedHttpError(res, ctx)
      }
      // §1.3 legacy per-resource form: the body is the raw value. Accept as the official client sends it: JSON for
      // the async id of PUT/POST/DELETE; no preference for a GET, whose direct answer is the value in its own type.
      const withBody = (request.method === 'PUT' || request.method === 'POST') && (payload.length > 0 || request.method === 'PUT')
      const res = await api.request({
        method: request.method,
        path: `/v2/endpoints/${encodeURIComponent(request.ep)}${encodeResourcePath(request.path)}`,
        ...(request.cacheOnly || request.noResp ? { query: { ...(request.cacheOnly ? { cacheOnly: 'true' } : {}), ...(request.noResp ? { noResp: 'true' } : {}) } } : {}),
        headers: { ...bearer, accept: request.method === 'GET' ? '*/*' : 'application/json', ...(withBody ? { 'content-type': contentType } : {}) },
        ...(withBody ? { body: payload } : {}),
      })
      if (res.status === 202) {
        const parsed = asyncIdSchema.safeParse(res.tryJson())
        if (!parsed.success) throw badResponse(ctx, 'no async-response-id in the 202 answer', res)
        return { kind: 'async', asyncId: parsed.data['async-response-id'], status: 202 }
      }
      if (res.status === 200 || res.status === 201 || res.status === 204 || res.status === 205) {
        const ct = res.headers['content-type']
        return { kind: 'done', status: res.status, payload: Buffer.from(res.text, 'utf8').toString('base64'), ...(ct ? { ct } : {}) }
      }
      // §1.3 (CP connectorError.py): 410 Gone = endpoint not found, 404 = resource not found.
      if (res.status === 410) throw make('NOT_FOUND', `mbed has no endpoint ${request.ep}`, { key: 'mbed.endpointNotFound', params: { ep: request.ep } }, res)
      if (res.status === 404) {
        throw make('NOT_FOUND', `Endpoint ${request.ep} has no resource ${request.path}`, { key: 'mbed.resourceNotFound', params: { ep: request.ep, path: request.path } }, res)
      }
      if (res.status === 409) throw make('CONFLICT', `Endpoint ${request.ep} cannot take this request now (queue mode)`, { key: 'mbed.queueModeConflict', params: { ep: request.ep } }, res)
      throw mbedHttpError(res, ctx)
    },

    async subscribe(ep, path) {
      const ctx = { apiUrl, operation: `subscribe to ${path} on ${ep}` }
      const res = await api.request({ method: 'PUT', path: subscriptionPath(ep, path), headers: auth })
      if (res.status === 200 || res.status === 204) return { kind: 'subscribed', status: res.status }
      if (res.status === 202) {
        const parsed = asyncIdSchema.safeParse(res.tryJson())
        if (!parsed.success) throw badResponse(ctx, 'no async-response-id in the 202 answer', res)
        return { kind: 'async', asyncId: parsed.data['async-response-id'] }
      }
      // §1.4 (CP): 412 = the resource is not observable, 404 = no such endpoint or resource.
      if (res.status === 412) throw make('CARRIER', `Resource ${path} of ${ep} is not observable (HTTP 412)`, { key: 'mbed.notObservable', params: { ep, path } }, res)
      if (res.status === 404 && !res.isHtml()) throw make('NOT_FOUND', `mbed has no resource ${path} on endpoint ${ep} (HTTP 404)`, { key: 'mbed.subscribeNotFound', params: { ep, path } }, res)
      throw mbedHttpError(res, ctx)
    },

    async isSubscribed(ep, path) {
      const res = await api.request({ method: 'GET', path: subscriptionPath(ep, path), headers: auth })
      if (res.status === 200 || res.status === 204) return true
      if (res.status === 404 && !res.isHtml()) return false
      throw mbedHttpError(res, { apiUrl, operation: `read the subscription to ${path} on ${ep}` })
    },

    async unsubscribe(ep, path) {
      const res = await api.request({ method: 'DELETE', path: subscriptionPath(ep, path), headers: auth })
      if (res.status === 204 || res.status === 200) return true
      if (res.status === 404 && !res.isHtml()) return false
      throw mbedHttpError(res, { apiUrl, operation: `unsubscribe from ${path} on ${ep}` })
    },

    async endpointSubscriptions(ep) {
      const ctx = { apiUrl, operation: `list the subscriptions of ${ep}` }
      const res = await api.request({ method: 'GET', path: `/v2/subscriptions/${encodeURIComponent(ep)}`, headers: { ...bearer, accept: 'text/uri-list' } })
      if (res.status === 404 && !res.isHtml()) return []
      if (res.status !== 200) throw mbedHttpError(res, ctx)
      if (res.isHtml()) throw notMbedApi(ctx, res)
      // §1.4: text/uri-list, newline separated (RFC 2483 also allows CRLF and '#' comment lines).
      return res.text
        .split(/\r?\n/)
        .map((line) => line.trim())
        .filter((line) => line !== '' && !line.startsWith('#'))
    },

    async unsubscribeEndpoint(ep) {
      const res = await api.request({ method: 'DELETE', path: `/v2/subscriptions/${encodeURIComponent(ep)}`, headers: auth })
      if (res.status === 204 || res.status === 200) return true
      if (res.status === 404 && !res.isHtml()) return false
      throw mbedHttpError(res, { apiUrl, operation: `unsubscribe every resource of ${ep}` })
    },

    async presubscriptions() {
      return getJson('/v2/subscriptions', presubscriptionListSchema, { apiUrl, operation: 'read the pre-subscriptions' })
    },

    async setPresubscriptions(rules) {
      const ctx = { apiUrl, operation: 'write the pre-subscriptions' }
      const res = await api.request({ method: 'PUT', path: '/v2/subscriptions', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(rules) })
      if (res.status === 204 || res.status === 200) return
      if (res.status === 400 && !res.isHtml()) {
        const said = serviceMessage(res)
        throw make('VALIDATION', `mbed refused the pre-subscriptions${said ? `: ${said}` : ''}`, { key: 'mbed.presubscriptionsRefused' }, res)
      }
      throw mbedHttpError(res, ctx)
    },

    async pull({ noWait }) {
      const ctx = { apiUrl, operation: 'read notifications (long poll)' }
      const res = await poller.request({
        method: 'GET',
        path: '/v2/notification/pull',
        // §1.5: CN sends noWait=true on the first poll (it creates the channel), then noWait=false.
        query: { noWait: noWait ? 'true' : 'false' },
        headers: { ...auth, connection: 'keep-alive' },
      })
      switch (res.status) {
        case 200:
          if (res.isHtml()) throw notMbedApi(ctx, res)
          return { kind: 'envelope', body: res.tryJson(), bytes: res.text.length }
        case 204:
          return { kind: 'idle' }
        case 410:
          return { kind: 'gone' }
        case 429:
          return { kind: 'rateLimited', retryAfterMs: parseRetryAfterMs(res.headers['retry-after']) }
        case 404:
          if (res.isHtml()) throw notMbedApi(ctx, res)
          throw make(
            'NOT_FOUND',
            `${apiUrl} does not offer long polling (HTTP 404): check the API host; a Pelion/Izuma host offers the WebSocket channel instead`,
            { key: 'mbed.longPollUnavailable' },
            res,
          )
        case 409:
          throw make('CONFLICT', 'Another notification channel (WebSocket or callback) is registered for this access key; delete it before long polling', { key: 'mbed.channelConflict' }, res)
        default:
          throw mbedHttpError(res, ctx)
      }
    },

    async registerWebSocket() {
      requirePelion('The WebSocket channel')
      const ctx = { apiUrl, operation: 'register the WebSocket channel' }
      const res = await api.request({ method: 'PUT', path: '/v2/notification/websocket', headers: auth })
      if (res.status === 200 || res.status === 201 || res.status === 204) {
        if (res.isHtml()) throw notMbedApi(ctx, res)
        return
      }
      if (res.status === 409) {
        throw make(
          'CONFLICT',
          'Another notification channel (long poll or callback) is registered for this access key; delete it before using the WebSocket channel',
          { key: 'mbed.channelConflict' },
          res,
        )
      }
      if (res.status === 404 && !res.isHtml()) {
        throw make('NOT_FOUND', `${apiUrl} does not offer the WebSocket channel (HTTP 404)`, { key: 'mbed.websocketUnavailable' }, res)
      }
      throw mbedHttpError(res, ctx)
    },

    openWebSocket(openOptions = {}) {
      requirePelion('The WebSocket channel')
      return new WebSocket(wsUrl, {
        // §1.5: the Bearer header; the subprotocol form is only for clients that cannot set headers.
        headers: { ...bearer, 'user-agent': options.userAgent ?? 'Fieldline' },
        handshakeTimeout: openOptions.handshakeTimeoutMs ?? options.timeoutMs?.connect ?? 10_000,
        // One frame is one envelope of up to ~1000 items; 32 MiB matches the HTTP client's answer limit.
        maxPayload: 32 * 1024 * 1024,
        perMessageDeflate: false,
        followRedirects: false,
        ...(wsCa ? { ca: wsCa, rejectUnauthorized: true } : {}),
      })
    },

    async close() {
      await Promise.all([api.close(), poller.close()])
    },
  }
}
