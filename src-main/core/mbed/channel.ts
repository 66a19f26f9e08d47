/**
 * The notification channel (docs/wire/mbed.md §1.5): how notifications, registrations and async responses reach
 * the bridge. Two kinds, one interface:
 *
 * Long poll — a loop of GET /v2/notification/pull:
 * - 200 → an envelope; poll again at once. 204 → the server's hold ran out; poll again at once.
 * - The first poll, and the first after any trouble, carries noWait=true (CN does so for the first): it creates the
 *   channel and answers at once, so 'open' is reported as soon as the service answers rather than after a full hold.
 * - 410 → the channel was deleted. §1.5 says not to GET for 2 minutes after a delete (stray 410/200/204 meanwhile),
 *   so the loop waits `goneWaitMs` (default 120 s) and then polls, which re-creates the channel.
 * - 429 → waits (the service's Retry-After when it gave one, else the back-off) and continues.
 * - 401/403 → stops, state 'failed' with AUTH_FAILED. Also fatal: TLS failures (another attempt meets the same
 *   certificate), 404 (no long polling on this host), 409 (another channel type owns the key), a host that is not an
 *   mbed API. Everything else (network, timeouts, 5xx) → reconnect with exponential back-off and jitter.
 *
 * WebSocket (Pelion) — PUT /v2/notification/websocket, then connect with `Authorization: Bearer`:
 * - close 1006 (abnormal), 1012 (service restart) and codes the spec does not name → reconnect with back-off.
 * - 1011 (no channel, or a server error) → PUT the channel again, then reconnect with back-off.
 * - 1008 (key invalidated) → stop, AUTH_FAILED.
 * - 1000 (normal: §1.5 says the channel was deleted) → stop. Someone holding the key deleted the channel; taking it
 *   back automatically would fight whoever did so, and notifications queued before were dropped with it.
 * - 1001 (§1.5: a newer socket replaced this one) → stop, CONFLICT. Reconnecting would close the other client's
 *   socket in turn and the two would evict each other forever (the MQTT link treats "session taken over" alike).
 * - A handshake answered 401/403 → AUTH_FAILED; 404 → no WebSocket channel on this host; 5xx/429 → back-off.
 * - A ping every 30 s; a socket that does not answer by the next ping is dropped and reconnected (a half-open TCP
 *   connection otherwise looks alive for hours).
 *
 * Back-pressure (`ready`): while the bridge cannot hand messages to the broker as fast as mbed delivers them, the
 * channel stops reading, and notifications wait in mbed's own queue instead of being dropped from the bridge's.
 *
 * Stopping is graceful and loses nothing the service already handed over: a held long poll is displaced by one last
 * noWait poll (§1.5 allows one poll per key; [I] the newer poll wins, so the held one is answered at once) and
 * whatever either returns is still delivered; a socket is closed with 1000 and frames before its close are delivered.
 * The channel is not deleted on stop: its server-side queue keeps notifications for the next start (10 min for a
 * pull channel, 24 h for a WebSocket channel, §1.5).
 */
import type { WebSocket } from 'ws'
import { AppError } from '../common/errors'
import { classifyTransportError } from '../http/transport-errors'
import type { Logger } from '../log/logger'
import { backoffDelay } from '../common/backoff'
import type { MbedClient } from './connector.client'
import { envelopeSize, parseEnvelope, type MalformedItem, type MbedEnvelope } from './envelope'

export { parseEnvelope, type MbedEnvelope } from './envelope'

export type ChannelKind = 'longpoll' | 'websocket'

/**
 * 'connecting': the first attempt is in flight; 'open': the service answered and notifications flow;
 * 'reconnecting': waiting before the next attempt (reason says why); 'failed': stopped by something retrying cannot
 * fix (reason); 'stopping' / 'stopped': stop() was called.
 */
export type ChannelState = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'stopping' | 'stopped' | 'failed'

