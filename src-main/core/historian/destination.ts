/**
 * One destination at work: takes batches from its on-disk queue, hands them to its sink, and confirms them in the queue
 * only once every event of the batch is stored (or refused for good).
 *
 * What each verdict (delivery-error.ts) does:
 * - retry: the events that were not stored (all of them, or only the failed rows) are sent again after the service's
 *   Retry-After, else after an exponential back-off with jitter; meanwhile the state is 'backingOff' with the reason
 *   and the time of the next try. Events keep waiting in the queue (bounded; drop-oldest is the queue's rule).
 * - split: the batch is sent in halves; one event still too large on its own is refused, counted and logged.
 * - stop: the destination goes 'failed' with the reason and sends nothing more until `resume`; its queue keeps
 *   filling (and drops the oldest when full).
 *
 * At start (and on resume) the destination checks its service once (`sink.maintain`: the bucket databases; else
 * `sink.check`: a connection), so an unreachable or refusing service shows as a state before the first event: 'failed'
 * on a stop verdict, 'backingOff' on a retry one, the check being tried again at the time the state gives. Each new
 * back-off step is a state change of its own, so the next-try time reported is always the one that applies.
 *
 * Pause stops taking batches (a request already sent finishes); resume takes up again, also after 'failed', with a new
 * sink when the caller gives one (the destination's profile as saved now: a corrected password, a new URL); the old
 * sink is closed once the requests it has under way have finished.
 * `stop` drains: it sends what is queued for at most `drainMs`, then leaves the rest in the queue for the next run.
 */
import { DESTINATION_WAITING_MS, type DestinationState, type DestinationStatus } from '../../../src-shared/models/historian'
import type { ErrorInfo } from '../../../src-shared/contract'
import { backoffDelay } from '../common/backoff'
import type { Logger } from '../log/logger'
import { asDeliveryError, type DeliveryError } from './delivery-error'
import type { EventQueue, TakenEvents } from './event-queue'
import type { HistorianEvent } from './event'
import type { Sink } from './sink'

export interface DestinationOptions {
  ref: string
  name: string
  queue: EventQueue
  sink: Sink
  batchSize: number
  /** Payload bytes per batch at most (Cloudant refuses requests over 64 MB). Default 8 MiB. */
  maxBatchBytes?: number
  /** Back-off between failed attempts. Default 1 s doubling to 60 s. */
  backoff?: { minMs: number; maxMs: number }
  /** The longest Retry-After honoured as such; a longer one is waited in steps of this. Default 10 min. */
  maxRetryAfterMs?: number
  /** How often `sink.maintain` runs (bucket databases ahead of the boundary). Default 60 s. */
  maintainEveryMs?: number
  now?: () => number
  random?: () => number
  logger?: Logger
  /** Every state change, for the log line and the UI. */
  onState?: (status: DestinationStatus) => void
}

export interface Destination {
  readonly ref: string
  start(): void
  /** New events were queued. */
  notify(): void
  pause(): void
  /** `replacement`: the sink (and name) to go on with, built from the destination's configuration as saved now. */
  resume(replacement?: { sink: Sink; name: string }): void
  stop(drainMs: number): Promise<void>
  status(): DestinationStatus
  /** Called once a second: measures events/s. */
  tick(): void
  readonly delivered: number
}

