/**
 * The forwarder: device events from the sources, through the forwarding rules, into each destination's on-disk queue,
 * and from there to the destinations. The same forwarder runs in the app (historian.service.ts) and headless
 * (`fieldline historian run`).
 *
 * What "acknowledged by a source" means, and why nothing acknowledged is lost:
 * - MQTT (QoS 1): the forwarder acknowledges a message (PUBACK) only after it has written the event to the queue of
 *   every destination its rules name (event-queue.ts, store/disk-queue.ts: a synchronous write, in the kernel when it
 *   returns). The events of one socket read are kept in memory and written with one write per queue when the link is
 *   about to release that read's acknowledgements (`beforeAcks`; the link holds them meanwhile, `coalesceAcks`), so no
 *   PUBACK leaves before its event's write has returned, and no destination takes an event before it is written. If a
 *   write fails, `beforeAcks` throws and the link drops the connection with every acknowledgement of the read unsent,
 *   so the broker keeps those messages. The forwarder's session is persistent (clean session
 *   off; MQTT 5: kept `sessionExpirySeconds`): messages published while it is stopped or killed wait at the broker,
 *   within the broker's own limits (mosquitto keeps 1000 per client unless `max_queued_messages` says otherwise), and
 *   those it had received but not acknowledged when it died are delivered again. A message written to the queue whose
 *   PUBACK was lost with the process comes again and is stored a second time under a new id: at the intake, QoS 1 is at
 *   least once.
 * - mbed bridge (same process): the bridge hands each device event over synchronously as it queues it for the broker;
 *   when the hand-over returns the event is in the forwarder's queues. mbed itself has no acknowledgement (a
 *   notification is delivered once it is read), so what the bridge read before it handed it over is the bridge's.
 * - Events no rule selects are acknowledged and counted as `unmatched`.
 * - Messages whose topic names no device event the platform allows (an event id such as `=2-5`; platform/topics.ts) are
 *   acknowledged and not stored: counted as `unreadableTopics`, and logged (the first at once, then at most once a
 *   minute), so that nothing the broker delivered vanishes unseen.
 */
import { join } from 'node:path'
import { mkdir, rename, writeFile } from 'node:fs/promises'
import type { DestinationStatus, HistorianState, HistorianStatus } from '../../../src-shared/models/historian'
import { AppError } from '../common/errors'
import type { Logger } from '../log/logger'
import { createPlatformLink, type PlatformLink } from '../platform/link'
import { parseTopic } from '../platform/topics'
import { forwarderClientId, subscriptionFilter, type DestinationConfig, type ForwarderConfig } from './config'
import { createDestination, type Destination } from './destination'
import { openEventQueue, type EventQueue } from './event-queue'
import { createSequence, encodeEvent, eventId, type HistorianEvent } from './event'
import { createRouter } from './rules'
import type { Sink } from './sink'
import { forwarderDir } from './status-file'
import { buildSink, type SinkTuning } from './sinks'

export interface ForwarderTuning extends SinkTuning {
  backoff?: { minMs: number; maxMs: number }
  maintainEveryMs?: number
  /** MQTT reconnect back-off. */
  reconnect?: { minMs: number; maxMs: number }
  syncIntervalMs?: number
  /** How long `stop` keeps delivering what is queued. Default 10 s. */
  drainMs?: number
}

export interface DeviceEventSource {
  onDeviceEvent(tap: (topic: string, payload: string) => void): () => void
}

export interface ForwarderOptions {
  config: ForwarderConfig
  dataDir: string
  logger?: Logger
  /** The mbed bridge's device events, when the configuration takes them. */
  mbed?: DeviceEventSource
  now?: () => number
  tuning?: ForwarderTuning
  /** Every status: `changed` on a state change (forwarder, MQTT link or a destination), else the once-a-second update. */
  onStatus?: (status: HistorianStatus, changed: boolean) => void
  /** Tests give their own sinks. */
  sinkFor?: (d: DestinationConfig) => Sink
}

export interface ForwarderSummary {
  received: number
  unmatched: number
  intakeFailures: number
  unreadableTopics: number
  /** `carriedOver`: events the queue held when this run started (an earlier run's, stopped or killed before sending them). */
  destinations: { ref: string; delivered: number; refused: number; queued: number; dropped: number; carriedOver: number }[]
}

