/**
 * The core's replayer with stand-ins for the outbox: one replay per account at a time, a replay only after the account
 * was unreachable, tries that back off while the carrier stays away, and failures of the outbox itself that are logged
 * and tried again rather than thrown.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { Output } from '../../src-shared/contract'
import { EventBus } from '../../src-main/core/common/events'
import { createOutboxReplayer } from '../../src-main/core/carriers/outbox-replayer'
import { watchReturns } from '../../src-main/core/carriers/carrier-reach'

type Counts = Output<'outbox:replay'>
const counts = (c: Partial<Counts>): Counts => ({ done: 0, failed: 0, unknown: 0, pending: 0, held: 0, ...c })
const RETRY = { minMs: 1000, maxMs: 4000 }

beforeEach(() => {
  vi.useFakeTimers()
})
afterEach(() => {
  vi.useRealTimers()
})

function setup(answers: { waiting: () => Promise<string[]>; replay: (account: string) => Promise<Counts> }) {
  const bus = new EventBus()
  const replayed: unknown[] = []
  bus.subscribe((event, payload) => event === 'outbox:replayed' && replayed.push(payload))
  const warnings: string[] = []
  const logger = { info: () => {}, debug: () => {}, error: () => {}, warn: (_: unknown, message: string) => warnings.push(message) } as never
  const replay = vi.fn(answers.replay)
  const waiting = vi.fn(answers.waiting)
  const replayer = createOutboxReplayer({ bus, waiting, replay, retry: RETRY, logger, random: () => 1 })
  // As the core wires it: the clients' reports, turned into the account's returns.
  const reached = watchReturns(replayer)
  return { bus, replayer, reached, replay, waiting, replayed, warnings }
}

describe('the outbox replayer', () => {
  it('replays an account once when it answers after being unreachable, not on every success', async () => {
    let release: (c: Counts) => void = () => {}
    const { replayer, reached, replay, replayed } = setup({ waiting: async () => [], replay: () => new Promise((r) => (release = r)) })
    reached('jasper:ops', true)
    expect(replay).not.toHaveBeenCalled()
    reached('jasper:ops', false)
    reached('jasper:ops', true)
    reached('jasper:ops', false)
    reached('jasper:ops', true)
    // The second return came while the first replay ran: it is answered by that replay.
    expect(replay.mock.calls).toEqual([['jasper:ops']])
    release(counts({ done: 1, held: 1 }))
    await vi.runOnlyPendingTimersAsync()
    expect(replayed).toEqual([{ done: 1, failed: 0, held: 1 }])
    await replayer.close()
  })

  it('tries on a timer that backs off while the carrier stays away, and stops once nothing waits', async () => {
    let away = true
    const { replayer, replay, replayed } = setup({ waiting: async () => ['jasper:ops'], replay: async () => (away ? counts({ pending: 1 }) : counts({ done: 1 })) })
    await vi.advanceTimersByTimeAsync(999)
    expect(replay).toHaveBeenCalledTimes(0)
    await vi.advanceTimersByTimeAsync(1)
    expect(replay).toHaveBeenCalledTimes(1)
    // The next tries wait 2 s, then 4 s (the ceiling), then 4 s.
    await vi.advanceTimersByTimeAsync(1999)
    expect(replay).toHaveBeenCalledTimes(1)
    await vi.advanceTimersByTimeAsync(1)
    expect(replay).toHaveBeenCalledTimes(2)
    await vi.advanceTimersByTimeAsync(4000)
    expect(replay).toHaveBeenCalledTimes(3)
    expect(replayed).toEqual([])
    away = false
    await vi.advanceTimersByTimeAsync(4000)
    expect(replay).toHaveBeenCalledTimes(4)
    expect(replayed).toEqual([{ done: 1, failed: 0, held: 0 }])
    await vi.advanceTimersByTimeAsync(60_000)
    expect(replay).toHaveBeenCalledTimes(4)
    await replayer.close()
  })

  it('logs an outbox that cannot be read or replayed, tries again later, and throws nothing', async () => {
    let fail = true
    const { replayer, reached, replay, warnings } = setup({
      waiting: async () => {
        if (fail) throw new Error('disk gone')
        return ['jasper:ops']
      },
      replay: async () => {
        throw new Error('replay broke')
      },
    })
    await vi.advanceTimersByTimeAsync(1000)
    expect(warnings).toEqual(['the outbox could not be read for its automatic replay'])
    fail = false
    await vi.advanceTimersByTimeAsync(2000)
    expect(replay).toHaveBeenCalledTimes(1)
    expect(warnings.at(-1)).toBe('the automatic replay of the outbox failed')
    reached('jasper:ops', false)
    reached('jasper:ops', true)
    await vi.advanceTimersByTimeAsync(0)
    expect(replay).toHaveBeenCalledTimes(2)
    await replayer.close()
  })

  it('tries again when a change is queued after nothing waited', async () => {
    const { bus, replayer, waiting } = setup({ waiting: async () => [], replay: async () => counts({}) })
    await vi.advanceTimersByTimeAsync(60_000)
    expect(waiting).toHaveBeenCalledTimes(1)
    bus.emit('outbox:changed', { pending: 0 })
    await vi.advanceTimersByTimeAsync(60_000)
    expect(waiting).toHaveBeenCalledTimes(1)
    bus.emit('outbox:changed', { pending: 1 })
    await vi.advanceTimersByTimeAsync(1000)
    expect(waiting).toHaveBeenCalledTimes(2)
    await replayer.close()
  })

  it('does nothing once closed', async () => {
    const { bus, replayer, reached, replay, waiting } = setup({ waiting: async () => ['jasper:ops'], replay: async () => counts({ pending: 1 }) })
    await replayer.close()
    bus.emit('outbox:changed', { pending: 1 })
    reached('jasper:ops', false)
    reached('jasper:ops', true)
    await vi.advanceTimersByTimeAsync(60_000)
    expect(waiting).not.toHaveBeenCalled()
    expect(replay).not.toHaveBeenCalled()
  })
})
