/**
 * The destination's back-off when several batches are in flight (CouchDB sends three at once): an outage fails all of
 * them together, and that is one failed attempt, not three. Counted per lane, the back-off grew three steps per round —
 * after a 60 s outage the destination then waited up to a minute after the service was back (the benchmark's recovery
 * run into CouchDB saw 7 s, 16 s and 19 s delays scheduled within 5 ms of one another).
 */
import { afterEach, describe, expect, it } from 'vitest'
import { DeliveryError } from '../../src-main/core/historian/delivery-error'
import { createDestination, type Destination } from '../../src-main/core/historian/destination'
import { openEventQueue, type EventQueue } from '../../src-main/core/historian/event-queue'
import { encodeEvent, type HistorianEvent } from '../../src-main/core/historian/event'
import type { Sink } from '../../src-main/core/historian/sink'
import { DESTINATION_WAITING_MS } from '../../src-shared/models/historian'
import { tempDir } from '../helpers/core'

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

function event(n: number): HistorianEvent {
  return { id: `org:t:d:${n}`, org: 'org', type: 't', device: 'd', event: 'e', format: 'json', receivedAt: 1_700_000_000_000 + n, payload: Buffer.from(JSON.stringify({ n })) }
}

const refused = (): DeliveryError => new DeliveryError('retry', 'NETWORK', 'connect ECONNREFUSED', { key: 'historian.deliveryFailed', params: { reason: 'connect ECONNREFUSED' } })

/** A queue of `capacity` events in a folder of its own, holding the first `count` events. */
async function queueOf(capacity: number, count: number): Promise<EventQueue> {
  const t = await tempDir('fieldline-destination-')
  cleanups.push(t.cleanup)
  const queue = openEventQueue({ dir: t.dir, capacity })
  cleanups.push(() => queue.close())
  for (let n = 0; n < count; n++) queue.append(encodeEvent(event(n)), event(n))
  return queue
}

async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setTimeout(resolve, 5))
}

/** Whether `check` holds within `ms`. */
async function within(ms: number, check: () => boolean): Promise<boolean> {
  const end = Date.now() + ms
  while (!check() && Date.now() < end) await new Promise((resolve) => setTimeout(resolve, 5))
  return check()
}

describe('destination back-off with batches in flight side by side', () => {
  it('counts the failures of one round of concurrent batches as one step, and the next round as the next step', async () => {
    const queue = await queueOf(1000, 30)
    // Every lane's request is answered (refused) only once all three are under way: they fail together, as in an outage.
    let calls = 0
    let pending: (() => void)[] = []
    const sink: Sink = {
      concurrency: 3,
      deliver: () =>
        new Promise((_resolve, reject) => {
          calls++
          pending.push(() => reject(refused()))
          if (pending.length === 3) {
            const p = pending
            pending = []
            for (const f of p) f()
          }
        }),
      close: async () => undefined,
    }
    // A frozen clock: the scheduled retry time is read exactly; random 0 draws the lower end of each step (half of it).
    let clock = 1_000_000
    const destination: Destination = createDestination({ ref: 'couchdb/x', name: 'x', queue, sink, batchSize: 10, now: () => clock, random: () => 0, backoff: { minMs: 1_000, maxMs: 60_000 } })
    cleanups.push(() => destination.stop(0))
    destination.start()
    // Polled from a timer: the lanes have handled every rejection (microtasks) before it fires.
    await until(() => calls === 3)
    // One step: 1 s, of which half.
    expect(destination.status().nextTryAt).toBe(new Date(1_000_000 + 500).toISOString())
    clock += 500
    destination.notify()
    await until(() => calls === 6)
    // The second round is the second step: 2 s, of which half.
    expect(destination.status().nextTryAt).toBe(new Date(1_000_500 + 1_000).toISOString())
  })
})

