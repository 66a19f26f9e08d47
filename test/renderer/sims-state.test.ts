import { beforeEach, describe, expect, it, vi } from 'vitest'
import type { SimRow } from '../../src-shared/models/sim-inventory'
import { ok, refused, settle } from './fake-api'
import { api as fake } from './mocked-api'

vi.mock('../../src-renderer/src/lib/api', () => import('./mocked-api'))

const { SimExport, SimList, SimSync } = await import('../../src-renderer/src/lib/state/sims.svelte')
const { DEFAULT_SIM_VIEW, queryOfSimView, searchOfSimView, simSortedBy, simViewFromSearch, simViewOfQuery, withSimFilter } = await import('../../src-renderer/src/lib/sim-view')
const { freeSlugOf, slugOf } = await import('../../src-renderer/src/lib/slug')

function sim(n: number): SimRow {
  return {
    carrier: 'jasper',
    simId: `8901170327810000${String(n).padStart(4, '0')}`,
    iccid: null,
    account: 'jasper:ops',
    status: 'activated',
    statusRaw: 'ACTIVATED',
    ratePlan: 'Plan A',
    communicationPlan: null,
    dataBytes: n * 1000,
    smsCount: null,
    lastSessionAt: null,
    asOf: '2026-12-04T10:00:00.000Z',
    usageAsOf: null,
    devices: [],
  }
}

function page(offset: number, count: number, total: number) {
  return ok({ total, items: Array.from({ length: count }, (_, i) => sim(offset + i)) })
}

beforeEach(() => {
  fake.reset()
})

describe('the view in the address', () => {
  it('reads every filter back as it was written, in one canonical spelling', () => {
    const view = {
      text: 'north yard',
      filters: {
        carrier: ['jasper' as const],
        account: ['jasper:ops'],
        status: ['activated' as const, 'notListed' as const],
        ratePlan: ['Plan A'],
        dataAbove: 5_000_000,
        dataBelow: 9_000_000,
        attached: false,
        refreshedBefore: '2026-11-01T00:00:00.000Z',
      },
      sort: 'dataBytes' as const,
      descending: true,
    }
    const search = searchOfSimView(view)
    expect(search).toBe(
      'q=north+yard&carrier=jasper&account=jasper%3Aops&status=activated%2CnotListed&plan=Plan+A&above=5000000&below=9000000&attached=no&before=2026-11-01T00%3A00%3A00.000Z&sort=dataBytes&desc=1',
    )
    expect(simViewFromSearch(search)).toEqual(view)
    expect(searchOfSimView(DEFAULT_SIM_VIEW)).toBe('')
  })

  it('drops what the contract would refuse from a hand-edited address, and keeps the rest', () => {
    expect(simViewFromSearch('carrier=vodafone&status=activated&above=-5&below=1e3&before=yesterday&sort=imei&attached=maybe')).toEqual({ ...DEFAULT_SIM_VIEW, filters: { status: ['activated'] } })
  })

  it('sends the text search as one more filter, and reads a saved query back as the same view', () => {
    const view = withSimFilter({ ...DEFAULT_SIM_VIEW, text: '  8901  ' }, 'attached', true)
    expect(queryOfSimView(view)).toEqual({ filters: { attached: true, text: '8901' }, sort: 'simId', descending: false })
    expect(queryOfSimView(DEFAULT_SIM_VIEW).filters).toEqual({})
    const saved = { filters: { text: 'north', carrier: ['orange' as const] }, sort: 'asOf' as const, descending: true }
    expect(queryOfSimView(simViewOfQuery(saved))).toEqual(saved)
  })

  it('a header sorts ascending first, then the other way', () => {
    const once = simSortedBy(DEFAULT_SIM_VIEW, 'asOf')
    expect([once.sort, once.descending]).toEqual(['asOf', false])
    expect(simSortedBy(once, 'asOf').descending).toBe(true)
  })

  it('names a saved search from its name, accents dropped; a name without letters or digits gives no id', () => {
    expect(slugOf('Résiliées Orange (Q4)')).toBe('resiliees-orange-q4')
    expect(slugOf('  ***  ')).toBe('')
    expect(slugOf('x'.repeat(60))).toHaveLength(48)
  })

  it('gives a name whose id another search holds an id of its own, never the other one', () => {
    expect(freeSlugOf('orange!', new Set(['orange']))).toBe('orange-2')
    expect(freeSlugOf('Orange', new Set(['orange', 'orange-2']))).toBe('orange-3')
    expect(freeSlugOf('Jasper', new Set(['orange']))).toBe('jasper')
    const long = freeSlugOf('x'.repeat(60), new Set(['x'.repeat(48)]))
    expect(long).toBe(`${'x'.repeat(46)}-2`)
  })
})

