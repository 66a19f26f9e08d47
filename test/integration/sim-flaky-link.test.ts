import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { startControlCenterPeer } from '../peers/control-center/control-center.peer'
import { startOrangePeer } from '../peers/orange/orange.peer'
import { startFlakyLink, type FlakyLink } from '../helpers/flaky-link'
import { tempDir, testCore } from '../helpers/core'

type TestCore = Awaited<ReturnType<typeof testCore>>
type ControlCenterPeer = Awaited<ReturnType<typeof startControlCenterPeer>>

/** m-1 holding the peer's first SIM, and the Jasper profile that reaches the peer through `linkUrl`. */
async function configureJasper(core: TestCore, peer: ControlCenterPeer, linkUrl: string): Promise<void> {
  await core.call('devices:saveConfig', { typeId: 'meter', deviceId: 'm-1', text: JSON.stringify({ jasper: { iccid: peer.iccids[0] } }) })
  await core.call('profiles:save', {
    extension: 'jasper',
    name: 'Substation',
    settings: { baseUrl: linkUrl, username: 'ops', concurrency: 1, perSecond: 5 },
    secrets: { apiKey: 'test-api-key' },
  })
}

/**
 * A carrier's peer behind a flaky link the tests switch, and a core (SIM deadline shortened to 1.5 s) holding `device`,
 * configured by `configure` to reach the peer through the link; `close` stops all of it.
 */
async function throughLink(
  peer: { url: string; close(): Promise<void> },
  device: { typeId: string; deviceId: string },
  configure: (core: TestCore, linkUrl: string) => Promise<void>,
  coreOptions: Parameters<typeof testCore>[1] = {},
): Promise<{ link: FlakyLink; core: TestCore; close(): Promise<void> }> {
  const p = new URL(peer.url)
  const link = await startFlakyLink({ host: p.hostname, port: Number(p.port) })
  const t = await tempDir()
  const core = await testCore(t.dir, { simReadDeadlineMs: 1500, ...coreOptions })
  await core.call('devices:add', device)
  await configure(core, link.url)
  return {
    link,
    core,
    async close() {
      await core.close()
      await link.close()
      await peer.close()
      await t.cleanup()
    },
  }
}