describe('a destination retrying through an outage while its queue overflows', () => {
  it('leaves the events the full queue dropped out of its next attempt: each is counted as dropped or delivered, never both', async () => {
    const queue = await queueOf(100, 100)
    let up = false
    let calls = 0
    const stored: number[] = []
    const sink: Sink = {
      concurrency: 1,
      deliver: (events) => {
        calls++
        if (!up) return Promise.reject(refused())
        stored.push(...events.map((e) => (JSON.parse(e.payload.toString()) as { n: number }).n))
        return Promise.resolve({ stored: events.length, retry: null, refused: [] })
      },
      close: async () => undefined,
    }
    let clock = 1_000_000
    const destination: Destination = createDestination({ ref: 'couchdb/x', name: 'x', queue, sink, batchSize: 500, now: () => clock, random: () => 0, backoff: { minMs: 1_000, maxMs: 60_000 } })
    cleanups.push(() => destination.stop(0))
    destination.start()
    await until(() => calls === 1)
    // While the destination backs off holding all 100, 30 more arrive: the 30 oldest, in its hands, are dropped.
    for (let n = 100; n < 130; n++) queue.append(encodeEvent(event(n)), event(n))
    expect(queue.dropped).toBe(30)
    up = true
    clock += 60_000
    destination.notify()
    await until(() => stored.length === 100)
    expect(stored).toEqual(Array.from({ length: 100 }, (_, i) => i + 30))
  })
})

describe('a destination checked at start', () => {
  it('shows an unreachable service as a back-off before the first event, tries again at the time it gives, and says each new step', async () => {
    const queue = await queueOf(100, 0)
    let up = false
    let checks = 0
    const sink: Sink = {
      concurrency: 1,
      deliver: (events) => Promise.resolve({ stored: events.length, retry: null, refused: [] }),
      maintain: () => {
        checks++
        return up ? Promise.resolve() : Promise.reject(refused())
      },
      close: async () => undefined,
    }
    const states: { state: string; nextTryAt: string | null }[] = []
    const destination: Destination = createDestination({
      ref: 'couchdb/x',
      name: 'x',
      queue,
      sink,
      batchSize: 10,
      random: () => 0,
      backoff: { minMs: 20, maxMs: 1_000 },
      onState: (s) => states.push({ state: s.state, nextTryAt: s.nextTryAt }),
    })
    cleanups.push(() => destination.stop(0))
    destination.start()
    await until(() => checks === 3)
    up = true
    await until(() => destination.status().state === 'connected')
    // Each failed check is a back-off step of its own, said with its own next try; then the service is there.
    const backoffs = states.filter((s) => s.state === 'backingOff')
    expect(backoffs.length).toBe(3)
    expect(new Set(backoffs.map((s) => s.nextTryAt)).size).toBe(3)
    expect(states.at(-1)).toEqual({ state: 'connected', nextTryAt: null })
    expect(destination.status().lastError?.code).toBe('NETWORK')
  })

  it('stops at start on a refusal that waiting cannot fix (credentials)', async () => {
    const queue = await queueOf(100, 0)
    const sink: Sink = {
      concurrency: 1,
      deliver: (events) => Promise.resolve({ stored: events.length, retry: null, refused: [] }),
      check: () => Promise.reject(new DeliveryError('stop', 'AUTH_FAILED', 'Kafka refused the credentials: SASL', { key: 'historian.kafkaAuthFailed', params: { reason: 'SASL' } })),
      close: async () => undefined,
    }
    const destination: Destination = createDestination({ ref: 'kafka/x', name: 'x', queue, sink, batchSize: 10 })
    cleanups.push(() => destination.stop(0))
    destination.start()
    await until(() => destination.status().state === 'failed')
    expect(destination.status().reason?.code).toBe('AUTH_FAILED')
  })
})

describe('a stopped destination', () => {
  it('closes its sink once, after the batch under way is answered, so a forwarder started and stopped all day keeps no connections', async () => {
    const queue = await queueOf(100, 5)
    let answer: (() => void) | undefined
    let closed = 0
    const sink: Sink = {
      concurrency: 1,
      deliver: (batch) =>
        new Promise((resolve) => {
          answer = () => resolve({ stored: batch.length, retry: null, refused: [] })
        }),
      close: async () => {
        closed++
      },
    }
    const destination = createDestination({ ref: 'kafka/x', name: 'x', queue, sink, batchSize: 10 })
    destination.start()
    await until(() => answer !== undefined)
    const stopped = destination.stop(1_000)
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(closed).toBe(0)
    answer!()
    await stopped
    // The close follows the stop by a task or two; a second one would come as soon.
    for (let i = 0; i < 50 && closed === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10))
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(closed).toBe(1)
  })
})