export interface Forwarder {
  start(): Promise<void>
  stop(): Promise<ForwarderSummary>
  status(): HistorianStatus
  pause(ref: string): DestinationStatus
  /**
   * `fresh`: the destination's configuration as saved now (its profile and secrets read again), so that a corrected
   * password or URL is used by the retry; the queue stays, and queue and batch sizes apply from the next start.
   */
  resume(ref: string, fresh?: DestinationConfig): DestinationStatus
}

export function queueDir(dataDir: string, id: string, ref: string): string {
  return join(forwarderDir(dataDir, id), ref.replace('/', '-'))
}

interface Running {
  config: DestinationConfig
  queue: EventQueue
  destination: Destination
  /** Events the queue held when it was opened. */
  carriedOver: number
  /** MQTT events taken since the link last asked for them to be written (`beforeAcks`), not yet in the queue. */
  lines: Buffer[]
  events: HistorianEvent[]
}

export function createForwarder(options: ForwarderOptions): Forwarder {
  const { config, logger } = options
  const now = options.now ?? Date.now
  const tuning = options.tuning ?? {}
  const router = createRouter(config.rules)
  const sequence = createSequence()
  const running = new Map<string, Running>()
  const cleanups: (() => void)[] = []
  let state: HistorianState = 'stopped'
  let reason: AppError | null = null
  let since = now()
  let link: PlatformLink | null = null
  let received = 0
  let unmatched = 0
  let intakeFailures = 0
  let unreadableTopics = 0
  let lastUnreadableTopic: string | null = null
  /** What the log last said of unreadable topics: how many, and when. */
  let unreadableLogged = { count: 0, at: 0 }
  /** MQTT events taken and not yet written (`Running.lines`): the acknowledgements the link holds for them. */
  let unwritten = 0
  let ticker: NodeJS.Timeout | undefined
  /** Each destination as the last stop left it: what waits in its queue on disk for the next start. */
  let left: DestinationStatus[] = []
  const filter = config.mqtt ? subscriptionFilter(config.mqtt.shareGroup) : null
  const statusFile = join(forwarderDir(options.dataDir, config.id), 'status.json')

  function status(): HistorianStatus {
    return {
      state,
      reason: reason ? reason.toInfo() : null,
      profileId: config.id,
      since: new Date(since).toISOString(),
      mqtt: { state: link ? link.state : 'off', filter, reason: link?.lastError?.toInfo() ?? null },
      mbed: config.mbed ? 'on' : 'off',
      received,
      unmatched,
      intakeFailures,
      unreadableTopics,
      lastUnreadableTopic,
      destinations: running.size > 0 ? [...running.values()].map((r) => r.destination.status()) : left,
    }
  }

  /**
   * The status file, for `fieldline historian status` in another process: replaced whole by a rename so that a reader
   * never sees half of it, and written off the event loop, because a rename costs milliseconds (up to a hundred on a
   * busy ext4) that would hold up the intake. One write at a time; a status that comes meanwhile waits, and only the
   * latest one is written.
   */
  let nextStatusBody: string | null = null
  let statusWrites: Promise<void> | null = null

  async function writeStatusFiles(): Promise<void> {
    for (let body = nextStatusBody; body !== null; body = nextStatusBody) {
      nextStatusBody = null
      try {
        await mkdir(forwarderDir(options.dataDir, config.id), { recursive: true })
        const tmp = `${statusFile}.tmp`
        await writeFile(tmp, body)
        await rename(tmp, statusFile)
      } catch (e) {
        logger?.warn({ err: e instanceof Error ? e.message : String(e) }, 'historian: could not write the status file')
      }
    }
    statusWrites = null
  }

  /** Resolves once the latest status is in the file (a caller about to exit, or to say it has started). */
  async function statusWritten(): Promise<void> {
    while (statusWrites) await statusWrites
  }

  /**
   * Set once `stop` has written the final status: a destination's maintenance still under way may change its state
   * after that, and must not write the forwarder's files (or say it runs) once the caller holds the forwarder stopped;
   * a test's cleanup met that as a folder filled again while it was being removed.
   */
  let closed = false

  function publish(changed: boolean): void {
    if (closed) return
    const s = status()
    nextStatusBody = JSON.stringify({ pid: process.pid, updatedAt: new Date().toISOString(), status: s })
    statusWrites ??= writeStatusFiles()
    options.onStatus?.(s, changed)
  }

  function setState(next: HistorianState, why: AppError | null = null): void {
    if (next === state && why === reason) return
    state = next
    reason = why
    since = now()
    logger?.info({ forwarder: config.id, state: next, reason: why?.message }, 'historian state')
    publish(true)
  }

  /**
   * One event from a source for the queue of every destination its rules name. `now` (the mbed bridge): written before
   * this returns, and it throws when a queue cannot take it: the caller must then not acknowledge the event (module
   * comment). Otherwise (MQTT) kept until `writeHeld`, which the link calls before any acknowledgement leaves.
   */
  function intake(type: string, device: string, event: string, format: string, payload: Buffer, writeNow: boolean): void {
    received++
    const refs = router.route(type, event)
    if (refs.length === 0) {
      unmatched++
      return
    }
    const receivedAt = now()
    const e: HistorianEvent = { id: '', org: config.org, type, device, event, format, receivedAt, payload }
    e.id = eventId(e, sequence())
    const line = encodeEvent(e)
    if (!writeNow) {
      for (const ref of refs) {
        const r = running.get(ref)
        if (!r) continue
        r.lines.push(line)
        r.events.push(e)
      }
      unwritten++
      return
    }
    try {
      for (const ref of refs) running.get(ref)?.queue.append(line, e)
    } catch (err) {
      intakeFailures++
      logger?.error({ err: err instanceof Error ? err.message : String(err) }, 'historian: an event could not be queued; it is not acknowledged')
      throw err
    }
    for (const ref of refs) running.get(ref)?.destination.notify()
  }

  /**
   * The MQTT events taken since the last call, into their queues with one write per queue (the link's `beforeAcks`).
   * Throws when a queue cannot take them: the link then sends none of their acknowledgements. The lines are let go
   * either way; those written to another queue before the failure come again with the messages (at least once).
   */
  function writeHeld(): void {
    if (unwritten === 0) return
    const count = unwritten
    unwritten = 0
    let failure: unknown
    for (const r of running.values()) {
      if (r.lines.length === 0) continue
      const lines = r.lines
      const events = r.events
      r.lines = []
      r.events = []
      if (failure !== undefined) continue
      try {
        r.queue.appendLines(lines, events)
        r.destination.notify()
      } catch (err) {
        failure = err
      }
    }
    if (failure === undefined) return
    intakeFailures += count
    logger?.error({ err: failure instanceof Error ? failure.message : String(failure), events: count }, 'historian: events could not be queued; they are not acknowledged')
    throw failure
  }

  function unreadable(topic: string): void {
    unreadableTopics++
    lastUnreadableTopic = topic.slice(0, 200)
    const t = now()
    if (unreadableLogged.count > 0 && t - unreadableLogged.at < 60_000) return
    logger?.warn(
      { forwarder: config.id, topic: lastUnreadableTopic, since: unreadableTopics - unreadableLogged.count, total: unreadableTopics },
      'historian: messages on topics that name no device event were acknowledged and not stored',
    )
    unreadableLogged = { count: unreadableTopics, at: t }
  }

  function onMqtt(topic: string, payload: Buffer): void {
    const t = parseTopic(topic)
    if (!t || t.kind !== 'event') return unreadable(topic)
    intake(t.type, t.id, t.name, t.fmt, payload, false)
  }

  function onMbed(topic: string, payload: string): void {
    const t = parseTopic(topic)
    if (!t || t.kind !== 'event') return unreadable(topic)
    intake(t.type, t.id, t.name, t.fmt, Buffer.from(payload, 'utf8'), true)
  }

  function openDestinations(): void {
    for (const d of config.destinations) {
      const queue = openEventQueue({
        dir: queueDir(options.dataDir, config.id, d.ref),
        capacity: d.settings.queueSize,
        ...(tuning.syncIntervalMs ? { syncIntervalMs: tuning.syncIntervalMs } : {}),
      })
      let sink: Sink
      try {
        sink = options.sinkFor ? options.sinkFor(d) : buildSink(d, config.org, logger, tuning)
      } catch (e) {
        queue.close()
        throw e
      }
      const destination = createDestination({
        ref: d.ref,
        name: d.name,
        queue,
        sink,
        batchSize: d.settings.batchSize,
        now,
        ...(tuning.backoff ? { backoff: tuning.backoff } : {}),
        ...(tuning.maintainEveryMs ? { maintainEveryMs: tuning.maintainEveryMs } : {}),
        ...(logger ? { logger } : {}),
        onState: () => publish(true),
      })
      running.set(d.ref, { config: d, queue, destination, carriedOver: queue.size, lines: [], events: [] })
    }
  }

  function closeQueues(): void {
    for (const r of running.values()) r.queue.close()
  }

  function startMqtt(): void {
    const m = config.mqtt
    if (!m || !filter) return
    const l = createPlatformLink({
      url: m.url,
      clientId: forwarderClientId(m.clientId, m.instanceId),
      ...(m.username !== undefined ? { username: m.username } : {}),
      ...(m.password !== undefined ? { password: m.password } : {}),
      ...(m.ca ? { ca: m.ca } : {}),
      protocolVersion: m.protocolVersion,
      session: { persistent: true, expirySeconds: m.sessionExpirySeconds },
      coalesceAcks: true,
      beforeAcks: writeHeld,
      ...(tuning.reconnect ? { reconnect: tuning.reconnect } : {}),
      ...(logger ? { logger } : {}),
    })
    link = l
    cleanups.push(
      l.on('state', (e) => {
        if (e.state === 'failed' && state === 'running') setState('failed', e.reason ?? null)
        else publish(true)
      }),
    )
    const unsubscribe = l.subscribe(filter, onMqtt, { refuseOnError: true })
    unsubscribe.ready.catch((e: unknown) => {
      if (state === 'running' && e instanceof AppError) setState('failed', e)
    })
    void l.connect().catch(() => undefined)
  }

  function summary(): ForwarderSummary {
    return {
      received,
      unmatched,
      intakeFailures,
      unreadableTopics,
      destinations: [...running.values()].map((r) => {
        const s = r.destination.status()
        return { ref: r.config.ref, delivered: s.delivered, refused: s.refused, queued: s.queued, dropped: s.dropped, carriedOver: r.carriedOver }
      }),
    }
  }

  return {
    status,

    async start() {
      if (state !== 'stopped') return
      closed = false
      setState('starting')
      try {
        openDestinations()
      } catch (e) {
        // The destinations opened before the one that failed were never started: stopping them closes their sinks.
        await Promise.all([...running.values()].map((r) => r.destination.stop(0)))
        closeQueues()
        running.clear()
        const error = e instanceof AppError ? e : AppError.withRef('INTERNAL', e instanceof Error ? e.message : String(e), { key: 'historian.startFailed' })
        setState('failed', error)
        await statusWritten()
        throw error
      }
      for (const r of running.values()) r.destination.start()
      if (config.mbed && options.mbed) cleanups.push(options.mbed.onDeviceEvent(onMbed))
      startMqtt()
      ticker = setInterval(() => {
        for (const r of running.values()) r.destination.tick()
        publish(false)
      }, 1_000)
      ticker.unref?.()
      setState('running')
      await statusWritten()
    },

    async stop() {
      if (state === 'stopped') return summary()
      setState('stopping')
      // Sources first: nothing new comes in while the queues drain. The session stays at the broker (no UNSUBSCRIBE),
      // which keeps events for the next run.
      for (const c of cleanups.splice(0)) c()
      if (link) await link.close()
      const drainMs = tuning.drainMs ?? 10_000
      await Promise.all([...running.values()].map((r) => r.destination.stop(drainMs)))
      if (ticker) clearInterval(ticker)
      const result = summary()
      left = [...running.values()].map((r) => r.destination.status())
      closeQueues()
      setState('stopped')
      running.clear()
      link = null
      await statusWritten()
      closed = true
      return result
    },

    pause(ref) {
      const r = mustGet(ref)
      r.destination.pause()
      return r.destination.status()
    },

    resume(ref, fresh) {
      const r = mustGet(ref)
      if (fresh && fresh.ref === ref) {
        const sink = options.sinkFor ? options.sinkFor(fresh) : buildSink(fresh, config.org, logger, tuning)
        r.config = fresh
        r.destination.resume({ sink, name: fresh.name })
      } else {
        r.destination.resume()
      }
      return r.destination.status()
    },
  }

  function mustGet(ref: string): Running {
    const r = running.get(ref)
    if (!r) throw AppError.withRef('NOT_FOUND', `The running forwarder has no destination ${ref}`, { key: 'historian.notADestination', params: { ref } })
    return r
  }
}
