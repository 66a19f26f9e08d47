/**
 * The bridge's way to the broker: every outgoing message (notify, asyncResponse, bridgeError) goes through one bounded
 * queue on disk (`queueSize`, in `dir`: store/disk-queue.ts) and is published at QoS 1 with up to `maxInflight`
 * messages awaiting their PUBACK at once — publishing without waiting for each acknowledgement in turn is what reaches
 * thousands per second. A message leaves the queue only when the broker acknowledges it (`published`).
 *
 * - On disk, because mbed forgets what it handed over: once a long poll's answer is read (or a WebSocket frame), the
 *   notifications are gone from mbed's queue. `enqueue` writes the message before it returns (one write(2): a kill,
 *   even SIGKILL, cannot lose it after that), and the channel hands over an envelope synchronously, so every message of
 *   an answer is on disk before the next poll is sent. The files are flushed to the device every `syncIntervalMs`
 *   (100 ms): a power cut or an OS crash can lose that much. What a stopped or killed bridge leaves goes first at the
 *   next start, in order; a message the broker acknowledged just before a kill can come again (the cursor is written
 *   at the next flush; QoS 1 consumers accept duplicates).
 * - While the link is down nothing is sent and messages wait in order; when the queue is full the OLDEST is dropped
 *   and counted in `dropped` (the newest readings matter most, and the disk stays bounded however long the outage).
 * - Messages whose publish failed because the connection went (the link's `publishFailure`: 'not-sent' or
 *   'maybe-delivered') are handed back to the queue, where they keep their place in front, once every publish of the
 *   dropped connection has reported (they reject together), so delivery resumes in order after an outage (a message
 *   that may already have arrived can come twice).
 * - A message the broker refused ('refused') or the link can never send (too large, invalid) is counted in `refused`,
 *   logged and removed.
 * - Back-pressure (`ready`): while the broker is connected but slower than mbed, the channel is told to stop reading at
 *   `highWater` waiting messages and resumes at half of it, so notifications wait in mbed's queue rather than being
 *   dropped here. While the broker is away the gate stays open: the bounded queue and its drop-oldest rule apply.
 * - One bridge per queue directory: `open` takes the directory's lock, and refuses (CONFLICT, `mbed.queueLocked`)
 *   while another bridge, in this process or another, holds it.
 * - A disk that refuses a write (full, read-only): the message, which mbed has already forgotten, is held in memory
 *   (`unwritten`, in order, with every message after it: they must not overtake it) and the bridge is told
 *   (`writeFailed`) so that it stops reading mbed. `writeHeld` writes them when the bridge tries again, once the disk
 *   takes writes; until then a kill loses them (at most what the channel had handed over, bounded by `queueSize`).
 */
import { AppError } from '../common/errors'
import { storageProblem } from '../common/storage-errors'
import { publishFailure, type PlatformLink } from '../platform/link'
import { DiskQueue, lineObject, type LineCodec, type Taken } from '../store/disk-queue'
import type { LimitedWarn } from './log-limit'

export type OutKind = 'notify' | 'asyncResponse' | 'bridgeError'

/** What the queue counts; the bridge's counters object is passed in and updated in place. */
export interface PublishCounters {
  published: number
  dropped: number
  refused: number
}

export interface PublishQueueOptions {
  link: Pick<PlatformLink, 'state' | 'publish'>
  /** The queue's directory (the bridge's: mbed/queue-dir.ts). */
  dir: string
  queueSize: number
  maxInflight: number
  counters: PublishCounters
  warn: LimitedWarn
  /** How often the queue's files are flushed to the device. Default 100 ms. */
  syncIntervalMs?: number
  /** A message could not be written (disk full, I/O error): it is held in memory, and the bridge must stop reading. */
  writeFailed?: (error: AppError) => void
}

export interface PublishQueue {
  /**
   * Opens the queue on disk and takes its lock; what a previous run left there is sent first. Throws CONFLICT
   * (`mbed.queueLocked`) while another bridge holds the directory. Opening an open queue does nothing.
   */
  open(): void
  /**
   * Writes the message to the queue; when this returns, a kill of the process cannot lose it, unless the disk refused
   * it: it is then held in memory (`unwritten`) until `writeHeld`.
   */
  enqueue(topic: string, payload: string, kind: OutKind): void
  /** Messages the disk refused, held in memory in order. */
  unwritten(): number
  /** Writes the held messages, oldest first; throws (the queue's error) at the first the disk still refuses. */
  writeHeld(): void
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
  /** Queued + in flight + waiting to be put back + held in memory. */
  size(): number
  /**
   * What the last run left in the queue: `count` found when it was opened (0 for none, or while closed), `queued` how many of them have
   * not left it yet (they go first, so every message that leaves is counted as one of them until none is left).
   */
  kept(): { count: number; queued: number }
  /**
   * Closes the queue and releases its lock (at stop): what is left stays on disk for the next start; returns how many
   * held messages the disk never took (lost with this close).
   */
  close(): number
}