describe('a destination whose service comes back during a back-off', () => {
  /**
   * Cold trial (CouchDB stopped 30 s under a steady stream): the minute's bucket check succeeded once the server was
   * back and the card said « Connectée » while 175 events waited and nothing was sent for 15 s more, until the back-off
   * step ran out. A check that succeeds ends a back-off of our own at once; one the service asked for is kept.
   */
  function sinkWith(state: { up: boolean; retryAfterMs?: number }, stored: number[]): Sink {
    return {
      concurrency: 1,
      deliver: (events) => {
        if (!state.up) {
          if (state.retryAfterMs === undefined) return Promise.reject(refused())
          return Promise.reject(new DeliveryError('retry', 'RATE_LIMITED', 'too many requests', { key: 'historian.deliveryFailed', params: { reason: '429' } }, state.retryAfterMs))
        }
        stored.push(...events.map((e) => (JSON.parse(e.payload.toString()) as { n: number }).n))
        return Promise.resolve({ stored: events.length, retry: null, refused: [] })
      },
      maintain: () => (state.up ? Promise.resolve() : Promise.reject(refused())),
      close: async () => undefined,
    }
  }

  it('sends the queue as soon as a check finds the service again, rather than at the end of the back-off step', async () => {
    const queue = await queueOf(1000, 20)
    const state = { up: false }
    const stored: number[] = []
    // A step of 30 s at least (random 0: half of 60 s): the test would time out waiting for it.
    const destination = createDestination({
      ref: 'couchdb/x',
      name: 'x',
      queue,
      sink: sinkWith(state, stored),
      batchSize: 500,
      random: () => 0,
      backoff: { minMs: 60_000, maxMs: 60_000 },
      maintainEveryMs: 20,
    })
    cleanups.push(() => destination.stop(0))
    destination.start()
    await until(() => destination.status().state === 'backingOff')
    state.up = true
    await until(() => destination.status().state === 'connected')
    // Never 'connected' with the events held back: once it says so, they go (the old code held them for the step's 30 s).
    expect(await within(2_000, () => stored.length === 20)).toBe(true)
    expect(destination.status().queued).toBe(0)
  })

  it('keeps a wait the service asked for (Retry-After), and says it is waiting', async () => {
    const queue = await queueOf(1000, 5)
    const state = { up: false, retryAfterMs: 60_000 }
    const stored: number[] = []
    let checks = 0
    const sink = sinkWith(state, stored)
    const maintain = sink.maintain?.bind(sink)
    sink.maintain = (t) => {
      checks++
      // The database answers (the bucket exists) while the account is rate-limited.
      return checks === 1 ? Promise.resolve() : (maintain as NonNullable<Sink['maintain']>)(t)
    }
    const destination = createDestination({ ref: 'couchdb/x', name: 'x', queue, sink, batchSize: 500, random: () => 0, maintainEveryMs: 20 })
    cleanups.push(() => destination.stop(0))
    destination.start()
    await until(() => destination.status().state === 'backingOff')
    state.up = true
    await until(() => checks >= 4)
    expect(stored).toEqual([])
    expect(destination.status().state).toBe('backingOff')
  })
})

describe('a destination whose batch waits long for its answer', () => {
  it('says since when once it has waited 10 s, while its state still reads connected, and stops saying so once answered', async () => {
    const queue = await queueOf(100, 20)
    let answer: (() => void) | null = null
    let calls = 0
    const sink: Sink = {
      concurrency: 1,
      deliver: (events) => {
        calls++
        // The first batch is answered at once; the second hangs, as a stopped Kafka broker leaves it.
        if (calls === 1) return Promise.resolve({ stored: events.length, retry: null, refused: [] })
        return new Promise((resolve) => (answer = () => resolve({ stored: events.length, retry: null, refused: [] })))
      },
      close: async () => undefined,
    }
    let clock = 1_000_000
    const destination: Destination = createDestination({ ref: 'kafka/x', name: 'x', queue, sink, batchSize: 10, now: () => clock })
    cleanups.push(() => destination.stop(0))
    destination.start()
    await until(() => calls === 2)
    expect(destination.status()).toMatchObject({ state: 'connected', delivered: 10, waitingSince: null })
    clock += DESTINATION_WAITING_MS - 1
    expect(destination.status().waitingSince).toBeNull()
    clock += 1
    expect(destination.status()).toMatchObject({ state: 'connected', waitingSince: new Date(1_000_000).toISOString() })
    answer!()
    await until(() => destination.status().delivered === 20)
    expect(destination.status().waitingSince).toBeNull()
  })
})
