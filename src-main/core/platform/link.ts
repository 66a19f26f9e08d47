/**
 * The platform's MQTT link: one application connection to a Watson IoT (or any MQTT) broker, with the
 * behaviour the mbed bridge needs — a clear "delivered / not delivered" per publish, subscriptions that survive
 * reconnects, a state the UI can show, and no reconnect storm against a broker that refuses us.
 *
 * Decisions:
 * - One mqtt.js client per connection attempt, with mqtt.js's own reconnection off (`reconnectPeriod: 0`).
 *   mqtt.js retries at a fixed period and keeps retrying after it was refused; owning the loop gives exponential
 *   backoff with jitter, a clean stop on fatal refusals, and no stale mqtt.js state carried between sockets.
 * - Clean sessions (`clean: true`) by default, and our own subscription registry, re-sent after every CONNACK before
 *   the link reports 'connected'. So subscriptions survive any reconnect, and 'connected' means "subscriptions
 *   active". (mqtt.js only remembers subscriptions for resubscription when its own reconnection is on, another reason
 *   to keep the registry here.) A link of its own may ask for a persistent session (`session`), so that what is
 *   published while it is away waits at the broker: the historian's does (events), and the mbed bridge's
 *   (mbed/session.ts: commands). Such a session may bring messages of a filter an earlier run subscribed and this
 *   one has not: they go to `onUnmatched`, rather than being acknowledged unseen.
 * - A QoS 1 message is acknowledged (PUBACK) right after the handlers have run, synchronously. A subscriber that
 *   must not acknowledge what it could not keep (`refuseOnError`) throws from its handler: the link then drops the
 *   connection before the acknowledgement leaves, and the broker delivers the message again on the next
 *   connection (persistent session) instead of forgetting it. With `coalesceAcks` the acknowledgements of one read
 *   from the socket leave together at the end of that turn of the event loop, still each after its handlers, and
 *   after `beforeAcks` (a subscriber that keeps a read's messages with one write, the historian, writes them there).
 * - No offline queue: publishing while not connected rejects at once with NETWORK (`platform.notConnected`).
 *   The bridge keeps its own bounded queue and needs an unambiguous "not delivered"; mqtt.js's unbounded
 *   in-memory queue would hide outages and grow without limit. A QoS 1 publish resolves on PUBACK; one still in
 *   flight when the connection drops rejects with NETWORK (`platform.publishInterrupted`): the broker
 *   may have it (see `publishFailure`), and QoS 1 consumers must tolerate duplicates anyway, so the
 *   caller may resend.
 * - Fatal refusals stop the loop in state 'failed': bad credentials (CONNACK 4/5, MQTT 5 0x86/0x87/0x8C) →
 *   AUTH_FAILED; certificate or handshake errors → TLS (retrying cannot fix a certificate; the operator must add
 *   the CA or fix the broker); client id / protocol refused → VALIDATION; banned → FORBIDDEN; MQTT 5 "session
 *   taken over" → CONFLICT (another client with our id; reconnecting would kick it back and forth — Watson
 *   closes the older of two connections with the same id). Everything else (refused TCP, timeouts, server
 *   unavailable, dropped connections) is retried with backoff.
 * - TLS: certificates are always verified (`rejectUnauthorized: true`, no option to turn it off); extra PEM CAs
 *   are added to the bundled and system roots, not substituted for them.
 * - Plain mqtt:// and ws:// are allowed (plant networks), but `insecure` is true for a non-loopback host so the
 *   UI shows a warning, and a warning is logged.
 */
import { connect as mqttConnect, type IClientOptions, type ISubscriptionGrant, type MqttClient } from 'mqtt'
import type { ErrorCode } from '../../../src-shared/contract'
import { AppError } from '../common/errors'
import { trustedCas } from '../http/trust'
import { classifyTransportError } from '../http/transport-errors'
import type { Logger } from '../log/logger'
import { backoffDelay } from '../common/backoff'
import { linkSecurity, parseBrokerUrl, parseClientId, type LinkSecurity } from './broker-url'
import { connackRefusal, disconnectRefusal, reasonText, type Refusal } from './mqtt-reasons'
import { assertPublishTopic, assertTopicFilter, topicMatches } from './topics'

