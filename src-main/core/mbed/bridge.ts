/**
 * The mbed bridge (issue 4; docs/wire/mbed.md §1–2, docs/wire/platform-mqtt.md §3): mbed notifications and async responses become device events on
 * the platform's MQTT broker; commands published to mbed devices become mbed resource requests.
 *
 * Mapping (§2, as the Watson extension did it):
 * - notification → `iot-2/type/<type>/id/<ep>/evt/notify/fmt/json` {ep, path, ct, payload, max-age} (payload base64).
 * - async response → `…/evt/asyncResponse/fmt/json` {id, status, ct, max-age, payload, ep, path} (+ error when mbed
 *   sent one), where ep/path (and the topic's type) are those of the command that caused it: the bridge tracks its
 *   commands by async id. An answer that outruns its 202 (legacy form: two connections) waits briefly for it; one
 *   that matches nothing is counted, and published only when its legacy id names ep and path ("n#ep@domain/path").
 *   A Connector that answers a command directly (200/201/204) yields an asyncResponse whose id is the bridge's
 *   command id.
 * - device type = the endpoint's type from registrations / reg-updates / the endpoint list read at start, when it
 *   is a valid type id; otherwise `defaultDeviceType`. An endpoint whose name cannot be a device id (1–36 of
 *   A–Z a–z 0–9 - _ .) cannot be addressed on the platform: its notifications are counted as `unroutable`.
 * - commands: subscribed with `commandSubscription` for the bridged types ('auto': the default type plus each
 *   endpoint type as it becomes known), or for every type ('+'), or a fixed list. A command is checked
 *   (commands.ts: method exactly PUT/POST, deviceId = the topic's id, resourceId without leading '/', strict base64
 *   payload, size); the topic's type must be the endpoint's when the bridge knows the endpoint (a command for
 *   type X must not reach a device of type Y that happens to share the id). Invalid → nothing is sent to mbed; an
 *   event `…/evt/bridgeError/fmt/json` {reason, message, …} on the command's type and id, and a log entry.
 *   Valid → PUT/POST /v2/endpoints/<ep>/<path> (Pelion: device-requests with our async id). Commands to one
 *   endpoint are sent in the order they arrived. If mbed refuses one or cannot be reached, a bridgeError
 *   {reason: 'requestFailed', code, status} is published for it.
 *
 * Delivery to the broker: every outgoing message (notify, asyncResponse, bridgeError) goes through one bounded queue
 * (`queueSize`, default 10,000) and is published at QoS 1 with up to `maxInflight` messages awaiting their PUBACK at
 * once — publishing without waiting for each acknowledgement in turn is what reaches thousands per second. A message
 * leaves the bridge's accounting only when the broker acknowledges it. While the link is down nothing is sent and
 * messages wait in order; when the queue is full the OLDEST is dropped and counted in `dropped`. Messages whose
 * publish failed because the connection went (the link's `publishFailure`: 'not-sent' or 'maybe-delivered') go back
 * to the front of the queue in their original order, so after an outage delivery resumes in order (a message that
 * may already have arrived can come twice; QoS 1 consumers accept duplicates). A message the broker refused
 * ('refused') or the link cannot ever send (too large, invalid) is counted in `refused` and logged.
 *
 * State: 'running' when the channel is open and the link connected; 'degraded' (with the reason) when either is
 * reconnecting; 'failed' when the channel or the link stopped for good (bad key, certificate, replaced channel…):
 * the channel is stopped, queued messages are still delivered while the link is up, and stop() finishes the job.
 * stop() is graceful: no more commands are taken, the channel is closed (what it already received is bridged), then
 * the queue is drained (bounded by `drainTimeoutMs`); what could not be delivered is reported, never hidden.
 *
 * The bridge does not own the MQTT link: it asks it to connect (links are shared per platform profile,
 * docs/wire/platform-mqtt.md §3: one connection per client id) and never closes it.
 */
import { randomUUID } from 'node:crypto'
import { AppError } from '../common/errors'
import type { Logger } from '../log/logger'
import { publishFailure, type LinkStateEvent, type PlatformLink, type Unsubscribe } from '../platform/link'
import { commandSubscription, eventTopic, isValidTopicPart, parseTopic } from '../platform/topics'
import { createNotificationChannel, type ChannelKind, type NotificationChannel, type NotificationChannelOptions } from './channel'
import { checkCommand, MAX_COMMAND_BYTES, type CommandCheck, type CommandMethod, type CommandRefusal, type ValidCommand } from './commands'
import type { MbedClient, MbedEndpoint } from './connector.client'
import type { MbedAsyncResponse, MbedEnvelope, MbedRegistration } from './envelope'
import {
  LIVE_PAYLOAD_MAX,
  type MbedBridgeCounters,
  type MbedBridgeEvent,
  type MbedBridgeState,
  type MbedBridgeStatus,
  type MbedCommandView,
  type MbedLiveNotification,
} from '../../../src-shared/models/mbed'
import { DropOldestQueue } from './queue'

export type { MbedBridgeCounters, MbedBridgeEvent, MbedBridgeState, MbedBridgeStatus, MbedCommandView } from '../../../src-shared/models/mbed'

export const DEFAULT_DEVICE_TYPE = 'mbed'

/** Builds the channel around the bridge's envelope handler and back-pressure gate (see NotificationChannelOptions). */
export type ChannelFactory = (onEnvelope: (envelope: MbedEnvelope) => void, ready: () => Promise<void> | null) => NotificationChannel

