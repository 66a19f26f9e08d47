import { beforeEach, describe, expect, it, vi } from 'vitest'
import type { DeviceSummary } from '../../src-shared/contract'
import { FakeApi, ok, refused, settle } from './fake-api'

const api = vi.hoisted(() => ({ current: null as unknown as FakeApi }))
vi.mock('../../src-renderer/src/lib/api', async () => {
  const { FakeApi } = await import('./fake-api')
  api.current = new FakeApi()
  return { api: api.current }
})

const { DeviceList } = await import('../../src-renderer/src/lib/state/devices.svelte')

function device(n: number): DeviceSummary {
  return { typeId: 'meter', deviceId: `m-${n}`, description: '', extensions: [] }
}

/** One page of `total` devices numbered from `offset`. */
function page(offset: number, count: number, total: number) {
  return ok({ total, items: Array.from({ length: count }, (_, i) => device(offset + i)) })
}

let fake: FakeApi

beforeEach(() => {
  fake = api.current
  fake.reset()
})

describe('the device list', () => {
  it('reads the first page when shown, with one slot per matching device', async () => {
    const list = new DeviceList()
    list.activate()
    expect(fake.answer('devices:list', page(0, 100, 250))).toEqual({ query: '', offset: 0, limit: 100 })
    await settle()
    expect(list.total).toBe(250)
    expect(list.rows).toHaveLength(250)
    expect(list.rows[99]?.deviceId).toBe('m-99')
    expect(list.rows[100]).toBeUndefined()
    expect(list.loaded).toBe(true)
  })

  it('while a search is on its way, asks only for the latest query next, and shows that one', async () => {
    const list = new DeviceList()
    list.activate()
    list.search('m')
    list.search('m-1')
    list.search('m-12')
    // One first-page read at a time: the keystrokes meanwhile only change what the next one asks for.
    expect(fake.pending('devices:list')).toHaveLength(1)
    fake.answer('devices:list', page(0, 3, 3))
    await settle()
    expect(fake.pending('devices:list').map((c) => (c.input as { query: string }).query)).toEqual(['m-12'])
    fake.answer('devices:list', ok({ total: 1, items: [device(12)] }))
    await settle()
    expect(list.rows.map((r) => r?.deviceId)).toEqual(['m-12'])
    expect(list.query).toBe('m-12')
  })

  it('fetches the pages around the rows on screen, once each', async () => {
    const list = new DeviceList()
    list.activate()
    fake.answer('devices:list', page(0, 100, 1000))
    await settle()
    list.ensureRange(420, 460)
    list.ensureRange(425, 465)
    const offsets = fake.pending('devices:list').map((c) => (c.input as { offset: number }).offset)
    expect(offsets).toEqual([400, 500])
    fake.answer('devices:list', page(400, 100, 1000))
    await settle()
    expect(list.rows[450]?.deviceId).toBe('m-450')
  })

  it('drops a page that arrives after a new search replaced the result', async () => {
    const list = new DeviceList()
    list.activate()
    fake.answer('devices:list', page(0, 100, 1000))
    await settle()
    list.ensureRange(500, 520)
    list.search('m-9')
    fake.answerWhere('devices:list', (i) => i.query === 'm-9', ok({ total: 2, items: [device(9), device(90)] }))
    await settle()
    fake.answerWhere('devices:list', (i) => i.offset === 500, page(500, 100, 1000))
    await settle()
    expect(list.rows).toHaveLength(2)
    expect(list.rows.map((r) => r?.deviceId)).toEqual(['m-9', 'm-90'])
  })

  it('keeps at most 30 pages, never the ones on screen', async () => {
    const list = new DeviceList()
    list.activate()
    fake.answer('devices:list', page(0, 100, 10_000))
    await settle()
    for (let p = 1; p <= 40; p++) {
      list.ensureRange(p * 100, p * 100 + 10)
      while (fake.pending('devices:list').length > 0) {
        const { offset } = fake.pending('devices:list')[0]!.input as { offset: number }
        fake.answer('devices:list', page(offset, 100, 10_000))
        await settle()
      }
    }
    const held = new Set(list.rows.flatMap((r, i) => (r ? [Math.floor(i / 100)] : [])))
    expect(held.size).toBeLessThanOrEqual(30)
    expect(held.has(40)).toBe(true)
    expect(held.has(0)).toBe(false)
  })

  it('reads the same query again in place when devices change, and keeps its rows when that read fails', async () => {
    vi.useFakeTimers()
    try {
      const list = new DeviceList()
      list.activate()
      fake.answer('devices:list', page(0, 2, 2))
      await settle()
      const generation = list.generation
      fake.emit('devices:changed', { reason: 'added' })
      await vi.advanceTimersByTimeAsync(200)
      fake.answer('devices:list', page(0, 3, 3))
      await settle()
      // Same query: the list stays where it is (no new generation, which would scroll it to the top).
      expect(list.generation).toBe(generation)
      expect(list.total).toBe(3)
      fake.reconnect()
      fake.answer('devices:list', refused('NETWORK'))
      await settle()
      expect(list.error?.code).toBe('NETWORK')
      expect(list.rows).toHaveLength(3)
    } finally {
      vi.useRealTimers()
    }
  })

  it('stops following changes when no view shows it', async () => {
    const list = new DeviceList()
    const release = list.activate()
    fake.answer('devices:list', page(0, 1, 1))
    await settle()
    release()
    fake.reconnect()
    expect(fake.pending('devices:list')).toHaveLength(0)
  })
})
