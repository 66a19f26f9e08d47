import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { auditFilterSchema, type AuditEntry } from '../../src-shared/contract'
import { ok, settle } from './fake-api'
import { api as fake } from './mocked-api'

vi.mock('../../src-renderer/src/lib/api', () => import('./mocked-api'))

const { ActivityLog } = await import('../../src-renderer/src/lib/state/activity.svelte')
const { activityFilterSchema, activityViewFromSearch, auditFilterOf, searchOfActivityView, withActivityFilter } = await import('../../src-renderer/src/lib/activity-view')
const { formErrors } = await import('../../src-renderer/src/lib/form/issues')

const FACETS = { actions: ['device.add', 'sim.changeStatus.queued'], actors: ['alice'] }

function entry(n: number, over: Partial<AuditEntry> = {}): AuditEntry {
  return { id: `audit:${n}`, at: '2026-12-05T10:00:00.000Z', actor: 'alice', action: 'device.add', target: `meter/m-${n}`, outcome: 'ok', ...over }
}

beforeEach(() => {
  fake.reset()
})

afterEach(() => {
  vi.useRealTimers()
})

describe('the Activity view in the address', () => {
  it('reads and writes text and every filter, in one canonical spelling', () => {
    const view = { text: 'status', filter: { action: 'sim.changeStatus.queued', actor: 'alice', device: 'meter/m-1', from: '2026-12-01', to: '2026-12-05' } }
    const search = searchOfActivityView(view)
    expect(search).toBe('q=status&action=sim.changeStatus.queued&actor=alice&device=meter%2Fm-1&from=2026-12-01&to=2026-12-05')
    expect(activityViewFromSearch(search)).toEqual(view)
    expect(searchOfActivityView(activityViewFromSearch('to=2026-12-05&q=status&from=2026-12-01&device=meter%2Fm-1&actor=alice&action=sim.changeStatus.queued'))).toBe(search)
  })

  it('drops what the contract would refuse: a day that is not a date, a value too long', () => {
    expect(activityViewFromSearch(`from=yesterday&to=2026-13&actor=${'a'.repeat(201)}&device=meter%2Fm-1`)).toEqual({ text: '', filter: { device: 'meter/m-1' } })
    // A day no calendar has: it once reached the core as 2 March.
    expect(activityViewFromSearch('from=2026-02-30&to=2026-12-06T10:00:00Z')).toEqual({ text: '', filter: {} })
  })

  it('sends the core the instants the operator’s own days span, in their zone', () => {
    const zone = process.env.TZ
    // Auckland is UTC+13 in December: 6 December there starts at 11:00 UTC on the 5th.
    process.env.TZ = 'Pacific/Auckland'
    try {
      expect(auditFilterOf({ text: '', filter: { actor: 'alice', from: '2026-12-06', to: '2026-12-06' } })).toEqual({
        actor: 'alice',
        from: '2026-12-05T11:00:00.000Z',
        to: '2026-12-06T10:59:59.999Z',
      })
      expect(auditFilterSchema.parse(auditFilterOf({ text: '', filter: { from: '2026-12-06' } }))).toEqual({ from: '2026-12-05T11:00:00.000Z' })
    } finally {
      if (zone === undefined) delete process.env.TZ
      else process.env.TZ = zone
    }
  })

  it('tells a device filter that is not type/ID, which no entry could match, in the language’s words', () => {
    for (const device of ['meter', 'meter/', '/m-1', 'meter/m-1/x']) {
      expect(formErrors({ schema: activityFilterSchema }, { device }), device).toEqual({ device: { key: 'activity.filters.deviceFormat', params: { field: 'device' } } })
      expect(activityViewFromSearch(`device=${encodeURIComponent(device)}`).filter, device).toEqual({})
    }
    expect(formErrors({ schema: activityFilterSchema }, { device: 'meter/m-1' })).toEqual({})
  })

  it('sets and clears one filter, keeping the others', () => {
    const view = { text: '', filter: { actor: 'alice' } }
    expect(withActivityFilter(view, 'action', 'device.add')).toEqual({ text: '', filter: { actor: 'alice', action: 'device.add' } })
    expect(withActivityFilter(view, 'actor', '')).toEqual({ text: '', filter: {} })
  })
})

