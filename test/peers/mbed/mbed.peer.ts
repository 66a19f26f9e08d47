/**
 * A wire-faithful ARM mbed Device Connector / Pelion (Izuma) Connect on 127.0.0.1, written from
 * docs/wire/mbed.md §1 (and §2 for what the Watson bridge expects of it) — not from any client.
 *
 * Two flavours:
 * - 'connector': the legacy api.connector.mbed.com surface — /, /rest-versions, /v2/endpoints[/{ep}[/{path}]],
 *   /v2/limits, /v2/subscriptions, long poll on /v2/notification/pull. Resource requests answer 202 with an
 *   `async-response-id` and the device's answer arrives later as an `async-responses` item (§1.3, §1.6).
 * - 'pelion': all of that plus POST /v2/device-requests/{id}?async-id=…, the WebSocket channel
 *   (/v2/notification/websocket + /v2/notification/websocket-connect) and GET /v3/api-keys/me (§1.3, §1.5, §1.7).
 *
 * Everything requires `Authorization: Bearer <key>` (§1.1), the WebSocket also accepts the key as the subprotocol
 * "pelion_<key>" next to "wss" (§1.5). Both flavours offer the callback channel (PUT/GET/DELETE
 * /v2/notification/callback, §1.5). A notification reaches a key only for a resource it subscribed to or
 * pre-subscribed (§1.4, subscriptions.ts). Decisions where the spec is silent are marked [I] where they are made.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import { performance } from 'node:perf_hooks'
import { WebSocketServer, type WebSocket } from 'ws'
import { NotificationHub, closeSocket, type HubCounters } from './channels'
import { Devices, type CommandBehaviour } from './devices'
import { Registry, defaultEndpoints, defaultResources, hex, prng, type EndpointSpec } from './registry'
import { handleRest, routeKey, type ApiKeyInfo, type Flavour, type RestContext } from './rest-api'
import { KeySubscriptions } from './subscriptions'
import { DEFAULT_MAX_AGE, KIND, asyncResponseJson, errorTypeFor, htmlPage, pelionError, reasonPhrase, registrationJson, textResponse, type PeerResponse, type ResourceItem } from './wire-format'

export type { CommandBehaviour, CommandReply, MbedCommand } from './devices'
export type { ResourceItem } from './wire-format'
export type { Flavour } from './rest-api'

export interface MbedEndpointOption {
  name: string
  type: string
  queueMode?: boolean
  resources: ResourceItem[]
}

export interface MbedPeerOptions {
  /** Valid Bearer keys (default ['ak_test_key']). Each key is one application with its own channel and queue (§1.5). */
  accessKeys?: string[]
  /** Default 'connector'. */
  flavour?: Flavour
  /** Default: four seeded endpoints (two Lights, a Sensor, a queue-mode Tracker; see registry.ts). */
  endpoints?: MbedEndpointOption[]
  /** Deterministic names, ids and initial values (default 1). */
  seed?: number
  /** The domain inside async-response-ids "<n>#<ep>@<domain>/<path>" (default 'test.domain.com', §1.3 example). */
  domain?: string
  /** Server-side long-poll hold before 204 (default 30,000). */
  pollTimeoutMs?: number
  /** How long a device that never answers takes to become `{status:504, error:"TIMEOUT"}` (default 500). */
  deviceTimeoutMs?: number
  /** GET /v2/notification/pull answers 410 "CHANNEL_DELETED" this long after a DELETE (default 120,000, §1.5). */
  channelDeletedMs?: number
  /** A pull channel not polled for this long is deleted with its queue (default 600,000, §1.5). */
  pullChannelExpiryMs?: number
  /** A WebSocket channel without a socket for this long is deleted with its queue (default 86,400,000, §1.5). */
  wsChannelExpiryMs?: number
  /** Items per envelope (poll answer or frame), default 1000. */
  maxEnvelopeItems?: number
  /** Items a channel keeps before dropping the oldest (default 200,000). [I] the real limit is undocumented. */
  queueLimit?: number
  /** Requests queued per device before 429 (default 20, §1.3). */
  deviceQueueLimit?: number
  /** A callback PUT without an answer for this long has failed (default 20,000, §1.5). */
  callbackTimeoutMs?: number
  /** Longest wait between callback retries (default 120,000, §1.5 "max 2 min"). */
  callbackRetryMaxMs?: number
  /** A callback failing for this long is dropped (default 86,400,000, §1.5). */
  callbackDropAfterMs?: number
  /** What a second concurrent long poll on a key gets: 'replace' (default; the older is answered 204) or 'reject' (409). */
  concurrentPoll?: 'replace' | 'reject'
}