export function createDestination(options: DestinationOptions): Destination {
  const { queue, ref } = options
  let sink = options.sink
  let name = options.name
  /** Deliveries and maintenance under way, so that a sink replaced on resume is closed only once they are done. */
  const underway = new Set<Promise<unknown>>()
  /** When each batch in flight was sent, for `waitingSince`. */
  const sentAt = new Set<{ at: number }>()
  function tracked<T>(work: Promise<T>): Promise<T> {
    underway.add(work)
    void work.then(
      () => underway.delete(work),
      () => underway.delete(work),
    )
    return work
  }
  const now = options.now ?? Date.now
  const log = options.logger
  const backoff = options.backoff ?? { minMs: 1_000, maxMs: 60_000 }
  const maxRetryAfter = options.maxRetryAfterMs ?? 600_000
  const maxBatchBytes = options.maxBatchBytes ?? 8 * 1024 * 1024

  let state: DestinationState = 'idle'
  let reason: DeliveryError | null = null
  let nextTryAt: number | null = null
  let lastError: { error: ErrorInfo; at: number } | null = null
  let failures = 0
  /** Back-off steps taken so far (scheduleRetry). */
  let backoffRound = 0
  let backoffUntil = 0
  /** The end of a wait the service asked for (Retry-After): a check that succeeds meanwhile does not cut it short. */
  let askedUntil = 0
  let paused = false
  let failed = false
  let draining = false
  let stopping = false
  let delivered = 0
  let refused = 0
  let rate = { count: 0, perSecond: 0, at: now() }
  let lanes: Promise<void>[] = []
  let maintainTimer: NodeJS.Timeout | undefined
  /** The check tried again at the end of a back-off it caused. */
  let recheckTimer: NodeJS.Timeout | undefined
  let waiters: (() => void)[] = []

  function wake(): void {
    const w = waiters
    waiters = []
    for (const f of w) f()
  }

  /** Sleeps `ms`, or until something changes (new events, pause, resume, stop). */
  function nap(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, Math.max(0, ms))
      function done(): void {
        clearTimeout(timer)
        waiters = waiters.filter((w) => w !== done)
        resolve()
      }
      waiters.push(done)
    })
  }

  function status(): DestinationStatus {
    const oldest = queue.oldestReceivedAt()
    const t = now()
    return {
      ref: ref as DestinationStatus['ref'],
      name,
      state,
      reason: reason ? reason.toInfo() : null,
      nextTryAt: nextTryAt !== null ? new Date(nextTryAt).toISOString() : null,
      eventsPerSecond: rate.perSecond,
      delivered,
      refused,
      queued: queue.size,
      queueSize: queue.capacity,
      oldestQueuedAt: oldest !== null ? new Date(oldest).toISOString() : null,
      oldestQueuedAgeSeconds: oldest !== null ? Math.max(0, Math.round((t - oldest) / 100) / 10) : null,
      dropped: queue.dropped,
      lastError: lastError?.error ?? null,
      lastErrorAt: lastError ? new Date(lastError.at).toISOString() : null,
      waitingSince: waitingSince(t),
    }
  }

  function waitingSince(t: number): string | null {
    let oldest = Infinity
    for (const s of sentAt) oldest = Math.min(oldest, s.at)
    return t - oldest >= DESTINATION_WAITING_MS ? new Date(oldest).toISOString() : null
  }

  function setState(next: DestinationState, why: DeliveryError | null = null, retryAt: number | null = null): void {
    const sameReason = (why?.details?.ref?.key ?? why?.code) === (reason?.details?.ref?.key ?? reason?.code)
    // A new back-off step (a later next try) is a change too: otherwise the next-try time shown would be the first one's.
    const changed = next !== state || !sameReason || (next === 'backingOff' && retryAt !== nextTryAt)
    state = next
    reason = why
    nextTryAt = retryAt
    if (!changed) return
    log?.info({ destination: ref, state: next, reason: why?.message, code: why?.code }, 'historian destination state')
    options.onState?.(status())
  }

  function noteError(e: DeliveryError): void {
    lastError = { error: e.toInfo(), at: now() }
  }

  function fail(e: DeliveryError): void {
    noteError(e)
    failed = true
    log?.warn({ destination: ref, code: e.code, reason: e.message }, 'historian destination stopped: fix the cause, then resume it')
    setState('failed', e)
  }

  /**
   * `round` is the back-off round the failed request was sent in. Batches in flight side by side meet an outage
   * together: the first failure of a round takes the next step, and the others of the same round (sent before that step
   * was taken) do not take it again. A Retry-After is honoured whichever request carried it.
   */
  function scheduleRetry(e: DeliveryError, round: number): void {
    noteError(e)
    const asked = e.retryAfterMs
    const escalate = round === backoffRound
    if (escalate) {
      failures++
      backoffRound++
    }
    if (asked !== null) {
      askedUntil = Math.max(askedUntil, now() + Math.min(asked, maxRetryAfter))
      backoffUntil = Math.max(backoffUntil, askedUntil)
    } else if (escalate) backoffUntil = Math.max(backoffUntil, now() + backoffDelay(failures, backoff, options.random))
    setState('backingOff', e, backoffUntil)
  }

  function succeeded(): void {
    failures = 0
    if (state !== 'connected' && !paused && !failed) setState('connected')
  }

  const blocked = (): boolean => paused || failed || stopping

  /** Waits out the back-off; false when the destination was paused, failed or stopped meanwhile. */
  async function waitTurn(): Promise<boolean> {
    for (;;) {
      if (blocked()) return false
      const left = backoffUntil - now()
      if (left <= 0) return true
      await nap(left)
    }
  }

  function splitInHalves(events: HistorianEvent[]): [HistorianEvent[], HistorianEvent[]] {
    const half = Math.ceil(events.length / 2)
    return [events.slice(0, half), events.slice(half)]
  }

  /** Sends one batch until every event is stored or refused; false when it had to give the batch back. */
  async function send(batch: TakenEvents): Promise<boolean> {
    const chunks: HistorianEvent[][] = [[...batch.items]]
    while (chunks.length > 0) {
      if (!(await waitTurn())) return false
      // The queue, full meanwhile, may have dropped some of them: they are counted as dropped, so they are not sent.
      const chunk = (chunks[0] as HistorianEvent[]).filter((e) => !queue.wasDropped(e))
      if (chunk.length === 0) {
        chunks.shift()
        continue
      }
      chunks[0] = chunk
      const round = backoffRound
      const sending = { at: now() }
      sentAt.add(sending)
      try {
        const r = await tracked(sink.deliver(chunk)).finally(() => sentAt.delete(sending))
        delivered += r.stored
        rate.count += r.stored
        for (const x of r.refused) {
          refused++
          log?.warn({ destination: ref, id: x.event.id, reason: x.error.message }, 'historian: the destination refused an event for good')
        }
        if (r.retry) {
          chunks[0] = r.retry.events
          scheduleRetry(r.retry.error, round)
          continue
        }
        chunks.shift()
        succeeded()
      } catch (e) {
        const d = asDeliveryError(e)
        if (d.verdict === 'split') {
          chunks.shift()
          if (chunk.length === 1) {
            refused++
            noteError(d)
            log?.warn({ destination: ref, id: chunk[0]?.id, reason: d.message }, 'historian: an event is too large for the destination on its own; refused')
          } else {
            chunks.unshift(...splitInHalves(chunk))
          }
          continue
        }
        if (d.verdict === 'stop') {
          fail(d)
          return false
        }
        scheduleRetry(d, round)
      }
    }
    return true
  }

  async function lane(): Promise<void> {
    for (;;) {
      if (stopping) return
      if (blocked()) {
        if (draining) return
        await nap(60_000)
        continue
      }
      const batch = queue.take(options.batchSize, maxBatchBytes)
      if (!batch) {
        if (draining) return
        await nap(1_000)
        continue
      }
      let ok = false
      try {
        ok = await send(batch)
      } finally {
        if (ok) queue.commit(batch)
        else queue.release(batch)
      }
    }
  }

  /**
   * The bucket databases ahead of the boundary (`sink.maintain`), or with `check`, where the sink has no maintenance,
   * its connection. A failure is the destination's state: 'failed' for a stop verdict; for a retry one, a back-off step
   * whose end tries again.
   */
  async function maintain(check = false): Promise<void> {
    const s = sink
    const work = s.maintain ? () => (s.maintain as NonNullable<Sink['maintain']>)(now()) : check && s.check ? () => (s.check as NonNullable<Sink['check']>)() : null
    if (!work || blocked()) return
    const round = backoffRound
    try {
      await tracked(work())
      // The service answered while the lanes wait out a back-off of our own (refused connections, 5xx): it is back, so
      // they go on now instead of at the next step's end, which the state would otherwise hide behind 'connected' with
      // the queue growing (cold trial: « Connectée », 175 events waiting, nothing sent for 15 s). A wait the service
      // asked for (Retry-After) is kept, and so is the state that says so.
      if (backoffUntil > now()) {
        if (askedUntil > now()) return
        backoffUntil = now()
        clearTimeout(recheckTimer)
        wake()
      }
      succeeded()
    } catch (e) {
      const d = asDeliveryError(e)
      if (d.verdict === 'stop') return fail(d)
      if (blocked()) return noteError(d)
      scheduleRetry(d, round)
      clearTimeout(recheckTimer)
      recheckTimer = setTimeout(() => void maintain(true), Math.max(0, backoffUntil - now()))
      recheckTimer.unref?.()
    }
  }

  return {
    ref,
    get delivered() {
      return delivered
    },

    start() {
      void maintain(true)
      maintainTimer = setInterval(() => void maintain(), options.maintainEveryMs ?? 60_000)
      maintainTimer.unref?.()
      lanes = Array.from({ length: Math.max(1, sink.concurrency) }, () =>
        lane().catch((e: unknown) => {
          // A lane must never die silently: the queue keeps the events, the status says why.
          const d = asDeliveryError(e)
          log?.error({ destination: ref, err: d.message }, 'historian: a delivery lane failed')
          fail(d)
        }),
      )
    },

    notify() {
      if (waiters.length > 0 && !blocked() && backoffUntil <= now()) wake()
    },

    pause() {
      paused = true
      setState('paused')
      wake()
    },

    resume(replacement) {
      if (replacement) {
        const old = sink
        sink = replacement.sink
        name = replacement.name
        void Promise.allSettled([...underway]).then(() => old.close().catch(() => undefined))
      }
      paused = false
      failed = false
      failures = 0
      backoffUntil = 0
      askedUntil = 0
      setState('idle')
      void maintain(true)
      wake()
    },

    async stop(drainMs) {
      clearInterval(maintainTimer)
      clearTimeout(recheckTimer)
      draining = true
      wake()
      const drained = Promise.all(lanes)
      let timer: NodeJS.Timeout | undefined
      await Promise.race([drained, new Promise<void>((resolve) => (timer = setTimeout(resolve, drainMs)))])
      clearTimeout(timer)
      stopping = true
      wake()
      // A request under way finishes (or times out) before its lane ends: its batch is then confirmed or given back.
      await drained
      setState('stopped')
      // Its connections go with it (a kafkajs producer stays connected, with its metadata timers, until closed): a
      // forwarder started and stopped from the app all day must not gather them. Maintenance under way finishes first.
      const last = sink
      void Promise.allSettled([...underway]).then(() => last.close().catch(() => undefined))
    },

    status,

    tick() {
      const t = now()
      const elapsed = t - rate.at
      if (elapsed <= 0) return
      rate = { count: 0, perSecond: Math.round((rate.count * 10_000) / elapsed) / 10, at: t }
    },
  }
}
