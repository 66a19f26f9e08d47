/**
 * The mbed bridge (issue 4; docs/wire/mbed.md §1–2, docs/wire/platform-mqtt.md §3): mbed notifications and async responses become device events on
 * the platform's MQTT broker; commands published to mbed devices become mbed resource requests.
 *
 * This module composes the parts, each of which does one job and documents its rules:
 * - endpoint-types.ts: device type, queue mode and topic of each endpoint;
 * - envelope-handler.ts (+ live-preview.ts): each envelope from the channel → notify events, the UI's live stream;
 * - pending-commands.ts: commands awaiting async responses, matching, expiry, the asyncResponse events; answers that
 *   beat their 202 wait on disk in early-answers.ts (in `queueDir`), so a kill loses none;
 * - command-intake.ts: commands from MQTT and the console, checked, sent in order per endpoint, bridgeError events;
 * - subscriptions.ts: the pre-subscriptions and subscriptions mbed needs to send notifications at all (§1.4);
 * - publish-queue.ts: the bounded QoS 1 queue to the broker, on disk in `queueDir` (a message is written before the
 *   channel takes mbed's next answer, and leaves after the broker's PUBACK), with back-pressure on the channel;
 * - bridge-state.ts: the bridge's state derived from the channel's and the link's.
 *
 * State: 'running' when the channel is open and the link connected; 'degraded' (with the reason) when either is
 * reconnecting; 'failed' when the channel or the link stopped (bad key, certificate, replaced channel, an unexpected
 * error in the channel's loop…) or the disk refused the queue: the channel is stopped, queued messages are still
 * delivered while the link is up, and stop() finishes the job. A cause another attempt may cure (the loop's
 * unexpected error; a disk that is full or read-only, which gets space back or is remounted) makes the bridge start
 * again by itself, with back-off, its `restartAt` in the status meanwhile; the queue and the commands awaiting their
 * answers are kept through it (their answers wait in mbed's queue), and after the disk's failure the messages it
 * refused (held in memory) are written first: a disk that still refuses them is tried at the next step. A refusal
 * that cannot heal (401/403: the access key) stays 'failed' until the operator fixes the cause and starts the bridge
 * again. Commands from the broker are journalled before they are acknowledged (command-journal.ts): taken while the
 * bridge is failed or starting, they go to mbed once it runs.
 * stop() is graceful: no more commands are taken, the channel is closed (what it already received is bridged), then
 * the queue is drained (bounded by `drainTimeoutMs`); what could not be delivered is reported, never hidden, and stays
 * in the queue on disk: the next start publishes it first.
 *
 * The bridge does not own the MQTT link: it asks it to connect (once its command subscriptions are registered, so that
 * what a persistent session kept finds them) and never closes it. The app and the CLI give it a link of its own with
 * a persistent session (session.ts), closed after the bridge stops: the broker keeps the commands published meanwhile.
 */
import { AppError } from '../common/errors'
import type { Logger } from '../log/logger'
import type { LinkStateEvent, PlatformLink } from '../platform/link'
import { commandSubscription, isValidTopicPart } from '../platform/topics'
import type {
  MbedBridgeCounters,
  MbedBridgeEvent,
  MbedBridgeState,
  MbedBridgeStatus,
  MbedCommandView,
  MbedFailedSide,
  MbedSubscriptionsList,
  MbedSubscriptionView,
} from '../../../src-shared/models/mbed'
import { MBED_SUBSCRIPTIONS_PAGE, zeroCounters } from '../../../src-shared/models/mbed'
import type { MbedPresubscription } from '../../../src-shared/models/mbed-presubscriptions'
import { deriveBridgeState } from './bridge-state'
import { backoffDelay } from '../common/backoff'
import { cannotHeal, createNotificationChannel, type ChannelKind, type NotificationChannel, type NotificationChannelOptions } from './channel'
import { CommandIntake, type CommandTypes, type SendCommandInput } from './command-intake'
import { CommandJournal, commandJournalDir } from './command-journal'
import { MAX_COMMAND_BYTES } from './commands'
import type { MbedClient, MbedEndpoint } from './connector.client'
import { EndpointTypes, listEndpointsWithResources, type EndpointWithResources } from './endpoint-types'
import { EarlyAnswers, earlyAnswersDir } from './early-answers'
import { EnvelopeHandler } from './envelope-handler'
import type { MbedEnvelope } from './envelope'
import { createLivePreview } from './live-preview'
import { limitedLog, noopLogger } from './log-limit'
import { PendingCommands } from './pending-commands'
import { createPublishQueue, queueError, type OutKind } from './publish-queue'
import { SubscriptionManager, endpointChangeBatcher } from './subscriptions'