export type LinkState = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'stopped' | 'failed'

/**
 * Reported on every state change. 'connecting' = an attempt is in flight (the first, or a retry);
 * 'reconnecting' = waiting out the backoff before the next attempt; 'connected' = CONNACK received and every
 * registered subscription granted; 'failed' = stopped by a refusal retrying cannot fix; 'stopped' = close().
 */
export interface LinkStateEvent {
  state: LinkState
  previous: LinkState
  /** Why: the refusal for 'failed', the failure that caused the wait for 'reconnecting'. */
  reason?: AppError
  /** Connection attempts since the link last started or last had a stable connection (1 = first attempt). */
  attempt: number
  /** For 'reconnecting': how long until the next attempt. */
  retryInMs?: number
}

export type MessageHandler = (topic: string, payload: Buffer) => void | Promise<void>

export interface SubscribeOptions {
  /** A handler that throws leaves the message unacknowledged: the link drops the connection before the PUBACK. */
  refuseOnError?: boolean
}

/** Calling it removes the handler (and the broker subscription when it was the filter's last handler). */
export interface Unsubscribe {
  (): Promise<void>
  /**
   * Resolves once the broker has granted the subscription on a connection (so messages published from then on
   * arrive); rejects with FORBIDDEN if the broker refuses the filter. Stays pending while the link is down.
   */
  readonly ready: Promise<void>
}

export interface PublishOptions {
  /** 1 (default): resolves on the broker's PUBACK. 0: resolves once written to the socket (no guarantee). */
  qos?: 0 | 1
}

export interface PlatformLinkOptions {
  /** mqtt://, mqtts://, ws:// or wss://; no credentials in the URL. */
  url: string
  /** Application client id: `a:<org>:<appId>`, or `A:<org>:<appId>[:<instanceId>]` (scalable application). */
  clientId: string
  /** For Watson: the API key (`a-<org>-<random>`). */
  username?: string
  /** For Watson: the authentication token. Never logged. */
  password?: string
  /** Extra PEM CA certificates trusted in addition to the bundled and system roots. Verification is never off. */
  ca?: string[]
  /** MQTT keepalive; default 60 s. A half-open connection is detected within about 1.5 × this. */
  keepaliveSeconds?: number
  /** Backoff between attempts; defaults 1 s → 60 s. */
  reconnect?: { minMs: number; maxMs: number }
  /** Limit for one attempt from TCP connect to CONNACK; default 30 s. */
  connectTimeoutMs?: number
  /** 4 = MQTT 3.1.1 (default, what the platform documents), 5 = MQTT 5. */
  protocolVersion?: 4 | 5
  /**
   * A persistent session (clean session off; MQTT 5: kept `expirySeconds` after a disconnect): the broker keeps the
   * subscriptions and queues QoS 1 messages while the link is away. Default: a clean session.
   */
  session?: { persistent: true; expirySeconds: number }
  /**
   * The acknowledgements of the messages that arrived together (one read from the socket) leave together, in one write
   * at the end of that turn of the event loop, instead of one write(2) each: each is still sent only after its message's
   * handlers have run, and a connection dropped by `refuseOnError` discards the ones not yet sent (the broker sends
   * those messages again). For a subscriber taking thousands of messages a second (the historian).
   */
  coalesceAcks?: boolean
  /**
   * Called before acknowledgements leave: with `coalesceAcks`, once per read before its held acknowledgements are
   * released (and before a graceful close lets them go); without, after each message's handlers. A subscriber that
   * keeps the messages of a read in memory writes them here. A throw leaves every acknowledgement not yet sent unsent:
   * the connection is dropped and the broker sends those messages again.
   */
  beforeAcks?: () => void
  /** Refuse larger payloads before sending; default 131072 bytes, the platform's limit (it disconnects above). */
  maxPayloadBytes?: number
  /** How long close() waits for in-flight QoS 1 acknowledgements before dropping the socket; default 5 s. */
  closeTimeoutMs?: number
  logger?: Logger
  /** Source of jitter, in [0, 1); injectable so tests can make the backoff deterministic. */
  random?: () => number
}

