/**
 * The outbox's automatic replay runs in the core, with no window: a queued status change goes once the Control Center
 * peer answers again (on the core's own back-off timer, or at once when a call to the account succeeds after one could
 * not reach it); a queued SMS never goes by itself, and what was queued after it for the same SIM waits with it. A
 * queued Orange status change goes the same way, through the Orange peer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { EventName } from '../../src-shared/contract'
import { startControlCenterPeer, type ControlCenterPeer } from '../peers/control-center/control-center.peer'
import { startOrangePeer } from '../peers/orange/orange.peer'
import { tempDir, testCore } from '../helpers/core'

type TestCore = Awaited<ReturnType<typeof testCore>>

/** The peer's billing data end mid-2024: the peer and the core share a clock that starts on a fixed day. */
const START = Date.now()
const clock = () => new Date(Date.parse('2025-03-14T10:00:00.000Z') + (Date.now() - START))
const SECRET = 'outbox-replay-api-key-Xw4'
const ORANGE_PASSWORD = 'outbox-replay-orange-Vb2'
const POLL = { timeout: 20_000, interval: 25 }

let peer: ControlCenterPeer

beforeAll(async () => {
  peer = await startControlCenterPeer({ devices: 10, smsDeliveryMs: 20, now: clock, users: [{ username: 'ops', apiKey: SECRET, password: 'pw', role: 'AccountAdmin' }] })
})
afterAll(async () => {
  await peer.close()
})

/** A core on its own workspace, with one device on SIM `sim` of the peer's account. */
async function coreFor(sim: number, outboxRetry: { minMs: number; maxMs: number }) {
  const t = await tempDir()
  const core = await testCore(t.dir, { now: clock, outboxRetry })
  const events: { event: EventName; payload: unknown }[] = []
  core.bus.subscribe((event, payload) => events.push({ event, payload }))
  const device = { typeId: 'meter', deviceId: `m-${sim}` }
  await core.call('profiles:save', { extension: 'jasper', name: 'Ops', settings: { baseUrl: peer.url, username: 'ops', concurrency: 1, perSecond: 50 }, secrets: { apiKey: SECRET } })
  await core.call('devices:add', device)
  await core.call('devices:saveConfig', { ...device, text: JSON.stringify({ jasper: { iccid: peer.iccids[sim] } }) })
  return { core, events, device, iccid: peer.iccids[sim]!, close: async () => (await core.close(), await t.cleanup()) }
}

const statusChanges = (iccid: string) => peer.stats().statusChanges.filter((c) => c.iccid === iccid).length
const pending = async (core: TestCore) => (await core.call('outbox:list', {})).items.filter((i) => i.state === 'pending').map((i) => i.action)