export interface OutItem {
  topic: string
  payload: string
  kind: OutKind
  /** When it was queued (ms since the epoch); absent from lines written before Fieldline recorded it. */
  at?: number
}

const KINDS: ReadonlySet<string> = new Set<OutKind>(['notify', 'asyncResponse', 'bridgeError'])

/**
 * One message per line, `{"k":kind,"t":topic,"p":payload,"a":queued at}` (the payload is the event's JSON body, as
 * text; `a` in ms since the epoch, for the age of a queue's oldest message in `bridge mbed queues`).
 */
export const outItemCodec: LineCodec<OutItem> = {
  encode: (m) => Buffer.from(`${JSON.stringify({ k: m.kind, t: m.topic, p: m.payload, ...(m.at !== undefined ? { a: m.at } : {}) })}\n`, 'utf8'),
  decode(line) {
    const { k, t, p, a } = lineObject(line) ?? {}
    if (typeof k !== 'string' || !KINDS.has(k) || typeof t !== 'string' || t.length === 0 || typeof p !== 'string') return null
    return { kind: k as OutKind, topic: t, payload: p, ...(typeof a === 'number' && Number.isFinite(a) ? { at: a } : {}) }
  },
  weight: (m) => m.payload.length,
  receivedAt: (m) => m.at ?? null,
}

/** The refusal of a queue directory another bridge holds (also the early answers' journal in it: early-answers.ts). */
export function locked(pid: number, dir: string): AppError {
  return AppError.withRef('CONFLICT', pid > 0 ? `Another mbed bridge (process ${pid}) is using the message queue in ${dir}` : `The mbed bridge's message queue in ${dir} is locked`, {
    key: 'mbed.queueLocked',
    params: { pid, dir },
  })
}

/**
 * A queue that cannot be opened or written: a full or read-only disk in the operator's words (the app's texts for a
 * full disk and a folder that cannot be written, said of the bridge's queue in the CLI's line), else the reason.
 */
export function queueError(e: unknown, dir: string): AppError {
  if (e instanceof AppError) return e
  const problem = storageProblem(e)
  if (problem === 'full') return AppError.withRef('DISK_FULL', `The disk holding ${dir} is full: the mbed bridge cannot write its message queue`, { key: 'errors.diskFull', params: { dir } })
  if (problem === 'read-only') {
    return AppError.withRef('FORBIDDEN', `The mbed bridge cannot write its message queue in ${dir} (the disk is read-only, or the folder may not be written)`, {
      key: 'errors.readOnlyData',
      params: { dir },
    })
  }
  const reason = (e as NodeJS.ErrnoException | undefined)?.code ?? (e instanceof Error ? e.message : String(e)).slice(0, 200)
  return AppError.withRef('INTERNAL', `The mbed bridge's message queue in ${dir} failed (${reason})`, { key: 'mbed.queueFailed', params: { dir, reason } })
}