/**
 * Faults are switched per test. `set` adds one (several can be active; for each kind the first matching one applies),
 * `clear` removes all. `times` limits how many requests a fault affects (default: unlimited, except wsClose: 1);
 * `path` is tested against path + query (the WebSocket upgrade is a request too).
 *
 * - status: answers that status without handling; the body is the Pelion error (§1.1), except 410 on
 *   /v2/notification/pull, which is the real "CHANNEL_DELETED" text. `retryAfterSeconds` adds Retry-After.
 * - latency: waits before handling (a held long poll waits this long on top).
 * - slowAnswer: handles the request at once and sends its answer `ms` later: a 202 outrun by the async response it
 *   announces, which the notification channel (another connection, §1.3 legacy form) already delivered.
 * - drop: destroys the TCP connection before answering.
 * - html: an nginx-style HTML page with that status instead of JSON.
 * - wsClose: closes every live WebSocket (of `key` only, when given) at once with that code — 1006 destroys the TCP
 *   connection without a close frame. That is one occurrence of `times` (default 1); each further occurrence closes
 *   the next matching socket right after its handshake, before anything is delivered. With no live socket at set(),
 *   the first occurrence is the next handshake. Queued items stay queued.
 */
export type MbedFault =
  | { kind: 'status'; status: 401 | 410 | 429 | 500 | 502 | 503; path?: RegExp; times?: number; retryAfterSeconds?: number }
  | { kind: 'latency'; ms: number; path?: RegExp; times?: number }
  | { kind: 'slowAnswer'; ms: number; path?: RegExp; times?: number }
  | { kind: 'drop'; path?: RegExp; times?: number }
  | { kind: 'wsClose'; code: 1000 | 1001 | 1006 | 1008 | 1011 | 1012; times?: number; key?: string }
  | { kind: 'html'; status: number; path?: RegExp; times?: number }

export interface MbedPeerStats {
  requests: number
  /** "GET /v2/endpoints/{ep}", "POST /v2/device-requests/{ep}", "GET /v2/notification/pull", "GET (unknown)", … */
  byRoute: Record<string, number>
  /** `notifications` items written to clients (poll bodies and frames), summed over keys. */
  notificationsDelivered: number
  /** Long polls answered 204 (timeout, noWait on an empty queue, or replaced by a newer poll). */
  pollsIdle: number
  /** Long polls the peer started holding (nothing queued yet): tests wait on it instead of sleeping. */
  pollsHeld: number
  /** WebSocket handshakes completed. */
  wsConnections: number
  /** Notifications produced (notify() and the stream), before fan-out to keys. */
  notificationsEmitted: number
  asyncResponsesDelivered: number
  /** Every envelope item written to clients. */
  itemsDelivered: number
  envelopesDelivered: number
  /** Items dropped because a channel queue was over `queueLimit`. */
  itemsDropped: number
  /** Resource requests the devices received (incl. noResp ones). */
  commands: number
  /** Notifications not queued for a key because it had not subscribed to the resource (once per key). */
  notificationsNotSubscribed: number
}