describe('the outbox replayed by the core', () => {
  it('sends a queued status change once, on its own back-off timer, once the carrier answers again', async () => {
    // SIM 6 is activated (SIM 1 of the peer is retired, and Fieldline changes a retired SIM no further).
    const { core, events, device, iccid, close } = await coreFor(6, { minMs: 60, maxMs: 240 })
    try {
      const before = statusChanges(iccid)
      peer.faults.set({ kind: 'drop' })
      try {
        expect(await core.call('sim:changeStatus', { ...device, status: 'deactivated', queue: true })).toMatchObject({ outcome: 'queued' })
        // The timer tries while the carrier stays unreachable: the change waits, counted as an attempt each time.
        await expect.poll(async () => (await core.call('outbox:list', {})).items[0]?.attempts ?? 0, POLL).toBeGreaterThanOrEqual(2)
        expect(await pending(core)).toEqual(['sim.changeStatus'])
      } finally {
        peer.faults.clear()
      }
      await expect.poll(() => pending(core), POLL).toEqual([])
      expect(statusChanges(iccid) - before).toBe(1)
      expect((await core.call('audit:list', { query: 'sim.changeStatus.queued' })).items[0]).toMatchObject({ outcome: 'sent' })
      expect(events.filter((e) => e.event === 'outbox:replayed').map((e) => e.payload)).toEqual([{ done: 1, failed: 0, held: 0 }])
      // Another success of the account sends nothing again.
      await core.call('sim:get', { ...device, refresh: true })
      expect(statusChanges(iccid) - before).toBe(1)
    } finally {
      await close()
    }
  })

  it('sends it at once when a call to the account succeeds after one could not reach it', async () => {
    // A timer far away: only the call's success can send it during this test.
    const { core, events, device, iccid, close } = await coreFor(2, { minMs: 3_600_000, maxMs: 3_600_000 })
    try {
      const before = statusChanges(iccid)
      peer.faults.set({ kind: 'drop' })
      try {
        expect(await core.dispatcher.invoke('sim:get', { ...device, refresh: true })).toMatchObject({ ok: false, error: { code: 'NETWORK' } })
        expect(await core.call('sim:changeStatus', { ...device, status: 'deactivated', queue: true })).toMatchObject({ outcome: 'queued' })
      } finally {
        peer.faults.clear()
      }
      expect(await pending(core)).toEqual(['sim.changeStatus'])
      expect(await core.call('sim:get', { ...device, refresh: true })).toMatchObject({ offline: null })
      await expect.poll(() => pending(core), POLL).toEqual([])
      expect(statusChanges(iccid) - before).toBe(1)
      expect(events.filter((e) => e.event === 'outbox:replayed').map((e) => e.payload)).toEqual([{ done: 1, failed: 0, held: 0 }])
    } finally {
      await close()
    }
  })

  it('never sends a queued SMS by itself, and holds what was queued after it for the same SIM', async () => {
    const { core, events, device, iccid, close } = await coreFor(3, { minMs: 3_600_000, maxMs: 3_600_000 })
    try {
      await core.call('sim:changeStatus', { ...device, status: 'activated' })
      const [plan] = (await core.call('sim:ratePlans', device)).plans
      const before = statusChanges(iccid)
      const smsBefore = peer.stats().smsSent
      peer.faults.set({ kind: 'drop' })
      try {
        expect(await core.call('sim:get', { ...device, refresh: true })).toMatchObject({ offline: { code: 'NETWORK' } })
        await core.call('sim:changeRatePlan', { ...device, ratePlan: plan!, queue: true })
        await core.call('sim:sendSms', { ...device, text: 'after the outage', queue: true })
        await core.call('sim:changeStatus', { ...device, status: 'deactivated', queue: true })
      } finally {
        peer.faults.clear()
      }
      await core.call('sim:get', { ...device, refresh: true })
      await expect.poll(() => events.filter((e) => e.event === 'outbox:replayed').map((e) => e.payload), POLL).toEqual([{ done: 1, failed: 0, held: 2 }])
      expect(await pending(core)).toEqual(['sim.sendSms', 'sim.changeStatus'])
      expect(peer.stats().smsSent).toBe(smsBefore)
      expect(statusChanges(iccid)).toBe(before)
      expect((await core.call('sim:get', { ...device, refresh: true })).sim).toMatchObject({ status: 'activated', ratePlan: plan })
    } finally {
      await close()
    }
  })
})

describe('the outbox replayed by the core, for Orange', () => {
  it('submits a queued Orange status change once, on its own back-off timer, once the peer answers again', async () => {
    const orange = await startOrangePeer({ lines: 4, ticketTiming: { waitingMs: 50, workMs: 50 }, users: [{ username: 'ak-test', password: ORANGE_PASSWORD }] })
    const t = await tempDir()
    const core = await testCore(t.dir, { outboxRetry: { minMs: 60, maxMs: 240 } })
    const events: { event: EventName; payload: unknown }[] = []
    core.bus.subscribe((event, payload) => events.push({ event, payload }))
    try {
      const device = { typeId: 'meter', deviceId: 'o-1' }
      const serial = orange.serials[1]!
      await core.call('profiles:save', { extension: 'orange', name: 'Orange ops', settings: { baseUrl: orange.url, username: 'ak-test' }, secrets: { password: ORANGE_PASSWORD } })
      await core.call('devices:add', device)
      await core.call('devices:saveConfig', { ...device, text: JSON.stringify({ orange: { serialnumber: serial } }) })
      const submitted = () => orange.stats().tickets.filter((k) => k.service === 'status' && k.serials.includes(serial)).length
      orange.faults.set({ kind: 'drop' })
      try {
        expect(await core.call('orange:changeStatus', { ...device, status: 'SLEEPING', queue: true })).toMatchObject({ outcome: 'queued' })
        await expect.poll(async () => (await core.call('outbox:list', {})).items[0]?.attempts ?? 0, POLL).toBeGreaterThanOrEqual(2)
      } finally {
        orange.faults.clear()
      }
      await expect.poll(() => pending(core), POLL).toEqual([])
      expect(submitted()).toBe(1)
      expect((await core.call('orange:tickets', device)).items).toMatchObject([{ requestedStatus: 'SLEEPING' }])
      expect(events.filter((e) => e.event === 'outbox:replayed').map((e) => e.payload)).toEqual([{ done: 1, failed: 0, held: 0 }])
    } finally {
      await core.close()
      await orange.close()
      await t.cleanup()
    }
  })
})
