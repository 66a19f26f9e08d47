/**
 * A high-rate event is throttled (≤ 10 pushes a second); the progress of several carrier accounts syncing at once is
 * throttled apart, so one account's progress never replaces another's (a shared throttle pushed only the busier one).
 * The timers are fired by hand: nothing here waits on real time.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { EventBus, throttledBy } from '../../src-main/core/common/events'
import type { SyncProgress } from '../../src-shared/models/sim-inventory'

const listing = (account: string, sims: number): SyncProgress => ({ account, phase: 'listing', sims, calls: 1, done: false })

function bus() {
  const seen: SyncProgress[] = []
  const b = new EventBus()
  b.subscribe((event, payload) => {
    if (event === 'sims:progress') seen.push(payload as SyncProgress)
  })
  return { b, seen }
}

describe('sync progress of several accounts', () => {
  beforeEach(() => vi.useFakeTimers())
  afterEach(() => vi.useRealTimers())

  it('pushes each account’s latest progress, even when they report within one interval', () => {
    const { b, seen } = bus()
    const progress = throttledBy(b, 'sims:progress', (p) => p.account)
    progress.push(listing('jasper:a', 50))
    progress.push(listing('jasper:b', 10))
    progress.push(listing('jasper:b', 20))
    vi.advanceTimersByTime(0)
    expect(seen).toEqual([listing('jasper:a', 50), listing('jasper:b', 20)])
    // Then at most one push per account per interval, the latest.
    for (let sims = 60; sims <= 90; sims += 10) progress.push(listing('jasper:a', sims))
    progress.push(listing('jasper:b', 30))
    vi.advanceTimersByTime(100)
    expect(seen.slice(2)).toEqual([listing('jasper:a', 90), listing('jasper:b', 30)])
  })

  it('sends one account’s pending progress when it ends, and leaves the other’s to its timer', () => {
    const { b, seen } = bus()
    const progress = throttledBy(b, 'sims:progress', (p) => p.account)
    progress.push(listing('jasper:a', 1))
    progress.push(listing('jasper:b', 1))
    vi.advanceTimersByTime(0)
    progress.push(listing('jasper:a', 2))
    progress.push(listing('jasper:b', 2))
    progress.flush('jasper:a')
    expect(seen.slice(2)).toEqual([listing('jasper:a', 2)])
    vi.advanceTimersByTime(100)
    expect(seen.slice(2)).toEqual([listing('jasper:a', 2), listing('jasper:b', 2)])
  })
})