export interface MbedPeer {
  /** http://127.0.0.1:<port> */
  url: string
  /** ws://127.0.0.1:<port>/v2/notification/websocket-connect */
  wsUrl: string
  /** The registered endpoints now (a copy). */
  endpoints(): MbedEndpointOption[]
  /**
   * A device emits a notification (§1.6); it reaches only the keys subscribed to the resource. Throws for an endpoint
   * that is not registered.
   */
  notify(ep: string, path: string, payload: Buffer | string, opts?: { ct?: string; maxAge?: number }): void
  /** A steady stream of notifications, batched into envelopes. Replaces a running stream. */
  startStream(opts: { ratePerSecond: number; endpoints?: string[]; path?: string }): void
  stopStream(): void
  /**
   * A new name → `registrations` item; a registered name → `reg-updates` item (subscriptions kept, pre-subscriptions
   * applied again). Resources default to a Sensor's.
   */
  register(ep: { name: string; type: string; queueMode?: boolean; resources?: ResourceItem[] }): void
  /** A full re-registration of a registered endpoint → `registrations` item; its manual subscriptions are dropped (§1.4). */
  reregister(name: string, resources?: ResourceItem[]): void
  /** Whether `key` is subscribed to the resource now (manually or by an applied pre-subscription). */
  subscribed(key: string, ep: string, path: string): boolean
  /** Removes the endpoint → `de-registrations` item; its queued requests fail with 429 DEVICE_REMOVED_REGISTRATION. */
  deregister(name: string): void
  /** Same, as a `registrations-expired` item. */
  expire(name: string): void
  commands(): { method: string; ep: string; path: string; query: string; body: Buffer; asyncId: string; at: number; form: 'resource' | 'device-request'; contentType?: string; accept?: string }[]
  /** How the simulated devices answer; null restores the default (200; a GET returns the held value). */
  setCommandBehaviour(fn: CommandBehaviour | null): void
  faults: { set(f: MbedFault): void; clear(): void }
  stats(): MbedPeerStats
  close(): Promise<void>
}

const DEFAULT_KEYS = ['ak_test_key']
const WS_PATH = '/v2/notification/websocket-connect'
/** Large enough for a device-request JSON carrying a 1 MiB payload in base64. */
const MAX_BODY = 2 * 1_048_576

type FaultEntry = { fault: MbedFault; left: number }

