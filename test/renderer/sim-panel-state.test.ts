import { beforeEach, describe, expect, it, vi } from 'vitest'
import type { SimView } from '../../src-shared/contract'
import { blankSim } from '../../src-shared/models/sim'
import { ok, settle } from './fake-api'
import { api as fake } from './mocked-api'

vi.mock('../../src-renderer/src/lib/api', () => import('./mocked-api'))

const { SimPanel } = await import('../../src-renderer/src/lib/state/sim-panel.svelte')

const KEY = { typeId: 'meter', deviceId: 'm-1' }
const ICCID = '89011704258016710105'
const AT = '2026-01-01T00:00:00.000Z'
const unreachable = { code: 'TIMEOUT' as const, message: 'Control Center (127.0.0.1) did not answer within 20 s' }

function view(extra: Partial<SimView> = {}): SimView {
  return { carrier: 'jasper', iccid: ICCID, profile: { id: 'lab', name: 'Lab' }, sim: blankSim('jasper', ICCID, AT), fetchedAt: AT, fromCache: false, offline: null, ...extra }
}

/** A panel showing the cached copy because the carrier could not be reached. */
async function offlinePanel() {
  const panel = new SimPanel(KEY, 'jasper', ICCID)
  void panel.open()
  fake.answer('sim:get', ok(view({ fromCache: true })))
  await settle()
  fake.answer('sim:get', ok(view({ fromCache: true, offline: unreachable })))
  await settle()
  return panel
}

beforeEach(() => {
  fake.reset()
  // The panel hears the browser's 'online' on the window, which Node has not; a new one per test, so that the panels
  // of earlier tests hear nothing.
  vi.stubGlobal('window', new EventTarget())
})