describe('the selection is a query with exceptions', () => {
  async function listOf(total: number, search = 'carrier=jasper') {
    const list = new SimList()
    list.search(search)
    expect(fake.answer('sims:query', page(0, Math.min(100, total), total))).toEqual({ query: queryOfSimView(simViewFromSearch(search)), offset: 0, limit: 100 })
    await settle()
    return list
  }

  it('"select all matching" counts in the core and keeps the query; an unticked row becomes an exception', async () => {
    const list = await listOf(100_000)
    const selecting = list.selectAllMatching()
    expect(fake.answer('sims:count', ok({ total: 100_000 }))).toEqual({ filters: { carrier: ['jasper'] } })
    expect(await selecting).toEqual({ ok: true, value: 100_000 })
    list.toggle(3)
    expect(list.selection.count).toBe(99_999)
    expect(list.currentSelection()).toEqual({ query: { filters: { carrier: ['jasper'] }, sort: 'simId', descending: false }, except: [{ carrier: 'jasper', simId: sim(3).simId }] })
  })

  it('picked SIMs are named one by one in the view’s order; another order keeps them, other filters drop them', async () => {
    const list = await listOf(10)
    list.toggle(2)
    list.extend(4, 0)
    expect(list.selection.count).toBe(3)
    list.search('carrier=jasper&sort=dataBytes&desc=1')
    expect(list.currentSelection()).toEqual({ keys: [2, 3, 4].map((n) => ({ carrier: 'jasper', simId: sim(n).simId })), sort: 'dataBytes', descending: true })
    list.search('carrier=jasper&sort=dataBytes&desc=1&attached=no')
    expect(list.currentSelection()).toBeNull()
  })

  it('the SIMs of "all matching but some" are read page by page for an action that names each one, and refused past its cap', async () => {
    const list = await listOf(1001)
    const selecting = list.selectAllMatching()
    fake.answer('sims:count', ok({ total: 1001 }))
    await selecting
    expect(await list.selectedSims(1000)).toMatchObject({ ok: false, error: { details: { ref: { key: 'sims.tooManySelected', params: { count: 1001, max: 1000 } } } } })
    list.toggle(0)
    list.toggle(1)
    const reading = list.selectedSims(1000)
    expect(fake.answer('sims:query', page(0, 1000, 1001))).toMatchObject({ offset: 0, limit: 1000 })
    await settle()
    fake.answer('sims:query', page(1000, 1, 1001))
    const read = await reading
    expect(read.ok && read.value.length).toBe(999)
    expect(read.ok && read.value[0]).toEqual({ carrier: 'jasper', simId: sim(2).simId })
  })

  it('a count that answers after the operator changed the filters selects nothing', async () => {
    const list = await listOf(50)
    const selecting = list.selectAllMatching()
    list.search('carrier=orange')
    fake.answer('sims:count', ok({ total: 50 }))
    await selecting
    expect(list.selection.empty).toBe(true)
  })
})

describe('an export of SIMs', () => {
  const selection = { query: { filters: { carrier: ['jasper' as const] }, sort: 'simId' as const, descending: false }, except: [{ carrier: 'jasper' as const, simId: '8901' }] }

  it('starts with the selection as a query, then reads the parts through the shared export channels', async () => {
    const exporter = new SimExport(fake)
    const file = exporter.run(selection, 'jsonl')
    expect(fake.answer('sims:export', ok({ jobId: 'e1', total: 2 }))).toEqual({ selection, format: 'jsonl' })
    await settle()
    expect(fake.answer('export:next', ok({ data: '{"simId":"1"}\n', rows: 1, total: 2, done: false }))).toEqual({ jobId: 'e1' })
    await settle()
    expect([exporter.rows, exporter.total]).toEqual([1, 2])
    fake.answer('export:next', ok({ data: '{"simId":"2"}\n', rows: 2, total: 2, done: true }))
    expect(await (await file)?.text()).toBe('{"simId":"1"}\n{"simId":"2"}\n')
    expect(exporter.phase).toBe('done')
  })

  it('Cancel ends the job in the core', async () => {
    const exporter = new SimExport(fake)
    const file = exporter.run(selection, 'csv')
    fake.answer('sims:export', ok({ jobId: 'e2', total: 100_000 }))
    await settle()
    const cancelling = exporter.cancel()
    expect(fake.answer('export:cancel', ok({ cancelled: true }))).toEqual({ jobId: 'e2' })
    await cancelling
    fake.answer('export:next', ok({ data: 'x', rows: 1, total: 100_000, done: false }))
    expect(await file).toBeNull()
    expect(exporter.phase).toBe('cancelled')
  })
})

