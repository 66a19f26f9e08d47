import { beforeEach, describe, expect, it, vi } from 'vitest'
import type { OrangeSimView, OrangeTicket } from '../../src-shared/models/orange'
import { blankSim, type Sim } from '../../src-shared/models/sim'
import { ok, refused, settle } from './fake-api'
import { api as fake } from './mocked-api'

vi.mock('../../src-renderer/src/lib/api', () => import('./mocked-api'))

const { OrangePanel } = await import('../../src-renderer/src/lib/state/orange-panel.svelte')

const SERIAL = '1660599267499'
const KEY = { typeId: 'meter', deviceId: 'm-1' }
const AT = '2026-01-01T00:00:00.000Z'

function sim(statusRaw: string): Sim {
  return { ...blankSim('orange', '89330116605992674910', AT), status: statusRaw === 'SUSPENDED' ? 'suspended' : 'activated', statusRaw }
}

function view(statusRaw: string, extra: Partial<OrangeSimView> = {}): OrangeSimView {
  return { serialNumber: SERIAL, profile: { id: 'lab', name: 'Lab' }, sim: sim(statusRaw), fetchedAt: AT, fromCache: false, offline: null, openTickets: [], ...extra }
}

function ticket(id: string, extra: Partial<OrangeTicket> = {}): OrangeTicket {
  return {
    id,
    operation: 'status',
    ticketNumber: Number(id.replace(/\D/g, '')) || 1,
    profileId: 'lab',
    serialNumber: SERIAL,
    device: KEY,
    requestedStatus: 'SUSPENDED',
    testMode: null,
    statusBefore: 'ACTIVATED',
    state: 'WAITING',
    final: false,
    errorCode: null,
    errorMessage: null,
    lines: [],
    unknownLines: [],
    submittedAt: AT,
    updatedAt: AT,
    nextPollAt: AT,
    polls: 0,
    lastError: null,
    location: null,
    actor: 'operator',
    ...extra,
  }
}

const unreachable = { ok: false as const, error: { code: 'NETWORK' as const, message: 'Cannot reach 127.0.0.1' } }

beforeEach(() => {
  fake.reset()
  // The panel hears the browser's 'online' on the window, which Node has not; a new one per test, so that the panels
  // of earlier tests hear nothing.
  vi.stubGlobal('window', new EventTarget())
})

/** A panel opened on the cached copy whose read of Orange could not reach it: it shows that copy, for want of Orange. */
async function openForWantOfOrange(): Promise<InstanceType<typeof OrangePanel>> {
  const panel = new OrangePanel(KEY, SERIAL)
  void panel.open()
  fake.answer('orange:get', ok(view('ACTIVATED', { fromCache: true })))
  await settle()
  fake.answer('orange:get', ok(view('ACTIVATED', { fromCache: true, offline: unreachable.error })))
  await settle()
  return panel
}

