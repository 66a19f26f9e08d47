import { setImmediate as tick } from 'node:timers/promises'
import { describe, expect, it } from 'vitest'
import { createGovernor, createGovernorRegistry } from '../../src-main/core/http/governor'

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void
  const promise = new Promise<void>((r) => (resolve = r))
  return { promise, resolve }
}

describe('governor', () => {
  it('keeps one request in flight by default and starts them in order', async () => {
    const governor = createGovernor({ perSecond: Infinity })
    let inFlight = 0
    let most = 0
    const order: number[] = []
    await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        governor.run(async () => {
          inFlight += 1
          most = Math.max(most, inFlight)
          order.push(i)
          await tick()
          inFlight -= 1
        }),
      ),
    )
    expect(most).toBe(1)
    expect(order).toEqual([0, 1, 2, 3, 4, 5])
  })

  it('honours a larger in-flight limit', async () => {
    const governor = createGovernor({ concurrency: 3, perSecond: Infinity })
    let inFlight = 0
    let most = 0
    await Promise.all(
      Array.from({ length: 9 }, () =>
        governor.run(async () => {
          inFlight += 1
          most = Math.max(most, inFlight)
          await tick()
          inFlight -= 1
        }),
      ),
    )
    expect(most).toBe(3)
  })

  it('never starts more than perSecond requests in any one-second window', async () => {
    const governor = createGovernor({ concurrency: Infinity, perSecond: 10 })
    const starts: number[] = []
    await Promise.all(Array.from({ length: 25 }, () => governor.run(async () => void starts.push(Date.now()))))
    starts.sort((a, b) => a - b)
    for (let i = 10; i < starts.length; i++) expect(starts[i]! - starts[i - 10]!).toBeGreaterThanOrEqual(1000)
  })

  it('pauses the whole account on back-off; a retry then goes before requests that had not started', async () => {
    const governor = createGovernor({ perSecond: Infinity, baseDelayMs: 20 })
    const order: string[] = []
    const gate = deferred()
    const first = governor.run(async () => {
      order.push('A')
      await gate.promise
      governor.backOff()
    })
    const second = governor.run(async () => void order.push('B'))
    gate.resolve()
    await first
    expect(governor.stats()).toMatchObject({ paused: true, queued: 1, backOffs: 1 })
    const retry = governor.run(async () => void order.push('A retry'), { retry: true })
    await tick()
    expect(order).toEqual(['A'])
    await Promise.all([retry, second])
    expect(order).toEqual(['A', 'A retry', 'B'])
    expect(governor.stats().paused).toBe(false)
  })

  it('grows the back-off exponentially with jitter, caps it, and starts over after a success', () => {
    const low = createGovernor({ baseDelayMs: 100, maxDelayMs: 1000, random: () => 0 })
    expect([1, 2, 3, 4, 5].map(() => low.backOff().delayMs)).toEqual([50, 100, 200, 400, 500])
    low.succeeded()
    expect(low.backOff().delayMs).toBe(50)
    const high = createGovernor({ baseDelayMs: 100, maxDelayMs: 1000, random: () => 0.999 })
    expect(high.backOff().delayMs).toBe(100)
  })

  it('pauses at least the floor when the service gives no Retry-After, and lets the exponential step pass it', () => {
    const governor = createGovernor({ baseDelayMs: 100, maxDelayMs: 5000, random: () => 0 })
    expect([1, 2, 3, 4, 5, 6].map(() => governor.backOff(null, 1000).delayMs)).toEqual([1000, 1000, 1000, 1000, 1000, 1600])
    expect(governor.backOff(300, 1000).delayMs).toBe(300)
    expect(createGovernor({ maxDelayMs: 500, random: () => 0 }).backOff(null, 1000).delayMs).toBe(500)
  })

  it("honours the service's Retry-After, and says when it is longer than it will wait", () => {
    const governor = createGovernor({ maxDelayMs: 30_000 })
    expect(governor.backOff(2000)).toEqual({ delayMs: 2000, withinLimit: true })
    expect(governor.backOff(120_000)).toEqual({ delayMs: 30_000, withinLimit: false })
  })

  it('loses and duplicates nothing: every task runs exactly once, failures included', async () => {
    const governor = createGovernor({ concurrency: 2, perSecond: Infinity })
    const runs = new Map<number, number>()
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, (_, i) =>
        governor.run(async () => {
          runs.set(i, (runs.get(i) ?? 0) + 1)
          if (i % 7 === 0) throw new Error(`task ${i} failed`)
          return i
        }),
      ),
    )
    expect([...runs.values()].every((n) => n === 1)).toBe(true)
    expect(runs.size).toBe(50)
    expect(results.filter((r) => r.status === 'rejected')).toHaveLength(8)
  })

  it('shares one governor per account', () => {
    const registry = createGovernorRegistry()
    const a = registry.forAccount('https://rws.example.com/rws/api/v1/', 'ops')
    expect(registry.forAccount('https://rws.example.com/rws/api/v1', 'ops')).toBe(a)
    expect(registry.forAccount('https://rws.example.com/rws/api/v1', 'other')).not.toBe(a)
  })
})
