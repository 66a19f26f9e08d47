import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { startControlCenterPeer } from '../peers/control-center/control-center.peer'
import { startOrangePeer } from '../peers/orange/orange.peer'
import { startFlakyLink, type FlakyLink } from '../helpers/flaky-link'
import { tempDir, testCore } from '../helpers/core'

type TestCore = Awaited<ReturnType<typeof testCore>>

/** What differs between the carriers (`name` with its article, for the suite's title): their peer, the device's configuration, the profile, and the read's channel. */
interface Carrier {
  name: string
  channel: 'sim:get' | 'orange:get'
  device: { typeId: string; deviceId: string }
  /**
   * Starts the peer; `configure` saves the device's configuration and the profile that reaches the peer through `linkUrl`;
   * `requests` counts the requests that reached it.
   */
  start(): Promise<{ url: string; close(): Promise<void>; requests(): number; configure(core: TestCore, linkUrl: string): Promise<void> }>
}

const CARRIERS: Carrier[] = [
  {
    name: 'a Control Center',
    channel: 'sim:get',
    device: { typeId: 'meter', deviceId: 'm-1' },
    async start() {
      const peer = await startControlCenterPeer({ devices: 5 })
      return {
        url: peer.url,
        close: () => peer.close(),
        requests: () => peer.stats().requests,
        async configure(core, linkUrl) {
          await core.call('devices:saveConfig', { typeId: 'meter', deviceId: 'm-1', text: JSON.stringify({ jasper: { iccid: peer.iccids[0] } }) })
          await core.call('profiles:save', {
            extension: 'jasper',
            name: 'Substation',
            settings: { baseUrl: linkUrl, username: 'ops', concurrency: 1, perSecond: 5 },
            secrets: { apiKey: 'test-api-key' },
          })
        },
      }
    },
  },
  {
    name: 'an Orange',
    channel: 'orange:get',
    device: { typeId: 'meter', deviceId: 'o-1' },
    async start() {
      const peer = await startOrangePeer({ lines: 3, users: [{ username: 'ak-test', password: 'orange-pw' }] })
      return {
        url: peer.url,
        close: () => peer.close(),
        requests: () => peer.stats().requests,
        async configure(core, linkUrl) {
          await core.call('devices:saveConfig', { typeId: 'meter', deviceId: 'o-1', text: JSON.stringify({ orange: { serialnumber: peer.serials[0] } }) })
          await core.call('profiles:save', {
            extension: 'orange',
            name: 'Substation',
            settings: { baseUrl: `${linkUrl}${new URL(peer.url).pathname}`, username: 'ak-test' },
            secrets: { password: 'orange-pw' },
          })
        },
      }
    },
  },
]

/**
 * A SIM panel on a link that stalls mid-answer (a 4G link in a substation): the carrier's answer stops after its first
 * bytes and the connection stays open. The HTTP timeouts alone (30 s without headers, three attempts, two calls) kept
 * a refresh waiting for about three minutes; the core gives the read a deadline (shortened here) and shows the cached
 * copy with the reason.
 */
describe.each(CARRIERS)('$name SIM read on a link that stalls', (carrier) => {
  let peer: Awaited<ReturnType<Carrier['start']>>
  let link: FlakyLink
  let core: TestCore
  let cleanup: () => Promise<void>

  beforeAll(async () => {
    peer = await carrier.start()
    const p = new URL(peer.url)
    link = await startFlakyLink({ host: p.hostname, port: Number(p.port) })
    const t = await tempDir()
    cleanup = t.cleanup
    core = await testCore(t.dir, { simReadDeadlineMs: 1500 })
    await core.call('devices:add', carrier.device)
    await peer.configure(core, link.url)
  })
  afterAll(async () => {
    await core.close()
    await link.close()
    await peer.close()
    await cleanup()
  })

  it('shows the cached copy as of its time, saying the carrier did not answer in time, instead of waiting on the stalled answer', async () => {
    const fresh = await core.call(carrier.channel, { ...carrier.device, refresh: true })
    expect(fresh).toMatchObject({ fromCache: false, offline: null })
    link.set({ kind: 'stall', afterBytes: 12 })
    const view = await core.call(carrier.channel, { ...carrier.device, refresh: true })
    expect(view).toMatchObject({ fromCache: true, fetchedAt: fresh.fetchedAt, sim: fresh.sim })
    expect(view.offline).toMatchObject({ code: 'TIMEOUT', details: { ref: { key: 'errors.timeout', params: { host: new URL(link.url).host, seconds: 1.5 } } } })
    link.set({ kind: 'pass' })
  })

  it('a read the operator cancels while the answer stalls ends as CANCELLED, leaves the cached copy as it was and frees the account', async () => {
    const fresh = await core.call(carrier.channel, { ...carrier.device, refresh: true })
    link.set({ kind: 'stall', afterBytes: 12 })
    const before = peer.requests()
    const reading = core.dispatcher.invoke(carrier.channel, { ...carrier.device, refresh: true, readId: 'read-1' })
    // Cancelled once the request has reached the carrier: the HTTP request itself is abandoned, not only the wait.
    await vi.waitFor(() => expect(peer.requests()).toBeGreaterThan(before))
    expect(await core.call('reads:cancel', { readId: 'read-1' })).toEqual({ cancelled: true })
    // Without the cancel the read ends at its deadline with the cached copy and a TIMEOUT instead.
    expect(await reading).toMatchObject({ ok: false, error: { code: 'CANCELLED', details: { ref: { key: 'errors.readCancelled' } } } })
    expect(await core.call('reads:cancel', { readId: 'read-1' })).toEqual({ cancelled: false })
    link.set({ kind: 'pass' })
    expect(await core.call(carrier.channel, { ...carrier.device, refresh: false })).toMatchObject({ fromCache: true, fetchedAt: fresh.fetchedAt, offline: null })
    // The account (one call at a time for Control Center) is free: the next read goes through.
    expect(await core.call(carrier.channel, { ...carrier.device, refresh: true })).toMatchObject({ fromCache: false, offline: null })
  })

  it('cancelling a read that already ended changes nothing', async () => {
    const view = await core.call(carrier.channel, { ...carrier.device, refresh: true, readId: 'read-2' })
    expect(await core.call('reads:cancel', { readId: 'read-2' })).toEqual({ cancelled: false })
    expect(await core.call(carrier.channel, { ...carrier.device, refresh: false })).toMatchObject({ fromCache: true, fetchedAt: view.fetchedAt })
  })
})

