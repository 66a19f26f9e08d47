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

  it('lets the account go on when one request is refused: that request waits alone, then goes before requests that had not started', async () => {
    const governor = createGovernor({ perSecond: Infinity, baseDelayMs: 20 })
    const order: string[] = []
    const gate = deferred()
    const first = governor.run(async () => {
      order.push('A')
      await gate.promise
      return governor.refused(null, 1)
    })
    const second = governor.run(async () => {
      order.push('B')
      await gate.promise
    })
    const third = governor.run(async () => void order.push('C'))
    gate.resolve()
    const backOff = await first
    expect(backOff.accountSlowed).toBe(false)
    expect(governor.stats()).toMatchObject({ paused: false, refusals: 1, slowdowns: 0 })
    // The refused request is retried ahead of C, which had not started yet.
    const retry = governor.run(async () => void order.push('A retry'), { retry: true })
    await Promise.all([retry, second, third])
    expect(order).toEqual(['A', 'B', 'A retry', 'C'])
  })

  it("grows a refused request's own wait with its attempts, with jitter, capped", () => {
    const low = createGovernor({ baseDelayMs: 100, maxDelayMs: 1000, random: () => 0 })
    expect([1, 2, 3, 4, 5].map((attempt) => low.refused(null, attempt).delayMs)).toEqual([50, 100, 200, 400, 500])
    const high = createGovernor({ baseDelayMs: 100, maxDelayMs: 1000, random: () => 0.999 })
    expect(high.refused(null, 1).delayMs).toBe(100)
  })

  it("honours the service's Retry-After, and says when it is longer than it will wait", () => {
    const governor = createGovernor({ maxDelayMs: 30_000 })
    expect(governor.refused(2000, 1)).toMatchObject({ delayMs: 2000, withinLimit: true })
    expect(governor.refused(120_000, 1)).toMatchObject({ delayMs: 30_000, withinLimit: false })
  })

  it('does not slow the account for refusals scattered among many requests', async () => {
    const governor = createGovernor({ concurrency: Infinity, perSecond: Infinity })
    const outcomes = await Promise.all(Array.from({ length: 40 }, (_, i) => governor.run(async () => (i % 20 === 0 ? governor.refused(null, 1).accountSlowed : false))))
    expect(outcomes.some(Boolean)).toBe(false)
    expect(governor.stats()).toMatchObject({ refusals: 2, slowdowns: 0, paused: false })
  })

  it('slows the whole account when refusals are sustained: a pause of at least the floor, then half the rate', async () => {
    const governor = createGovernor({ concurrency: Infinity, perSecond: 40, random: () => 0 })
    const backOffs = await Promise.all(Array.from({ length: 3 }, () => governor.run(async () => governor.refused(null, 1, 1000))))
    expect(backOffs.map((b) => b.accountSlowed)).toEqual([false, false, true])
    expect(governor.stats()).toMatchObject({ paused: true, slowdowns: 1, rate: 20 })
    // While paused nothing starts: a request asked for now waits for the pause's end.
    let started = false
    const next = governor.run(async () => void (started = true))
    await tick()
    expect(started).toBe(false)
    await next
    expect(started).toBe(true)
  })

  it('keeps the order of requests to one resource when the first must be retried, while other resources go on', async () => {
    const governor = createGovernor({ concurrency: Infinity, perSecond: Infinity })
    const order: string[] = []
    const gate = deferred()
    const a = governor.inOrder('/devices/1', async () => {
      await gate.promise
      order.push('1:A')
    })
    const b = governor.inOrder('/devices/1', async () => void order.push('1:B'))
    const other = governor.inOrder('/devices/2', async () => void order.push('2:A'))
    await other
    expect(order).toEqual(['2:A'])
    gate.resolve()
    await Promise.all([a, b])
    expect(order).toEqual(['2:A', '1:A', '1:B'])
    // A failed request does not stop the ones after it.
    const failed = governor.inOrder('/devices/1', async () => Promise.reject(new Error('refused')))
    await expect(failed).rejects.toThrow('refused')
    await expect(governor.inOrder('/devices/1', async () => 'after')).resolves.toBe('after')
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