export interface PlatformLink {
  readonly state: LinkState
  /** True for plain mqtt:// or ws:// to a host other than this computer: allowed, but the UI shows a warning. */
  readonly insecure: boolean
  readonly security: LinkSecurity
  /** The failure behind the current 'reconnecting' or 'failed' state; undefined otherwise. */
  readonly lastError: AppError | undefined
  on(event: 'state', listener: (event: LinkStateEvent) => void): () => void
  /**
   * Starts the link (from idle, failed or stopped; otherwise joins the current start). Resolves when connected;
   * rejects when the link fails or is closed first. Transient failures are retried meanwhile, visible as state
   * events. An unobserved rejection is not reported as unhandled: the state event carries the same news.
   */
  connect(): Promise<void>
  publish(topic: string, payload: Buffer | Uint8Array | string | object, options?: PublishOptions): Promise<void>
  /** Registers `handler` for messages matching `filter` (MQTT wildcards allowed); kept across reconnects. */
  subscribe(filter: string, handler: MessageHandler, options?: SubscribeOptions): Unsubscribe
  /** Whether the broker keeps this link's session (subscriptions, QoS 1 messages) while it is away (`session`). */
  readonly persistent: boolean
  /**
   * The handler of messages no registered filter matches: with a persistent session, those of a filter an earlier run
   * subscribed and this one has not (yet). Without one they are acknowledged and dropped. Calling the result removes it.
   */
  onUnmatched(handler: MessageHandler, options?: SubscribeOptions): () => void
  /** Graceful: waits (bounded) for in-flight QoS 1 acknowledgements, sends DISCONNECT, stops retrying. */
  close(): Promise<void>
}

export const PLATFORM_MAX_PAYLOAD_BYTES = 131_072
const DEFAULT_RECONNECT = { minMs: 1_000, maxMs: 60_000 }

/**
 * What a rejected publish means for a caller that keeps its own queue: 'not-sent' (invalid, too large, or the
 * link was down: safe to queue and send later), 'maybe-delivered' (the connection dropped before the
 * acknowledgement: resending may duplicate, which QoS 1 consumers tolerate), 'refused' (the broker answered no:
 * resending will not help). undefined for anything that did not come from `publish`.
 */
export function publishFailure(error: unknown): 'not-sent' | 'maybe-delivered' | 'refused' | undefined {
  if (!(error instanceof AppError)) return undefined
  const key = error.details?.ref?.key
  if (key === 'platform.publishInterrupted') return 'maybe-delivered'
  if (key === 'platform.publishRefused') return 'refused'
  if (key === 'platform.notConnected' || error.code === 'VALIDATION' || error.code === 'TOO_LARGE') return 'not-sent'
  return undefined
}

// ---------------------------------------------------------------------------------------------------------------

interface Deferred<T> {
  promise: Promise<T>
  resolve: (value: T) => void
  reject: (error: unknown) => void
  settled: boolean
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void
  let reject!: (error: unknown) => void
  const promise = new Promise<T>((res, rej) => {
    resolve = res
    reject = rej
  })
  const d: Deferred<T> = {
    promise,
    settled: false,
    resolve: (v) => {
      if (d.settled) return
      d.settled = true
      resolve(v)
    },
    reject: (e) => {
      if (d.settled) return
      d.settled = true
      reject(e)
    },
  }
  // Rejections also reach the state events or the caller's await; never crash the process for an unobserved one.
  promise.catch(() => {})
  return d
}

interface Connection {
  client: MqttClient
  /** CONNACK received on this socket: SUBSCRIBE/UNSUBSCRIBE may be sent. */
  acked: boolean
  connectedAt: number | undefined
  closed: boolean
  lastError: unknown
  /** Reason code of a server DISCONNECT (MQTT 5 only). */
  disconnectReason: number | undefined
  inflight: Set<Deferred<void>>
  /** `coalesceAcks`: the socket's writes are held (corked) until the current read has been handled. */
  held: boolean
}

interface Subscription {
  handler: MessageHandler
  refuseOnError: boolean
  ready: Deferred<void>
  active: boolean
}

interface FilterEntry {
  filter: string
  subs: Set<Subscription>
  /** The connection a SUBSCRIBE for this filter was sent on, and whether the broker granted it there. */
  sentOn: Connection | null
  granted: boolean
}