/**
 * Reading a Control Center SIM's usage on the same stalled link: "Show usage" and the chart's refresh had no deadline
 * (up to three tries of 30 s per call, three calls for the chart), holding the account, which takes one call at a time.
 * They now give up like the SIM read and show the cached usage with the reason.
 */
describe('Control Center usage reads on a link that stalls', () => {
  // The peer's inventory dates end mid-2024: the peer and the core share a clock on a day whose billing cycles are known.
  const started = Date.now()
  const clock = () => new Date(Date.parse('2025-03-14T10:00:00.000Z') + (Date.now() - started))
  const device = { typeId: 'meter', deviceId: 'm-1' }
  let peer: Awaited<ReturnType<typeof startControlCenterPeer>>
  let link: FlakyLink
  let core: TestCore
  let cleanup: () => Promise<void>

  beforeAll(async () => {
    peer = await startControlCenterPeer({ devices: 5, now: clock })
    const p = new URL(peer.url)
    link = await startFlakyLink({ host: p.hostname, port: Number(p.port) })
    const t = await tempDir()
    cleanup = t.cleanup
    core = await testCore(t.dir, { simReadDeadlineMs: 1500, now: clock })
    await core.call('devices:add', device)
    await core.call('devices:saveConfig', { ...device, text: JSON.stringify({ jasper: { iccid: peer.iccids[0] } }) })
    await core.call('profiles:save', {
      extension: 'jasper',
      name: 'Substation',
      settings: { baseUrl: link.url, username: 'ops', concurrency: 1, perSecond: 5 },
      secrets: { apiKey: 'test-api-key' },
    })
  })
  afterAll(async () => {
    await core.close()
    await link.close()
    await peer.close()
    await cleanup()
  })

  const timedOut = () => ({ code: 'TIMEOUT', details: { ref: { key: 'errors.timeout', params: { host: new URL(link.url).host, seconds: 1.5 } } } })

  it('"Show usage" shows the cached usage, saying the carrier did not answer in time', async () => {
    const fresh = await core.call('sim:usage', { ...device, cycleStartDate: '2025-03-01' })
    expect(fresh).toMatchObject({ fromCache: false, offline: null })
    link.set({ kind: 'stall', afterBytes: 12 })
    const view = await core.call('sim:usage', { ...device, cycleStartDate: '2025-03-01' })
    link.set({ kind: 'pass' })
    expect(view).toMatchObject({ fromCache: true, usage: fresh.usage, offline: timedOut() })
    // The account is free again: the next read goes through.
    expect(await core.call('sim:get', { ...device, refresh: true })).toMatchObject({ fromCache: false, offline: null })
  })

  it('"Show usage" cancelled while the answer stalls ends as CANCELLED, not as the cached usage, and frees the account', async () => {
    const fresh = await core.call('sim:usage', { ...device, cycleStartDate: '2025-03-01' })
    link.set({ kind: 'stall', afterBytes: 12 })
    const before = peer.stats().requests
    const reading = core.dispatcher.invoke('sim:usage', { ...device, cycleStartDate: '2025-03-01', readId: 'usage-1' })
    await vi.waitFor(() => expect(peer.stats().requests).toBeGreaterThan(before))
    expect(await core.call('reads:cancel', { readId: 'usage-1' })).toEqual({ cancelled: true })
    expect(await reading).toMatchObject({ ok: false, error: { code: 'CANCELLED' } })
    link.set({ kind: 'pass' })
    expect(await core.call('sim:usage', { ...device, cycleStartDate: '2025-03-01' })).toMatchObject({ fromCache: false, usage: { cycleStartDate: fresh.usage.cycleStartDate } })
  })

  it("the usage chart's refresh keeps the cycles it had, saying the carrier did not answer in time", async () => {
    const fresh = await core.call('sim:usageHistory', { ...device, refresh: true })
    expect(fresh.offline).toBeNull()
    expect(fresh.cycles.map((c) => c.cycleStartDate)).toEqual(['2025-01-01', '2025-02-01', '2025-03-01'])
    link.set({ kind: 'stall', afterBytes: 12 })
    const view = await core.call('sim:usageHistory', { ...device, refresh: true })
    link.set({ kind: 'pass' })
    expect(view).toMatchObject({ cycles: fresh.cycles, offline: timedOut() })
  })
})
