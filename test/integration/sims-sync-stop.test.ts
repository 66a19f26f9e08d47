/**
 * Stopping a SIM inventory sync (`reads:cancel` with the sync's readId) against the Control Center peer: the call under
 * way is abandoned and none follows, what was read stays, the account's checkpoint says stopped (not failed, not
 * finished), and the next sync goes on from where it stopped.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import type { SyncProgress } from '../../src-shared/models/sim-inventory'
import { startControlCenterPeer, type ControlCenterPeer } from '../peers/control-center/control-center.peer'
import { tempDir, testCore } from '../helpers/core'

type TestCore = Awaited<ReturnType<typeof testCore>>

const START = Date.now()
const clock = () => new Date(Date.parse('2026-03-14T10:00:00.000Z') + (Date.now() - START))
const API_KEY = 'sync-stop-key-8Vw'
/** Statuses whose usage a sync reads (account-sync.ts). */
const USING = ['activated', 'testReady', 'trial', 'activatedForTest'] as const

describe('stopping a SIM inventory sync', () => {
  let cc: ControlCenterPeer
  let core: TestCore
  let cleanup: () => Promise<void>
  let account: string
  const progress: SyncProgress[] = []
  const requests = () => cc.stats().requests

  beforeAll(async () => {
    // 24 pages of 50: the first 500 SIMs are written at once, the next ones wait in memory when the stop comes.
    cc = await startControlCenterPeer({ devices: 1200, now: clock, users: [{ username: 'ops', apiKey: API_KEY, password: 'pw', role: 'AccountAdmin' }] })
    const t = await tempDir()
    cleanup = t.cleanup
    core = await testCore(t.dir, { now: clock })
    core.bus.subscribe((event, payload) => {
      if (event === 'sims:progress') progress.push(payload as SyncProgress)
    })
    const p = await core.call('profiles:save', { extension: 'jasper', name: 'Ops', settings: { baseUrl: cc.url, username: 'ops', concurrency: 1, perSecond: 50 }, secrets: { apiKey: API_KEY } })
    account = `jasper:${p.id}`
  })
  afterAll(async () => {
    await core?.close()
    await cc?.close()
    await cleanup?.()
  })

  it('stops the listing at the call under way, keeps every page read, says stopped, and the next sync goes on from there', async () => {
    const pages = () => cc.stats().byRoute['GET /devices'] ?? 0
    // The 13th page's answer trickles in: the sync sits on it until stopped.
    cc.faults.set({ kind: 'slowBody', bytesPerSecond: 1, times: 1, path: /[?&]pageNumber=13(&|$)/ })
    const syncing = core.dispatcher.invoke('sims:sync', { account, readId: 'sync-1' })
    await vi.waitFor(() => expect(pages()).toBe(13), { timeout: 30_000 })
    const atStop = requests()
    expect(await core.call('reads:cancel', { readId: 'sync-1' })).toEqual({ cancelled: true })
    const stopped = await syncing
    // Pages 1–12 were read: all 600 SIMs written, though only 500 had been when the stop came.
    expect(stopped).toEqual({ ok: true, value: { account, listed: 600, usageRead: 0, calls: 12, resumed: false, full: false, stopped: true, fired: 0 } })
    expect(requests()).toBe(atStop)
    expect(await core.call('sims:count', { filters: { account: [account] } })).toEqual({ total: 600 })
    expect(progress.filter((p) => p.account === account).at(-1)).toMatchObject({ phase: 'stopped', sims: 600, calls: 12, done: true })
    // Stopped: neither finished nor failed (a "sync failing" rule does not count it).
    expect(await core.simInventory.lastSync(account)).toEqual({ lastSyncAt: null, failures: 0, lastError: null, interrupted: true, stopped: true })
    expect((await core.call('sims:estimate', { account })).interrupted).toMatchObject({ phase: 'listing', listed: 600, stoppedAt: expect.any(String) })
    const audit = (await core.call('audit:list', { query: 'sims.sync.stop' })).items
    expect(audit[0]).toMatchObject({ action: 'sims.sync.stop', target: account, outcome: 'ok', after: { listed: 600, calls: 12, stopped: true } })
    expect(await core.call('reads:cancel', { readId: 'sync-1' })).toEqual({ cancelled: false })
    expect(requests()).toBe(atStop)

    const next = await core.call('sims:sync', { account })
    expect(next).toMatchObject({ listed: 1200, calls: 24, resumed: true, stopped: false })
    expect(pages()).toBe(25)
    expect(await core.call('sims:count', { filters: { account: [account] } })).toEqual({ total: 1200 })
    expect(await core.simInventory.lastSync(account)).toMatchObject({ lastSyncAt: expect.any(String), interrupted: false, stopped: false })
  }, 60_000)

  it('stops the usage reads at the SIM under way, keeps the usage read before it, and reads on from that SIM next time', async () => {
    await core.call('sims:sync', { account, full: true })
    const active = await core.call('sims:query', { query: { filters: { account: [account], status: [...USING] }, sort: 'simId' }, limit: 1000 })
    expect(active.total).toBeGreaterThan(3)
    const third = active.items[2]!.simId
    const reads = () => (cc.stats().byRoute['GET /devices/{iccid}/ctdUsages'] ?? 0) + (cc.stats().byRoute['GET /devices/{iccid}/sessionInfo'] ?? 0)
    const before = reads()
    // The third active SIM's session trickles in: its usage was asked for, its session never comes.
    cc.faults.set({ kind: 'slowBody', bytesPerSecond: 1, times: 1, path: new RegExp(`/devices/${third}/sessionInfo$`) })
    const syncing = core.dispatcher.invoke('sims:sync', { account, full: true, usage: true, readId: 'sync-2' })
    await vi.waitFor(() => expect(reads() - before).toBe(6), { timeout: 30_000 })
    const atStop = requests()
    expect(await core.call('reads:cancel', { readId: 'sync-2' })).toEqual({ cancelled: true })
    expect(await syncing).toMatchObject({ ok: true, value: { usageRead: 2, calls: 24 + 4, stopped: true } })
    expect(requests()).toBe(atStop)
    const rows = (await core.call('sims:query', { query: { filters: { account: [account], status: [...USING] }, sort: 'simId' }, limit: 3 })).items
    expect(rows.map((r) => r.usageAsOf !== null)).toEqual([true, true, false])
    expect((await core.call('sims:estimate', { account, usage: true })).interrupted).toMatchObject({ phase: 'usage', usageRead: 2, stoppedAt: expect.any(String) })

    const next = await core.call('sims:sync', { account, full: true, usage: true })
    expect(next).toMatchObject({ resumed: true, stopped: false, usageRead: active.total })
    // The third SIM on: two calls each, none for the two read before the stop.
    expect(reads() - before).toBe(6 + 2 * (active.total - 2))
  }, 60_000)
})