export interface MbedBridgeOptions {
  client: MbedClient
  /**
   * The notification channel: a kind ('longpoll' default, 'websocket' on Pelion hosts), options for the one the
   * bridge builds, or a factory (tests, or a channel shared with something else).
   */
  channel?: ChannelKind | ({ kind?: ChannelKind } & Partial<Omit<NotificationChannelOptions, 'client' | 'onEnvelope' | 'kind'>>) | ChannelFactory
  link: PlatformLink
  /** Type for endpoints whose type is unknown or not a valid type id. Default 'mbed'. */
  defaultDeviceType?: string
  /** Messages held for the broker (in flight included). Default 10,000. */
  queueSize?: number
  /** QoS 1 publishes awaiting their PUBACK at once. Default 1,000. */
  maxInflight?: number
  /** Which device types' commands to subscribe to: 'auto' (default), '+' (every type), or a fixed list. */
  commandTypes?: 'auto' | '+' | readonly string[]
  /** Content type sent with command payloads (§1.3: a resource value is text/plain). */
  commandContentType?: string
  maxCommandBytes?: number
  /** A command without an answer for this long is marked expired. Default 2 h 5 min (§1.3's 2 h default expiry). */
  pendingTtlMs?: number
  /** For queue-mode endpoints (§1.3: 3 days). Default 3 days + 5 min. */
  queueModeTtlMs?: number
  /** Commands awaiting an answer, at most; beyond it the oldest is marked expired. Default 10,000. */
  maxPending?: number
  /** How long an async response with an unknown id waits for its command's 202. Default 10,000. */
  earlyAnswerMs?: number
  /** How long stop() waits for the queue to drain. Default 10,000. */
  drainTimeoutMs?: number
  /** Command records kept for the UI (most recent). Default 200. */
  commandHistory?: number
  logger?: Logger
}

export interface MbedStopReport {
  /** Messages the broker acknowledged during this run. */
  published: number
  /** Messages still queued when stop() gave up waiting: not delivered. */
  undelivered: number
  dropped: number
}

export interface EndpointWithResources extends MbedEndpoint {
  deviceType: string
  bridgeable: boolean
  resources: { path: string; rt?: string; obs: boolean; ct: string }[]
  resourcesError: AppError | null
}

export interface SendCommandInput {
  method: CommandMethod
  deviceId: string
  resourceId: string
  /** base64; optional for POST. */
  payload?: string
}

export interface MbedBridge {
  readonly state: MbedBridgeState
  readonly reason: AppError | undefined
  status(): MbedBridgeStatus
  counters(): MbedBridgeCounters
  /** Starts the bridge. Rejects (and ends in 'failed') only when mbed refuses the access key or the configuration. */
  start(): Promise<void>
  stop(): Promise<MbedStopReport>
  /** The most recent commands, newest first, pending ones included. */
  commands(): MbedCommandView[]
  /** Commands awaiting their async response, oldest first. */
  pendingCommands(): MbedCommandView[]
  /** The console's "Send command": the same checks and path as an MQTT command; the answer is published too. */
  sendCommand(input: SendCommandInput): Promise<MbedCommandView>
  /** mbed's endpoints with their resources and the device type the bridge gives each. */
  listEndpoints(options?: { type?: string }): Promise<EndpointWithResources[]>
  /** Events for the UI (see events.ts for rates). */
  on(listener: (event: MbedBridgeEvent) => void): () => void
}

/** The device type for an endpoint type: itself when it can be a type id, else the default. */
export function deviceTypeFor(endpointType: string | undefined, defaultType: string): string {
  return endpointType !== undefined && isValidTopicPart('typeId', endpointType) ? endpointType : defaultType
}

/**
 * mbed's endpoints with their resources and the device type the bridge gives each. The resource lists go through the
 * client's governor (a few at a time); one that fails is reported on its endpoint and does not hide the others.
 */
export async function listEndpointsWithResources(client: MbedClient, defaultType: string, options: { type?: string } = {}): Promise<EndpointWithResources[]> {
  const endpoints = await client.listEndpoints(options)
  return Promise.all(
    endpoints.map(async (e): Promise<EndpointWithResources> => {
      const base = { ...e, deviceType: deviceTypeFor(e.type, defaultType), bridgeable: isValidTopicPart('deviceId', e.name) }
      try {
        return { ...base, resources: await client.endpointResources(e.name), resourcesError: null }
      } catch (err) {
        const error = err instanceof AppError ? err : AppError.withRef('INTERNAL', 'Listing the resources failed', { key: 'mbed.resourcesFailed' })
        return { ...base, resources: [], resourcesError: error }
      }
    }),
  )
}

const noopLogger: Logger = { info: () => {}, warn: () => {}, error: () => {}, debug: () => {} }

const LIVE_INTERVAL_MS = 100
const LIVE_MAX_ITEMS = 200
const TICK_MS = 1_000
/** Per this period, at most LOG_BURST warnings of one kind; the rest are counted and reported with the next. */
const LOG_PERIOD_MS = 10_000
const LOG_BURST = 20
const LEGACY_ASYNC_ID = /^\d+#([^@]+)@[^/]*(\/.*)$/

type OutKind = 'notify' | 'asyncResponse' | 'bridgeError'

interface OutItem {
  seq: number
  topic: string
  payload: string
  kind: OutKind
}

interface CommandRecord {
  id: string
  source: 'mqtt' | 'console'
  method: CommandMethod
  ep: string
  path: string
  deviceType: string
  /** The topic's command name and the topic, for bridgeError events (MQTT commands only). */
  commandName: string | null
  topic: string | null
  asyncId: string | null
  state: MbedCommandView['state']
  createdAt: number
  answeredAt: number | null
  status: number | null
  error: string | null
  response: MbedCommandView['response']
  queueMode: boolean
}