export interface ChannelStateEvent {
  state: ChannelState
  previous: ChannelState
  reason?: AppError
  retryInMs?: number
}

export interface ChannelStats {
  envelopes: number
  items: number
  malformed: number
  /** Long polls answered 204. */
  idlePolls: number
  /** Attempts made after a failure (polls or sockets). */
  reconnects: number
  /** Times the channel was re-created: long poll after a 410, WebSocket re-PUT after 1011. */
  recreated: number
  /** 429 answers met. */
  rateLimited: number
  /** Items that arrived after stop() had given up waiting and were therefore not delivered. */
  lostAfterStop: number
}

export interface NotificationChannelOptions {
  client: MbedClient
  /** Default 'longpoll'; 'websocket' needs a Pelion/Izuma host. */
  kind?: ChannelKind
  /** Called for every envelope, in arrival order. It must not throw (a throw is logged and the envelope skipped). */
  onEnvelope: (envelope: MbedEnvelope) => void
  logger?: Logger
  /** Back-off between attempts after failures; default 1 s doubling to 60 s, with jitter. */
  reconnect?: { minMs: number; maxMs: number }
  /** Wait after a 410 before polling again (§1.5: 2 minutes after a delete). Default 120,000. */
  goneWaitMs?: number
  /** How long stop() waits for a held poll or a closing socket. Default 5,000. */
  stopTimeoutMs?: number
  /** WebSocket keep-alive ping period. Default 30,000. */
  pingIntervalMs?: number
  /** Jitter source in [0, 1); tests pass a fixed one. */
  random?: () => number
  /**
   * Back-pressure: consulted before each poll and after each frame; a promise means "not now" and the channel
   * waits for it (the long poll does not poll, the socket stops reading) — what is not read stays queued at mbed.
   */
  ready?: () => Promise<void> | null
}

export interface NotificationChannel {
  readonly kind: ChannelKind
  readonly state: ChannelState
  /** Why the channel is 'reconnecting' or 'failed'. */
  readonly lastError: AppError | undefined
  on(event: 'state', listener: (event: ChannelStateEvent) => void): () => void
  /** Starts the loop (from idle, stopped or failed). Never throws; trouble shows as state events. */
  start(): void
  stop(): Promise<void>
  stats(): ChannelStats
}

const DEFAULT_RECONNECT = { minMs: 1_000, maxMs: 60_000 }
/** [I] A Retry-After longer than this is capped: the bridge keeps trying rather than sleeping for hours. */
const MAX_RETRY_AFTER_MS = 10 * 60_000
/** One log line per this period at most for malformed items, with the number suppressed since the last. */
const MALFORMED_LOG_PERIOD_MS = 10_000

const noopLogger: Logger = { info: () => {}, warn: () => {}, error: () => {}, debug: () => {} }

/** Codes that another attempt cannot fix. */
const FATAL_CODES = new Set(['AUTH_FAILED', 'TLS', 'CONFLICT', 'NOT_FOUND', 'VALIDATION', 'FORBIDDEN'])

/** Whether another attempt cannot cure this failure of the channel (the operator must act on its reason). */
export const cannotHeal = (error: AppError): boolean => FATAL_CODES.has(error.code)

function asAppError(e: unknown, where: string): AppError {
  if (e instanceof AppError) return e
  const host = URL.canParse(where) ? new URL(where).host : where
  const transport = classifyTransportError(e)
  if (transport?.kind === 'tls')
    return AppError.withRef('TLS', `The secure connection to ${where} could not be verified: ${transport.explained}`, { key: 'errors.tls', params: { host, reason: transport.code } })
  if (transport?.kind === 'timeout') return AppError.withRef('TIMEOUT', `${where}: ${transport.explained}`, { key: 'mbed.channelTimeout', params: { url: where } })
  const reason = transport?.explained ?? (e instanceof Error ? e.message : String(e)).slice(0, 200)
  return AppError.withRef('NETWORK', `Cannot reach mbed at ${where}: ${reason}`, { key: 'errors.network', params: { host, reason: transport?.code ?? 'UNKNOWN' } })
}