/** What differs between the carriers (`name` with its article, for the suite's title): their peer, the device's configuration, the profile, and the read's channel. */
interface Carrier {
  name: string
  kind: 'jasper' | 'orange'
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
    kind: 'jasper',
    channel: 'sim:get',
    device: { typeId: 'meter', deviceId: 'm-1' },
    async start() {
      const peer = await startControlCenterPeer({ devices: 5 })
      return {
        url: peer.url,
        close: () => peer.close(),
        requests: () => peer.stats().requests,
        configure: (core, linkUrl) => configureJasper(core, peer, linkUrl),
      }
    },
  },
  {
    name: 'an Orange',
    kind: 'orange',
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
  let close: () => Promise<void>

  beforeAll(async () => {
    peer = await carrier.start()
    ;({ link, core, close } = await throughLink(peer, carrier.device, peer.configure))
  })
  afterAll(() => close())

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

  it('tells the views once when the account answers again after it could not be reached, the link down or stalled', async () => {
    const fresh = await core.call(carrier.channel, { ...carrier.device, refresh: true })
    expect(fresh.offline).toBeNull()
    const heard: unknown[] = []
    const stop = core.bus.subscribe((event, payload) => event === 'carriers:answering' && heard.push(payload))
    try {
      // Answering while it answered already is no return.
      await core.call(carrier.channel, { ...carrier.device, refresh: true })
      link.set({ kind: 'down' })
      expect((await core.call(carrier.channel, { ...carrier.device, refresh: true })).offline?.code).toMatch(/^(NETWORK|TIMEOUT)$/)
      expect((await core.call(carrier.channel, { ...carrier.device, refresh: true })).fromCache).toBe(true)
      expect(heard).toEqual([])
      link.set({ kind: 'pass' })
      expect(await core.call(carrier.channel, { ...carrier.device, refresh: true })).toMatchObject({ fromCache: false, offline: null })
      await core.call(carrier.channel, { ...carrier.device, refresh: true })
      // The carrier kind and the profile, by the id the panel's view names it with; nothing else.
      expect(heard).toEqual([{ carrier: carrier.kind, profileId: fresh.profile!.id }])
      // A read given up on at its deadline (the answer stalls: a TIMEOUT beside the cached copy) is a carrier that
      // could not be reached too; its return is told once more.
      link.set({ kind: 'stall', afterBytes: 12 })
      expect((await core.call(carrier.channel, { ...carrier.device, refresh: true })).offline?.code).toBe('TIMEOUT')
      link.set({ kind: 'pass' })
      await core.call(carrier.channel, { ...carrier.device, refresh: true })
      expect(heard).toHaveLength(2)
    } finally {
      stop()
      link.set({ kind: 'pass' })
    }
  })

  it('a read the operator cancels is no failure to reach the carrier: its end is no return', async () => {
    await core.call(carrier.channel, { ...carrier.device, refresh: true })
    const heard: unknown[] = []
    const stop = core.bus.subscribe((event, payload) => event === 'carriers:answering' && heard.push(payload))
    try {
      link.set({ kind: 'stall', afterBytes: 12 })
      const before = peer.requests()
      const reading = core.dispatcher.invoke(carrier.channel, { ...carrier.device, refresh: true, readId: 'read-3' })
      await vi.waitFor(() => expect(peer.requests()).toBeGreaterThan(before))
      expect(await core.call('reads:cancel', { readId: 'read-3' })).toEqual({ cancelled: true })
      expect(await reading).toMatchObject({ ok: false, error: { code: 'CANCELLED' } })
      link.set({ kind: 'pass' })
      await core.call(carrier.channel, { ...carrier.device, refresh: true })
      expect(heard).toEqual([])
    } finally {
      stop()
      link.set({ kind: 'pass' })
    }
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
  let peer: ControlCenterPeer
  let link: FlakyLink
  let core: TestCore
  let close: () => Promise<void>

  beforeAll(async () => {
    peer = await startControlCenterPeer({ devices: 5, now: clock })
    ;({ link, core, close } = await throughLink(peer, device, (c, linkUrl) => configureJasper(c, peer, linkUrl), { now: clock }))
  })
  afterAll(() => close())

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

  it("the usage chart's refresh cancelled during its second call ends as CANCELLED, and its third call is never made", async () => {
    await core.call('sim:usageHistory', { ...device, refresh: true })
    // The call for the cycle before the open one waits at the carrier past the read's 1.5 s deadline.
    peer.faults.set({ kind: 'latency', ms: 3000, times: 1, path: /usageInZone\?cycleStartDate=2025-02-01/ })
    const routes = () => Object.entries(peer.stats().byRoute).filter(([route]) => route.includes('usageInZone'))
    const count = () => routes().reduce((sum, [, n]) => sum + n, 0)
    const before = count()
    const reading = core.dispatcher.invoke('sim:usageHistory', { ...device, refresh: true, readId: 'history-1' })
    await vi.waitFor(() => expect(count()).toBe(before + 2))
    expect(await core.call('reads:cancel', { readId: 'history-1' })).toEqual({ cancelled: true })
    expect(await reading).toMatchObject({ ok: false, error: { code: 'CANCELLED', details: { ref: { key: 'errors.readCancelled' } } } })
    // The account (one call at a time) is free, and a read made after the cancel is the only call the peer sees since.
    expect(await core.call('sim:get', { ...device, refresh: true })).toMatchObject({ fromCache: false })
    expect(count()).toBe(before + 2)
    peer.faults.clear()
  })
})

/**
 * Changing a Control Center SIM's state or rate plan on the same stalled link: the change reaches the carrier, which
 * applies it, and its answer never comes back. The change waited for the HTTP timeouts (about 94 s: 30 s a try, three
 * tries) and was then reported and audited as failed, so the operator retried a change that had happened. It now gives
 * up after the SIM deadline and says its outcome is unknown: read the SIM's state before trying again.
 */
describe('Control Center SIM changes on a link that stalls', () => {
  const device = { typeId: 'meter', deviceId: 'm-1' }
  let peer: ControlCenterPeer
  let link: FlakyLink
  let core: TestCore
  let close: () => Promise<void>

  beforeAll(async () => {
    peer = await startControlCenterPeer({ devices: 5 })
    ;({ link, core, close } = await throughLink(peer, device, (c, linkUrl) => configureJasper(c, peer, linkUrl)))
  })
  afterAll(() => close())

  /** The bridge's error of a call that must fail. */
  const refusal = (call: Promise<unknown>) =>
    call.then(
      () => expect.unreachable('the change should not have been reported done'),
      (e: { bridge?: unknown }) => e.bridge,
    )
  const latestAudit = async (action: string) => (await core.call('audit:list', { query: action })).items[0]
  /** The SIM as the carrier says now (the link passing). */
  const simNow = async () => {
    const { sim, fromCache } = await core.call('sim:get', { ...device, refresh: true })
    expect(fromCache).toBe(false)
    return sim!
  }

  it('a state change the carrier applied but whose answer never came is unknown, not failed, and audited so', async () => {
    const sim = await simNow()
    const status = sim.status === 'activated' ? 'deactivated' : 'activated'
    link.set({ kind: 'stall', afterBytes: 0 })
    const error = await refusal(core.call('sim:changeStatus', { ...device, status, queue: false }))
    link.set({ kind: 'pass' })
    expect(error).toMatchObject({ code: 'UNKNOWN_OUTCOME', details: { ref: { key: 'sim.changeUnknown', params: { host: new URL(link.url).host, seconds: 1.5 } } } })
    expect(await latestAudit('sim.changeStatus')).toMatchObject({ outcome: 'unknown', before: { status: sim.status }, after: { status } })
    // The carrier did apply it: reading the SIM's state, as the operator is told to, shows it.
    expect((await simNow()).status).toBe(status)
  })

  it('a rate-plan change whose answer never came is unknown too', async () => {
    const sim = await simNow()
    const ratePlan = sim.ratePlan === 'Fieldline Tracker 500MB' ? 'Fieldline Meter 10MB' : 'Fieldline Tracker 500MB'
    link.set({ kind: 'stall', afterBytes: 12 })
    const error = await refusal(core.call('sim:changeRatePlan', { ...device, ratePlan, queue: false }))
    link.set({ kind: 'pass' })
    expect(error).toMatchObject({ code: 'UNKNOWN_OUTCOME', details: { ref: { key: 'sim.changeUnknown' } } })
    expect(await latestAudit('sim.changeRatePlan')).toMatchObject({ outcome: 'unknown', after: { ratePlan } })
    expect((await simNow()).ratePlan).toBe(ratePlan)
  })

  it("a bulk job's changes whose answers never came are counted unknown, not failed, and audited so", async () => {
    const targets = peer.iccids.slice(1, 5)
    const job = await core.call('jobs:create', { operation: 'status', source: { kind: 'csv', text: ['iccid', ...targets].join('\n') }, params: { status: 'deactivated' } })
    const { pending } = (await core.call('jobs:preflight', { jobId: job.id, refresh: true })).counts
    expect(pending).toBeGreaterThan(0)
    const changesBefore = peer.stats().statusChanges.length
    link.set({ kind: 'stall', afterBytes: 0 })
    await core.call('jobs:run', { jobId: job.id })
    await expect.poll(async () => (await core.call('jobs:status', { jobId: job.id })).state, { timeout: 60_000, interval: 50 }).not.toBe('running')
    link.set({ kind: 'pass' })
    expect((await core.call('jobs:status', { jobId: job.id })).job.counts).toMatchObject({ unknown: pending, failed: 0, done: 0, pending: 0 })
    const rows = (await core.call('jobs:rows', { jobId: job.id, limit: 100 })).items.filter((r) => r.state === 'unknown')
    expect(rows).toHaveLength(pending)
    for (const row of rows) expect(row.error).toMatchObject({ code: 'UNKNOWN_OUTCOME', details: { ref: { key: 'sim.changeUnknown' } } })
    const trail = (await core.call('audit:list', { query: job.id, limit: 100 })).items.filter((e) => e.error?.code === 'UNKNOWN_OUTCOME')
    expect(trail.map((e) => e.outcome)).toEqual(Array(pending).fill('unknown'))
    // Each reached the carrier, which applied it.
    expect(peer.stats().statusChanges.length - changesBefore).toBe(pending)
  })

  it('a change that never reached the carrier (the link refuses it) is a plain failure, audited failed', async () => {
    const sim = await simNow()
    const status = sim.status === 'activated' ? 'deactivated' : 'activated'
    link.set({ kind: 'down' })
    const error = await refusal(core.call('sim:changeStatus', { ...device, status, queue: false }))
    link.set({ kind: 'pass' })
    expect(error).toMatchObject({ code: 'NETWORK' })
    expect(await latestAudit('sim.changeStatus')).toMatchObject({ outcome: 'failed', after: { status } })
    expect((await simNow()).status).toBe(sim.status)
  })
})