describe('the Control Center SIM panel', () => {
  it('cancels the read under way by its id; the cached copy and its reason stay, and the panel says it was cancelled', async () => {
    const panel = await offlinePanel()
    void panel.refresh()
    expect(panel.refreshing).toBe(true)
    const { readId } = fake.pending('sim:get')[0]!.input as { readId: string }
    expect(readId).toMatch(/^[0-9a-f-]{36}$/)
    void panel.cancelRefresh()
    expect(fake.answer('reads:cancel', ok({ cancelled: true }))).toEqual({ readId })
    fake.answer('sim:get', { ok: false, error: { code: 'CANCELLED', message: 'The read was cancelled' } })
    await settle()
    expect(panel.cancelled).toBe(true)
    expect(panel.refreshing).toBe(false)
    expect(panel.error).toBeNull()
    expect(panel.offline).toEqual(unreachable)
    expect(panel.view?.fromCache).toBe(true)
    // The next Refresh clears the note, under a new id.
    void panel.refresh()
    expect(panel.cancelled).toBe(false)
    expect((fake.pending('sim:get')[0]!.input as { readId: string }).readId).not.toBe(readId)
  })

  it('cancels "Show usage" by its own id, apart from the SIM read; the usage shown stays', async () => {
    const panel = await offlinePanel()
    const reading = panel.readUsage('2025-03-01')
    const { readId } = fake.pending('sim:usage')[0]!.input as { readId: string }
    void panel.cancelUsage()
    expect(fake.answer('reads:cancel', ok({ cancelled: true }))).toEqual({ readId })
    fake.answer('sim:usage', { ok: false, error: { code: 'CANCELLED', message: 'The read was cancelled' } })
    expect(await reading).toMatchObject({ ok: false, error: { code: 'CANCELLED' } })
    expect(panel.usage).toBeNull()
    // The SIM read has nothing under way: cancelling it asks nothing.
    await panel.cancelRefresh()
    expect(fake.pending('reads:cancel')).toHaveLength(0)
  })

  it("cancels the chart's read by its own id, keeping the cycles shown; a second refresh cancels the first, and a listing of the cache asked meanwhile waits for it", async () => {
    const cancelledRead = { ok: false as const, error: { code: 'CANCELLED' as const, message: 'The read was cancelled' } }
    const panel = await offlinePanel()
    // The chart's own read, since the panel opened.
    expect(panel.historyReading).toBe(true)
    const first = (fake.pending('sim:usageHistory')[0]!.input as { readId: string }).readId
    void panel.loadHistory(true)
    expect(fake.answer('reads:cancel', ok({ cancelled: true }))).toEqual({ readId: first })
    fake.answer('sim:usageHistory', cancelledRead)
    await settle()
    // The superseded read's answer changes nothing: the second one is still under way.
    expect(panel.historyReading).toBe(true)
    expect(panel.historyCancelled).toBe(false)
    void panel.loadHistory()
    expect(fake.pending('sim:usageHistory')).toHaveLength(1)
    const second = (fake.pending('sim:usageHistory')[0]!.input as { readId: string }).readId
    expect(second).not.toBe(first)
    void panel.cancelHistory()
    expect(fake.answer('reads:cancel', ok({ cancelled: true }))).toEqual({ readId: second })
    fake.answer('sim:usageHistory', cancelledRead)
    await settle()
    expect(panel.historyCancelled).toBe(true)
    expect(panel.historyReading).toBe(false)
    expect(panel.historyError).toBeNull()
    expect(panel.history).toEqual([])
    // The listing asked for meanwhile goes now, from the cache alone.
    expect(fake.pending('sim:usageHistory').map((c) => c.input)).toEqual([{ ...KEY, carrier: 'jasper', refresh: false }])
  })

  it('asks the carrier again once when the network comes back, and says so', async () => {
    const panel = await offlinePanel()
    window.dispatchEvent(new Event('online'))
    window.dispatchEvent(new Event('online'))
    expect(fake.pending('sim:get')).toHaveLength(1)
    expect(panel.linkBack).toBe(true)
    expect(fake.answer('sim:get', ok(view()))).toMatchObject({ refresh: true })
    await settle()
    expect(panel.offline).toBeNull()
    expect(panel.linkBack).toBe(true)
    window.dispatchEvent(new Event('online'))
    expect(fake.pending('sim:get')).toHaveLength(0)
    // A Refresh of the operator's own is no longer "by itself".
    void panel.refresh()
    expect(panel.linkBack).toBe(false)
  })

  it('asks the carrier again once when the core says its account answers again, though the browser never said offline', async () => {
    const panel = await offlinePanel()
    // Another profile of the same carrier, or the same profile id of another carrier, answering says nothing of this one.
    fake.emit('carriers:answering', { carrier: 'jasper', profileId: 'depot' })
    fake.emit('carriers:answering', { carrier: 'atnt', profileId: 'lab' })
    expect(fake.pending('sim:get')).toHaveLength(0)
    fake.emit('carriers:answering', { carrier: 'jasper', profileId: 'lab' })
    // A second return while that read waits asks nothing more.
    fake.emit('carriers:answering', { carrier: 'jasper', profileId: 'lab' })
    expect(fake.pending('sim:get')).toHaveLength(1)
    expect(panel.linkBack).toBe(true)
    expect(fake.answer('sim:get', ok(view()))).toMatchObject({ refresh: true })
    await settle()
    expect(panel.offline).toBeNull()
    // Fresh data: the account answering again costs no call.
    fake.emit('carriers:answering', { carrier: 'jasper', profileId: 'lab' })
    expect(fake.pending('sim:get')).toHaveLength(0)
    panel.dispose()
  })

  it('does not read again when the network comes back if the carrier refused rather than could not be reached', async () => {
    const panel = new SimPanel(KEY, 'jasper', ICCID)
    void panel.open()
    fake.answer('sim:get', ok(view({ fromCache: true, offline: { code: 'AUTH_FAILED', message: 'refused' } })))
    await settle()
    fake.answer('sim:get', ok(view({ fromCache: true, offline: { code: 'AUTH_FAILED', message: 'refused' } })))
    await settle()
    window.dispatchEvent(new Event('online'))
    fake.emit('carriers:answering', { carrier: 'jasper', profileId: 'lab' })
    expect(fake.pending('sim:get')).toHaveLength(0)
    expect(panel.linkBack).toBe(false)
  })

  it('closing the panel cancels each read still under way by its id (the SIM’s, "Show usage", the chart’s), and their late answers change nothing', async () => {
    const panel = await offlinePanel()
    // The chart's read since the panel opened, a Refresh and a "Show usage", all held by a stalled link.
    const history = (fake.pending('sim:usageHistory')[0]!.input as { readId: string }).readId
    void panel.refresh()
    const sim = (fake.pending('sim:get')[0]!.input as { readId: string }).readId
    const usage = panel.readUsage('2025-03-01')
    const usageId = (fake.pending('sim:usage')[0]!.input as { readId: string }).readId
    panel.dispose()
    expect(fake.pending('reads:cancel').map((c) => c.input)).toEqual([{ readId: sim }, { readId: usageId }, { readId: history }])
    // Answers that crossed the cancellation on the way.
    fake.answer('sim:get', ok(view()))
    fake.answer('sim:usageHistory', { ok: false, error: { code: 'CANCELLED', message: 'The read was cancelled' } })
    fake.answer('sim:usage', { ok: false, error: { code: 'CANCELLED', message: 'The read was cancelled' } })
    await usage
    await settle()
    expect(panel.view?.fromCache).toBe(true)
    expect(panel.offline).toEqual(unreachable)
    expect(panel.cancelled).toBe(false)
    expect(panel.historyCancelled).toBe(false)
    expect(panel.usage).toBeNull()
    expect(fake.calls.map((c) => c.channel)).toEqual(['reads:cancel', 'reads:cancel', 'reads:cancel'])
  })

  it('a panel closed during its first read asks nothing more, and one closed with nothing under way cancels nothing', async () => {
    const panel = new SimPanel(KEY, 'jasper', ICCID)
    const opening = panel.open()
    const { readId } = fake.pending('sim:get')[0]!.input as { readId: string }
    panel.dispose()
    expect(fake.answer('reads:cancel', ok({ cancelled: false }))).toEqual({ readId })
    // The cached copy it asked for first comes back: an open panel would now ask the carrier and read the chart.
    fake.answer('sim:get', ok(view({ fromCache: true })))
    await opening
    expect(fake.calls).toEqual([])
    expect(panel.view).toBeNull()

    const idle = new SimPanel(KEY, 'jasper', ICCID)
    void idle.open()
    fake.answer('sim:get', ok(view()))
    await settle()
    fake.answer('sim:usageHistory', ok({ cycles: [], offline: null }))
    await settle()
    idle.dispose()
    expect(fake.calls).toEqual([])
  })
})
