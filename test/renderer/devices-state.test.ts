import { beforeEach, describe, expect, it, vi } from 'vitest'
import type { DeviceRow } from '../../src-shared/models/device-query'
import { deviceRow } from './device-rows'
import { ok, refused, settle } from './fake-api'
import { api as fake } from './mocked-api'

vi.mock('../../src-renderer/src/lib/api', () => import('./mocked-api'))

const { DeviceList } = await import('../../src-renderer/src/lib/state/devices.svelte')
const { DeviceExport } = await import('../../src-renderer/src/lib/state/list-export.svelte')
const { DEFAULT_VIEW, searchOfView, sortedBy, viewFromSearch, withFilter } = await import('../../src-renderer/src/lib/device-view')

function device(n: number): DeviceRow {
  return deviceRow({ deviceId: `m-${n}` })
}

/** One page of `total` devices numbered from `offset`. */
function page(offset: number, count: number, total: number) {
  return ok({ total, totalExact: true, items: Array.from({ length: count }, (_, i) => device(offset + i)) })
}

/** A list shown, with its first answer in: `count` devices of `total`. */
async function shownList(count: number, total = count) {
  const list = new DeviceList()
  list.activate()
  fake.answer('devices:query', page(0, count, total))
  await settle()
  return list
}

beforeEach(() => {
  fake.reset()
})