export function createPublishQueue(options: PublishQueueOptions): PublishQueue {
  const { link, dir, queueSize, maxInflight, counters, warn } = options
  let disk: DiskQueue<OutItem> | null = null
  /** Publishes awaiting the broker's answer. */
  let inflight = 0
  /** Publishes that failed with the connection, to be handed back together. */
  let requeue: Taken<OutItem>[] = []
  let requeueScheduled = false
  let drainWaiters: (() => void)[] = []
  /** The queue's own drop count (kept across runs) when this run last looked: the counters count this run's. */
  let droppedSeen = 0
  /** Messages the last run left (found at open), and how many messages have left the queue since (sent, refused, dropped). */
  let keptCount = 0
  let gone = 0
  /** Messages the disk refused, oldest first (see the header). */
  let held: OutItem[] = []

  const highWater = Math.max(1, Math.min(Math.floor(queueSize / 2), 5_000))
  const lowWater = Math.floor(highWater / 2)
  let gate: { promise: Promise<void>; open: () => void } | null = null

  /** Messages neither in flight nor waiting to be handed back. */
  const waiting = (): number => (disk ? Math.max(0, disk.size - inflight - requeue.length) : 0)
  const empty = (): boolean => (disk === null || disk.size === 0) && inflight === 0 && requeue.length === 0

  function open(): void {
    if (disk) return
    disk = DiskQueue.open<OutItem>({ dir, codec: outItemCodec, locked, capacity: queueSize, ...(options.syncIntervalMs ? { syncIntervalMs: options.syncIntervalMs } : {}) })
    droppedSeen = disk.dropped
    keptCount = disk.size
    gone = 0
  }

  function countDrops(): void {
    if (!disk || disk.dropped === droppedSeen) return
    counters.dropped += disk.dropped - droppedSeen
    gone += disk.dropped - droppedSeen
    droppedSeen = disk.dropped
    warn('dropped', { dropped: counters.dropped, queueSize }, 'mbed bridge: the queue is full; the oldest message was dropped')
  }

  function ready(): Promise<void> | null {
    if (gate) return gate.promise
    if (link.state !== 'connected' || waiting() < highWater) return null
    let open!: () => void
    const promise = new Promise<void>((resolve) => (open = resolve))
    gate = { promise, open }
    return promise
  }

  function checkGate(): void {
    if (gate && (waiting() <= lowWater || link.state !== 'connected')) {
      const g = gate
      gate = null
      g.open()
    }
  }

  function enqueue(topic: string, payload: string, kind: OutKind): void {
    if (!disk) {
      // Not started, or stopped: the channel is closed then, so only a stray late answer can get here.
      counters.dropped++
      warn('closed', { topic, kind }, 'mbed bridge: a message came while the bridge was stopped; it was dropped')
      return
    }
    const item: OutItem = { topic, payload, kind, at: Date.now() }
    if (held.length > 0) {
      hold(item)
      return
    }
    try {
      disk.push(item)
    } catch (e) {
      hold(item)
      warn(
        'write',
        { topic, kind, err: e instanceof Error ? e.message : String(e) },
        'mbed bridge: a message could not be written to the queue; it is held in memory until the disk takes writes again',
      )
      options.writeFailed?.(queueError(e, dir))
      return
    }
    countDrops()
  }

  /** Holds a message the disk refused; full (the disk's queue and the held ones), the oldest held one is dropped and counted. */
  function hold(item: OutItem): void {
    held.push(item)
    if (held.length > queueSize) {
      held.shift()
      counters.dropped++
      gone++
      warn('dropped', { dropped: counters.dropped, queueSize }, 'mbed bridge: the queue is full; the oldest message was dropped')
    }
  }

  function writeHeld(): void {
    if (!disk) return
    while (held.length > 0) {
      try {
        disk.push(held[0] as OutItem)
      } catch (e) {
        throw queueError(e, dir)
      }
      held.shift()
      countDrops()
    }
  }

  function pump(): void {
    if (!disk || link.state !== 'connected' || inflight >= maxInflight) return
    const q = disk
    for (const taken of q.takeEach(maxInflight - inflight)) {
      const item = taken.items[0] as OutItem
      inflight++
      link.publish(item.topic, item.payload, { qos: 1 }).then(
        () => acked(q, taken),
        (e: unknown) => failed(q, taken, item, e),
      )
    }
  }

  function acked(q: DiskQueue<OutItem>, taken: Taken<OutItem>): void {
    inflight--
    counters.published++
    // A queue closed meanwhile (stop gave up waiting) keeps the message: it is sent again at the next start.
    if (q !== disk) return
    q.commit(taken)
    gone++
    if (gate) checkGate()
    if (waiting() > 0) pump()
    else settleDrain()
  }

  function failed(q: DiskQueue<OutItem>, taken: Taken<OutItem>, item: OutItem, e: unknown): void {
    inflight--
    if (q !== disk) return
    const outcome = publishFailure(e)
    const code = e instanceof AppError ? e.code : undefined
    if (outcome === 'refused' || code === 'VALIDATION' || code === 'TOO_LARGE' || outcome === undefined) {
      counters.refused++
      warn('refused', { topic: item.topic, kind: item.kind, code, err: e instanceof Error ? e.message : String(e) }, 'mbed bridge: a message could not be published and was discarded')
      q.commit(taken)
      gone++
      // Its place in flight is free: the next message goes now, not at the next notification or acknowledgement.
      if (waiting() > 0) pump()
      else settleDrain()
      return
    }
    requeue.push(taken)
    if (!requeueScheduled) {
      requeueScheduled = true
      setImmediate(flushRequeue)
    }
  }

  function flushRequeue(): void {
    requeueScheduled = false
    const back = requeue
    requeue = []
    // Handed back, each keeps its place: the next take starts with the oldest of them.
    if (disk) for (const taken of back) disk.release(taken)
    pump()
  }

  function settleDrain(): void {
    if (!empty()) return
    const waiters = drainWaiters
    drainWaiters = []
    for (const w of waiters) w()
  }

  function drained(timeoutMs: number): Promise<boolean> {
    if (empty()) return Promise.resolve(true)
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
    open,
    enqueue,
    pump,
    ready,
    checkGate,
    drained,
    settleRequeue() {
      if (requeueScheduled) flushRequeue()
    },
    unwritten: () => held.length,
    writeHeld,
    size: () => (disk ? disk.size : 0) + held.length,
    kept: () => ({ count: keptCount, queued: Math.max(0, keptCount - gone) }),
    close() {
      const q = disk
      if (!q) return 0
      const lost = held.length
      disk = null
      keptCount = 0
      requeue = []
      requeueScheduled = false
      held = []
      q.close()
      if (gate) checkGate()
      return lost
    },
  }
}