export type { MbedBridgeCounters, MbedBridgeEvent, MbedBridgeState, MbedBridgeStatus, MbedCommandView } from '../../../src-shared/models/mbed'
export type { SendCommandInput } from './command-intake'
export { deviceTypeFor, listEndpointsWithResources, type EndpointWithResources } from './endpoint-types'

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
  /** The directory of the bridge's queue on disk (queue-dir.ts); one bridge at a time holds it (its lock). */
  queueDir: string
  /** How often the queue's files are flushed to the device (a power cut loses at most that long). Default 100 ms. */
  queueSyncIntervalMs?: number
  /** Type for endpoints whose type is unknown or not a valid type id. Default 'mbed'. */
  defaultDeviceType?: string
  /** Messages held for the broker (in flight included). Default 10,000. */
  queueSize?: number
  /** QoS 1 publishes awaiting their PUBACK at once. Default 1,000. */
  maxInflight?: number
  /** Which device types' commands to subscribe to: 'auto' (default), '+' (every type), or a fixed list. */
  commandTypes?: CommandTypes
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
  /** Pre-subscription rules, or null (default) to subscribe every observable resource (subscriptions.ts). */
  presubscriptions?: readonly MbedPresubscription[] | null
  /** Back-off of subscriptions asked again after 429/5xx/network failures (default 1 s doubling to 5 min). */
  subscriptionRetry?: { minMs: number; maxMs: number }
  /** Back-off of the channel started again after a failure another attempt may cure (default 1 s doubling to 5 min). */
  restart?: { minMs: number; maxMs: number }
  logger?: Logger
}

export interface MbedStopReport {
  /** Messages the broker acknowledged during this run. */
  published: number
  /** Messages still queued when stop() gave up waiting: not delivered, kept on disk for the next start. */
  undelivered: number
  dropped: number
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
  /** The subscriptions the bridge keeps, of every endpoint (at most MBED_SUBSCRIPTIONS_PAGE) or of one. */
  subscriptions(ep?: string): MbedSubscriptionsList
  /** The operator subscribes a resource; resolves with its state once mbed answered. */
  subscribe(ep: string, path: string): Promise<MbedSubscriptionView>
  /** The operator unsubscribes a resource; it stays off until subscribed again. */
  unsubscribe(ep: string, path: string): Promise<MbedSubscriptionView>
  /** Events for the UI (see events.ts for rates). */
  on(listener: (event: MbedBridgeEvent) => void): () => void
  /** Each device event (topic and JSON body) as it is queued for the broker, synchronously. */
  onDeviceEvent(tap: DeviceEventTap): () => void
}

/** Called synchronously for each device event the bridge queues for the broker; what it throws is logged. */
export type DeviceEventTap = (topic: string, payload: string) => void

const TICK_MS = 1_000
const DEFAULT_RESTART = { minMs: 1_000, maxMs: 5 * 60_000 }