describe('the trail', () => {
  it('asks the core for the view the address names, and keeps the filters’ choices', async () => {
    const log = new ActivityLog(fake)
    log.activate()
    fake.answer('audit:list', ok({ total: 0, items: [], facets: FACETS }))
    await settle()
    // The operator's days are their own: in Paris, 1 December starts at 23:00 UTC the day before.
    const zone = process.env.TZ
    process.env.TZ = 'Europe/Paris'
    try {
      log.search('q=m-1&device=meter%2Fm-1&from=2026-12-01&to=2026-12-02')
      expect(fake.answer('audit:list', ok({ total: 1, items: [entry(1)], facets: FACETS }))).toEqual({
        query: 'm-1',
        offset: 0,
        limit: 100,
        filter: { device: 'meter/m-1', from: '2026-11-30T23:00:00.000Z', to: '2026-12-02T22:59:59.999Z' },
      })
    } finally {
      if (zone === undefined) delete process.env.TZ
      else process.env.TZ = zone
    }
    await settle()
    expect(log.view).toEqual({ text: 'm-1', filter: { device: 'meter/m-1', from: '2026-12-01', to: '2026-12-02' } })
    expect(log.facets).toEqual(FACETS)
    expect(log.rows[0]?.target).toBe('meter/m-1')
  })

  it('shows a queued change as Sent once the outbox delivers it (the outbox’s event reads the trail again)', async () => {
    vi.useFakeTimers()
    const log = new ActivityLog(fake)
    log.activate()
    const queued = entry(7, { action: 'sim.changeStatus.queued', outcome: 'queued', outboxId: 'outbox:1' })
    fake.answer('audit:list', ok({ total: 1, items: [queued], facets: FACETS }))
    await settle()
    expect(log.rows[0]?.outcome).toBe('queued')

    fake.emit('outbox:changed', { pending: 0 })
    await vi.advanceTimersByTimeAsync(300)
    fake.answer('audit:list', ok({ total: 1, items: [{ ...queued, outcome: 'sent' }], facets: FACETS }))
    await settle()
    expect(log.rows[0]?.outcome).toBe('sent')

    fake.emit('audit:changed', {})
    await vi.advanceTimersByTimeAsync(300)
    fake.answer('audit:list', ok({ total: 1, items: [{ ...queued, outcome: 'failed', error: { code: 'CARRIER', message: 'refused' } }], facets: FACETS }))
    await settle()
    expect(log.rows[0]?.outcome).toBe('failed')
  })

  it('counts the entries that arrived above the first one read, so the list keeps the reader’s place', async () => {
    vi.useFakeTimers()
    const log = new ActivityLog(fake)
    log.activate()
    /** The page of a trail whose newest entry is `newest`, from `offset`. */
    const page = (newest: number, offset: number) => Array.from({ length: 100 }, (_, i) => entry(newest - offset - i)).filter((e) => Number(e.id.slice(6)) > 0)
    const offsets = () => fake.pending('audit:list').map((c) => (c.input as { offset?: number }).offset ?? 0)
    const answer = (newest: number) => fake.answer('audit:list', ok({ total: newest, items: page(newest, offsets()[0]!), facets: FACETS }))
    answer(250)
    await settle()
    log.ensureRange(97, 99)
    await settle()
    expect(answer(250)).toMatchObject({ offset: 100 })
    await settle()
    expect(log.inserted).toBe(0)

    // Three entries written since: the first one read is now the fourth, and the rows on screen are read three further down.
    fake.emit('audit:changed', {})
    await vi.advanceTimersByTimeAsync(300)
    answer(253)
    await settle()
    expect(log.inserted).toBe(3)
    expect(log.rows[3]?.id).toBe('audit:250')
    expect(offsets()).toEqual([100, 200])
    answer(253)
    answer(253)
    await settle()

    // More than a page at once: the first row read is not among the new first page, and the list cannot tell by how much.
    fake.emit('audit:changed', {})
    await vi.advanceTimersByTimeAsync(300)
    answer(500)
    await settle()
    expect(log.inserted).toBe(3)

    // A new search starts over at the top: nothing is counted against the rows of the last one.
    for (const _ of fake.pending('audit:list')) answer(500)
    log.search('q=m-1')
    fake.answer('audit:list', ok({ total: 1, items: [entry(1)], facets: FACETS }))
    await settle()
    expect(log.inserted).toBe(3)
    expect(log.generation).toBe(2)
  })

  it('exports every entry the view matches, page by page, as spreadsheet-safe CSV', async () => {
    const log = new ActivityLog(fake)
    log.search('actor=alice')
    fake.answer('audit:list', ok({ total: 1001, items: [], facets: FACETS }))
    await settle()
    const running = log.exportCsv(['Time', 'Target'], (e) => [e.at, e.target])
    await settle()
    const first = fake.answer('audit:list', ok({ total: 1001, items: Array.from({ length: 1000 }, (_, i) => entry(i)), facets: FACETS }))
    // Entries written once the export has started are left out: the pages do not shift under it.
    expect(first).toMatchObject({ query: '', offset: 0, limit: 1000, filter: { actor: 'alice' } })
    expect(Date.parse(first.filter!.to!)).toBeGreaterThan(Date.now() - 60_000)
    await settle()
    expect(fake.answer('audit:list', ok({ total: 1001, items: [entry(1000, { target: '=HYPERLINK("http://evil")' })], facets: FACETS }))).toMatchObject({ offset: 1000, filter: first.filter })
    const result = await running
    if (!result.ok) throw new Error('export refused')
    expect(result.rows).toBe(1001)
    // UTF-8's byte-order mark first, so a spreadsheet reads the accents of French cells right.
    expect([...new Uint8Array(await result.blob.slice(0, 3).arrayBuffer())]).toEqual([0xef, 0xbb, 0xbf])
    const lines = (await result.blob.text()).split('\r\n')
    expect(lines[0]).toBe('Time,Target')
    expect(lines[1]).toBe('2026-12-05T10:00:00.000Z,meter/m-0')
    expect(lines[1001]).toBe(`2026-12-05T10:00:00.000Z,"'=HYPERLINK(""http://evil"")"`)
  })
})