interface Sleeper {
  promise: Promise<void>
  wake(): void
}

function sleeper(ms: number): Sleeper {
  let wake!: () => void
  const promise = new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms)
    wake = () => {
      clearTimeout(timer)
      resolve()
    }
  })
  return { promise, wake }
}

/** A promise resolved by `wake()`, without a timer (a timer would keep the process alive). */
function latch(): Sleeper {
  let wake!: () => void
  const promise = new Promise<void>((resolve) => (wake = resolve))
  return { promise, wake }
}

function withTimeout(p: Promise<unknown>, ms: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms)
    void p.then(
      () => {
        clearTimeout(timer)
        resolve()
      },
      () => {
        clearTimeout(timer)
        resolve()
      },
    )
  })
}

/** What ended one socket's life, as the reconnect decision needs it. */
type SocketEnd = { kind: 'closed'; code: number; reason: string; opened: boolean } | { kind: 'refused'; status: number } | { kind: 'error'; error: unknown }

export function createNotificationChannel(options: NotificationChannelOptions): NotificationChannel {
  const { client } = options
  const kind = options.kind ?? 'longpoll'
  const log = options.logger ?? noopLogger
  const reconnect = options.reconnect ?? DEFAULT_RECONNECT
  const goneWaitMs = options.goneWaitMs ?? 120_000
  const stopTimeoutMs = options.stopTimeoutMs ?? 5_000
  const pingIntervalMs = options.pingIntervalMs ?? 30_000
  const random = options.random ?? Math.random
  const where = client.apiUrl

  let state: ChannelState = 'idle'
  let lastError: AppError | undefined
  let generation = 0
  let loop: Promise<void> | null = null
  let sleeping: Sleeper | null = null
  let pollInFlight: Promise<unknown> | null = null
  let socket: WebSocket | null = null
  let socketEnded: Promise<unknown> | null = null
  const listeners = new Set<(event: ChannelStateEvent) => void>()
  const stats: ChannelStats = { envelopes: 0, items: 0, malformed: 0, idlePolls: 0, reconnects: 0, recreated: 0, rateLimited: 0, lostAfterStop: 0 }
  let malformedLog = { last: 0, suppressed: 0 }
  let stopRequested = latch()

  function setState(next: ChannelState, extra: { reason?: AppError; retryInMs?: number } = {}): void {
    if (next === state && next !== 'reconnecting') return
    const previous = state
    state = next
    if (next === 'reconnecting' || next === 'failed') lastError = extra.reason
    else if (next === 'open' || next === 'stopped') lastError = undefined
    const event: ChannelStateEvent = { state: next, previous, ...extra }
    log.info({ channel: kind, api: where, state: next, previous, retryInMs: extra.retryInMs, reason: extra.reason?.message }, 'mbed channel state')
    for (const listener of [...listeners]) {
      try {
        listener(event)
      } catch (e) {
        log.error({ err: e instanceof Error ? e.message : String(e) }, 'mbed channel: a state listener threw')
      }
    }
  }

  const active = (gen: number): boolean => gen === generation && (state === 'connecting' || state === 'open' || state === 'reconnecting')

  function onMalformed(item: MalformedItem): void {
    const now = Date.now()
    if (now - malformedLog.last < MALFORMED_LOG_PERIOD_MS) {
      malformedLog.suppressed++
      return
    }
    log.warn({ channel: kind, key: item.key, index: item.index, issue: item.issue, suppressed: malformedLog.suppressed }, 'mbed channel: malformed envelope item skipped')
    malformedLog = { last: now, suppressed: 0 }
  }

  function deliver(body: unknown): void {
    const envelope = parseEnvelope(body, onMalformed)
    const size = envelopeSize(envelope)
    if (state === 'stopped' || state === 'idle') {
      // stop() gave up waiting before this arrived: the service considers it delivered; say so loudly.
      stats.lostAfterStop += size
      log.warn({ channel: kind, items: size }, 'mbed channel: an envelope arrived after the channel stopped; its items were not bridged')
      return
    }
    stats.envelopes++
    stats.items += size
    stats.malformed += envelope.malformed
    try {
      options.onEnvelope(envelope)
    } catch (e) {
      log.error({ channel: kind, err: e instanceof Error ? e.message : String(e) }, 'mbed channel: the envelope handler threw')
    }
  }

  function fail(error: AppError): void {
    log.warn({ channel: kind, code: error.code, reason: error.message }, 'mbed channel: stopping, this cannot be fixed by retrying')
    setState('failed', { reason: error })
  }

  /** Waits `ms` unless stop() comes first; returns whether the loop should go on. */
  async function pause(gen: number, ms: number, reason: AppError): Promise<boolean> {
    if (!active(gen)) return false
    setState('reconnecting', { reason, retryInMs: ms })
    sleeping = sleeper(ms)
    await sleeping.promise
    sleeping = null
    if (!active(gen)) return false
    stats.reconnects++
    return true
  }

  // ---- long poll ----------------------------------------------------------------------------------------------------

  async function pollLoop(gen: number): Promise<void> {
    let noWait = true
    let failures = 0
    while (active(gen)) {
      const gate = options.ready?.()
      if (gate) {
        // stop() must not wait for the gate: the bridge opens it only as the broker catches up.
        await Promise.race([gate, stopRequested.promise])
        if (!active(gen)) return
      }
      let result: Awaited<ReturnType<MbedClient['pull']>>
      try {
        const p = client.pull({ noWait })
        pollInFlight = p
        result = await p
      } catch (e) {
        pollInFlight = null
        if (gen !== generation || state === 'stopping' || state === 'stopped') return
        const error = asAppError(e, where)
        if (cannotHeal(error)) {
          fail(error)
          return
        }
        failures++
        noWait = true
        if (!(await pause(gen, backoffDelay(failures, reconnect, random), error))) return
        continue
      }
      pollInFlight = null
      if (gen !== generation) return
      switch (result.kind) {
        case 'envelope':
          failures = 0
          noWait = false
          if (state !== 'stopping') setState('open')
          deliver(result.body)
          break
        case 'idle':
          failures = 0
          noWait = false
          stats.idlePolls++
          if (state !== 'stopping') setState('open')
          break
        case 'gone': {
          if (state === 'stopping') return
          stats.recreated++
          noWait = true
          const error = AppError.withRef('NOT_FOUND', `mbed deleted the long-poll channel (410); polling again in ${Math.round(goneWaitMs / 1000)} s re-creates it`, {
            key: 'mbed.channelGone',
            params: { seconds: Math.round(goneWaitMs / 1000) },
          })
          log.warn({ channel: kind, waitMs: goneWaitMs }, 'mbed channel: 410, channel deleted on the server')
          if (!(await pause(gen, goneWaitMs, error))) return
          break
        }
        case 'rateLimited': {
          if (state === 'stopping') return
          stats.rateLimited++
          failures++
          noWait = true
          const delay = result.retryAfterMs !== null ? Math.min(result.retryAfterMs, MAX_RETRY_AFTER_MS) : backoffDelay(failures, reconnect, random)
          const error = AppError.withRef('RATE_LIMITED', `mbed asked to slow down (429); polling again in ${Math.ceil(delay / 1000)} s`, {
            key: 'mbed.channelRateLimited',
            params: { seconds: Math.ceil(delay / 1000) },
          })
          if (!(await pause(gen, delay, error))) return
          break
        }
      }
      if (state === 'stopping') return
    }
  }

  // ---- WebSocket ----------------------------------------------------------------------------------------------------

  /** Opens one socket and resolves when it is gone, with what ended it. */
  function runSocket(gen: number, onOpen: () => void, onMessage: () => void): Promise<SocketEnd> {
    return new Promise<SocketEnd>((resolve) => {
      let ws: WebSocket
      try {
        ws = client.openWebSocket()
      } catch (e) {
        resolve({ kind: 'error', error: e })
        return
      }
      socket = ws
      let opened = false
      let refusedStatus: number | null = null
      let lastError: unknown
      let alive = true
      let ping: NodeJS.Timeout | undefined
      ws.on('unexpected-response', (req, res) => {
        refusedStatus = res.statusCode ?? 0
        res.resume()
        req.destroy()
        ws.terminate()
      })
      ws.on('open', () => {
        opened = true
        if (gen !== generation) {
          ws.close(1000)
          return
        }
        ping = setInterval(() => {
          if (!alive) {
            log.warn({ channel: kind }, 'mbed channel: no pong from the WebSocket; dropping it')
            ws.terminate()
            return
          }
          alive = false
          ws.ping()
        }, pingIntervalMs)
        ping.unref?.()
        onOpen()
      })
      ws.on('pong', () => {
        alive = true
      })
      ws.on('message', (data, isBinary) => {
        alive = true
        onMessage()
        const text = Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.from(data).toString('utf8')
        let body: unknown
        try {
          body = JSON.parse(text)
        } catch {
          body = undefined
        }
        if (isBinary && body === undefined) log.debug({ channel: kind }, 'mbed channel: a binary frame that is not JSON')
        deliver(body)
        const gate = options.ready?.()
        if (gate && !ws.isPaused) {
          ws.pause()
          void gate.then(() => ws.resume())
        }
      })
      ws.on('error', (e) => {
        lastError = e
      })
      ws.on('close', (code, reason) => {
        if (ping) clearInterval(ping)
        if (socket === ws) socket = null
        if (refusedStatus !== null) resolve({ kind: 'refused', status: refusedStatus })
        else if (!opened && lastError !== undefined) resolve({ kind: 'error', error: lastError })
        else resolve({ kind: 'closed', code, reason: reason.toString('utf8').slice(0, 200), opened })
      })
    })
  }

  async function wsLoop(gen: number): Promise<void> {
    let needRegister = true
    let failures = 0
    while (active(gen)) {
      if (needRegister) {
        try {
          await client.registerWebSocket()
          needRegister = false
        } catch (e) {
          if (!active(gen)) return
          const error = asAppError(e, where)
          if (cannotHeal(error)) {
            fail(error)
            return
          }
          if (error.code === 'RATE_LIMITED') stats.rateLimited++
          failures++
          if (!(await pause(gen, backoffDelay(failures, reconnect, random), error))) return
          continue
        }
      }
      let openedAt = 0
      const ended = runSocket(
        gen,
        () => {
          openedAt = Date.now()
          if (state !== 'stopping') setState('open')
        },
        () => {
          // A socket that delivers is a working one: the next trouble starts the back-off from its first step.
          failures = 0
        },
      )
      socketEnded = ended
      const end = await ended
      socketEnded = null
      if (!active(gen)) return
      // A socket that stayed up a while also resets the back-off; one closed right after its handshake does not,
      // so a server that accepts and then drops us cannot pull the loop into a fast cycle.
      if (openedAt > 0 && Date.now() - openedAt >= reconnect.maxMs) failures = 0

      let error: AppError
      if (end.kind === 'refused') {
        if (end.status === 401 || end.status === 403) {
          fail(AppError.withRef('AUTH_FAILED', `mbed refused the access key for the WebSocket channel (HTTP ${end.status})`, { key: 'mbed.authFailed', params: { status: end.status } }))
          return
        }
        if (end.status === 404) {
          fail(AppError.withRef('NOT_FOUND', `${where} does not offer the WebSocket channel (HTTP 404)`, { key: 'mbed.websocketUnavailable' }))
          return
        }
        if (end.status === 429) stats.rateLimited++
        error = AppError.withRef('NETWORK', `mbed refused the WebSocket connection (HTTP ${end.status})`, { key: 'mbed.websocketRefused', params: { status: end.status } })
      } else if (end.kind === 'error') {
        error = asAppError(end.error, where)
        if (error.code === 'TLS') {
          fail(error)
          return
        }
      } else {
        const { code } = end
        if (code === 1008) {
          fail(AppError.withRef('AUTH_FAILED', 'mbed closed the WebSocket channel: the access key was invalidated (1008)', { key: 'mbed.keyInvalidated' }))
          return
        }
        if (code === 1000) {
          fail(AppError.withRef('NOT_FOUND', 'mbed closed the WebSocket channel normally (1000): the channel was deleted on the server', { key: 'mbed.channelDeleted' }))
          return
        }
        if (code === 1001) {
          fail(AppError.withRef('CONFLICT', 'Another client opened the WebSocket channel of this access key and replaced this one (1001)', { key: 'mbed.channelReplaced' }))
          return
        }
        if (code === 1011) {
          // §1.5: no channel (PUT first) or a server error: register again before the next socket.
          needRegister = true
          stats.recreated++
        }
        error = AppError.withRef('NETWORK', `The WebSocket channel closed (${code}${end.reason ? ` ${end.reason}` : ''}); reconnecting`, { key: 'mbed.websocketClosed', params: { code } })
      }
      failures++
      if (!(await pause(gen, backoffDelay(failures, reconnect, random), error))) return
    }
  }

  // ---- the channel --------------------------------------------------------------------------------------------------

  return {
    kind,
    get state() {
      return state
    },
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

    start() {
      if (state === 'connecting' || state === 'open' || state === 'reconnecting' || state === 'stopping') return
      generation++
      const gen = generation
      malformedLog = { last: 0, suppressed: 0 }
      stopRequested.wake()
      stopRequested = latch()
      setState('connecting')
      loop = (kind === 'websocket' ? wsLoop(gen) : pollLoop(gen)).catch((e: unknown) => {
        // A bug in the loop itself: surface it as a failure rather than a silent stop, and not as a network fault
        // ("Cannot reach mbed" would send the operator to check a host that answers fine). INTERNAL is not in
        // FATAL_CODES: the bridge starts the channel again by itself (bridge.ts).
        const message = (e instanceof Error ? e.message : String(e)).slice(0, 200)
        log.error({ channel: kind, err: message }, 'mbed channel: the loop failed')
        if (gen === generation) {
          fail(
            e instanceof AppError
              ? e
              : AppError.withRef('INTERNAL', `The notification channel stopped on an unexpected error: ${message}`, { key: 'mbed.channelCrashed', params: { reason: message } }),
          )
        }
      })
    },

    async stop() {
      if (state === 'idle' || state === 'stopped') {
        state = 'stopped'
        return
      }
      if (state === 'failed') {
        generation++
        setState('stopped')
        return
      }
      if (state === 'stopping') {
        await withTimeout(loop ?? Promise.resolve(), stopTimeoutMs)
        return
      }
      setState('stopping')
      sleeping?.wake()
      stopRequested.wake()
      const waits: Promise<unknown>[] = []
      if (loop) waits.push(loop)
      if (kind === 'longpoll' && pollInFlight) {
        // Displace the held poll and collect what is queued, rather than wait out the server's hold.
        waits.push(
          client.pull({ noWait: true }).then(
            (r) => {
              if (r.kind === 'envelope') deliver(r.body)
            },
            () => undefined,
          ),
        )
      }
      const ws = socket
      if (kind === 'websocket' && ws) {
        ws.close(1000, 'client stopping')
        if (socketEnded) waits.push(socketEnded)
      }
      await withTimeout(Promise.all(waits), stopTimeoutMs)
      if (ws && socket === ws) ws.terminate()
      generation++
      setState('stopped')
    },

    stats() {
      return { ...stats }
    },
  }
}