describe('the device list', () => {
  it('reads the first page when shown, with one slot per matching device', async () => {
    const list = new DeviceList()
    list.activate()
    expect(fake.answer('devices:query', page(0, 100, 250))).toEqual({ query: { text: '', filters: {}, sort: 'typeId', descending: false }, offset: 0, limit: 100, metadataFields: [] })
    await settle()
    expect(list.total).toBe(250)
    expect(list.rows).toHaveLength(250)
    expect(list.rows[99]?.deviceId).toBe('m-99')
    expect(list.rows[100]).toBeUndefined()
    expect(list.loaded).toBe(true)
  })

  it('answers a new text search with one read: the list at its top asks for nothing more; a view of fields reads one page first', async () => {
    const list = new DeviceList()
    list.activate()
    expect(fake.answer('devices:query', page(0, 100, 1000))).toMatchObject({ limit: 100 })
    await settle()
    list.search('type=meter')
    expect(fake.answer('devices:query', page(0, 100, 1000))).toMatchObject({ offset: 0, limit: 100 })
    await settle()
    list.search('q=m-1')
    expect(fake.answer('devices:query', page(0, 200, 1000))).toMatchObject({ offset: 0, limit: 200 })
    await settle()
    // The rows on screen and the read-ahead beyond them (the next page) came with the first answer.
    list.ensureRange(0, 45)
    expect(fake.pending('devices:query')).toHaveLength(0)
    expect(list.rows[150]?.deviceId).toBe('m-150')
    list.ensureRange(150, 195)
    expect(fake.pending('devices:query').map((c) => (c.input as { offset: number }).offset)).toEqual([200])
  })

  it('while a search is on its way, asks only for the latest query next, and shows that one', async () => {
    const list = new DeviceList()
    list.activate()
    list.search('q=m')
    list.search('q=m-1')
    list.search('q=m-12')
    // One first-page read at a time: the keystrokes meanwhile only change what the next one asks for.
    expect(fake.pending('devices:query')).toHaveLength(1)
    fake.answer('devices:query', page(0, 3, 3))
    await settle()
    expect(fake.pending('devices:query').map((c) => (c.input as { query: { text: string } }).query.text)).toEqual(['m-12'])
    fake.answer('devices:query', ok({ total: 1, totalExact: true, items: [device(12)] }))
    await settle()
    expect(list.rows.map((r) => r?.deviceId)).toEqual(['m-12'])
    expect(list.query).toBe('q=m-12')
  })

  it('asks once for a query already on its way: the page shown with its address, a keystroke undone', async () => {
    const list = new DeviceList()
    // The page activates the list, then its address names the same view.
    list.activate()
    list.search('')
    fake.answer('devices:query', page(0, 200, 1000))
    await settle()
    expect(fake.pending('devices:query')).toHaveLength(0)
    // A keystroke is sent before the address catches up with it, and one undone goes back to the query on its way.
    list.search('q=m-1')
    list.search('q=m-1')
    list.search('q=m-12')
    list.search('q=m-1')
    expect(fake.pending('devices:query')).toHaveLength(1)
    fake.answer('devices:query', ok({ total: 1, totalExact: true, items: [device(1)] }))
    await settle()
    expect(fake.pending('devices:query')).toHaveLength(0)
    expect(list.rows.map((r) => r?.deviceId)).toEqual(['m-1'])
  })

  it('reads a query on its way again when the devices changed meanwhile, even if it is searched again', async () => {
    vi.useFakeTimers()
    try {
      const list = await shownList(2)
      list.search('q=m')
      fake.emit('devices:changed', { reason: 'added' })
      await vi.advanceTimersByTimeAsync(200)
      list.search('q=m')
      fake.answer('devices:query', page(0, 2, 2))
      await settle()
      expect(fake.answer('devices:query', page(0, 3, 3))).toMatchObject({ query: { text: 'm' } })
      await settle()
      expect(list.total).toBe(3)
    } finally {
      vi.useRealTimers()
    }
  })

  it('fetches the pages around the rows on screen, once each', async () => {
    const list = new DeviceList()
    list.activate()
    fake.answer('devices:query', page(0, 100, 1000))
    await settle()
    list.ensureRange(420, 460)
    list.ensureRange(425, 465)
    const offsets = fake.pending('devices:query').map((c) => (c.input as { offset: number }).offset)
    expect(offsets).toEqual([400, 500])
    fake.answer('devices:query', page(400, 100, 1000))
    await settle()
    expect(list.rows[450]?.deviceId).toBe('m-450')
  })

  it('drops a page that arrives after a new search replaced the result', async () => {
    const list = new DeviceList()
    list.activate()
    fake.answer('devices:query', page(0, 100, 1000))
    await settle()
    list.ensureRange(500, 520)
    list.search('q=m-9')
    fake.answerWhere('devices:query', (i) => i.query?.text === 'm-9', ok({ total: 2, totalExact: true, items: [device(9), device(90)] }))
    await settle()
    fake.answerWhere('devices:query', (i) => i.offset === 500, page(500, 100, 1000))
    await settle()
    expect(list.rows).toHaveLength(2)
    expect(list.rows.map((r) => r?.deviceId)).toEqual(['m-9', 'm-90'])
  })

  it('keeps at most 30 pages, never the ones on screen', async () => {
    const list = new DeviceList()
    list.activate()
    fake.answer('devices:query', page(0, 100, 10_000))
    await settle()
    for (let p = 1; p <= 40; p++) {
      list.ensureRange(p * 100, p * 100 + 10)
      while (fake.pending('devices:query').length > 0) {
        const { offset } = fake.pending('devices:query')[0]!.input as { offset: number }
        fake.answer('devices:query', page(offset, 100, 10_000))
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
      const list = await shownList(2)
      const generation = list.generation
      fake.emit('devices:changed', { reason: 'added' })
      await vi.advanceTimersByTimeAsync(200)
      fake.answer('devices:query', page(0, 3, 3))
      await settle()
      // Same query: the list stays where it is (no new generation, which would scroll it to the top).
      expect(list.generation).toBe(generation)
      expect(list.total).toBe(3)
      fake.reconnect()
      fake.answer('devices:query', refused('NETWORK'))
      await settle()
      expect(list.error?.code).toBe('NETWORK')
      expect(list.rows).toHaveLength(3)
    } finally {
      vi.useRealTimers()
    }
  })

  it('reads the page again in place when a weather reading is cached (its weather columns changed)', async () => {
    vi.useFakeTimers()
    try {
      const list = await shownList(2)
      const generation = list.generation
      fake.emit('weather:reading', { typeId: 'meter', deviceId: 'm-1' })
      await vi.advanceTimersByTimeAsync(200)
      expect(fake.pending('devices:query')).toHaveLength(1)
      fake.answer('devices:query', page(0, 2, 2))
      await settle()
      expect(list.generation).toBe(generation)
    } finally {
      vi.useRealTimers()
    }
  })

  it('stops following changes when no view shows it', async () => {
    const list = new DeviceList()
    const release = list.activate()
    fake.answer('devices:query', page(0, 1, 1))
    await settle()
    release()
    fake.reconnect()
    expect(fake.pending('devices:query')).toHaveLength(0)
  })
})

describe('the view in the address', () => {
  it('reads back every part of a view it wrote, and writes the default view as an empty query', () => {
    const view = {
      text: 'gw 00',
      filters: { typeId: ['gateway', 'meter'], carrier: ['orange' as const], simStatus: ['notCached' as const], extension: ['none'], configErrors: true, dmSupport: false },
      sort: 'simStatus' as const,
      descending: true,
      columns: ['deviceId', 'simId', 'metadata.site'],
    }
    const search = searchOfView(view)
    expect(viewFromSearch(search)).toEqual(view)
    expect(searchOfView(DEFAULT_VIEW)).toBe('')
    expect(viewFromSearch('')).toEqual(DEFAULT_VIEW)
  })

  it('drops what the contract would refuse (a hand-edited address) and keeps the rest', () => {
    const view = viewFromSearch('q=m&type=bad%20id&carrier=nokia&sim=activated&sort=password&cols=deviceId,secret,metadata.site&errors=maybe')
    expect(view).toEqual({ ...DEFAULT_VIEW, text: 'm', filters: { simStatus: ['activated'] }, columns: ['deviceId', 'metadata.site'] })
  })

  it('sorts ascending by a new column, then flips the direction; a filter set and cleared leaves no trace', () => {
    const once = sortedBy(DEFAULT_VIEW, 'updatedAt')
    expect([once.sort, once.descending]).toEqual(['updatedAt', false])
    expect(sortedBy(once, 'updatedAt').descending).toBe(true)
    expect(searchOfView(withFilter(withFilter(DEFAULT_VIEW, 'carrier', ['jasper']), 'carrier', undefined))).toBe('')
  })

  it('sends the view as the query, with the metadata fields its columns name', async () => {
    const list = new DeviceList()
    list.search('type=meter&errors=no&sort=updatedAt&desc=1&cols=deviceId,metadata.site')
    expect(fake.answer('devices:query', page(0, 1, 1))).toEqual({
      query: { text: '', filters: { typeId: ['meter'], configErrors: false }, sort: 'updatedAt', descending: true },
      offset: 0,
      limit: 100,
      metadataFields: ['site'],
    })
  })
})

describe('an estimated total', () => {
  it('is marked as such for the view shown, and an answer for a view already left does not change the mark', async () => {
    const list = new DeviceList()
    list.search('q=a')
    fake.answer('devices:query', ok({ total: 900_000, totalExact: false, items: [device(1)] }))
    await settle()
    expect(list.totalExact).toBe(false)
    list.search('q=a-1')
    list.search('q=a-12')
    fake.answer('devices:query', ok({ total: 40, totalExact: true, items: [device(1)] }))
    await settle()
    expect(list.totalExact).toBe(false)
    fake.answer('devices:query', ok({ total: 3, totalExact: true, items: [device(12)] }))
    await settle()
    expect(list.totalExact).toBe(true)
  })
})

describe('keeping the place', () => {
  it('shown again with the same view, the list keeps its active row and scroll position and reloads the rows on screen', async () => {
    const answerAll = async () => {
      while (fake.pending('devices:query').length > 0) {
        const { offset } = fake.pending('devices:query')[0]!.input as { offset: number }
        fake.answer('devices:query', page(offset, 100, 1000))
        await settle()
      }
    }
    const list = new DeviceList()
    list.search('type=meter')
    const release = list.activate()
    await answerAll()
    list.ensureRange(600, 640)
    await answerAll()
    list.toggle(610)
    Object.assign(list.memory, { active: 620, offset: 620 * 28, refocus: true })
    const generation = list.generation
    release()

    // The operator opened a device and comes back (Back, or the page shown again with the same address).
    list.activate()
    list.search('type=meter')
    while (fake.pending('devices:query').some((c) => (c.input as { offset: number }).offset === 0)) {
      fake.answerWhere('devices:query', (i) => i.offset === 0, page(0, 100, 1000))
      await settle()
    }
    expect(list.generation).toBe(generation)
    expect(list.memory).toEqual({ active: 620, offset: 620 * 28, refocus: true })
    expect(list.selection.count).toBe(1)
    // The rows on screen are read again at once, not left as placeholders.
    expect(fake.pending('devices:query').map((c) => (c.input as { offset: number }).offset)).toContain(600)
  })

  it('another set of devices starts at the top with nothing selected; other columns or the same devices keep the selection', async () => {
    const list = new DeviceList()
    list.search('type=meter')
    fake.answer('devices:query', page(0, 3, 3))
    await settle()
    list.toggle(1)
    list.search('type=meter&cols=deviceId')
    expect(list.selection.count).toBe(1)
    const generation = list.generation
    list.search('type=meter&q=m-1')
    expect(list.selection.count).toBe(0)
    fake.answer('devices:query', page(0, 3, 3))
    await settle()
    fake.answer('devices:query', page(0, 1, 1))
    await settle()
    expect(list.generation).toBeGreaterThan(generation)
  })
})

describe('the selection is a query with exceptions', () => {
  async function listOf(total: number, search = 'type=meter') {
    const list = new DeviceList()
    list.search(search)
    fake.answer('devices:query', page(0, Math.min(100, total), total))
    await settle()
    return list
  }

  it('picked rows are named one by one, in the order of the view', async () => {
    const list = await listOf(10, 'type=meter&sort=updatedAt&desc=1')
    list.toggle(2)
    list.toggle(5)
    list.toggle(2)
    expect(list.selection.count).toBe(1)
    expect(list.selection.toSelection(list.view)).toEqual({ keys: [{ typeId: 'meter', deviceId: 'm-5' }], sort: 'updatedAt', descending: true })
  })

  it('a range from the last toggled row, or from the row the operator was on, selects every row between', async () => {
    const list = await listOf(10)
    list.extend(3, 1)
    expect([0, 1, 2, 3, 4].map((i) => list.selection.has(list.rows[i]!))).toEqual([false, true, true, true, false])
    list.clearSelection()
    list.toggle(8)
    list.extend(6, 0)
    expect(list.selection.count).toBe(3)
  })

  it('a range that reaches rows not loaded yet (Shift+End far down the list) reads them from the core and selects every one', async () => {
    const list = await listOf(2500)
    list.toggle(2)
    const extending = list.extend(2399, 0)
    expect(fake.answer('devices:query', page(100, 1000, 2500))).toMatchObject({ offset: 100, limit: 1000 })
    await settle()
    expect(fake.answer('devices:query', page(1100, 1000, 2500))).toMatchObject({ offset: 1100, limit: 1000 })
    await settle()
    expect(fake.answer('devices:query', page(2100, 300, 2500))).toMatchObject({ offset: 2100, limit: 300 })
    expect(await extending).toEqual({ ok: true, value: 2398 })
    expect(list.selection.count).toBe(2398)
    expect(list.selection.toSelection(list.view)).toMatchObject({
      keys: expect.arrayContaining([
        { typeId: 'meter', deviceId: 'm-1500' },
        { typeId: 'meter', deviceId: 'm-2399' },
      ]),
    })
    expect(list.selection.has(device(1))).toBe(false)
    expect(list.selection.has(device(2400))).toBe(false)
  })

  it('a range longer than the selection can name, or whose list changed while it was read, selects nothing and says why', async () => {
    const list = await listOf(50_000)
    const long = await list.extend(20_000, 0)
    expect(long).toMatchObject({ ok: false, error: { code: 'VALIDATION', details: { ref: { key: 'selection.rangeTooLong', params: { max: 10_000 } } } } })
    expect(fake.pending('devices:query')).toHaveLength(0)
    list.clearSelection()
    const changing = list.extend(500, 0)
    list.search('type=valve')
    fake.answer('devices:query', page(100, 401, 50_000))
    expect(await changing).toMatchObject({ ok: false, error: { code: 'CONFLICT', details: { ref: { key: 'selection.rangeChanged' } } } })
    expect(list.selection.count).toBe(0)
  })

  it('"select all matching" counts exactly in the core and sends the query, not a million ids; unticked rows become exceptions', async () => {
    const list = await listOf(1_000_000)
    const selecting = list.selectAllMatching()
    const asked = fake.answer('devices:count', ok({ total: 1_000_000, facets: [] }))
    expect(asked).toEqual({ selection: { query: { text: '', filters: { typeId: ['meter'] }, sort: 'typeId', descending: false }, except: [] }, by: [] })
    expect(await selecting).toEqual({ ok: true, value: 1_000_000 })
    expect(list.selection.count).toBe(1_000_000)
    expect(list.selection.has(list.rows[50]!)).toBe(true)
    list.toggle(3)
    expect(list.selection.count).toBe(999_999)
    expect(list.selection.has(list.rows[3]!)).toBe(false)
    expect(list.selection.toSelection(list.view)).toEqual({ query: { text: '', filters: { typeId: ['meter'] }, sort: 'typeId', descending: false }, except: [{ typeId: 'meter', deviceId: 'm-3' }] })
  })

  it('a count that answers after the operator changed the view selects nothing', async () => {
    const list = await listOf(50)
    const selecting = list.selectAllMatching()
    list.search('type=valve')
    fake.answer('devices:count', ok({ total: 50, facets: [] }))
    await selecting
    expect(list.selection.empty).toBe(true)
  })
})

describe('an export', () => {
  const selection = { query: { text: '', filters: {}, sort: 'typeId' as const, descending: false }, except: [] }

  it('reads every part into one file and shows its progress', async () => {
    const exporter = new DeviceExport(fake)
    const file = exporter.run(selection, ['deviceId'], 'csv')
    fake.answer('export:start', ok({ jobId: 'j1', total: 3 }))
    await settle()
    expect(exporter.phase).toBe('running')
    fake.answer('export:next', ok({ data: 'deviceId\r\nm-1\r\n', rows: 1, total: 3, done: false }))
    await settle()
    expect([exporter.rows, exporter.total]).toEqual([1, 3])
    fake.answer('export:next', ok({ data: 'm-2\r\nm-3\r\n', rows: 3, total: 3, done: true }))
    const blob = await file
    // UTF-8's byte-order mark first, for Excel (Blob.text() would drop it: the bytes are read).
    expect(Buffer.from(await blob!.arrayBuffer()).toString('latin1')).toBe('\xEF\xBB\xBFdeviceId\r\nm-1\r\nm-2\r\nm-3\r\n')
    expect(exporter.phase).toBe('done')
  })

  it('Cancel ends the job in the core and drops the part on its way', async () => {
    const exporter = new DeviceExport(fake)
    const file = exporter.run(selection, ['deviceId'], 'jsonl')
    fake.answer('export:start', ok({ jobId: 'j2', total: 1000 }))
    await settle()
    const cancelling = exporter.cancel()
    expect(fake.answer('export:cancel', ok({ cancelled: true }))).toEqual({ jobId: 'j2' })
    await cancelling
    fake.answer('export:next', ok({ data: '{}\n', rows: 1, total: 1000, done: false }))
    expect(await file).toBeNull()
    expect(exporter.phase).toBe('cancelled')
    expect(fake.pending('export:next')).toHaveLength(0)
  })

  it('a new export ends the one it replaces in the core, and a part lost on the way ends its job', async () => {
    const exporter = new DeviceExport(fake)
    const first = exporter.run(selection, ['deviceId'], 'csv')
    fake.answer('export:start', ok({ jobId: 'j3', total: 1000 }))
    await settle()
    const second = exporter.run(selection, ['deviceId'], 'csv')
    expect(fake.answer('export:cancel', ok({ cancelled: true }))).toEqual({ jobId: 'j3' })
    fake.answer('export:next', ok({ data: 'x\r\n', rows: 1, total: 1000, done: false }))
    expect(await first).toBeNull()
    fake.answer('export:start', ok({ jobId: 'j4', total: 1000 }))
    await settle()
    fake.answer('export:next', refused('NETWORK'))
    expect(await second).toBeNull()
    expect(exporter.phase).toBe('failed')
    expect(fake.answer('export:cancel', ok({ cancelled: true }))).toEqual({ jobId: 'j4' })
  })

  it('a refusal ends the export with its error', async () => {
    const exporter = new DeviceExport(fake)
    const file = exporter.run(selection, ['deviceId'], 'csv')
    fake.answer('export:start', refused('NETWORK'))
    expect(await file).toBeNull()
    expect(exporter.phase).toBe('failed')
    expect(exporter.error?.code).toBe('NETWORK')
  })
})