/** Decides what a closed connection means: fatal (stop, state 'failed') or transient (retry with backoff). */
function classifyClose(conn: Connection): Refusal {
  const err = conn.lastError
  const numeric = typeof err === 'object' && err !== null && typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : undefined
  // mqtt.js reports a CONNACK refusal as an error whose numeric code is the return/reason code.
  if (numeric !== undefined && !conn.acked) return connackRefusal(numeric)
  if (conn.disconnectReason !== undefined && conn.disconnectReason >= 0x80) return disconnectRefusal(conn.disconnectReason)
  const transport = classifyTransportError(err)
  if (transport?.kind === 'tls') return { code: 'TLS', key: 'platform.tlsFailed', fatal: true, text: transport.explained, cause: transport.code }
  if (transport?.kind === 'timeout') return { code: 'TIMEOUT', key: 'platform.connectTimeout', fatal: false, text: transport.explained, cause: transport.code }
  if (transport) return { code: 'NETWORK', key: conn.acked ? 'platform.connectionLost' : 'platform.connectFailed', fatal: false, text: transport.explained, cause: transport.code }
  const message = err instanceof Error ? err.message : ''
  if (/connack timeout/i.test(message)) return { code: 'TIMEOUT', key: 'platform.connectTimeout', fatal: false, text: 'no CONNACK in time' }
  if (/keepalive timeout/i.test(message)) return { code: 'TIMEOUT', key: 'platform.connectionLost', fatal: false, text: 'keepalive timeout' }
  return {
    code: 'NETWORK',
    key: conn.acked ? 'platform.connectionLost' : 'platform.connectFailed',
    fatal: false,
    text: message ? message.slice(0, 200) : 'connection closed by the broker',
  }
}

function payloadBytes(payload: Buffer | Uint8Array | string | object): Buffer {
  if (Buffer.isBuffer(payload)) return payload
  if (payload instanceof Uint8Array) return Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength)
  if (typeof payload === 'string') return Buffer.from(payload, 'utf8')
  let json: string | undefined
  try {
    json = JSON.stringify(payload)
  } catch (e) {
    throw AppError.withRef('VALIDATION', `The payload cannot be encoded as JSON: ${e instanceof Error ? e.message : String(e)}`, { key: 'platform.invalidPayload' })
  }
  if (json === undefined) throw AppError.withRef('VALIDATION', 'The payload cannot be encoded as JSON', { key: 'platform.invalidPayload' })
  return Buffer.from(json, 'utf8')
}

function positiveInt(name: string, value: number | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback
  if (!Number.isInteger(value) || value < min || value > max) {
    throw AppError.withRef('VALIDATION', `${name} must be a whole number from ${min} to ${max}`, { key: 'platform.invalidOption', params: { name } })
  }
  return value
}

const noopLogger: Logger = { info: () => {}, warn: () => {}, error: () => {}, debug: () => {} }