export async function startMbedPeer(options: MbedPeerOptions = {}): Promise<MbedPeer> {
  const flavour = options.flavour ?? 'connector'
  const seed = options.seed ?? 1
  const domain = options.domain ?? 'test.domain.com'
  const accessKeys = options.accessKeys ?? DEFAULT_KEYS
  if (accessKeys.length === 0 || accessKeys.some((k) => !/^[\x21-\x7e]{1,512}$/.test(k))) throw new RangeError('accessKeys must be 1+ printable ASCII keys without spaces')
  const positive = (name: string, value: number | undefined, fallback: number): number => {
    const v = value ?? fallback
    if (!Number.isFinite(v) || v < 0) throw new RangeError(`${name} must be a non-negative number, got ${v}`)
    return v
  }

  const random = prng(seed)
  const registry = new Registry(random)
  for (const spec of options.endpoints ?? defaultEndpoints(seed)) registry.add(spec)

  const keyInfos = new Map<string, ApiKeyInfo>(
    accessKeys.map((key, i) => [key, { key, id: `01${hex(random, 30)}`, name: `fieldline-test-key-${i + 1}`, createdAt: new Date(Date.UTC(2024, 0, 15 + i, 9, 30)).toISOString() }]),
  )
  const requestIdPrefix = hex(random, 8)
  let requestCounter = 0
  const requestId = (): string => `${requestIdPrefix}${(++requestCounter).toString(16).padStart(24, '0')}`
  let asyncCounter = 10_000 + Math.floor(random() * 50_000)

  const counters: HubCounters = { notificationsDelivered: 0, asyncResponsesDelivered: 0, itemsDelivered: 0, envelopesDelivered: 0, pollsIdle: 0, pollsHeld: 0, itemsDropped: 0 }
  const stats = { requests: 0, byRoute: {} as Record<string, number>, wsConnections: 0, notificationsEmitted: 0, notificationsNotSubscribed: 0 }
  const sockets = new Set<Socket>()
  const timers = new Set<NodeJS.Timeout>()
  let faults: FaultEntry[] = []

  const hub = new NotificationHub(
    {
      callbackTimeoutMs: positive('callbackTimeoutMs', options.callbackTimeoutMs, 20_000),
      callbackRetryMaxMs: positive('callbackRetryMaxMs', options.callbackRetryMaxMs, 120_000),
      callbackDropAfterMs: positive('callbackDropAfterMs', options.callbackDropAfterMs, 86_400_000),
      pollTimeoutMs: positive('pollTimeoutMs', options.pollTimeoutMs, 30_000),
      channelDeletedMs: positive('channelDeletedMs', options.channelDeletedMs, 120_000),
      pullChannelExpiryMs: positive('pullChannelExpiryMs', options.pullChannelExpiryMs, 600_000),
      wsChannelExpiryMs: positive('wsChannelExpiryMs', options.wsChannelExpiryMs, 86_400_000),
      maxEnvelopeItems: Math.max(1, Math.floor(positive('maxEnvelopeItems', options.maxEnvelopeItems, 1000))),
      queueLimit: Math.max(1, Math.floor(positive('queueLimit', options.queueLimit, 200_000))),
      concurrentPoll: options.concurrentPoll ?? 'replace',
    },
    counters,
    {
      send: (res, response) => send(res, response),
      conflict: (message) => pelionError(409, 'conflict', message, requestId()),
    },
  )
  const devices = new Devices(
    registry,
    { timeoutMs: positive('deviceTimeoutMs', options.deviceTimeoutMs, 500), queueLimit: Math.max(1, Math.floor(positive('deviceQueueLimit', options.deviceQueueLimit, 20))) },
    (kind, json) => hub.publish(kind, json),
  )

  const subscriptions = new Map<string, KeySubscriptions>()
  const subscriptionsOf = (key: string): KeySubscriptions => {
    let s = subscriptions.get(key)
    if (!s) {
      s = new KeySubscriptions()
      subscriptions.set(key, s)
    }
    return s
  }
  const isSubscribed = (key: string, ep: string, path: string): boolean => subscriptions.get(key)?.has(ep, path) === true

  const removeEndpoint = (name: string, kind: (typeof KIND)['de-registrations'] | (typeof KIND)['registrations-expired']): void => {
    if (!registry.remove(name)) throw new Error(`unknown endpoint ${name}`)
    // §1.4: subscriptions do not survive the device leaving; pre-subscriptions apply again when it comes back.
    for (const s of subscriptions.values()) s.deleteEndpoint(name)
    hub.publish(kind, JSON.stringify(name))
    devices.removed(name)
  }

  const registered = (spec: EndpointSpec, full: boolean): void => {
    const record = registry.add(spec)
    for (const s of subscriptions.values()) s.registered(record, full)
    hub.publish(full ? KIND.registrations : KIND['reg-updates'], registrationJson(record.name, record.type, record.queueMode, record.resources))
  }

  const ctx: RestContext = {
    flavour,
    registry,
    devices,
    hub,
    subscriptions: subscriptionsOf,
    keyInfo: (key) => keyInfos.get(key) as ApiKeyInfo,
    requestId,
    asyncResponseId: (ep, path) => `${asyncCounter++}#${ep}@${domain}${path}`,
    transactions: () => devices.count + stats.notificationsEmitted,
    deleteEndpoint: (name) => removeEndpoint(name, KIND['de-registrations']),
    // After the answer that carries the id has been written (the peer writes it synchronously after this returns).
    asyncAnswer: (id, status) => {
      const timer = setTimeout(() => {
        timers.delete(timer)
        hub.publish(KIND['async-responses'], asyncResponseJson(id, status, null, null, null, null))
      }, 0)
      timers.add(timer)
    },
  }

  // ---- faults -------------------------------------------------------------------------------------------------------

  /** The first active fault of one of `kinds` matching the request (path, or key for wsClose); consumes one `times`. */
  const take = <K extends MbedFault['kind']>(kinds: K[], target: string, key?: string): Extract<MbedFault, { kind: K }> | undefined => {
    const entry = faults.find((e) => {
      if (!(kinds as string[]).includes(e.fault.kind)) return false
      if (e.fault.kind === 'wsClose') return e.fault.key === undefined || e.fault.key === key
      if (!e.fault.path) return true
      e.fault.path.lastIndex = 0
      return e.fault.path.test(target)
    })
    if (!entry) return undefined
    entry.left -= 1
    if (entry.left <= 0) faults = faults.filter((e) => e !== entry)
    return entry.fault as Extract<MbedFault, { kind: K }>
  }

  const forcedResponse = (fault: Extract<MbedFault, { kind: 'status' | 'html' }>, pathname: string): PeerResponse => {
    const headers: Record<string, string> = fault.kind === 'status' && fault.retryAfterSeconds !== undefined ? { 'retry-after': String(fault.retryAfterSeconds) } : {}
    if (fault.kind === 'html') return htmlPage(fault.status, headers)
    // §1.5: a gone long-poll channel says so in plain text.
    if (fault.status === 410 && pathname === '/v2/notification/pull') return textResponse(410, 'CHANNEL_DELETED', 'text/plain', headers)
    return pelionError(fault.status, errorTypeFor(fault.status), reasonPhrase(fault.status), requestId(), { headers })
  }

  const unauthorized = (): PeerResponse => pelionError(401, 'invalid_token', 'Invalid or missing access key', requestId())

  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer)
        resolve()
      }, ms)
      timers.add(timer)
    })

  // ---- HTTP ---------------------------------------------------------------------------------------------------------

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) send(res, htmlPage(500))
      else res.destroy()
    })
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  server.on('clientError', (_error, socket) => socket.destroy())

  function count(method: string, pathname: string): void {
    const route = routeKey(method, pathname)
    stats.requests++
    stats.byRoute[route] = (stats.byRoute[route] ?? 0) + 1
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    const method = req.method ?? 'GET'
    count(method, url.pathname)
    const target = url.pathname + url.search

    if (take(['drop'], target)) {
      req.socket.destroy()
      return
    }
    const latency = take(['latency'], target)
    if (latency) await sleep(latency.ms)

    const body = await readBody(req)
    if (body === null) {
      send(res, pelionError(413, 'payload_too_large', 'Request body too large', requestId()))
      return
    }
    const forced = take(['status', 'html'], target)
    if (forced) {
      send(res, forcedResponse(forced, url.pathname))
      return
    }
    const key = bearer(req.headers.authorization)
    if (key === null || !keyInfos.has(key)) {
      send(res, unauthorized())
      return
    }
    const slow = take(['slowAnswer'], target)
    const response = await handleRest(ctx, { method, url, headers: req.headers, body, key }, res)
    if (slow) await sleep(slow.ms)
    if (response !== 'held') send(res, response)
  }

  function send(res: ServerResponse, response: PeerResponse): void {
    if (res.destroyed || res.headersSent) return
    res.writeHead(response.status, { ...response.headers, 'content-length': String(response.body.length) })
    res.end(response.body)
  }

  // ---- WebSocket (§1.5, pelion) -------------------------------------------------------------------------------------

  // The server must pick one of the offered subprotocols or a `ws` client that offered some fails the handshake.
  // [I] It picks "wss" and never echoes "pelion_<key>", which would put the key in a response header.
  const wss = new WebSocketServer({ noServer: true, handleProtocols: (protocols) => (protocols.has('wss') ? 'wss' : false) })

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    upgrade(req, socket, head).catch(() => socket.destroy())
  })

  async function upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    count(req.method ?? 'GET', url.pathname)
    const target = url.pathname + url.search
    if (url.pathname !== WS_PATH || flavour !== 'pelion') {
      rawResponse(socket, pelionError(404, 'not_found', 'Not found', requestId()))
      return
    }
    if (take(['drop'], target)) {
      socket.destroy()
      return
    }
    const latency = take(['latency'], target)
    if (latency) await sleep(latency.ms)
    const forced = take(['status', 'html'], target)
    if (forced) {
      rawResponse(socket, forcedResponse(forced, url.pathname))
      return
    }
    // [I] A missing or unknown key fails the handshake with 401; 1008 is for a key invalidated after it (JV).
    const key = bearer(req.headers.authorization) ?? protocolKey(req.headers['sec-websocket-protocol'])
    if (key === null || !keyInfos.has(key)) {
      rawResponse(socket, unauthorized())
      return
    }
    wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
      stats.wsConnections++
      const fault = take(['wsClose'], target, key)
      if (fault) {
        closeSocket(ws, fault.code)
        return
      }
      hub.attach(key, ws)
    })
  }

  function rawResponse(socket: Duplex, response: PeerResponse): void {
    const head = [`HTTP/1.1 ${response.status} ${reasonPhrase(response.status)}`, 'connection: close', `content-length: ${response.body.length}`]
    for (const [k, v] of Object.entries(response.headers)) head.push(`${k}: ${v}`)
    socket.end(Buffer.concat([Buffer.from(`${head.join('\r\n')}\r\n\r\n`), response.body]))
  }

  // ---- the stream ---------------------------------------------------------------------------------------------------

  let stream: NodeJS.Timeout | null = null

  function startStream(opts: { ratePerSecond: number; endpoints?: string[]; path?: string }): void {
    stopStream()
    const rate = opts.ratePerSecond
    if (!Number.isFinite(rate) || rate <= 0 || rate > 1_000_000) throw new RangeError(`ratePerSecond must be in (0, 1,000,000], got ${rate}`)
    const names = opts.endpoints ?? registry.list().map((e) => e.name)
    const targets: { ep: string; path: string }[] = []
    const prefixes = names.map((name) => {
      const record = registry.get(name)
      if (!record) throw new Error(`startStream: unknown endpoint ${name}`)
      const path = opts.path ?? record.resources.find((r) => r.obs)?.path
      if (path === undefined || !registry.hasPath(record, path)) throw new Error(`startStream: ${name} has no resource ${opts.path ?? '(observable)'}`)
      const ct = record.byPath.get(path)?.ct ?? 'text/plain'
      targets.push({ ep: name, path })
      return `{"ep":${JSON.stringify(name)},"path":${JSON.stringify(path)},"ct":${JSON.stringify(ct)},"payload":"`
    })
    if (prefixes.length === 0) throw new Error('startStream: no endpoints')
    const start = performance.now()
    let emitted = 0
    let seq = 0
    // [I] 10 ms ticks; a tick that finds itself more than 1 s behind (event loop stalled) skips the backlog instead
    // of bursting it, so the rate stays what was asked for.
    const maxBatch = Math.max(1, Math.ceil(rate))
    stream = setInterval(() => {
      const due = Math.floor(((performance.now() - start) * rate) / 1000)
      let n = due - emitted
      if (n <= 0) return
      if (n > maxBatch) {
        emitted += n - maxBatch
        n = maxBatch
      }
      const batch = new Array<string>(n)
      const first = seq
      for (let i = 0; i < n; i++, seq++) batch[i] = `${prefixes[seq % prefixes.length]}${Buffer.from(String(seq)).toString('base64')}","max-age":${DEFAULT_MAX_AGE}}`
      emitted += n
      stats.notificationsEmitted += n
      stats.notificationsNotSubscribed += hub.publishMany(KIND.notifications, batch, (key, i) => {
        const t = targets[(first + i) % targets.length] as { ep: string; path: string }
        return isSubscribed(key, t.ep, t.path)
      })
    }, 10)
  }

  function stopStream(): void {
    if (stream) clearInterval(stream)
    stream = null
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as AddressInfo

  return {
    url: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}${WS_PATH}`,
    endpoints: () => registry.list().map((e) => ({ name: e.name, type: e.type, queueMode: e.queueMode, resources: e.resources.map((r) => ({ ...r })) })),
    notify(ep, path, payload, opts = {}) {
      const record = registry.get(ep)
      if (!record) throw new Error(`notify: unknown endpoint ${ep}`)
      if (opts.maxAge !== undefined && (!Number.isInteger(opts.maxAge) || opts.maxAge < 0)) throw new RangeError(`maxAge must be a whole number ≥ 0, got ${opts.maxAge}`)
      const value = Buffer.isBuffer(payload) ? Buffer.from(payload) : Buffer.from(payload)
      const ct = opts.ct ?? record.byPath.get(path)?.ct ?? 'text/plain'
      if (record.byPath.has(path)) {
        registry.setDeviceValue(ep, path, value, ct)
        // [I] The service caches what it observes (cacheOnly reads it): a value nobody subscribed to never reaches it.
        if ([...subscriptions.keys()].some((key) => isSubscribed(key, ep, path))) registry.setCached(ep, path, value, ct)
      }
      stats.notificationsEmitted++
      // §1.6: max-age always as a number, the form of the service's own example frames (see wire-format.ts).
      stats.notificationsNotSubscribed += hub.publish(
        KIND.notifications,
        `{"ep":${JSON.stringify(ep)},"path":${JSON.stringify(path)},"ct":${JSON.stringify(ct)},"payload":"${value.toString('base64')}","max-age":${opts.maxAge ?? DEFAULT_MAX_AGE}}`,
        (key) => isSubscribed(key, ep, path),
      )
    },
    startStream,
    stopStream,
    register(ep) {
      const existing = registry.get(ep.name)
      const spec: EndpointSpec = { name: ep.name, type: ep.type, queueMode: ep.queueMode ?? existing?.queueMode ?? false, resources: ep.resources ?? existing?.resources ?? defaultResources() }
      registered(spec, existing === undefined)
    },
    reregister(name, resources) {
      const existing = registry.get(name)
      if (!existing) throw new Error(`reregister: unknown endpoint ${name}`)
      registered({ name, type: existing.type, queueMode: existing.queueMode, resources: resources ?? existing.resources }, true)
    },
    subscribed: isSubscribed,
    deregister: (name) => removeEndpoint(name, KIND['de-registrations']),
    expire: (name) => removeEndpoint(name, KIND['registrations-expired']),
    commands: () => devices.commands(),
    setCommandBehaviour: (fn) => devices.setBehaviour(fn),
    faults: {
      set(fault: MbedFault) {
        const entry: FaultEntry = { fault, left: fault.times ?? (fault.kind === 'wsClose' ? 1 : Number.POSITIVE_INFINITY) }
        if (fault.kind === 'wsClose') {
          const live = hub.liveSockets(fault.key)
          for (const ws of live) closeSocket(ws, fault.code)
          if (live.length > 0) entry.left--
        }
        if (entry.left > 0) faults.push(entry)
      },
      clear() {
        faults = []
      },
    },
    stats: () => ({
      requests: stats.requests,
      byRoute: { ...stats.byRoute },
      notificationsDelivered: counters.notificationsDelivered,
      pollsIdle: counters.pollsIdle,
      pollsHeld: counters.pollsHeld,
      wsConnections: stats.wsConnections,
      notificationsEmitted: stats.notificationsEmitted,
      asyncResponsesDelivered: counters.asyncResponsesDelivered,
      itemsDelivered: counters.itemsDelivered,
      envelopesDelivered: counters.envelopesDelivered,
      itemsDropped: counters.itemsDropped,
      commands: devices.count,
      notificationsNotSubscribed: stats.notificationsNotSubscribed,
    }),
    close: () =>
      new Promise<void>((resolve) => {
        stopStream()
        for (const timer of timers) clearTimeout(timer)
        timers.clear()
        hub.close()
        devices.close()
        for (const ws of wss.clients) ws.terminate()
        wss.close()
        server.close(() => resolve())
        for (const socket of sockets) socket.destroy()
      }),
  }
}

/** §1.1 `Authorization: Bearer <key>`. [I] The scheme is matched case-insensitively (RFC 7235 §2.1). */
function bearer(header: string | undefined): string | null {
  const m = /^Bearer +(\S+)\s*$/i.exec(header ?? '')
  return m ? (m[1] ?? null) : null
}

/** §1.5 `Sec-WebSocket-Protocol: wss,pelion_ak_<rest-of-key>` → "ak_<rest-of-key>". */
function protocolKey(header: string | undefined): string | null {
  for (const p of (header ?? '').split(',')) {
    const t = p.trim()
    if (t.startsWith('pelion_') && t.length > 'pelion_'.length) return t.slice('pelion_'.length)
  }
  return null
}

function readBody(req: IncomingMessage): Promise<Buffer | null> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    let length = 0
    let tooBig = false
    req.on('data', (chunk: Buffer) => {
      length += chunk.length
      if (length > MAX_BODY) tooBig = true
      else chunks.push(chunk)
    })
    req.on('end', () => resolve(tooBig ? null : Buffer.concat(chunks)))
    req.on('error', () => resolve(null))
  })
}