describe('the Orange panel of a device', () => {
  it('shows the cached copy at once, then asks Orange; the tickets alongside', async () => {
    const panel = new OrangePanel(KEY, SERIAL)
    const opening = panel.open()
    expect(fake.answer('orange:tickets', ok({ items: [] }))).toEqual({ ...KEY, limit: 10 })
    expect(fake.answer('orange:get', ok(view('ACTIVATED', { fromCache: true })))).toEqual({ ...KEY, refresh: false, readId: expect.any(String) })
    await settle()
    expect(panel.view?.fromCache).toBe(true)
    expect(panel.refreshing).toBe(true)
    expect(fake.answer('orange:get', ok(view('SUSPENDED')))).toEqual({ ...KEY, refresh: true, readId: expect.any(String) })
    await opening
    expect(panel.view?.sim?.statusRaw).toBe('SUSPENDED')
    expect(panel.refreshing).toBe(false)
  })

  it('asks Orange only once when nothing was cached (the first read already went to Orange)', async () => {
    const panel = new OrangePanel(KEY, SERIAL)
    const opening = panel.open()
    fake.answer('orange:get', ok(view('ACTIVATED')))
    await opening
    expect(fake.pending('orange:get')).toHaveLength(0)
  })

  it('keeps the cached copy and turns offline when Orange cannot be reached; a read that works clears it', async () => {
    const panel = new OrangePanel(KEY, SERIAL)
    void panel.open()
    fake.answer('orange:get', ok(view('ACTIVATED', { fromCache: true })))
    await settle()
    fake.answer('orange:get', unreachable)
    await settle()
    expect(panel.view?.sim?.statusRaw).toBe('ACTIVATED')
    expect(panel.offline?.code).toBe('NETWORK')
    void panel.reload()
    fake.answer('orange:get', ok(view('ACTIVATED')))
    await settle()
    expect(panel.offline).toBeNull()
  })

  it('a cancelled read keeps the cached copy and its reason, says it was cancelled, and is no error', async () => {
    const panel = await openForWantOfOrange()
    void panel.reload()
    const { readId } = fake.pending('orange:get')[0]!.input as { readId: string }
    void panel.cancelRefresh()
    expect(fake.answer('reads:cancel', ok({ cancelled: true }))).toEqual({ readId })
    fake.answer('orange:get', { ok: false, error: { code: 'CANCELLED', message: 'The read was cancelled' } })
    await settle()
    expect(panel.cancelled).toBe(true)
    expect(panel.refreshing).toBe(false)
    expect(panel.error).toBeNull()
    expect(panel.offline?.code).toBe('NETWORK')
    expect(panel.view?.sim?.statusRaw).toBe('ACTIVATED')
    // Nothing under way: Cancel asks nothing more.
    await panel.cancelRefresh()
    expect(fake.pending('reads:cancel')).toHaveLength(0)
  })

  it('reads Orange again once when the network comes back, only while it shows the cached copy for want of Orange', async () => {
    const panel = await openForWantOfOrange()
    window.dispatchEvent(new Event('online'))
    // A second 'online' while that read waits asks nothing more.
    window.dispatchEvent(new Event('online'))
    expect(fake.pending('orange:get')).toHaveLength(1)
    expect(panel.linkBack).toBe(true)
    expect(fake.answer('orange:get', ok(view('SUSPENDED')))).toMatchObject({ refresh: true })
    await settle()
    expect(panel.view?.sim?.statusRaw).toBe('SUSPENDED')
    expect(panel.offline).toBeNull()
    // Fresh data: the network coming back again costs no call.
    window.dispatchEvent(new Event('online'))
    expect(fake.pending('orange:get')).toHaveLength(0)
    panel.dispose()
  })

  it('reads Orange again once when the core says its Orange account answers again, and not for another account', async () => {
    const panel = await openForWantOfOrange()
    fake.emit('carriers:answering', { carrier: 'orange', profileId: 'depot' })
    fake.emit('carriers:answering', { carrier: 'jasper', profileId: 'lab' })
    expect(fake.pending('orange:get')).toHaveLength(0)
    fake.emit('carriers:answering', { carrier: 'orange', profileId: 'lab' })
    expect(fake.pending('orange:get')).toHaveLength(1)
    expect(panel.linkBack).toBe(true)
    expect(fake.answer('orange:get', ok(view('SUSPENDED')))).toMatchObject({ refresh: true })
    await settle()
    expect(panel.offline).toBeNull()
    fake.emit('carriers:answering', { carrier: 'orange', profileId: 'lab' })
    expect(fake.pending('orange:get')).toHaveLength(0)
    panel.dispose()
  })

  it('takes the SIM Orange just read (orange:changed) as fresh, and only its own', async () => {
    const panel = new OrangePanel(KEY, SERIAL)
    fake.emit('orange:changed', { serialNumber: '9999999999999' })
    expect(fake.pending('orange:get')).toHaveLength(0)
    fake.emit('orange:changed', { serialNumber: SERIAL })
    expect(fake.answer('orange:get', ok(view('SUSPENDED', { fromCache: true, offline: { code: 'NETWORK', message: 'old' } })))).toEqual({ ...KEY, refresh: false, readId: expect.any(String) })
    await settle()
    expect(panel.view?.fromCache).toBe(false)
    expect(panel.offline).toBeNull()
  })

  it('follows its SIM’s tickets step by step, newest first; an older step never replaces a newer one', async () => {
    const panel = new OrangePanel(KEY, SERIAL)
    fake.emit('orange:ticket', ticket('t1', { state: 'WORK_IN_PROGRESS', updatedAt: '2026-01-01T00:01:00.000Z', polls: 2 }))
    fake.emit('orange:ticket', ticket('t1', { state: 'WAITING', updatedAt: '2026-01-01T00:00:30.000Z', polls: 1 }))
    fake.emit('orange:ticket', ticket('t2', { submittedAt: '2026-01-02T00:00:00.000Z' }))
    fake.emit('orange:ticket', ticket('other', { serialNumber: '9999999999999' }))
    expect(panel.tickets.map((t) => [t.id, t.state])).toEqual([
      ['t2', 'WAITING'],
      ['t1', 'WORK_IN_PROGRESS'],
    ])
    fake.emit('orange:ticket', ticket('t1', { state: 'TERMINATED', final: true, updatedAt: '2026-01-01T00:02:00.000Z', polls: 3 }))
    expect(panel.openTickets.map((t) => t.id)).toEqual(['t2'])
    expect(panel.tickets.find((t) => t.id === 't1')?.state).toBe('TERMINATED')
  })

  it('keeps every open ticket but only the latest ten finished ones', async () => {
    const panel = new OrangePanel(KEY, SERIAL)
    for (let i = 10; i < 30; i++) fake.emit('orange:ticket', ticket(`t${i}`, { final: true, state: 'TERMINATED', submittedAt: `2026-01-01T00:00:${i}.000Z` }))
    fake.emit('orange:ticket', ticket('open', { submittedAt: '2025-01-01T00:00:00.000Z' }))
    expect(panel.tickets).toHaveLength(11)
    expect(panel.tickets[0]?.id).toBe('t29')
    expect(panel.openTickets.map((t) => t.id)).toEqual(['open'])
  })

  it('reads the tickets again when the transport comes back (steps sent meanwhile are lost)', async () => {
    const panel = new OrangePanel(KEY, SERIAL)
    fake.reconnect()
    fake.answer('orange:tickets', ok({ items: [ticket('t1', { state: 'TERMINATED', final: true })] }))
    await settle()
    expect(panel.tickets.map((t) => t.state)).toEqual(['TERMINATED'])
  })

  it('submits a status change: the ticket joins the list; an unreachable Orange turns the panel offline', async () => {
    const panel = new OrangePanel(KEY, SERIAL)
    const failing = panel.changeStatus('SUSPENDED', undefined, false)
    fake.answer('orange:changeStatus', unreachable)
    expect((await failing).ok).toBe(false)
    expect(panel.offline?.code).toBe('NETWORK')
    const queued = panel.changeStatus('ACTIVATED_FOR_TEST', 'EUROPE', true)
    expect(fake.answer('orange:changeStatus', ok({ outcome: 'queued', ticket: null, outboxId: 'outbox:1' }))).toEqual({ ...KEY, status: 'ACTIVATED_FOR_TEST', testMode: 'EUROPE', queue: true })
    await queued
    expect(panel.offline?.code).toBe('NETWORK')
    const submitted = panel.changeStatus('SUSPENDED', undefined, false)
    expect(fake.answer('orange:changeStatus', ok({ outcome: 'submitted', ticket: ticket('t1'), outboxId: null }))).toEqual({ ...KEY, status: 'SUSPENDED', queue: false })
    await submitted
    expect(panel.offline).toBeNull()
    expect(panel.openTickets.map((t) => t.id)).toEqual(['t1'])
    // The requested status Orange shows while the ticket runs is read at once.
    expect(fake.answer('orange:get', ok(view('ACTIVATED')))).toEqual({ ...KEY, refresh: true, readId: expect.any(String) })
    expect(fake.pending('orange:get')).toHaveLength(0)
  })

  it('shows a refusal as it is, without turning offline', async () => {
    const panel = new OrangePanel(KEY, SERIAL)
    const refusing = panel.locate()
    fake.answer('orange:locate', refused('VALIDATION'))
    expect((await refusing).ok).toBe(false)
    expect(panel.offline).toBeNull()
  })

  it('looks a ticket up with the SIM’s profile, and lists it when it is this SIM’s', async () => {
    const panel = new OrangePanel(KEY, SERIAL)
    void panel.open()
    fake.answer('orange:get', ok(view('ACTIVATED')))
    await settle()
    const looking = panel.lookupTicket('status', 701001)
    expect(fake.answer('orange:lookupTicket', ok(ticket('t701001')))).toEqual({ profile: 'lab', operation: 'status', ticketNumber: 701001 })
    await looking
    const other = panel.lookupTicket('location', 901001)
    fake.answer('orange:lookupTicket', ok(ticket('t901001', { serialNumber: '9999999999999' })))
    expect((await other).ok).toBe(true)
    expect(panel.tickets.map((t) => t.id)).toEqual(['t701001'])
  })

  it('stops listening when disposed', () => {
    const panel = new OrangePanel(KEY, SERIAL)
    expect(fake.listenerCount('orange:ticket')).toBe(1)
    panel.dispose()
    expect(fake.listenerCount('orange:ticket')).toBe(0)
    expect(fake.listenerCount('orange:changed')).toBe(0)
    expect(fake.listenerCount('profiles:changed')).toBe(0)
  })

  it('closing the panel cancels its read under way by its id; the late answer changes nothing and an opening panel asks Orange no more', async () => {
    const panel = new OrangePanel(KEY, SERIAL)
    const opening = panel.open()
    fake.answer('orange:tickets', ok({ items: [] }))
    const { readId } = fake.pending('orange:get')[0]!.input as { readId: string }
    panel.dispose()
    expect(fake.answer('reads:cancel', ok({ cancelled: true }))).toEqual({ readId })
    // The cached copy it asked for first comes back: an open panel would now ask Orange.
    fake.answer('orange:get', ok(view('ACTIVATED', { fromCache: true })))
    await opening
    expect(panel.view).toBeNull()
    expect(fake.calls).toEqual([])
    // Closed with nothing under way: nothing to cancel.
    const idle = new OrangePanel(KEY, SERIAL)
    void idle.open()
    fake.answer('orange:tickets', ok({ items: [] }))
    fake.answer('orange:get', ok(view('ACTIVATED')))
    await settle()
    idle.dispose()
    expect(fake.calls).toEqual([])
  })
})