function positiveInt(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback
  if (!Number.isInteger(v) || v < 1) throw AppError.withRef('VALIDATION', `${name} must be a whole number ≥ 1`, { key: 'mbed.invalidOption', params: { name } })
  return v
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
  const commandTypes = options.commandTypes ?? 'auto'
  if (Array.isArray(commandTypes)) for (const t of commandTypes) commandSubscription([t])

  // ---- state ----------------------------------------------------------------------------------------------------------

  let state: MbedBridgeState = 'stopped'
  let reason: AppError | undefined
  /** Which side ended the bridge, while it is 'failed'. */
  let failedSide: MbedFailedSide | null = null
  let since = Date.now()
  /** While the channel reconnects: when it tries mbed again (epoch ms), for the status; null otherwise. */
  let channelRetryAt: number | null = null
  /** Likewise for the link and the broker: a broker away for long must still say when it is tried next. */
  let linkRetryAt: number | null = null
  let stopping: Promise<MbedStopReport> | null = null
  const restart = options.restart ?? DEFAULT_RESTART
  /** While 'failed' on a curable cause: the timer and time (epoch ms) of the channel's next start. */
  let restartTimer: NodeJS.Timeout | undefined
  let restartAt: number | null = null
  /** Restarts since the bridge last ran a while (a back-off step each); when it last became 'running'. */
  let restarts = 0
  let runningSince = 0
  /** Set once start() has started the channel and the link: from then on their states drive the bridge's. */
  let launched = false
  const listeners = new Set<(event: MbedBridgeEvent) => void>()
  const cleanups: (() => void)[] = []
  let tickTimer: NodeJS.Timeout | undefined
  const counters = zeroCounters()
  const running = (): boolean => state === 'running' || state === 'degraded'

  // ---- the parts ------------------------------------------------------------------------------------------------------

  const queue = createPublishQueue({
    link,
    dir: options.queueDir,
    queueSize,
    maxInflight,
    counters,
    warn,
    ...(options.queueSyncIntervalMs ? { syncIntervalMs: options.queueSyncIntervalMs } : {}),
    // The disk refused a message: stop taking notifications from mbed (what is not read stays in mbed's queue).
    writeFailed: (error) => failBridge(error, 'disk'),
  })
  const taps = new Set<DeviceEventTap>()
  /** Every device event the bridge makes goes to the broker's queue and, at once, to whoever taps them (the historian). */
  const enqueue = (topic: string, payload: string, kind: OutKind): void => {
    queue.enqueue(topic, payload, kind)
    for (const tap of taps) {
      try {
        tap(topic, payload)
      } catch (e) {
        warn('tap', { err: e instanceof Error ? e.message : String(e) }, 'mbed bridge: a device event listener failed')
      }
    }
  }
  const publish = (topic: string, payload: string, kind: OutKind): void => {
    enqueue(topic, payload, kind)
    queue.pump()
  }
  const types = new EndpointTypes({
    defaultType,
    warn,
    log,
    counters,
    onType: (type) => {
      if (running() || state === 'starting') intake.typeLearnt(type)
    },
  })
  const pending = new PendingCommands({
    pendingTtlMs,
    queueModeTtlMs,
    maxPending,
    earlyAnswerMs,
    early: new EarlyAnswers({ dir: earlyAnswersDir(options.queueDir), capacity: maxPending, ...(options.queueSyncIntervalMs ? { syncIntervalMs: options.queueSyncIntervalMs } : {}) }),
    commandHistory,
    counters,
    publish,
    typeOf: (ep) => types.typeOf(ep),
    unroutable: (ep, what) => types.unroutable(ep, what),
    changed: (view) => {
      if (listeners.size > 0) emit({ name: 'mbed:command', payload: view })
    },
    warn,
    log,
  })
  const journal = new CommandJournal({ dir: commandJournalDir(options.queueDir), capacity: queueSize, ...(options.queueSyncIntervalMs ? { syncIntervalMs: options.queueSyncIntervalMs } : {}) })
  const intake = new CommandIntake({
    client,
    link,
    journal,
    writeFailed: (e) => failBridge(queueError(e, options.queueDir), 'disk'),
    types,
    pending,
    commandTypes,
    commandContentType: options.commandContentType ?? 'text/plain',
    maxCommandBytes,
    counters,
    publish,
    accepting: running,
    warn,
    log,
  })
  const live = createLivePreview((payload) => emit({ name: 'mbed:notifications', payload }))
  const subscriptionEvents = endpointChangeBatcher((payload) => emit({ name: 'mbed:subscriptions', payload }))
  const subs = new SubscriptionManager({
    client,
    rules: options.presubscriptions ?? null,
    changed: (ep) => {
      if (listeners.size > 0) subscriptionEvents.changed(ep)
    },
    takeEarly: (id) => pending.takeEarly(id),
    log,
    ...(options.subscriptionRetry ? { retry: options.subscriptionRetry } : {}),
  })
  const envelopes = new EnvelopeHandler({
    types,
    live,
    watching: () => listeners.size > 0,
    enqueue,
    pump: queue.pump,
    asyncResponse: (a) => {
      if (!subs.claim(a)) pending.handle(a)
    },
    registered: (r, full) => subs.registered(r, full),
    left: (ep) => subs.left(ep),
    counters,
    log,
  })
  const channel = buildChannel()
  const channelKind = channel.kind

  function buildChannel(): NotificationChannel {
    const onEnvelope = (envelope: MbedEnvelope): void => envelopes.handle(envelope)
    const spec = options.channel
    if (typeof spec === 'function') return spec(onEnvelope, queue.ready)
    const extra = typeof spec === 'object' ? spec : { kind: spec ?? 'longpoll' }
    return createNotificationChannel({ ...extra, client, onEnvelope, ready: queue.ready, ...(options.logger ? { logger: options.logger } : {}) })
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
      failedSide,
      since: new Date(since).toISOString(),
      restartAt: restartAt !== null ? new Date(restartAt).toISOString() : null,
      channel: { kind: channelKind, state: channel.state, retryAt: retryAtIso() },
      link: { state: link.state, insecure: link.insecure, retryAt: link.state === 'reconnecting' && linkRetryAt !== null ? new Date(linkRetryAt).toISOString() : null },
      kept: queue.kept().count,
    }
  }

  /** The channel's next try as the status says it; null unless it is reconnecting. */
  const retryAtIso = (): string | null => (channel.state === 'reconnecting' && channelRetryAt !== null ? new Date(channelRetryAt).toISOString() : null)
  /** The next tries the last state event told, so that a back-off step is told even when the state and reason stay. */
  let toldRetryAt: string | null = null
  const nextTries = (): string => `${retryAtIso() ?? ''} ${linkRetryAt ?? ''} ${restartAt ?? ''}`

  /**
   * Tells a change of state, of its reason (mbed closed the connection, then refuses new ones), or of the next try;
   * the state's start moves only with the state itself.
   */
  function setState(next: MbedBridgeState, why?: AppError, side?: MbedFailedSide): void {
    const sameReason = (why?.details?.ref?.key ?? why?.code) === (reason?.details?.ref?.key ?? reason?.code) && why?.message === reason?.message
    const retryAt = nextTries()
    if (next === state && sameReason && retryAt === toldRetryAt) return
    toldRetryAt = retryAt
    if (next !== state || !sameReason) log.info({ state: next, reason: why?.message, code: why?.code }, 'mbed bridge state')
    if (next !== state) {
      const wasRunning = running()
      state = next
      since = Date.now()
      if (next === 'running') runningSince = since
      queue.checkGate()
      // Commands taken while the bridge could not send them (starting, failed) go to mbed now, in the order they came.
      if (!wasRunning && running()) intake.resume()
    }
    reason = why
    failedSide = next === 'failed' ? (side ?? null) : null
    emit({ name: 'mbed:state', payload: status() })
  }

  function evaluate(): void {
    const verdict = deriveBridgeState(state, launched, channel, link, client.apiUrl)
    if (!verdict) return
    if (verdict.next === 'failed') failBridge(verdict.reason, verdict.side)
    else if (verdict.next === 'running') setState('running')
    else setState('degraded', verdict.reason)
  }

  function failBridge(error: AppError, side: MbedFailedSide): void {
    if (state === 'failed' || state === 'stopping' || state === 'stopped') return
    // The channel is the bridge's to start again, and the disk to try again (a full disk gets space back, a read-only
    // one is remounted); the link is shared (its own loop retries what it can).
    const curable = side === 'disk' || (side === 'mbed' && !cannotHeal(error))
    if (curable) {
      // A bridge that ran a while starts its back-off from the first step; one failing right after it came back does not.
      if (runningSince > 0 && Date.now() - runningSince >= restart.maxMs) restarts = 0
      scheduleRestart()
      log.warn({ code: error.code, reason: error.message, side, restartInMs: (restartAt ?? 0) - Date.now() }, 'mbed bridge: failed; starting again by itself')
    } else {
      log.warn({ code: error.code, reason: error.message }, 'mbed bridge: failed; stop it and fix the cause')
    }
    setState('failed', error, side)
    // Nothing more comes in; what is queued is still delivered while the link is up, and stop() drains the rest.
    intake.pause()
    void channel.stop()
  }

  /** The next back-off step of a curable failure's restart. */
  function scheduleRestart(): void {
    restarts++
    const delay = backoffDelay(restarts, restart)
    restartAt = Date.now() + delay
    restartTimer = setTimeout(restartChannel, delay)
    restartTimer.unref?.()
  }

  /**
   * After a curable failure: the channel and the command subscriptions again, with everything else as it was (the
   * queue, the commands awaiting answers, the subscriptions), so that nothing the bridge took in is dropped. After the
   * disk's failure, the messages it refused are written first; a disk that still refuses them is tried again at the
   * next back-off step, the bridge staying 'failed' (its line says why and when).
   */
  function restartChannel(): void {
    restartTimer = undefined
    restartAt = null
    if (state !== 'failed') return
    if (failedSide === 'disk') {
      try {
        queue.writeHeld()
      } catch (e) {
        scheduleRestart()
        setState('failed', queueError(e, options.queueDir), 'disk')
        return
      }
      log.info({ queueDir: options.queueDir }, 'mbed bridge: the disk takes writes again; starting again')
    }
    setState('starting')
    intake.subscribeConfigured(types.knownTypes())
    channel.start()
    evaluate()
    queue.pump()
  }

  function cancelRestart(): void {
    if (restartTimer) clearTimeout(restartTimer)
    restartTimer = undefined
    restartAt = null
  }

  function tick(): void {
    const now = Date.now()
    counters.notificationsPerSecond = envelopes.takeRate(now)
    pending.sweep(now)
    subs.retryDue(now)
    counters.queued = queue.size()
    counters.keptQueued = queue.kept().queued
    counters.pendingCommands = pending.pendingCount
    emit({ name: 'mbed:counters', payload: { ...counters } })
  }

  // ---- lifecycle ------------------------------------------------------------------------------------------------------

  /** Opens one of the bridge's places on disk; one that cannot open fails the bridge with the queue's error. */
  function openOnDisk(open: () => void): void {
    try {
      open()
    } catch (e) {
      const error = queueError(e, options.queueDir)
      setState('failed', error, 'disk')
      throw error
    }
  }

  async function start(): Promise<void> {
    if (state === 'running' || state === 'degraded' || state === 'starting') return
    if (stopping) await stopping
    // A failed bridge still holds its subscriptions' registry and listeners until stopped; start from clean.
    if (state === 'failed') await stopBridge()
    Object.assign(counters, zeroCounters())
    envelopes.takeRate(Date.now())
    // Before anything is read from mbed: every message must have its place on disk (and another bridge holding the
    // directory must not share it).
    openOnDisk(() => queue.open())
    setState('starting')
    let endpoints: MbedEndpoint[] = []
    try {
      // The endpoint list gives each endpoint its type before the first notification (registrations only come on
      // (re-)registration). Bad key or configuration ends here, clearly; anything else is tolerated: types are then
      // learned from registrations.
      endpoints = await client.listEndpoints()
      for (const e of endpoints) types.learn(e.name, e.type, e.queueMode)
    } catch (e) {
      const error = e instanceof AppError ? e : AppError.withRef('INTERNAL', 'Listing the mbed endpoints failed', { key: 'mbed.startFailed' })
      if (error.code === 'AUTH_FAILED' || error.code === 'TLS' || error.code === 'VALIDATION' || (error.code === 'NOT_FOUND' && error.details?.ref?.key === 'mbed.notMbedApi')) {
        setState('failed', error, 'mbed')
        throw error
      }
      log.warn({ code: error.code, reason: error.message }, 'mbed bridge: could not list endpoints at start; device types will be learned from registrations')
    }
    // stop() may have been called while the endpoint list was on its way (read through a function: TypeScript
    // narrows `state` from the checks above and cannot see that the await let it change).
    if (currentState() !== 'starting') return
    // Before the channel starts (early answers are held there), and once endpoints have their types: what the last
    // run held goes out under its endpoint's type.
    openOnDisk(() => pending.open())
    // Commands the last run took from the broker and did not send wait for the bridge to run; it sends them first.
    openOnDisk(() => intake.adoptLeft(journal.open()))
    await subs.start()
    if (currentState() !== 'starting') return
    intake.subscribeConfigured(types.knownTypes())
    const onLink = (e: LinkStateEvent): void => {
      linkRetryAt = e.state === 'reconnecting' && e.retryInMs !== undefined ? Date.now() + e.retryInMs : null
      if (e.state === 'connected') queue.pump()
      evaluate()
      queue.checkGate()
    }
    cleanups.push(link.on('state', onLink))
    // A channel that comes back after an outage may talk to an mbed that forgot the subscriptions (a restarted
    // Connector keeps none): read them back and subscribe again what is missing.
    let channelWasAway = false
    cleanups.push(
      channel.on('state', (e) => {
        if (e.state === 'reconnecting') channelWasAway = true
        else if (e.state === 'open' && channelWasAway) {
          channelWasAway = false
          void recheckSubscriptions()
        }
        channelRetryAt = e.state === 'reconnecting' && e.retryInMs !== undefined ? Date.now() + e.retryInMs : null
        evaluate()
      }),
    )
    // The link reports its own progress; the bridge does not wait for the broker (notifications queue meanwhile).
    void link.connect().catch(() => undefined)
    channel.start()
    tickTimer = setInterval(tick, TICK_MS)
    tickTimer.unref?.()
    launched = true
    evaluate()
    queue.pump()
    // After the channel started: a 202 subscription's answer comes through it.
    void subs.adopt(endpoints)
  }

  /**
   * After the channel's outage: lost subscriptions are asked again, and endpoints registered meanwhile adopted (only
   * those: reading every endpoint's resources again would cost one call per endpoint per outage of a flaky link).
   */
  async function recheckSubscriptions(): Promise<void> {
    let endpoints: MbedEndpoint[] = []
    try {
      endpoints = await client.listEndpoints()
      for (const e of endpoints) types.learn(e.name, e.type, e.queueMode)
    } catch (e) {
      log.warn({ err: e instanceof Error ? e.message : String(e) }, 'mbed bridge: could not list the endpoints after an outage')
    }
    if (!running()) return
    await subs.verify()
    if (!running()) return
    await subs.adopt(endpoints.filter((e) => !subs.has(e.name)))
  }

  async function stopNow(): Promise<MbedStopReport> {
    launched = false
    cancelRestart()
    restarts = 0
    setState('stopping')
    await intake.stop()
    subs.stop()
    // Closing the channel delivers what mbed already handed over (a held poll's answer, frames before the close).
    await channel.stop()
    pending.releaseEarly()
    live.flush()
    subscriptionEvents.flush()
    try {
      queue.writeHeld()
    } catch {
      // Still refused: counted below, as lost with the process.
    }
    queue.pump()
    const complete = await queue.drained(drainTimeoutMs)
    queue.settleRequeue()
    const undelivered = queue.size()
    if (!complete || undelivered > 0) {
      log.warn({ undelivered, linkState: link.state, queueDir: options.queueDir }, 'mbed bridge: stopped with messages the broker did not acknowledge; they stay on disk for the next start')
    }
    const lost = queue.close()
    if (lost > 0) log.error({ lost, queueDir: options.queueDir }, 'mbed bridge: stopped with messages the disk refused; they are lost')
    journal.close()
    if (tickTimer) clearInterval(tickTimer)
    tickTimer = undefined
    for (const cleanup of cleanups.splice(0)) cleanup()
    pending.stop()
    counters.queued = 0
    counters.pendingCommands = 0
    tick()
    const report = { published: counters.published, undelivered, dropped: counters.dropped }
    setState('stopped')
    return report
  }

  /** Commands and subscriptions need a running bridge: its channel carries their answers. */
  function requireRunning(): void {
    if (!running()) throw AppError.withRef('VALIDATION', 'Start the mbed bridge first (its channel carries the answers)', { key: 'mbed.notRunning' })
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
      return { ...counters, queued: queue.size(), keptQueued: queue.kept().queued, pendingCommands: pending.pendingCount }
    },
    start,
    stop: stopBridge,
    commands: () => pending.list(),
    pendingCommands: () => pending.awaiting(),

    async sendCommand(input) {
      requireRunning()
      // Resolves once mbed has accepted (or refused) it; the async answer arrives later as a 'mbed:command' event.
      return intake.sendFromConsole(input, maxCommandBytes)
    },

    async listEndpoints(listOptions = {}) {
      const endpoints = await listEndpointsWithResources(client, defaultType, listOptions)
      for (const e of endpoints) types.learn(e.name, e.type, e.queueMode)
      return endpoints
    },

    subscriptions(ep) {
      return {
        mode: subs.mode,
        rules: [...subs.rules],
        presubscriptions: { state: subs.presubscriptions.state, reason: subs.presubscriptions.reason?.toInfo() ?? null },
        endpoints: subs.list(ep).slice(0, MBED_SUBSCRIPTIONS_PAGE),
        total: ep === undefined ? subs.size : subs.list(ep).length,
      }
    },

    async subscribe(ep, path) {
      requireRunning()
      return subs.subscribe(ep, path)
    },

    async unsubscribe(ep, path) {
      requireRunning()
      return subs.unsubscribe(ep, path)
    },

    on(listener) {
      listeners.add(listener)
      return () => {
        listeners.delete(listener)
      }
    },

    onDeviceEvent(tap) {
      taps.add(tap)
      return () => {
        taps.delete(tap)
      }
    },
  }
}