describe('the sync of an account', () => {
  it('shows the estimate first, then the progress the core reports, then the outcome', async () => {
    const sync = new SimSync(fake)
    const estimating = sync.estimate('jasper:ops', true)
    expect(sync.of('jasper:ops').estimating).toBe(true)
    const estimate = { account: 'jasper:ops', sims: 120, listingCalls: 3, usageCalls: 240, perSecond: 5, seconds: 49, exact: false, lastSyncAt: null, interrupted: null }
    expect(fake.answer('sims:estimate', ok(estimate))).toEqual({ account: 'jasper:ops', usage: true })
    await estimating
    expect(sync.of('jasper:ops')).toMatchObject({ estimating: false, estimate })

    const running = sync.sync('jasper:ops', { full: false, usage: true })
    expect(sync.of('jasper:ops').running).toBe(true)
    fake.emit('sims:progress', { account: 'jasper:ops', phase: 'listing', sims: 50, calls: 1, done: false })
    expect(sync.of('jasper:ops').progress).toMatchObject({ phase: 'listing', sims: 50 })
    fake.emit('sims:progress', { account: 'jasper:ops', phase: 'done', sims: 120, calls: 3, done: true })
    expect(sync.of('jasper:ops').running).toBe(true)
    const result = { account: 'jasper:ops', listed: 120, usageRead: 0, calls: 3, resumed: false, full: true, stopped: false, fired: 0 }
    fake.answer('sims:sync', ok(result))
    await running
    expect(sync.of('jasper:ops')).toMatchObject({ running: false, result, error: null })
    expect(sync.of('orange:paris').running).toBe(false)
  })

  it('shows the estimate of the latest question only, whatever order the answers arrive in', async () => {
    const sync = new SimSync(fake)
    const withUsage = sync.estimate('jasper:ops', true)
    const without = sync.estimate('jasper:ops', false)
    const base = { account: 'jasper:ops', sims: 120, listingCalls: 3, perSecond: 5, exact: false, lastSyncAt: null, interrupted: null }
    fake.answerWhere('sims:estimate', (i) => i.usage === false, ok({ ...base, usageCalls: 0, seconds: 1 }))
    await without
    fake.answerWhere('sims:estimate', (i) => i.usage === true, ok({ ...base, usageCalls: 240, seconds: 49 }))
    await withUsage
    expect(sync.of('jasper:ops')).toMatchObject({ estimating: false, estimate: { usageCalls: 0 } })
  })

  it('keeps a failed sync’s error for the panel, apart from an estimate that could not be made', async () => {
    const sync = new SimSync(fake)
    const estimating = sync.estimate('jasper:ops', false)
    fake.answer('sims:estimate', refused('NOT_FOUND'))
    await estimating
    expect(sync.of('jasper:ops')).toMatchObject({ estimate: null, estimateError: { code: 'NOT_FOUND' }, error: null })
    const running = sync.sync('jasper:ops', { full: true, usage: false })
    expect(fake.answer('sims:sync', refused('NETWORK'))).toEqual({ account: 'jasper:ops', full: true, usage: false, readId: expect.any(String) })
    expect(await running).toMatchObject({ ok: false })
    expect(sync.of('jasper:ops')).toMatchObject({ running: false, result: null, error: { code: 'NETWORK' } })
  })

  it('stops its own run by the id it started it with, once, and keeps the stopped result with its counts', async () => {
    const sync = new SimSync(fake)
    await sync.stop('jasper:ops')
    const running = sync.sync('jasper:ops', { full: false, usage: false })
    const { readId } = sync.of('jasper:ops')
    expect(readId).toEqual(expect.any(String))
    const stopping = sync.stop('jasper:ops')
    expect(sync.of('jasper:ops')).toMatchObject({ running: true, stopping: true })
    await sync.stop('jasper:ops')
    expect(fake.answer('reads:cancel', ok({ cancelled: true }))).toEqual({ readId })
    await stopping
    const result = { account: 'jasper:ops', listed: 600, usageRead: 0, calls: 12, resumed: false, full: false, stopped: true, fired: 0 }
    expect(fake.answer('sims:sync', ok(result))).toMatchObject({ readId })
    await running
    expect(sync.of('jasper:ops')).toMatchObject({ running: false, stopping: false, readId: null, result })
    expect(fake.pending('reads:cancel')).toEqual([])
  })
})