export function createPlatformLink(options: PlatformLinkOptions): PlatformLink {
  const url = parseBrokerUrl(options.url)
  const security = linkSecurity(options.url)
  parseClientId(options.clientId)
  const log = options.logger ?? noopLogger
  const keepalive = positiveInt('keepaliveSeconds', options.keepaliveSeconds, 60, 0, 65_535)
  const connectTimeout = positiveInt('connectTimeoutMs', options.connectTimeoutMs, 30_000, 1, 600_000)
  const closeTimeout = positiveInt('closeTimeoutMs', options.closeTimeoutMs, 5_000, 0, 600_000)
  const maxPayload = positiveInt('maxPayloadBytes', options.maxPayloadBytes, PLATFORM_MAX_PAYLOAD_BYTES, 1, 268_435_455)
  const reconnect = options.reconnect ?? DEFAULT_RECONNECT
  positiveInt('reconnect.minMs', reconnect.minMs, 0, 1, 3_600_000)
  positiveInt('reconnect.maxMs', reconnect.maxMs, 0, reconnect.minMs, 3_600_000)
  if (options.protocolVersion !== undefined && options.protocolVersion !== 4 && options.protocolVersion !== 5) {
    throw AppError.withRef('VALIDATION', 'protocolVersion must be 4 (MQTT 3.1.1) or 5', { key: 'platform.invalidOption', params: { name: 'protocolVersion' } })
  }
  const random = options.random ?? Math.random
  const isTls = security === 'tls'
  // Parsed once so a bad PEM fails here, at configuration time, not on every attempt.
  const ca = isTls ? trustedCas(options.ca ?? []) : undefined
  // The origin only: a URL path or query could in theory hold something private.
  const where = `${url.protocol}//${url.host}`

  if (security === 'plain-remote') log.warn({ broker: where }, 'platform link: MQTT without TLS to a remote broker; traffic and credentials are not encrypted')

  let state: LinkState = 'idle'
  let lastError: AppError | undefined
  let current: Connection | null = null
  let retryTimer: ReturnType<typeof setTimeout> | undefined
  /** Attempts since start or the last stable connection; drives the backoff. */
  let attempts = 0
  let connectWaiters: Deferred<void>[] = []
  const listeners = new Set<(event: LinkStateEvent) => void>()
  const registry = new Map<string, FilterEntry>()
  let unmatched: { handler: MessageHandler; refuseOnError: boolean } | null = null

  function setState(next: LinkState, extra: { reason?: AppError; retryInMs?: number } = {}): void {
    if (next === state) return
    const previous = state
    state = next
    // 'connecting' keeps the previous failure so the UI can show why it is retrying.
    if (next === 'reconnecting' || next === 'failed') lastError = extra.reason
    else if (next !== 'connecting') lastError = undefined
    const event: LinkStateEvent = { state: next, previous, attempt: attempts, ...extra }
    log.info({ broker: where, state: next, previous, attempt: attempts, retryInMs: extra.retryInMs, reason: extra.reason?.message }, 'platform link state')
    for (const listener of [...listeners]) {
      try {
        listener(event)
      } catch (e) {
        log.error({ err: e instanceof Error ? e.message : String(e) }, 'platform link: a state listener threw')
      }
    }
  }

  function settleWaiters(error?: AppError): void {
    const waiters = connectWaiters
    connectWaiters = []
    for (const w of waiters) {
      if (error) w.reject(error)
      else w.resolve()
    }
  }

  function clientOptions(): IClientOptions {
    const base: IClientOptions = {
      clientId: options.clientId,
      protocolVersion: options.protocolVersion ?? 4,
      clean: !options.session?.persistent,
      keepalive,
      connectTimeout,
      // Our loop reconnects (module comment); mqtt.js must neither retry nor resubscribe nor queue.
      reconnectPeriod: 0,
      resubscribe: false,
      queueQoSZero: false,
      reconnectOnConnackError: false,
    }
    if (options.session?.persistent && options.protocolVersion === 5) base.properties = { sessionExpiryInterval: options.session.expirySeconds }
    if (options.username !== undefined) base.username = options.username
    if (options.password !== undefined) base.password = options.password
    if (ca) {
      base.ca = ca
      base.rejectUnauthorized = true
    }
    return base
  }

  function startAttempt(): void {
    retryTimer = undefined
    attempts += 1
    setState('connecting')
    let client: MqttClient
    try {
      client = mqttConnect(url.href, clientOptions())
    } catch (e) {
      // Only a configuration mqtt.js cannot use gets here (the URL was checked); retrying would not help.
      const error = AppError.withRef('VALIDATION', `Cannot open the MQTT connection: ${e instanceof Error ? e.message : String(e)}`, {
        key: 'platform.connectFailed',
        params: { reason: 'configuration' },
      })
      setState('failed', { reason: error })
      settleWaiters(error)
      return
    }
    const conn: Connection = { client, acked: false, connectedAt: undefined, closed: false, lastError: undefined, disconnectReason: undefined, inflight: new Set(), held: false }
    current = conn
    if (options.coalesceAcks) coalesceWrites(conn)
    // An 'error' without a listener would throw out of the emitter; errors matter only once the socket closes.
    client.on('error', (e) => {
      conn.lastError = e
    })
    client.on('disconnect', (packet) => {
      conn.disconnectReason = packet.reasonCode
    })
    client.on('connect', () => onConnack(conn))
    client.on('message', (topic, payload) => {
      if (conn === current) dispatch(conn, topic, payload)
      // A message that comes while this connection closes (close() waits for the link's own publishes to be
      // acknowledged, and the broker goes on sending) reaches no subscriber: mqtt.js would acknowledge it right after
      // this returns, so the socket goes first and the broker keeps the message for the next session.
      else if (!conn.closed) {
        conn.lastError = new Error('a message came while the link was closing; it was not acknowledged')
        conn.client.stream.destroy()
      }
    })
    client.on('close', () => onClose(conn))
  }

  function onConnack(conn: Connection): void {
    if (conn !== current || conn.closed) return
    conn.acked = true
    conn.connectedAt = Date.now()
    const entries = [...registry.values()]
    if (entries.length === 0) {
      becomeConnected(conn)
      return
    }
    sendSubscribe(conn, entries, () => becomeConnected(conn))
  }

  function becomeConnected(conn: Connection): void {
    if (conn !== current || conn.closed) return
    setState('connected')
    settleWaiters()
  }

  /** Sends one SUBSCRIBE for `entries` on `conn`; `then` runs after the SUBACK (not if the socket closed first). */
  function sendSubscribe(conn: Connection, entries: FilterEntry[], then?: () => void): void {
    for (const e of entries) {
      e.sentOn = conn
      e.granted = false
    }
    const request = Object.fromEntries(entries.map((e) => [e.filter, { qos: 1 as const }]))
    conn.client.subscribe(request, (err, granted) => {
      // An error here means the connection went away; onClose resets the entries and the next CONNACK resends.
      if (err || conn.closed) return
      const grants = new Map<string, ISubscriptionGrant>((granted ?? []).map((g) => [g.topic, g]))
      for (const e of entries) {
        if (e.sentOn !== conn) continue
        const g = grants.get(e.filter)
        if (g && g.qos !== 128) {
          e.granted = true
          for (const s of e.subs) s.ready.resolve()
          continue
        }
        // Refused (e.g. an ACL): drop it rather than asking again on every reconnect.
        log.warn({ broker: where, filter: e.filter }, 'platform link: the broker refused a subscription')
        const error = AppError.withRef('FORBIDDEN', `The broker refused the subscription ${e.filter}`, { key: 'platform.subscriptionRefused', params: { filter: e.filter } })
        for (const s of e.subs) {
          s.active = false
          s.ready.reject(error)
        }
        if (registry.get(e.filter) === e) registry.delete(e.filter)
      }
      then?.()
    })
  }

  /**
   * Holds the socket's writes from each read until the event loop has handled what it brought (mqtt.js takes one
   * packet per tick, and writes each PUBACK on its own): `coalesceAcks`. `beforeAcks` runs before they are let go.
   */
  function coalesceWrites(conn: Connection): void {
    const stream = conn.client.stream
    stream.prependListener('data', () => {
      if (conn.held) return
      conn.held = true
      stream.cork()
      setImmediate(() => {
        conn.held = false
        if (runBeforeAcks(conn)) stream.uncork()
      })
    })
  }

  /**
   * `beforeAcks`; false when it threw: the socket is then destroyed with the acknowledgements it holds (a socket
   * destroyed while corked sends nothing more), and the broker delivers those messages again.
   */
  function runBeforeAcks(conn: Connection): boolean {
    if (!options.beforeAcks) return true
    try {
      options.beforeAcks()
      return true
    } catch (e) {
      log.error({ err: e instanceof Error ? e.message : String(e) }, 'platform link: the messages of a read could not be kept; they are not acknowledged')
      conn.lastError = new Error('a subscriber could not keep a message; it was not acknowledged')
      conn.client.stream.destroy()
      return false
    }
  }

  /** Runs one handler; true when it threw and must not acknowledge the message (`refuseOnError`). */
  function deliver(handler: MessageHandler, refuseOnError: boolean, topic: string, payload: Buffer): boolean {
    try {
      const result = handler(topic, payload)
      if (result instanceof Promise) result.catch((e: unknown) => log.error({ topic, err: e instanceof Error ? e.message : String(e) }, 'platform link: a message handler failed'))
      return false
    } catch (e) {
      // One faulty handler must not stop delivery to the others or break the connection…
      log.error({ topic, err: e instanceof Error ? e.message : String(e) }, 'platform link: a message handler threw')
      return refuseOnError
    }
  }

  function dispatch(conn: Connection, topic: string, payload: Buffer): void {
    let refused = false
    let matched = false
    for (const entry of [...registry.values()]) {
      if (!topicMatches(entry.filter, topic)) continue
      for (const sub of [...entry.subs]) {
        if (!sub.active) continue
        matched = true
        refused = deliver(sub.handler, sub.refuseOnError, topic, payload) || refused
      }
    }
    if (!matched && unmatched) refused = deliver(unmatched.handler, unmatched.refuseOnError, topic, payload)
    // Acknowledgements not held: this message's PUBACK follows as soon as this returns, so whatever the subscribers keep
    // of it must be kept now.
    if (!refused && !conn.held && !runBeforeAcks(conn)) return
    // …unless it must not acknowledge what it could not keep: mqtt.js sends the PUBACK right after this returns, so the
    // socket goes now, and the broker keeps the message for the next connection.
    if (refused) {
      conn.lastError = new Error('a subscriber could not keep a message; it was not acknowledged')
      conn.client.stream.destroy()
    }
  }

  function interruptInflight(conn: Connection): void {
    if (conn.inflight.size === 0) return
    const error = AppError.withRef('NETWORK', 'The connection to the broker closed before it acknowledged the message; it may or may not have been delivered', { key: 'platform.publishInterrupted' })
    for (const p of conn.inflight) p.reject(error)
    conn.inflight.clear()
  }

  function onClose(conn: Connection): void {
    if (conn.closed) return
    conn.closed = true
    interruptInflight(conn)
    for (const e of registry.values()) {
      if (e.sentOn === conn) {
        e.sentOn = null
        e.granted = false
      }
    }
    // Release mqtt.js's timers and stores; the socket is already closed.
    conn.client.end(true)
    if (conn !== current) return
    current = null
    if (state === 'stopped') return

    const refusal = classifyClose(conn)
    const error = AppError.withRef(refusal.code, `MQTT broker ${where}: ${refusal.text}`, { key: refusal.key, params: { broker: where, reason: refusal.cause ?? refusal.text } })
    if (refusal.fatal) {
      log.warn({ broker: where, code: refusal.code, reason: refusal.text }, 'platform link: giving up, the broker refused the connection')
      setState('failed', { reason: error })
      settleWaiters(error)
      return
    }
    // A connection that stayed up long enough restarts the backoff; one dropped right after CONNACK does not, so
    // a broker that accepts and then kicks us cannot pull us into a fast loop.
    if (conn.connectedAt !== undefined && Date.now() - conn.connectedAt >= reconnect.maxMs) attempts = 0
    const delay = backoffDelay(Math.max(attempts, 1), reconnect, random)
    setState('reconnecting', { reason: error, retryInMs: delay })
    retryTimer = setTimeout(startAttempt, delay)
  }

  async function endGracefully(conn: Connection): Promise<void> {
    const client = conn.client
    if (!conn.acked || conn.closed) {
      client.end(true)
      return
    }
    // Ending the socket releases the writes it holds (`coalesceAcks`): what the subscribers keep of them goes first.
    if (conn.held && !runBeforeAcks(conn)) return
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        // The broker did not acknowledge in time: drop the socket (end(true) is a no-op once end(false) has
        // begun); onClose then rejects what is still in flight.
        client.stream.destroy()
        resolve()
      }, closeTimeout)
      const done = (): void => {
        clearTimeout(timer)
        resolve()
      }
      // end(false) waits for outstanding acknowledgements, then sends DISCONNECT and ends the socket; a socket that
      // goes before that (destroyed for a message that came while closing) ends the wait too.
      client.stream.once('close', done)
      client.end(false, done)
    })
  }

  const link: PlatformLink = {
    get state() {
      return state
    },
    insecure: security === 'plain-remote',
    security,
    get lastError() {
      return lastError
    },

    on(event, listener) {
      if (event !== 'state') throw new TypeError(`Unknown event ${String(event)}`)
      listeners.add(listener)
      return () => {
        listeners.delete(listener)
      }
    },

    connect() {
      if (state === 'connected') return Promise.resolve()
      const waiter = deferred<void>()
      connectWaiters.push(waiter)
      if (state === 'idle' || state === 'failed' || state === 'stopped') {
        attempts = 0
        startAttempt()
      }
      return waiter.promise
    },

    async publish(topic, payload, publishOptions = {}) {
      assertPublishTopic(topic)
      const qos = publishOptions.qos ?? 1
      if (qos !== 0 && qos !== 1) throw AppError.withRef('VALIDATION', 'qos must be 0 or 1', { key: 'platform.invalidOption', params: { name: 'qos' } })
      const body = payloadBytes(payload)
      if (body.length > maxPayload) {
        throw AppError.withRef('TOO_LARGE', `The payload is ${body.length} bytes; the limit is ${maxPayload}`, { key: 'platform.payloadTooLarge', params: { size: body.length, limit: maxPayload } })
      }
      const conn = current
      if (state !== 'connected' || !conn || conn.closed) {
        throw AppError.withRef('NETWORK', `Not connected to the MQTT broker (${state}); the message was not sent`, { key: 'platform.notConnected', params: { state } })
      }
      const pending = deferred<void>()
      conn.inflight.add(pending)
      conn.client.publish(topic, body, { qos }, (err) => {
        if (!conn.inflight.delete(pending)) return
        if (!err) {
          pending.resolve()
          return
        }
        const code = (err as { code?: unknown }).code
        if (typeof code === 'number') {
          // MQTT 5 PUBACK with a failure reason: the broker received the message and refused it.
          const mapped: ErrorCode = code === 0x87 ? 'FORBIDDEN' : code === 0x97 ? 'RATE_LIMITED' : code === 0x95 ? 'TOO_LARGE' : code === 0x90 || code === 0x99 ? 'VALIDATION' : 'NETWORK'
          pending.reject(AppError.withRef(mapped, `The broker refused the message: ${reasonText(code)}`, { key: 'platform.publishRefused', params: { reason: reasonText(code) } }))
          return
        }
        pending.reject(AppError.withRef('NETWORK', `The message was not sent: ${err.message}`, { key: 'platform.publishInterrupted' }))
      })
      return pending.promise
    },

    persistent: options.session?.persistent === true,

    onUnmatched(handler, subscribeOptions = {}) {
      const entry = { handler, refuseOnError: subscribeOptions.refuseOnError === true }
      unmatched = entry
      return () => {
        if (unmatched === entry) unmatched = null
      }
    },

    subscribe(filter, handler, subscribeOptions = {}) {
      assertTopicFilter(filter)
      const sub: Subscription = { handler, refuseOnError: subscribeOptions.refuseOnError === true, ready: deferred<void>(), active: true }
      let entry = registry.get(filter)
      if (!entry) {
        entry = { filter, subs: new Set(), sentOn: null, granted: false }
        registry.set(filter, entry)
        entry.subs.add(sub)
        // On a live connection (also during the resubscription after CONNACK) send it now; otherwise the next
        // CONNACK sends every registered filter.
        if (current && current.acked && !current.closed) sendSubscribe(current, [entry])
      } else {
        entry.subs.add(sub)
        if (entry.granted && entry.sentOn === current) sub.ready.resolve()
      }
      const unsubscribe = async (): Promise<void> => {
        if (!sub.active) return
        sub.active = false
        sub.ready.resolve()
        const e = registry.get(filter)
        if (!e || !e.subs.delete(sub) || e.subs.size > 0) return
        registry.delete(filter)
        const conn = current
        if (conn && e.sentOn === conn && conn.acked && !conn.closed) {
          try {
            await conn.client.unsubscribeAsync(filter)
          } catch {
            // The connection dropped meanwhile; the filter is out of the registry, so it is not sent again.
          }
        }
      }
      return Object.assign(unsubscribe, { ready: sub.ready.promise })
    },

    async close() {
      if (retryTimer !== undefined) {
        clearTimeout(retryTimer)
        retryTimer = undefined
      }
      const conn = current
      current = null
      setState('stopped')
      settleWaiters(AppError.withRef('NETWORK', 'The platform link was closed', { key: 'platform.stopped' }))
      if (!conn) return
      await endGracefully(conn)
      interruptInflight(conn)
    },
  }
  return link
}
