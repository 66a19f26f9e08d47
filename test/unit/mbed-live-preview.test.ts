/** The UI's live stream batcher (src-main/core/mbed/live-preview.ts): ≤ 10 pushes/s, ≤ 200 items, payloads cut. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { LIVE_INTERVAL_MS, LIVE_MAX_ITEMS, createLivePreview } from '../../src-main/core/mbed/live-preview'
import { LIVE_PAYLOAD_MAX, mbedNotificationsEventSchema } from '../../src-shared/models/mbed'

beforeEach(() => {
  vi.useFakeTimers()
})
afterEach(() => {
  vi.useRealTimers()
})

describe('live preview', () => {
  it('sends one event per interval with at most LIVE_MAX_ITEMS items and counts the rest', () => {
    const events: { items: unknown[]; omitted: number }[] = []
    const live = createLivePreview((e) => events.push(e))
    for (let i = 0; i < LIVE_MAX_ITEMS + 5; i++) live.add(0, { ep: 'ep', path: '/1/0/1', payload: 'MQ==', deviceType: 'mbed' })
    expect(events).toHaveLength(0)
    vi.advanceTimersByTime(LIVE_INTERVAL_MS)
    expect(events).toHaveLength(1)
    expect(events[0]?.items).toHaveLength(LIVE_MAX_ITEMS)
    expect(events[0]?.omitted).toBe(5)
    expect(() => mbedNotificationsEventSchema.parse(events[0])).not.toThrow()
    vi.advanceTimersByTime(LIVE_INTERVAL_MS * 3)
    expect(events).toHaveLength(1)
  })

  it('cuts long payloads and says so; flush() sends at once', () => {
    const events: { items: { payload: string; truncated: boolean; maxAge?: number; ct?: string }[] }[] = []
    const live = createLivePreview((e) => events.push(e))
    live.add(0, { ep: 'ep', path: '/1', payload: 'A'.repeat(LIVE_PAYLOAD_MAX + 4), deviceType: 'mbed', maxAge: 5, ct: 'text/plain' })
    live.flush()
    expect(events[0]?.items[0]).toMatchObject({ truncated: true, maxAge: 5, ct: 'text/plain' })
    expect(events[0]?.items[0]?.payload).toHaveLength(LIVE_PAYLOAD_MAX)
    live.flush()
    expect(events).toHaveLength(1)
  })
})