interface EarlyAnswer {
  answer: MbedAsyncResponse
  at: number
}

function iso(ms: number): string {
  return new Date(ms).toISOString()
}

function positiveInt(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback
  if (!Number.isInteger(v) || v < 1) throw AppError.withRef('VALIDATION', `${name} must be a whole number ≥ 1`, { key: 'mbed.invalidOption', params: { name } })
  return v
}

/** A per-kind log limiter: one bad publisher must not flood the log. */
function limitedLog(log: Logger) {
  const windows = new Map<string, { start: number; count: number; suppressed: number }>()
  return (kind: string, fields: Record<string, unknown>, message: string): void => {
    const now = Date.now()
    let w = windows.get(kind)
    if (!w || now - w.start >= LOG_PERIOD_MS) {
      const suppressed = w?.suppressed ?? 0
      w = { start: now, count: 0, suppressed: 0 }
      windows.set(kind, w)
      if (suppressed > 0) fields = { ...fields, suppressedBefore: suppressed }
    }
    if (w.count >= LOG_BURST) {
      w.suppressed++
      return
    }
    w.count++
    log.warn(fields, message)
  }
}

export function createMbedBridge(options: MbedBridgeOptions): MbedBridge {
  const { client, link } = options
  const log = options.logger ?? noopLogger
  const warn = limitedLog(log)
  const defaultType = options.defaultDeviceType ?? DEFAULT_DEVICE_TYPE
  if (!isValidTopicPart('typeId', defaultType)) {
    throw AppError.withRef('VALIDATION', `The default device type "${String(defaultType).slice(0, 40)}" must be 1–36 letters, digits, '-', '_' or '.'`, {
      key: 'mbed.invalidDeviceType',
      params: { value: String(defaultType).slice(0, 40) },
    })
  }
  const queueSize = positiveInt('queueSize', options.queueSize, 10_000)
  const maxInflight = positiveInt('maxInflight', options.maxInflight, 1_000)
  const maxCommandBytes = positiveInt('maxCommandBytes', options.maxCommandBytes, MAX_COMMAND_BYTES)
  const pendingTtlMs = positiveInt('pendingTtlMs', options.pendingTtlMs, (2 * 60 + 5) * 60_000)
  const queueModeTtlMs = positiveInt('queueModeTtlMs', options.queueModeTtlMs, 3 * 86_400_000 + 5 * 60_000)
  const maxPending = positiveInt('maxPending', options.maxPending, 10_000)
  const earlyAnswerMs = positiveInt('earlyAnswerMs', options.earlyAnswerMs, 10_000)
  const drainTimeoutMs = positiveInt('drainTimeoutMs', options.drainTimeoutMs, 10_000)
  const commandHistory = positiveInt('commandHistory', options.commandHistory, 200)
  const commandContentType = options.commandContentType ?? 'text/plain'
  const commandTypes = options.commandTypes ?? 'auto'
  if (Array.isArray(commandTypes)) for (const t of commandTypes) commandSubscription([t])

  const channel = buildChannel()
  const channelKind = channel.kind

  // ---- state ----------------------------------------------------------------------------------------------------------

  let state: MbedBridgeState = 'stopped'
  let reason: AppError | undefined
  let since = Date.now()
  let stopping: Promise<MbedStopReport> | null = null
  /** Set once start() has started the channel and the link: from then on their states drive the bridge's. */
  let launched = false
  const listeners = new Set<(event: MbedBridgeEvent) => void>()
  const cleanups: (() => void)[] = []
  let tickTimer: NodeJS.Timeout | undefined

  const queue = new DropOldestQueue<OutItem>(queueSize)
  let inflight = 0
  let seq = 0
  let requeue: OutItem[] = []
  let requeueScheduled = false
  let drainWaiters: (() => void)[] = []

  const types = new Map<string, string>()
  const queueModes = new Set<string>()
  const topicCache = new Map<string, string | null>()
  const warnedUnroutable = new Set<string>()
  const subscriptions = new Map<string, Unsubscribe>()
  const bridgedTypes = new Set<string>()

  const records = new Map<string, CommandRecord>()
  const pending = new Map<string, CommandRecord>()
  const early = new Map<string, EarlyAnswer>()
  const tails = new Map<string, Promise<void>>()

  const zero = (): MbedBridgeCounters => ({
    notifications: 0,
    notificationsPerSecond: 0,
    published: 0,
    commands: 0,
    commandErrors: 0,
    asyncResponses: 0,
    dropped: 0,
    queued: 0,
    malformed: 0,
    unroutable: 0,
    unmatchedAsyncResponses: 0,
    refused: 0,
    pendingCommands: 0,
  })
  let counters = zero()
  let rate = { at: Date.now(), count: 0 }

  // Back-pressure while the broker is connected but slower than mbed: the channel stops reading at `highWater`
  // waiting messages and resumes at half of it, so notifications wait in mbed's queue rather than being dropped here.
  // While the broker is away the gate stays open: then the bounded queue and its drop-oldest rule apply (issue 4).
  const highWater = Math.max(1, Math.min(Math.floor(queueSize / 2), 5_000))
  const lowWater = Math.floor(highWater / 2)
  let gate: { promise: Promise<void>; open: () => void } | null = null

  function ready(): Promise<void> | null {
    if (gate) return gate.promise
    if (link.state !== 'connected' || queue.length < highWater) return null
    let open!: () => void
    const promise = new Promise<void>((resolve) => (open = resolve))
    gate = { promise, open }
    return promise
  }

  function checkGate(): void {
    if (gate && (queue.length <= lowWater || link.state !== 'connected')) {
      const g = gate
      gate = null
      g.open()
    }
  }

  let live: MbedLiveNotification[] = []
  let liveOmitted = 0
  let liveTimer: NodeJS.Timeout | undefined

  function buildChannel(): NotificationChannel {
    const onEnvelope = (envelope: MbedEnvelope): void => handleEnvelope(envelope)
    const spec = options.channel
    if (typeof spec === 'function') return spec(onEnvelope, ready)
    const extra = typeof spec === 'object' ? spec : { kind: spec ?? 'longpoll' }
    return createNotificationChannel({ ...extra, client, onEnvelope, ready, ...(options.logger ? { logger: options.logger } : {}) })
  }

  function emit(event: MbedBridgeEvent): void {
    for (const listener of [...listeners]) {
      try {
        listener(event)
      } catch (e) {
        log.error({ err: e instanceof Error ? e.message : String(e), event: event.name }, 'mbed bridge: an event listener threw')
      }
    }
  }

  function status(): MbedBridgeStatus {
    return {
      state,
      reason: reason ? reason.toInfo() : null,
      since: iso(since),
      channel: { kind: channelKind, state: channel.state },
      link: { state: link.state, insecure: link.insecure },
    }
  }

  function setState(next: MbedBridgeState, why?: AppError): void {
    const sameReason = (why?.details?.ref?.key ?? why?.code) === (reason?.details?.ref?.key ?? reason?.code)
    if (next === state && sameReason) return
    state = next
    reason = why
    since = Date.now()
    checkGate()
    log.info({ state: next, reason: why?.message, code: why?.code }, 'mbed bridge state')
    emit({ name: 'mbed:state', payload: status() })
  }

  function degradedReason(): AppError {
    if (channel.state !== 'open') {
      return channel.lastError ?? AppError.withRef('NETWORK', `Connecting to mbed at ${client.apiUrl}`, { key: 'mbed.waitingForMbed', params: { url: client.apiUrl } })
    }
    return link.lastError ?? AppError.withRef('NETWORK', 'Connecting to the MQTT broker; notifications are queued meanwhile', { key: 'mbed.waitingForBroker' })
  }

  /** Derives the bridge state from the channel's and the link's. */
  function evaluate(): void {
    if (state !== 'running' && state !== 'degraded' && !(state === 'starting' && launched)) return
    if (channel.state === 'failed') {
      failBridge(channel.lastError ?? AppError.withRef('NETWORK', 'The notification channel stopped', { key: 'mbed.channelStopped' }))
      return
    }
    if (link.state === 'failed' || link.state === 'stopped') {
      failBridge(link.lastError ?? AppError.withRef('NETWORK', 'The MQTT link was closed', { key: 'mbed.linkClosed' }))
      return
    }
    if (channel.state === 'open' && link.state === 'connected') setState('running')
    // While starting, 'degraded' only once either side has actually met trouble: a normal start is starting → running.
    else if (state !== 'starting' || channel.state === 'reconnecting' || link.state === 'reconnecting') setState('degraded', degradedReason())
  }

  function failBridge(error: AppError): void {
    if (state === 'failed' || state === 'stopping' || state === 'stopped') return
    log.warn({ code: error.code, reason: error.message }, 'mbed bridge: failed; stop it and fix the cause')
    setState('failed', error)
    // Nothing more comes in; what is queued is still delivered while the link is up, and stop() drains the rest.
    void unsubscribeCommands()
    void channel.stop()
  }

  // ---- outgoing queue -------------------------------------------------------------------------------------------------

  function enqueue(topic: string, payload: string, kind: OutKind): void {
    const dropped = queue.push({ seq: seq++, topic, payload, kind })
    if (dropped > 0) {
      counters.dropped += dropped
      warn('dropped', { dropped: counters.dropped, queueSize }, 'mbed bridge: the queue is full; the oldest message was dropped')
    }
  }

  function pump(): void {
    if (link.state !== 'connected') return
    while (inflight < maxInflight && queue.length > 0) {
      const item = queue.shift() as OutItem
      inflight++
      link.publish(item.topic, item.payload, { qos: 1 }).then(
        () => acked(),
        (e: unknown) => failed(item, e),
      )
    }
  }

  function acked(): void {
    inflight--
    counters.published++
    if (gate) checkGate()
    if (queue.length > 0) pump()
    else if (inflight === 0) settleDrain()
  }

  function failed(item: OutItem, e: unknown): void {
    inflight--
    const outcome = publishFailure(e)
    const code = e instanceof AppError ? e.code : undefined
    if (outcome === 'refused' || code === 'VALIDATION' || code === 'TOO_LARGE' || outcome === undefined) {
      counters.refused++
      warn('refused', { topic: item.topic, kind: item.kind, code, err: e instanceof Error ? e.message : String(e) }, 'mbed bridge: a message could not be published and was discarded')
      if (queue.length === 0 && inflight === 0 && requeue.length === 0) settleDrain()
      return
    }
    // Not sent, or maybe delivered before the connection went: back to the front, in order, once every publish of
    // the dropped connection has reported (they reject together).
    requeue.push(item)
    if (!requeueScheduled) {
      requeueScheduled = true
      setImmediate(flushRequeue)
    }
  }

  function flushRequeue(): void {
    requeueScheduled = false
    const items = requeue.sort((a, b) => a.seq - b.seq)
    requeue = []
    const dropped = queue.unshiftAll(items)
    if (dropped > 0) {
      counters.dropped += dropped
      warn('dropped', { dropped: counters.dropped, queueSize }, 'mbed bridge: the queue is full; the oldest messages were dropped')
    }
    pump()
  }

  function settleDrain(): void {
    if (queue.length > 0 || inflight > 0 || requeue.length > 0) return
    const waiters = drainWaiters
    drainWaiters = []
    for (const w of waiters) w()
  }

  function drained(timeoutMs: number): Promise<boolean> {
    if (queue.length === 0 && inflight === 0 && requeue.length === 0) return Promise.resolve(true)
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        drainWaiters = drainWaiters.filter((w) => w !== done)
        resolve(false)
      }, timeoutMs)
      const done = (): void => {
        clearTimeout(timer)
        resolve(true)
      }
      drainWaiters.push(done)
    })
  }

  // ---- device types and topics ----------------------------------------------------------------------------------------

  function typeOf(ep: string): string {
    return types.get(ep) ?? defaultType
  }

  function learnType(ep: string, ept: string | undefined, queueMode: boolean | undefined): void {
    if (queueMode === true) queueModes.add(ep)
    else if (queueMode === false) queueModes.delete(ep)
    if (ept === undefined || ept === '') return
    const type = deviceTypeFor(ept, defaultType)
    if (type !== ept) warn('badType', { ep, ept: ept.slice(0, 64), using: defaultType }, 'mbed bridge: endpoint type is not a valid device type; using the default')
    if (types.get(ep) === type) return
    types.set(ep, type)
    topicCache.delete(ep)
    if (commandTypes === 'auto' && (state === 'running' || state === 'degraded' || state === 'starting')) subscribeType(type)
  }

  /** The notify topic of an endpoint, or null when its name cannot be a device id. Cached: built once per endpoint. */
  function notifyTopic(ep: string): string | null {
    let topic = topicCache.get(ep)
    if (topic !== undefined) return topic
    topic = isValidTopicPart('deviceId', ep) ? eventTopic(typeOf(ep), ep, 'notify', 'json') : null
    // Endpoints come and go; the cache is bounded by the endpoints mbed reports, reset when it grows unreasonably.
    if (topicCache.size > 100_000) topicCache.clear()
    topicCache.set(ep, topic)
    return topic
  }

  function unroutable(ep: string, what: string): void {
    counters.unroutable++
    if (warnedUnroutable.size < 10_000 && !warnedUnroutable.has(ep)) {
      warnedUnroutable.add(ep)
      log.warn({ ep: ep.slice(0, 80), what }, "mbed bridge: this endpoint's name cannot be a device id (1–36 of A–Z a–z 0–9 - _ .); its messages are not bridged")
    }
  }

  // ---- envelopes ------------------------------------------------------------------------------------------------------

  function handleEnvelope(envelope: MbedEnvelope): void {
    counters.malformed += envelope.malformed
    const learn = (r: MbedRegistration): void => learnType(r.ep, r.ept, r.queueMode)
    envelope.registrations.forEach(learn)
    envelope.regUpdates.forEach(learn)
    if (envelope.deRegistrations.length > 0 || envelope.registrationsExpired.length > 0) {
      log.info({ deRegistrations: envelope.deRegistrations.length, expired: envelope.registrationsExpired.length }, 'mbed bridge: endpoints left')
    }

    const now = Date.now()
    const watching = listeners.size > 0
    for (const n of envelope.notifications) {
      counters.notifications++
      rate.count++
      const topic = notifyTopic(n.ep)
      if (topic === null) {
        unroutable(n.ep, 'notification')
        continue
      }
      // Field order and presence follow §2's {ep, path, ct, payload, max-age}; absent ct / max-age stay absent.
      let json = `{"ep":${JSON.stringify(n.ep)},"path":${JSON.stringify(n.path)}`
      if (n.ct !== undefined) json += `,"ct":${JSON.stringify(n.ct)}`
      json += `,"payload":"${n.payload}"`
      if (n.maxAge !== undefined) json += `,"max-age":${n.maxAge}`
      enqueue(topic, `${json}}`, 'notify')
      if (watching) addLive(now, n.ep, n.path, n.ct, n.payload, n.maxAge)
    }
    for (const a of envelope.asyncResponses) handleAsyncResponse(a)
    pump()
  }

  function addLive(now: number, ep: string, path: string, ct: string | undefined, payload: string, maxAge: number | undefined): void {
    if (live.length >= LIVE_MAX_ITEMS) {
      liveOmitted++
      return
    }
    const truncated = payload.length > LIVE_PAYLOAD_MAX
    live.push({
      at: iso(now),
      ep,
      path,
      ...(ct !== undefined ? { ct } : {}),
      payload: truncated ? payload.slice(0, LIVE_PAYLOAD_MAX) : payload,
      truncated,
      ...(maxAge !== undefined ? { maxAge } : {}),
      deviceType: typeOf(ep),
    })
    if (!liveTimer) {
      liveTimer = setTimeout(flushLive, LIVE_INTERVAL_MS)
      liveTimer.unref?.()
    }
  }

  function flushLive(): void {
    if (liveTimer) clearTimeout(liveTimer)
    liveTimer = undefined
    if (live.length === 0 && liveOmitted === 0) return
    const items = live
    const omitted = liveOmitted
    live = []
    liveOmitted = 0
    emit({ name: 'mbed:notifications', payload: { items, omitted } })
  }

  // ---- async responses and pending commands ---------------------------------------------------------------------------

  function handleAsyncResponse(a: MbedAsyncResponse): void {
    counters.asyncResponses++
    const record = pending.get(a.id)
    if (record) {
      pending.delete(a.id)
      answer(record, a)
      return
    }
    // Unknown yet: a legacy answer can outrun the 202 that tells us its id (two connections). Wait a little.
    if (early.size >= maxPending) {
      const oldest = early.keys().next().value
      if (oldest !== undefined) unmatched(early.get(oldest)?.answer ?? a)
      if (oldest !== undefined) early.delete(oldest)
    }
    early.set(a.id, { answer: a, at: Date.now() })
  }

  function unmatched(a: MbedAsyncResponse): void {
    counters.unmatchedAsyncResponses++
    const m = LEGACY_ASYNC_ID.exec(a.id)
    if (m && m[1] !== undefined && m[2] !== undefined) {
      // The legacy id names endpoint and path ("n#ep@domain/path", §1.3): enough to publish it where it belongs.
      const ep = m[1]
      if (isValidTopicPart('deviceId', ep)) {
        enqueue(eventTopic(typeOf(ep), ep, 'asyncResponse', 'json'), asyncJson(a, ep, m[2]), 'asyncResponse')
        pump()
        return
      }
    }
    warn('unmatched', { id: a.id.slice(0, 120), status: a.status }, 'mbed bridge: an async response matched no command of this bridge; not published')
  }

  function asyncJson(a: MbedAsyncResponse, ep: string, path: string): string {
    const out: Record<string, unknown> = { id: a.id, status: a.status }
    if (a.ct !== undefined) out.ct = a.ct
    if (a.maxAge !== undefined) out['max-age'] = a.maxAge
    if (a.payload !== undefined) out.payload = a.payload
    out.ep = ep
    out.path = path
    if (a.error !== undefined) out.error = a.error
    return JSON.stringify(out)
  }

  function answer(record: CommandRecord, a: MbedAsyncResponse): void {
    record.state = 'answered'
    record.answeredAt = Date.now()
    record.status = a.status
    record.error = a.error ?? null
    record.response = {
      ...(a.ct !== undefined ? { ct: a.ct } : {}),
      ...(a.payload !== undefined ? { payload: a.payload.slice(0, LIVE_PAYLOAD_MAX) } : {}),
      ...(a.maxAge !== undefined ? { maxAge: a.maxAge } : {}),
    }
    if (isValidTopicPart('deviceId', record.ep)) {
      enqueue(eventTopic(record.deviceType, record.ep, 'asyncResponse', 'json'), asyncJson(a, record.ep, record.path), 'asyncResponse')
      pump()
    } else {
      unroutable(record.ep, 'asyncResponse')
    }
    commandChanged(record)
  }

  function view(r: CommandRecord): MbedCommandView {
    return {
      id: r.id,
      source: r.source,
      method: r.method,
      ep: r.ep,
      path: r.path,
      deviceType: r.deviceType,
      asyncId: r.asyncId,
      state: r.state,
      createdAt: iso(r.createdAt),
      answeredAt: r.answeredAt === null ? null : iso(r.answeredAt),
      status: r.status,
      error: r.error,
      response: r.response,
    }
  }

  function commandChanged(record: CommandRecord): void {
    counters.pendingCommands = pending.size
    if (listeners.size > 0) emit({ name: 'mbed:command', payload: view(record) })
  }

  function remember(record: CommandRecord): void {
    records.set(record.id, record)
    if (records.size > commandHistory) {
      // Oldest first in insertion order; pending ones stay reachable through `pending`.
      const oldest = records.keys().next().value
      if (oldest !== undefined) records.delete(oldest)
    }
  }

  function addPending(asyncId: string, record: CommandRecord): void {
    if (pending.size >= maxPending) {
      const [oldestId, oldest] = pending.entries().next().value ?? []
      if (oldestId !== undefined && oldest) {
        pending.delete(oldestId)
        expire(oldest, `more than ${maxPending} commands were awaiting an answer`)
      }
    }
    pending.set(asyncId, record)
    counters.pendingCommands = pending.size
  }

  function expire(record: CommandRecord, why: string): void {
    record.state = 'expired'
    record.error = why
    log.info({ ep: record.ep, path: record.path, asyncId: record.asyncId, why }, 'mbed bridge: a command got no async response')
    commandChanged(record)
  }

  function tick(): void {
    const now = Date.now()
    const elapsed = now - rate.at
    counters.notificationsPerSecond = elapsed > 0 ? Math.round((rate.count * 1000 * 10) / elapsed) / 10 : 0
    rate = { at: now, count: 0 }
    for (const [id, e] of early) {
      if (now - e.at < earlyAnswerMs) break
      early.delete(id)
      unmatched(e.answer)
    }
    for (const [id, r] of pending) {
      const ttl = r.queueMode ? queueModeTtlMs : pendingTtlMs
      if (now - r.createdAt < ttl) continue
      pending.delete(id)
      expire(r, `no async response within ${Math.round(ttl / 60_000)} min`)
    }
    counters.queued = queue.length + inflight + requeue.length
    counters.pendingCommands = pending.size
    emit({ name: 'mbed:counters', payload: { ...counters } })
  }

  // ---- commands -------------------------------------------------------------------------------------------------------

  function bridgeError(type: string, id: string, fields: { reason: CommandRefusal | 'typeMismatch' | 'requestFailed'; message: string } & Record<string, unknown>): void {
    if (!isValidTopicPart('typeId', type) || !isValidTopicPart('deviceId', id)) return
    enqueue(eventTopic(type, id, 'bridgeError', 'json'), JSON.stringify({ ...fields, at: new Date().toISOString() }), 'bridgeError')
    pump()
  }

  function refuse(topic: string, type: string, id: string, name: string, reasonCode: CommandRefusal | 'typeMismatch', message: string, field?: string): void {
    counters.commandErrors++
    warn('command', { topic, reason: reasonCode, field, message }, 'mbed bridge: command refused, not forwarded to mbed')
    bridgeError(type, id, { reason: reasonCode, message, command: name, topic, ...(field ? { field } : {}) })
  }

  function onCommandMessage(topic: string, payload: Buffer): void {
    if (state !== 'running' && state !== 'degraded') return
    const t = parseTopic(topic)
    if (!t || t.kind !== 'command') return
    // 'auto' subscribes per bridged type; anything else reaching here is not a command for an mbed device.
    if (commandTypes === 'auto' && !bridgedTypes.has(t.type)) return
    const check: CommandCheck = checkCommand(payload, t.id, maxCommandBytes)
    if (!check.ok) {
      refuse(topic, t.type, t.id, t.name, check.reason, check.message, check.field)
      return
    }
    const known = types.get(check.command.deviceId)
    if (known !== undefined && known !== t.type) {
      refuse(topic, t.type, t.id, t.name, 'typeMismatch', `Endpoint ${check.command.deviceId} is of device type "${known}", not "${t.type}"`)
      return
    }
    forward(check.command, { source: 'mqtt', deviceType: t.type, commandName: t.name, topic })
  }

  function forward(command: ValidCommand, origin: { source: 'mqtt' | 'console'; deviceType: string; commandName: string | null; topic: string | null }): CommandRecord {
    const record: CommandRecord = {
      id: randomUUID(),
      source: origin.source,
      method: command.method,
      ep: command.deviceId,
      path: command.path,
      deviceType: origin.deviceType,
      commandName: origin.commandName,
      topic: origin.topic,
      asyncId: null,
      state: 'sending',
      createdAt: Date.now(),
      answeredAt: null,
      status: null,
      error: null,
      response: null,
      queueMode: queueModes.has(command.deviceId),
    }
    counters.commands++
    remember(record)
    commandChanged(record)
    // One endpoint's commands reach mbed in the order they came (the governor may run several requests at once).
    const previous = tails.get(record.ep) ?? Promise.resolve()
    const next = previous.then(() => send(record, command))
    tails.set(record.ep, next)
    void next.then(() => {
      if (tails.get(record.ep) === next) tails.delete(record.ep)
    })
    return record
  }

  async function send(record: CommandRecord, command: ValidCommand): Promise<void> {
    // Pelion: our async id, registered before sending so an answer that beats the 202 still finds its command.
    const chosen = client.flavour === 'pelion' ? randomUUID() : undefined
    if (chosen) {
      record.asyncId = chosen
      addPending(chosen, record)
    }
    try {
      const result = await client.resourceRequest({
        ep: command.deviceId,
        path: command.path,
        method: command.method,
        payload: command.payload,
        contentType: commandContentType,
        ...(chosen ? { asyncId: chosen } : {}),
      })
      if (result.kind === 'async') {
        if (record.state !== 'sending') return
        record.asyncId = result.asyncId
        record.state = 'pending'
        const beaten = early.get(result.asyncId)
        if (beaten) {
          early.delete(result.asyncId)
          pending.delete(result.asyncId)
          answer(record, beaten.answer)
          return
        }
        if (!chosen) addPending(result.asyncId, record)
        commandChanged(record)
        return
      }
      // The Connector answered at once: report it like an async response, under the bridge's own command id.
      answer(record, { id: record.id, status: result.status, payload: result.payload, ...(result.ct !== undefined ? { ct: result.ct } : {}) })
    } catch (e) {
      if (chosen) pending.delete(chosen)
      const error = e instanceof AppError ? e : AppError.withRef('INTERNAL', 'The command could not be sent', { key: 'mbed.commandNotSent' })
      record.state = 'failed'
      record.error = error.message
      const status = error.details?.carrierCode !== undefined ? Number(error.details.carrierCode) : null
      record.status = status !== null && Number.isInteger(status) ? status : null
      counters.commandErrors++
      warn('commandFailed', { ep: record.ep, path: record.path, code: error.code, reason: error.message }, 'mbed bridge: mbed did not accept a command')
      bridgeError(record.deviceType, record.ep, {
        reason: 'requestFailed',
        message: error.message,
        code: error.code,
        ...(record.status !== null ? { status: record.status } : {}),
        commandId: record.id,
        method: record.method,
        path: record.path,
        ...(record.commandName ? { command: record.commandName } : {}),
        ...(record.topic ? { topic: record.topic } : {}),
      })
      commandChanged(record)
    }
  }

  function subscribeType(type: string): void {
    if (bridgedTypes.has(type)) return
    bridgedTypes.add(type)
    for (const filter of commandSubscription([type])) subscribeFilter(filter)
  }

  function subscribeFilter(filter: string): void {
    if (subscriptions.has(filter)) return
    const unsubscribe = link.subscribe(filter, onCommandMessage)
    subscriptions.set(filter, unsubscribe)
    unsubscribe.ready.catch((e: unknown) => {
      log.warn({ filter, err: e instanceof Error ? e.message : String(e) }, 'mbed bridge: the broker refused the command subscription; commands for this type will not arrive')
    })
  }

  async function unsubscribeCommands(): Promise<void> {
    const all = [...subscriptions.values()]
    subscriptions.clear()
    bridgedTypes.clear()
    await Promise.all(all.map((u) => u().catch(() => undefined)))
  }

  // ---- lifecycle ------------------------------------------------------------------------------------------------------

  async function start(): Promise<void> {
    if (state === 'running' || state === 'degraded' || state === 'starting') return
    if (stopping) await stopping
    // A failed bridge still holds its subscriptions' registry and listeners until stopped; start from clean.
    if (state === 'failed') await stopBridge()
    counters = zero()
    rate = { at: Date.now(), count: 0 }
    setState('starting')
    try {
      // The endpoint list gives each endpoint its type before the first notification (registrations only come on
      // (re-)registration). Bad key or configuration ends here, clearly; anything else is tolerated: types are then
      // learned from registrations.
      const endpoints = await client.listEndpoints()
      for (const e of endpoints) learnType(e.name, e.type, e.queueMode)
    } catch (e) {
      const error = e instanceof AppError ? e : AppError.withRef('INTERNAL', 'Listing the mbed endpoints failed', { key: 'mbed.startFailed' })
      if (error.code === 'AUTH_FAILED' || error.code === 'TLS' || error.code === 'VALIDATION' || (error.code === 'NOT_FOUND' && error.details?.ref?.key === 'mbed.notMbedApi')) {
        setState('failed', error)
        throw error
      }
      log.warn({ code: error.code, reason: error.message }, 'mbed bridge: could not list endpoints at start; device types will be learned from registrations')
    }
    // stop() may have been called while the endpoint list was on its way (read through a function: TypeScript
    // narrows `state` from the checks above and cannot see that the await let it change).
    if (currentState() !== 'starting') return
    if (commandTypes === 'auto') {
      subscribeType(defaultType)
      for (const type of new Set(types.values())) subscribeType(type)
    } else if (commandTypes === '+') {
      for (const filter of commandSubscription('+')) subscribeFilter(filter)
    } else {
      for (const type of commandTypes) subscribeType(type)
    }
    const onLink = (e: LinkStateEvent): void => {
      if (e.state === 'connected') pump()
      evaluate()
      checkGate()
    }
    cleanups.push(link.on('state', onLink))
    cleanups.push(channel.on('state', () => evaluate()))
    // The link reports its own progress; the bridge does not wait for the broker (notifications queue meanwhile).
    void link.connect().catch(() => undefined)
    channel.start()
    tickTimer = setInterval(tick, TICK_MS)
    tickTimer.unref?.()
    launched = true
    evaluate()
    pump()
  }

  async function stopNow(): Promise<MbedStopReport> {
    launched = false
    setState('stopping')
    await unsubscribeCommands()
    // Closing the channel delivers what mbed already handed over (a held poll's answer, frames before the close).
    await channel.stop()
    flushLive()
    pump()
    const complete = await drained(drainTimeoutMs)
    if (requeueScheduled) flushRequeue()
    const undelivered = queue.length + inflight + requeue.length
    if (!complete || undelivered > 0) {
      log.warn({ undelivered, linkState: link.state }, 'mbed bridge: stopped with messages the broker did not acknowledge; they are lost')
    }
    queue.clear()
    requeue = []
    if (tickTimer) clearInterval(tickTimer)
    tickTimer = undefined
    for (const cleanup of cleanups.splice(0)) cleanup()
    for (const [id, r] of pending) {
      pending.delete(id)
      expire(r, 'the bridge stopped before the answer arrived')
    }
    early.clear()
    counters.queued = 0
    counters.pendingCommands = 0
    tick()
    const report = { published: counters.published, undelivered, dropped: counters.dropped }
    setState('stopped')
    return report
  }

  function currentState(): MbedBridgeState {
    return state
  }

  function stopBridge(): Promise<MbedStopReport> {
    if (stopping) return stopping
    if (state === 'stopped') return Promise.resolve({ published: counters.published, undelivered: 0, dropped: counters.dropped })
    stopping = stopNow().finally(() => {
      stopping = null
    })
    return stopping
  }

  return {
    get state() {
      return state
    },
    get reason() {
      return reason
    },
    status,
    counters() {
      return { ...counters, queued: queue.length + inflight + requeue.length, pendingCommands: pending.size }
    },
    start,

    stop: stopBridge,

    commands() {
      const all = new Map<string, CommandRecord>()
      for (const r of records.values()) all.set(r.id, r)
      for (const r of pending.values()) all.set(r.id, r)
      return [...all.values()].sort((a, b) => b.createdAt - a.createdAt).slice(0, Math.max(commandHistory, 1)).map(view)
    },

    pendingCommands() {
      return [...pending.values()].map(view)
    },

    async sendCommand(input) {
      if (state !== 'running' && state !== 'degraded') {
        throw AppError.withRef('VALIDATION', 'Start the mbed bridge before sending commands (its channel carries the answers)', { key: 'mbed.notRunning' })
      }
      const check = checkCommand(JSON.stringify(input), null, maxCommandBytes)
      if (!check.ok) {
        throw AppError.withRef('VALIDATION', check.message, { key: `mbed.command.${check.reason}`, params: { field: check.field ?? '' } })
      }
      const record = forward(check.command, { source: 'console', deviceType: typeOf(check.command.deviceId), commandName: null, topic: null })
      // Resolves once mbed has accepted (or refused) it; the async answer arrives later as a 'mbed:command' event.
      await (tails.get(record.ep) ?? Promise.resolve())
      return view(record)
    },

    async listEndpoints(listOptions = {}) {
      const endpoints = await listEndpointsWithResources(client, defaultType, listOptions)
      for (const e of endpoints) learnType(e.name, e.type, e.queueMode)
      return endpoints
    },

    on(listener) {
      listeners.add(listener)
      return () => {
        listeners.delete(listener)
      }
    },
  }
}
