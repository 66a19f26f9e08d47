/**
 * The bridge's way to the broker: every outgoing message (notify, asyncResponse, bridgeError) goes through one bounded
 * queue (`queueSize`) and is published at QoS 1 with up to `maxInflight` messages awaiting their PUBACK at once —
 * publishing without waiting for each acknowledgement in turn is what reaches thousands per second. A message leaves
 * the accounting only when the broker acknowledges it (`published`).
 *
 * - While the link is down nothing is sent and messages wait in order; when the queue is full the OLDEST is dropped
 *   and counted in `dropped` (the newest readings matter most, and memory stays bounded however long the outage).
 * - Messages whose publish failed because the connection went (the link's `publishFailure`: 'not-sent' or
 *   'maybe-delivered') go back to the front of the queue in their original order, once every publish of the dropped
 *   connection has reported (they reject together), so delivery resumes in order after an outage (a message that may
 *   already have arrived can come twice; QoS 1 consumers accept duplicates).
 * - A message the broker refused ('refused') or the link can never send (too large, invalid) is counted in `refused`
 *   and logged.
 * - Back-pressure (`ready`): while the broker is connected but slower than mbed, the channel is told to stop reading at
 *   `highWater` waiting messages and resumes at half of it, so notifications wait in mbed's queue rather than being
 *   dropped here. While the broker is away the gate stays open: the bounded queue and its drop-oldest rule apply.
 */
import { AppError } from '../common/errors'
import { publishFailure, type PlatformLink } from '../platform/link'
import type { LimitedWarn } from './log-limit'
import { DropOldestQueue } from './queue'

export type OutKind = 'notify' | 'asyncResponse' | 'bridgeError'

/** What the queue counts; the bridge's counters object is passed in and updated in place. */
export interface PublishCounters {
  published: number
  dropped: number
  refused: number
}

export interface PublishQueueOptions {
  link: Pick<PlatformLink, 'state' | 'publish'>
  queueSize: number
  maxInflight: number
  counters: PublishCounters
  warn: LimitedWarn
}

export interface PublishQueue {
  enqueue(topic: string, payload: string, kind: OutKind): void
  /** Sends what the in-flight limit allows, when the link is connected. */
  pump(): void
  /** For the channel: null to go on reading, or a promise to wait for (see the header). */
  ready(): Promise<void> | null
  /** Opens the back-pressure gate when the queue has gone down or the link is away. */
  checkGate(): void
  /** Resolves true once nothing is queued, in flight or waiting to be put back; false after `timeoutMs`. */
  drained(timeoutMs: number): Promise<boolean>
  /** Puts back, now, failed publishes still waiting for their turn (at stop, before counting what is left). */
  settleRequeue(): void
  /** Queued + in flight + waiting to be put back. */
  size(): number
  /** Forgets everything queued (at stop, once the drain gave up). */
  clear(): void
}

interface OutItem {
  seq: number
  topic: string
  payload: string
  kind: OutKind
}

export function createPublishQueue(options: PublishQueueOptions): PublishQueue {
  const { link, queueSize, maxInflight, counters, warn } = options
  const queue = new DropOldestQueue<OutItem>(queueSize)
  let inflight = 0
  let seq = 0
  let requeue: OutItem[] = []
  let requeueScheduled = false
  let drainWaiters: (() => void)[] = []

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

  return {
    enqueue,
    pump,
    ready,
    checkGate,
    drained,
    settleRequeue() {
      if (requeueScheduled) flushRequeue()
    },
    size: () => queue.length + inflight + requeue.length,
    clear() {
      queue.clear()
      requeue = []
    },
  }
}
