import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { EventName } from '../../src-shared/contract'
import { startControlCenterPeer, type ControlCenterPeer } from '../peers/control-center/control-center.peer'
import { monthsBefore } from '../../src-main/core/carriers/sim.service'
import { tempDir, testCore } from '../helpers/core'

type TestCore = Awaited<ReturnType<typeof testCore>>

/**
 * The peer's inventory dates end mid-2024, so the peer and the core share a clock that starts on a fixed day
 * (billing cycles are then known) and moves with real time (so SMS are delivered).
 */
const START = Date.now()
const clock = () => new Date(Date.parse('2025-03-14T10:00:00.000Z') + (Date.now() - START))
const SECRET = 'sim-test-api-key-Zq9'

describe('SIM operations through the bridge, against the Control Center peer', () => {
  let peer: ControlCenterPeer
  let core: TestCore
  let cleanup: () => Promise<void>
  const events: { event: EventName; payload: unknown }[] = []
  const device = { typeId: 'meter', deviceId: 'm-1' }

  beforeAll(async () => {
    peer = await startControlCenterPeer({ devices: 20, smsDeliveryMs: 20, now: clock, users: [{ username: 'ops', apiKey: SECRET, password: 'pw', role: 'AccountAdmin' }] })
    const t = await tempDir()
    cleanup = t.cleanup
    core = await testCore(t.dir, { now: clock })
    core.bus.subscribe((event, payload) => events.push({ event, payload }))
    await core.call('devices:add', device)
    await core.call('devices:saveConfig', { ...device, text: JSON.stringify({ jasper: { iccid: peer.iccids[3] } }) })
  })
  afterAll(async () => {
    await core.close()
    await peer.close()
    await cleanup()
  })

  const settings = () => ({ baseUrl: peer.url, username: 'ops', concurrency: 1, perSecond: 50 })
  const authorization = `Basic ${Buffer.from(`ops:${SECRET}`).toString('base64')}`
  /** The first of the peer's SIMs after the one the tests start with that the carrier says is activated. */
  const firstActivated = async (): Promise<string> => {
    for (const iccid of peer.iccids.slice(4)) {
      const res = await fetch(`${peer.url}/rws/api/v1/devices/${iccid}`, { headers: { authorization } })
      if (((await res.json()) as { status: string }).status === 'ACTIVATED') return iccid
    }
    throw new Error('the peer has no other activated SIM')
  }
  /** A change made at the carrier itself, not through Fieldline. */
  const carrierPut = (body: object) =>
    fetch(`${peer.url}/rws/api/v1/devices/${peer.iccids[3]}`, {
      method: 'PUT',
      headers: { authorization, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })

  it('says which profile is missing before one exists', async () => {
    expect(await core.dispatcher.invoke('sim:get', device)).toMatchObject({ ok: false, error: { code: 'NOT_FOUND', details: { ref: { key: 'profiles.noneForCarrier' } } } })
  })

  it('refuses incomplete or insecure profiles and changes nothing', async () => {
    const base = { extension: 'jasper', name: 'Ops', settings: settings() } as const
    expect(await core.dispatcher.invoke('profiles:save', base)).toMatchObject({ ok: false, error: { details: { ref: { key: 'profiles.apiKeyRequired' } } } })
    expect(await core.dispatcher.invoke('profiles:save', { ...base, secrets: { apiKey: 'k', password: 'p' } })).toMatchObject({ ok: false, error: { details: { ref: { key: 'profiles.soapPair' } } } })
    expect(await core.dispatcher.invoke('profiles:save', { ...base, settings: { ...settings(), baseUrl: 'http://cc.example.com' }, secrets: { apiKey: 'k' } })).toMatchObject({
      ok: false,
      error: { code: 'VALIDATION', details: { ref: { key: 'errors.insecureUrl' } } },
    })
    expect((await core.call('profiles:list', {})).items).toEqual([])
  })

  it('keeps a profile with its secrets in the vault only, and verifies it', async () => {
    const saved = await core.call('profiles:save', { extension: 'jasper', name: 'Ops account', settings: settings(), secrets: { apiKey: SECRET } })
    expect(saved).toMatchObject({ extension: 'jasper', isDefault: true, secrets: { apiKey: true, password: false, licenseKey: false } })
    expect(JSON.stringify(await core.call('profiles:list', {}))).not.toContain(SECRET)
    expect(JSON.stringify(await core.call('audit:list', {}))).not.toContain(SECRET)
    expect(await core.call('profiles:verify', { extension: 'jasper', id: saved.id })).toMatchObject({ ok: true })

    const wrong = await core.call('profiles:save', { extension: 'jasper', name: 'Wrong key', settings: settings(), secrets: { apiKey: 'nope' } })
    expect(await core.dispatcher.invoke('profiles:verify', { extension: 'jasper', id: wrong.id })).toMatchObject({ ok: false, error: { code: 'AUTH_FAILED', details: { carrierCode: '10000001' } } })
    await core.call('profiles:remove', { extension: 'jasper', id: wrong.id })
    expect((await core.call('profiles:list', { extension: 'jasper' })).items.map((p) => p.id)).toEqual([saved.id])
  })

  it('reads the SIM, changes its status with an audit entry naming both states, and caches it', async () => {
    const view = await core.call('sim:get', { ...device, refresh: true })
    expect(view).toMatchObject({ carrier: 'jasper', iccid: peer.iccids[3], fromCache: false, offline: null, sim: { iccid: peer.iccids[3] } })
    const before = view.sim!.status
    const target = before === 'deactivated' ? 'activated' : 'deactivated'
    const changed = await core.call('sim:changeStatus', { ...device, status: target })
    expect(changed).toMatchObject({ outcome: 'done', sim: { status: target } })
    expect(peer.stats().statusChanges.filter((c) => c.iccid === peer.iccids[3])).toHaveLength(1)
    const [entry] = (await core.call('audit:list', { query: 'sim.changeStatus' })).items
    expect(entry).toMatchObject({ outcome: 'ok', before: { status: before }, after: { status: target } })
    expect(await core.call('sim:get', device)).toMatchObject({ fromCache: true, sim: { status: target } })
    expect(events.some((e) => e.event === 'sim:changed')).toBe(true)
  })

  it('lists rate plans and changes the plan', async () => {
    const { allowed, plans } = await core.call('sim:ratePlans', device)
    expect(allowed).toBe(true)
    expect(plans).toEqual([...peer.ratePlans].map((p) => p))
    const plan = plans[plans.length - 1]!
    expect(await core.call('sim:changeRatePlan', { ...device, ratePlan: plan })).toMatchObject({ outcome: 'done', sim: { ratePlan: plan } })
  })

  it('reads the SIM from the carrier once before a change, and audits the status and plan the carrier says it had', async () => {
    // Changed at the carrier behind Fieldline's back, so the cached copy is stale when the operator changes it back.
    const cached = (await core.call('sim:get', device)).sim!
    const carrierStatus = cached.status === 'activated' ? 'deactivated' : 'activated'
    const carrierPlan = peer.ratePlans.find((p) => p !== cached.ratePlan)!
    expect((await carrierPut({ status: carrierStatus.toUpperCase(), ratePlan: carrierPlan })).status).toBe(200)
    expect((await core.call('sim:get', device)).sim).toMatchObject({ status: cached.status, ratePlan: cached.ratePlan })

    for (const [channel, action, change, before] of [
      ['sim:changeStatus', 'sim.changeStatus', { status: cached.status }, { status: carrierStatus }],
      ['sim:changeRatePlan', 'sim.changeRatePlan', { ratePlan: cached.ratePlan! }, { ratePlan: carrierPlan }],
    ] as const) {
      const start = peer.stats().byRoute
      await core.call(channel, { ...device, ...change } as never)
      const calls = Object.fromEntries(
        Object.entries(peer.stats().byRoute)
          .map(([route, n]) => [route, n - (start[route] ?? 0)])
          .filter(([, n]) => n !== 0),
      )
      // One read before the change (details and usage), the change, one read after it that refreshes the panel.
      expect(calls).toEqual({ 'GET /devices/{iccid}': 2, 'GET /devices/{iccid}/ctdUsages': 2, 'PUT /devices/{iccid}': 1 })
      const [entry] = (await core.call('audit:list', { query: action })).items
      expect(entry).toMatchObject({ outcome: 'ok', before, after: change })
    }
  })

  it('reads usage for a cycle, keeps it for the chart, and refuses bad dates', async () => {
    const r = await core.call('sim:usage', { ...device, cycleStartDate: '2025-03-01' })
    expect(r).toMatchObject({ fromCache: false, usage: { cycleStartDate: '2025-03-01', iccid: peer.iccids[3] } })
    expect((await core.call('sim:usageHistory', device)).cycles.map((c) => c.cycleStartDate)).toEqual(['2025-03-01'])
    // Refreshing reads the cycles REST still keeps: the open one and the two before it.
    const history = await core.call('sim:usageHistory', { ...device, refresh: true })
    expect(history).toMatchObject({ offline: null })
    expect(history.cycles.map((c) => c.cycleStartDate)).toEqual(['2025-01-01', '2025-02-01', '2025-03-01'])
    for (const bad of ['2025-02-30', '25-03-01', '2025-3-1']) {
      expect(await core.dispatcher.invoke('sim:usage', { ...device, cycleStartDate: bad })).toMatchObject({ ok: false, error: { code: 'VALIDATION' } })
    }
  })

  it('refuses an SMS to a Deactivated or Retired SIM before sending it, and records no success', async () => {
    for (const status of ['deactivated', 'retired'] as const) {
      await core.call('sim:changeStatus', { ...device, status })
      const smsBefore = peer.stats().smsSent
      const audited = (await core.call('audit:list', { query: 'sim.sendSms' })).total
      expect(await core.dispatcher.invoke('sim:sendSms', { ...device, text: 'ping' })).toMatchObject({
        ok: false,
        error: { code: 'CONFLICT', details: { ref: { key: 'sim.smsInactive', params: { status } } } },
      })
      expect(peer.stats().smsSent).toBe(smsBefore)
      expect((await core.call('audit:list', { query: 'sim.sendSms' })).total).toBe(audited)
    }
    // A retired SIM is changed no further by Fieldline (§1.13), and nothing reaches the carrier.
    const changes = peer.stats().statusChanges.length
    expect(await core.dispatcher.invoke('sim:changeStatus', { ...device, status: 'activated' })).toMatchObject({
      ok: false,
      error: { code: 'CONFLICT', details: { ref: { key: 'sim.endOfLife', params: { status: 'retired' } } } },
    })
    expect(peer.stats().statusChanges).toHaveLength(changes)
    // The carrier keeps it retired too (the peer refuses, [I]): the device gets an activated SIM for what follows.
    expect((await carrierPut({ status: 'ACTIVATED' })).status).toBe(400)
    const activated = await firstActivated()
    await core.call('devices:saveConfig', { ...device, text: JSON.stringify({ jasper: { iccid: activated } }) })
    expect(await core.call('sim:get', { ...device, refresh: true })).toMatchObject({ iccid: activated, sim: { status: 'activated' } })
  })

  it('refuses, sent or queued, a character the chosen data coding cannot carry, naming it, and sends nothing', async () => {
    const smsBefore = peer.stats().smsSent
    const cases = [
      { text: 'Température ≥ 5', dataCoding: 0, character: '≥' },
      { text: 'Alerte 🙂', dataCoding: 3, character: '🙂' },
      { text: 'Arrêt', dataCoding: 1, character: 'ê' },
    ] as const
    for (const { text, dataCoding, character } of cases) {
      for (const queue of [false, true]) {
        expect(await core.dispatcher.invoke('sim:sendSms', { ...device, text, dataCoding, queue })).toMatchObject({
          ok: false,
          error: { code: 'VALIDATION', details: { ref: { key: 'sim.smsCharacter', params: { character, coding: String(dataCoding) } } } },
        })
      }
    }
    expect(peer.stats().smsSent).toBe(smsBefore)
    expect((await core.call('outbox:list', {})).items.filter((i) => i.action === 'sim.sendSms')).toEqual([])
  })

  it('sends an SMS once and follows it to a final status', async () => {
    const sent = await core.call('sim:sendSms', { ...device, text: 'ping' })
    expect(sent.smsMsgId).toMatch(/^\d+$/)
    await expect.poll(() => events.find((e) => e.event === 'sim:sms' && (e.payload as { final: boolean }).final)?.payload, { timeout: 15_000 }).toMatchObject({ smsMsgId: sent.smsMsgId })
    expect(peer.stats().smsSent).toBe(1)
  })

  it('shows cached data when the carrier cannot be reached, and queues changes only when asked', async () => {
    peer.faults.set({ kind: 'drop' })
    try {
      const view = await core.call('sim:get', { ...device, refresh: true })
      expect(view).toMatchObject({ fromCache: true, offline: { code: 'NETWORK' } })
      expect(await core.dispatcher.invoke('sim:changeStatus', { ...device, status: 'activated' })).toMatchObject({ ok: false, error: { code: 'NETWORK' } })
      expect(await core.call('sim:changeStatus', { ...device, status: 'activated', queue: true })).toMatchObject({ outcome: 'queued' })
      expect((await core.call('outbox:list', {})).items).toMatchObject([{ action: 'sim.changeStatus', state: 'pending', params: { status: 'activated' } }])
      expect(await core.call('outbox:replay', {})).toMatchObject({ pending: 1, done: 0 })
    } finally {
      peer.faults.clear()
    }
    expect(await core.call('outbox:replay', {})).toEqual({ done: 1, failed: 0, unknown: 0, pending: 0, held: 0 })
    expect((await core.call('sim:get', device)).sim?.status).toBe('activated')
  })

  it('when the connection comes back, sends the status changes by itself and holds an SMS (and what follows it for that SIM) for the operator', async () => {
    peer.faults.set({ kind: 'drop' })
    try {
      expect(await core.call('sim:changeStatus', { ...device, status: 'activated', queue: true })).toMatchObject({ outcome: 'queued' })
      expect(await core.call('sim:sendSms', { ...device, text: 'after the outage', queue: true })).toMatchObject({ outcome: 'queued' })
      expect(await core.call('sim:changeStatus', { ...device, status: 'deactivated', queue: true })).toMatchObject({ outcome: 'queued' })
    } finally {
      peer.faults.clear()
    }
    const smsBefore = peer.stats().smsSent
    expect(await core.call('outbox:replay', { automatic: true })).toEqual({ done: 1, failed: 0, unknown: 0, pending: 0, held: 2 })
    expect(peer.stats().smsSent).toBe(smsBefore)
    // The deactivation queued after the SMS waits with it: sending it first would refuse the SMS.
    expect((await core.call('sim:get', { ...device, refresh: true })).sim?.status).toBe('activated')
    expect((await core.call('outbox:list', {})).items.filter((i) => i.state === 'pending').map((i) => i.action)).toEqual(['sim.sendSms', 'sim.changeStatus'])
    // The operator sends them, in the order they were queued.
    expect(await core.call('outbox:replay', {})).toEqual({ done: 2, failed: 0, unknown: 0, pending: 0, held: 0 })
    expect(peer.stats().smsSent).toBe(smsBefore + 1)
    expect((await core.call('sim:get', { ...device, refresh: true })).sim?.status).toBe('deactivated')
    await core.call('sim:changeStatus', { ...device, status: 'activated' })
  })

  it('does not send a queued change the operator discards while a replay is on its way to it, and two replays send each change once', async () => {
    peer.faults.set({ kind: 'drop' })
    try {
      for (const status of ['deactivated', 'activated', 'deactivated'] as const) expect(await core.call('sim:changeStatus', { ...device, status, queue: true })).toMatchObject({ outcome: 'queued' })
    } finally {
      peer.faults.clear()
    }
    const [first, second, third] = (await core.call('outbox:list', {})).items.filter((i) => i.state === 'pending')
    const puts = () => peer.stats().byRoute['PUT /devices/{iccid}'] ?? 0
    const before = puts()
    const requests = peer.stats().requests
    // The carrier is slow: the discard arrives while the first change is on its way.
    peer.faults.set({ kind: 'latency', ms: 300, times: 2 })
    const replay = core.call('outbox:replay', {})
    const again = core.call('outbox:replay', {})
    await expect.poll(() => peer.stats().requests, { timeout: 10_000, interval: 10 }).toBeGreaterThan(requests)
    expect(await core.call('outbox:discard', { id: second!.id })).toEqual({ discarded: true })
    const counts = [await replay, await again]
    expect(counts.reduce((n, c) => n + c.done, 0)).toBe(2)
    expect(puts() - before).toBe(2)
    expect((await core.call('sim:get', device)).sim?.status).toBe('deactivated')
    const trail = (await core.call('audit:list', { query: 'sim.changeStatus', limit: 50 })).items
    expect(trail.find((e) => e.outboxId === second!.id)).toMatchObject({ outcome: 'discarded' })
    for (const id of [first!.id, third!.id]) expect(trail.find((e) => e.outboxId === id)).toMatchObject({ outcome: 'sent' })
    expect(await core.call('outbox:discard', { id: 'device:meter:m-1' })).toEqual({ discarded: false })
    await core.call('sim:changeStatus', { ...device, status: 'activated' })
  })

  it('counts cycle start dates back by calendar month', () => {
    expect(monthsBefore('2025-03-01', 2)).toBe('2025-01-01')
    expect(monthsBefore('2025-03-31', 1)).toBe('2025-02-28')
    expect(monthsBefore('2024-01-15', 1)).toBe('2023-12-15')
  })

  it('explains a device without a SIM', async () => {
    await core.call('devices:add', { typeId: 'meter', deviceId: 'plain' })
    expect(await core.dispatcher.invoke('sim:get', { typeId: 'meter', deviceId: 'plain' })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND', details: { ref: { key: 'sim.notConfigured' } } } })
  })
})
