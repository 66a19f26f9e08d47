import { afterEach, describe, expect, it } from 'vitest'
import { AppError } from '../../src-main/core/common/errors'
import { createControlCenterClient, type ControlCenterClient, type ControlCenterClientOptions } from '../../src-main/core/carriers/control-center/control-center.client'
import type { SimStatus } from '../../src-main/core/carriers/sim-model'
import { createGovernor } from '../../src-main/core/http/governor'
import { startControlCenterPeer, type ControlCenterPeer, type Fault } from '../peers/control-center/control-center.peer'
import { Inventory } from '../peers/control-center/inventory'

/**
 * The governor against a peer that enforces Control Center's published limits (one call at a time, ≤ 5/s) and
 * injects 429/503/504: nothing lost, nothing duplicated, order kept, SMS never repeated after an ambiguous failure.
 * These tests take seconds because the limits are real; they assert outcomes, never durations.
 */
describe('rate governor against the Control Center peer', () => {
  const open: { close(): Promise<void> }[] = []
  afterEach(async () => {
    await Promise.all(open.splice(0).map((c) => c.close()))
  })

  async function setup(over: Partial<ControlCenterClientOptions> = {}): Promise<{ peer: ControlCenterPeer; client: ControlCenterClient }> {
    const peer = await startControlCenterPeer({ devices: 60, rateLimit: { perSecond: 5, concurrent: 1 } })
    const client = createControlCenterClient({
      carrier: 'jasper',
      baseUrl: peer.url,
      username: 'ops',
      apiKey: 'test-api-key',
      ...over,
    })
    open.push(client, peer)
    return { peer, client }
  }

  const sim = (peer: ControlCenterPeer, n: number): string => {
    const iccid = peer.iccids[n]
    if (iccid === undefined) throw new Error(`no ICCID ${n}`)
    return iccid
  }

  it('applies 100 status changes exactly once each, in order, through injected 429/503/504 and the enforced limit', { timeout: 180_000 }, async () => {
    // The client's own default governor: Control Center's guidance, one call at a time and at most 5 per second.
    const { peer, client } = await setup()
    const sequences: [SimStatus, SimStatus][] = [
      ['deactivated', 'activated'],
      ['activated', 'retired'],
    ]
    // A retired SIM stays retired at the peer ([I], §1.13): the plan takes SIMs that are not, known from the peer's
    // seeded inventory (the same seed and size) without a call that would count against the limit.
    const seeded = new Inventory(1, peer.iccids.length, 1)
    const changeable = peer.iccids.filter((_, n) => seeded.device(n).status !== 'RETIRED')
    expect(changeable.length).toBeGreaterThanOrEqual(50)
    const plan = Array.from({ length: 50 }, (_, n) => ({ iccid: changeable[n]!, statuses: sequences[n % 2] as [SimStatus, SimStatus] }))
    // 5 % of the 100 changes meet an injected failure on their first attempt, each on its own SIM.
    const injected: Fault[] = [
      { kind: 'status', status: 429, retryAfterSeconds: 1 },
      { kind: 'status', status: 503 },
      { kind: 'status', status: 503, retryAfterSeconds: 1 },
      { kind: 'status', status: 504 },
      { kind: 'status', status: 429 },
    ]
    injected.forEach((fault, k) => {
      if (fault.kind !== 'status') return
      peer.faults.set({ ...fault, method: 'PUT', times: 1, path: new RegExp(`/devices/${plan[k * 10 + 3]?.iccid ?? ''}$`) })
    })

    // All 100 are asked for at once; the governor queues them, so each SIM's two changes must arrive in order.
    const results = await Promise.allSettled(plan.flatMap(({ iccid, statuses }) => statuses.map((status) => client.editDevice(iccid, { status }))))

    expect(results.filter((r) => r.status === 'rejected')).toEqual([])
    const stats = peer.stats()
    for (const { iccid, statuses } of plan) {
      expect(stats.statusChanges.filter((c) => c.iccid === iccid).map((c) => c.status)).toEqual(statuses.map((s) => s.toUpperCase()))
    }
    expect(stats.statusChanges).toHaveLength(100)
    // Every PUT that reached the peer is accounted for: 100 applied, 5 injected failures, the rest refused by the limit.
    expect(stats.byRoute['PUT /devices/{iccid}']).toBe(100 + injected.length + stats.rateLimited)
  })

  it("honours the service's 429 and Retry-After when the governor is set faster than the account allows", { timeout: 120_000 }, async () => {
    const { peer, client } = await setup({ governor: createGovernor({ concurrency: 1, perSecond: 20 }) })
    const iccids = Array.from({ length: 30 }, (_, n) => sim(peer, n))
    const sims = await Promise.all(iccids.map((iccid) => client.getDevice(iccid, { usage: false })))
    expect(sims.map((s) => s.iccid)).toEqual(iccids)
    const stats = peer.stats()
    expect(stats.rateLimited).toBeGreaterThan(0)
    expect(stats.byRoute['GET /devices/{iccid}']).toBe(30 + stats.rateLimited)
  })

  it('sends each SMS exactly once when some are refused by the rate limit (429: certainly not processed)', { timeout: 120_000 }, async () => {
    const { peer, client } = await setup({ governor: createGovernor({ concurrency: 1, perSecond: 20 }) })
    const sent = await Promise.all(Array.from({ length: 12 }, (_, n) => client.sendSms(sim(peer, n), `reading ${n}`)))
    expect(new Set(sent.map((s) => s.smsMsgId)).size).toBe(12)
    const stats = peer.stats()
    expect(stats.smsSent).toBe(12)
    expect(stats.byRoute['POST /devices/{iccid}/smsMessages']).toBe(12 + stats.rateLimited)
  })

  it('never repeats an SMS whose connection dropped after the service took it, and keeps serving the account', { timeout: 60_000 }, async () => {
    const { peer, client } = await setup()
    peer.faults.set({ kind: 'drop', afterRequest: true, path: /smsMessages/, times: 1 })
    const [dropped, next] = await Promise.allSettled([client.sendSms(sim(peer, 0), 'meter reset'), client.sendSms(sim(peer, 1), 'next one')])
    expect(dropped.status).toBe('rejected')
    const error = dropped.status === 'rejected' ? dropped.reason : null
    expect(error).toBeInstanceOf(AppError)
    expect((error as AppError).code).toBe('UNKNOWN_OUTCOME')
    expect((error as AppError).details?.ref?.key).toBe('errors.unknownOutcome')
    expect(next.status).toBe('fulfilled')
    const stats = peer.stats()
    expect(stats.smsSent).toBe(2)
    // One POST for the dropped SMS (never repeated) and one for the next, plus any the rate limit refused.
    expect(stats.byRoute['POST /devices/{iccid}/smsMessages']).toBe(2 + stats.rateLimited)
  })
})
