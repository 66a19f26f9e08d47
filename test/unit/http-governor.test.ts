import { setImmediate as tick } from 'node:timers/promises'
import { afterEach, describe, expect, it, vi } from 'vitest'
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

  it('lets a request given up on while it waits for the account leave the queue at once; the others keep their turn', async () => {
    const governor = createGovernor({ perSecond: Infinity })
    const holding = deferred()
    const started: string[] = []
    const first = governor.run(async () => {
      started.push('first')
      await holding.promise
    })
    const cancel = new AbortController()
    const waiting = governor.run(async () => void started.push('cancelled'), { signal: cancel.signal })
    const third = governor.run(async () => void started.push('third'))
    cancel.abort(new Error('cancelled by the operator'))
    await expect(waiting).rejects.toThrow('cancelled by the operator')
    expect(governor.stats()).toMatchObject({ queued: 1, running: 1 })
    holding.resolve()
    await Promise.all([first, third])
    expect(started).toEqual(['first', 'third'])
    await expect(governor.run(async () => 'late', { signal: cancel.signal })).rejects.toThrow('cancelled by the operator')
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

  describe('pace of a saturated account (fake clock)', () => {
    afterEach(() => void vi.useRealTimers())

    /** Start times of `count` requests queued at once, each answered after serviceMs(i) ms, against 50 requests/s, one in flight. */
    async function starts(count: number, serviceMs: (i: number) => number, idleFirstMs = 0): Promise<number[]> {
      return (await attempts(count, serviceMs, idleFirstMs)).map((a) => a.start)
    }
    async function attempts(count: number, serviceMs: (i: number) => number, idleFirstMs = 0): Promise<{ start: number; end: number }[]> {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] })
      const governor = createGovernor({ concurrency: 1, perSecond: 50 })
      vi.advanceTimersByTime(idleFirstMs)
      const times: { start: number; end: number }[] = []
      const all = Promise.all(
        Array.from({ length: count }, (_, i) =>
          governor.run(async () => {
            const start = performance.now()
            await new Promise((resolve) => setTimeout(resolve, serviceMs(i)))
            times.push({ start, end: performance.now() })
          }),
        ),
      )
      await vi.runAllTimersAsync()
      await all
      return times
    }
    const slot = 1000 / 50

    it('keeps every second of the service to its limit wherever between sending and answer the service counts a request', async () => {
      // Answers take 1 to 40 ms: a request the service counts late (when it answers) must not share a second with the
      // 50 after it however promptly those arrive.
      const times = await attempts(300, (i) => 1 + ((i * 37) % 40))
      for (let i = 50; i < times.length; i++) expect(times[i]!.start - times[i - 50]!.end).toBeGreaterThanOrEqual(1000)
    })

    it('starts a backlog that comes after a long idle time at its rate, without a burst that every later second would repeat', async () => {
      const times = await starts(150, () => 2, 10_000)
      const gaps = times.slice(1).map((t, i) => t - times[i]!)
      // A burst of banked starts would be followed, one window later, by a gap as long as the burst was short.
      expect(Math.min(...gaps)).toBeGreaterThanOrEqual(slot - 1)
      // Each window of 50 ends a 2 ms answer after the start that opened it.
      expect(Math.max(...gaps)).toBeLessThanOrEqual(slot + 2 + 1)
    })

    it('keeps the rate of a caller that sends one request after the other, taking a moment between them', async () => {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] })
      const governor = createGovernor({ concurrency: 1, perSecond: 50 })
      const times: number[] = []
      const caller = (async () => {
        for (let i = 0; i < 30; i++) {
          await governor.run(async () => {
            times.push(performance.now())
            await new Promise((resolve) => setTimeout(resolve, 2))
          })
          await new Promise((resolve) => setTimeout(resolve, 1))
        }
      })()
      await vi.runAllTimersAsync()
      await caller
      const gaps = times.slice(1).map((t, i) => t - times[i]!)
      expect(Math.max(...gaps)).toBeLessThanOrEqual(slot + 0.5)
    })

    it('lets a request that runs longer than the window hold the account for one window, not until it ends', async () => {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] })
      const governor = createGovernor({ concurrency: 2, perSecond: 5 })
      const times: number[] = []
      const all = Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          governor.run(async () => {
            times.push(performance.now())
            await new Promise((resolve) => setTimeout(resolve, i === 0 ? 60_000 : 10))
          }),
        ),
      )
      await vi.runAllTimersAsync()
      await all
      // 5 a second, the first one's second counted as if it had reached the service at the latest a second after it left.
      expect(times.at(-1)! - times[0]!).toBeLessThan(6000)
    })

    it('catches up a response slower than many slots (a stalled service or event loop), and still never starts more than the limit in any window', async () => {
      const times = await starts(200, (i) => (i === 20 ? 400 : 2))
      for (let i = 50; i < times.length; i++) expect(times[i]! - times[i - 50]!).toBeGreaterThanOrEqual(1000)
      // Every slot the stall held up is used once the answer comes: the 200th request starts on its slot, give or take
      // the 2 ms answer that each of the four windows it crossed waited for.
      expect(times.at(-1)! - times[0]!).toBeLessThanOrEqual(199 * slot + 4 * 2 + 2)
    })

    it('comes back from a slow-down at the halved rate, without a burst of the slots the pause held up', async () => {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] })
      const governor = createGovernor({ concurrency: 1, perSecond: 50, random: () => 0 })
      const refusals = Promise.all(Array.from({ length: 3 }, () => governor.run(async () => governor.refused(null, 1, 1000))))
      await vi.advanceTimersByTimeAsync(100)
      expect((await refusals).map((b) => b.accountSlowed)).toEqual([false, false, true])
      const times: number[] = []
      const all = Promise.all(Array.from({ length: 10 }, () => governor.run(async () => void times.push(performance.now()))))
      await vi.runAllTimersAsync()
      await all
      const gaps = times.slice(1).map((t, i) => t - times[i]!)
      // Half the rate (25/s), climbed back by a tenth (5/s) after the pause's one second: one start per slot of 30/s.
      expect(Math.min(...gaps)).toBeGreaterThanOrEqual(1000 / 30 - 1)
    })
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
