/**
 * The subscription manager (src-main/core/mbed/subscriptions.ts) with a scripted client: which resources it asks for
 * in each mode, how each answer is recorded, what is asked again and when, and the operator's choices.
 */
import { describe, expect, it } from 'vitest'
import { AppError } from '../../src-main/core/common/errors'
import type { SubscribeResult } from '../../src-main/core/mbed/connector.client'
import type { MbedAsyncResponse } from '../../src-main/core/mbed/envelope'
import { noopLogger } from '../../src-main/core/mbed/log-limit'
import { SubscriptionManager, endpointChangeBatcher } from '../../src-main/core/mbed/subscriptions'
import type { MbedPresubscription } from '../../src-shared/models/mbed-presubscriptions'

type Answer = SubscribeResult | AppError

function status(code: number, key = 'mbed.requestFailed'): AppError {
  return AppError.withRef(code === 429 ? 'RATE_LIMITED' : code === 404 ? 'NOT_FOUND' : 'CARRIER', `HTTP ${code}`, { key }, { carrierCode: String(code) })
}

function setup(
  rules: MbedPresubscription[] | null,
  answer: (ep: string, path: string) => Answer = () => ({ kind: 'subscribed', status: 200 }),
  early: Map<string, MbedAsyncResponse> = new Map(),
  overrides: { setPresubscriptions?: () => Promise<void>; subscribe?: () => Promise<SubscribeResult>; endpointSubscriptions?: (ep: string) => Promise<string[]> } = {},
) {
  const calls: string[] = []
  const changed: string[] = []
  const client = {
    subscribe: async (ep: string, path: string) => {
      calls.push(`PUT ${ep}${path}`)
      const a = answer(ep, path)
      if (a instanceof AppError) throw a
      return a
    },
    unsubscribe: async (ep: string, path: string) => {
      calls.push(`DELETE ${ep}${path}`)
      return true
    },
    setPresubscriptions: async (r: readonly MbedPresubscription[]) => {
      calls.push(`PRESUB ${JSON.stringify(r)}`)
    },
    endpointResources: async () => [
      { path: '/1/0/1', obs: true, ct: '' },
      { path: '/1/0/2', obs: false, ct: '' },
    ],
    endpointSubscriptions: async (ep: string) => {
      calls.push(`LIST ${ep}`)
      return [] as string[]
    },
    ...overrides,
  }
  const manager = new SubscriptionManager({
    client,
    rules,
    changed: (ep) => changed.push(ep),
    takeEarly: (id) => {
      const a = early.get(id)
      early.delete(id)
      return a
    },
    log: noopLogger,
    retry: { minMs: 1_000, maxMs: 1_000 },
    asyncTtlMs: 5_000,
    random: () => 0,
  })
  return { manager, calls, changed }
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0))
const reg = (ep: string, ept: string, resources: { path: string; obs?: boolean }[]) => ({ ep, ept, resources })
const stateOf = (m: SubscriptionManager, ep: string, path: string) => m.list(ep)[0]?.resources.find((r) => r.path === path)

describe('subscription manager', () => {
  it('default mode: writes no pre-subscriptions and subscribes every observable resource of each registration', async () => {
    const { manager, calls } = setup(null)
    await manager.start()
    manager.registered(reg('ep-1', 'Light', [{ path: '/3/0/1', obs: true }, { path: '/3/0/2', obs: false }, { path: '/3/0/3' }]), true)
    await settle()
    expect(calls).toEqual(['PUT ep-1/3/0/1'])
    expect(stateOf(manager, 'ep-1', '/3/0/1')).toMatchObject({ state: 'subscribed', via: 'bridge', attempts: 1, observable: true })
    expect(manager.list('ep-1')[0]?.resources).toHaveLength(1)
  })

  it('adopts the endpoints registered before the start', async () => {
    const { manager, calls } = setup(null)
    await manager.start()
    await manager.adopt([{ name: 'old-1', type: 'Light', queueMode: false }])
    expect(calls).toEqual(['PUT old-1/1/0/1'])
  })

  it('rules mode: writes the rules; registrations after that are covered without a request, adopted endpoints are not', async () => {
    const rules = [{ 'endpoint-type': 'Light', 'resource-path': ['/3/*'] }]
    const { manager, calls } = setup(rules)
    await manager.start()
    expect(calls).toEqual([`PRESUB ${JSON.stringify(rules)}`])
    manager.registered(
      reg('ep-1', 'Light', [
        { path: '/3/0/1', obs: true },
        { path: '/4/0/1', obs: true },
      ]),
      true,
    )
    manager.registered(reg('ep-2', 'Sensor', [{ path: '/3/0/1', obs: true }]), true)
    await settle()
    expect(calls).toHaveLength(1)
    expect(stateOf(manager, 'ep-1', '/3/0/1')).toMatchObject({ state: 'subscribed', via: 'presubscription', attempts: 0 })
    expect(manager.list('ep-2')[0]?.resources).toEqual([])
    await manager.adopt([{ name: 'old-light', type: 'Light', queueMode: false }])
    expect(calls.slice(1)).toEqual([])
    expect(manager.presubscriptions.state).toBe('written')
  })

  it('rules the service refused: recorded, and covered resources are subscribed one by one', async () => {
    const { manager, calls } = setup([{ 'endpoint-name': 'ep-*' }], undefined, undefined, { setPresubscriptions: async () => Promise.reject(status(400, 'mbed.presubscriptionsRefused')) })
    await manager.start()
    expect(manager.presubscriptions).toMatchObject({ state: 'failed' })
    manager.registered(reg('ep-1', 'X', [{ path: '/3/0/1', obs: true }]), true)
    await settle()
    expect(calls).toEqual(['PUT ep-1/3/0/1'])
  })

  it('412 and 404 are refused for good; 429 and 5xx are asked again after the back-off', async () => {
    let failing = true
    const { manager, calls } = setup(null, (_ep, path) => {
      if (path === '/412') return status(412, 'mbed.notObservable')
      if (path === '/404') return status(404, 'mbed.subscribeNotFound')
      if (failing) return path === '/429' ? status(429) : status(503)
      return { kind: 'subscribed', status: 200 }
    })
    await manager.start()
    manager.registered(
      reg(
        'ep',
        'T',
        ['/412', '/404', '/429', '/503'].map((path) => ({ path, obs: true })),
      ),
      true,
    )
    await settle()
    expect(['/412', '/404', '/429', '/503'].map((p) => stateOf(manager, 'ep', p)?.state)).toEqual(['refused', 'refused', 'pending', 'pending'])
    expect(stateOf(manager, 'ep', '/412')?.reason?.details?.ref?.key).toBe('mbed.notObservable')
    failing = false
    manager.retryDue(Date.now())
    await settle()
    expect(calls).toHaveLength(4)
    manager.retryDue(Date.now() + 2_000)
    await settle()
    expect(calls).toHaveLength(6)
    expect(['/412', '/404', '/429', '/503'].map((p) => stateOf(manager, 'ep', p)?.state)).toEqual(['refused', 'refused', 'subscribed', 'subscribed'])
    manager.retryDue(Date.now() + 3_600_000)
    await settle()
    expect(calls).toHaveLength(6)
  })

  it('202: pending until the async answer (claimed, not a command’s); an answer that came first is taken; a lost one is asked again', async () => {
    let n = 0
    const early = new Map<string, MbedAsyncResponse>([['id-2', { id: 'id-2', status: 200 }]])
    const { manager, calls } = setup(null, () => ({ kind: 'async', asyncId: `id-${++n}` }), early)
    await manager.start()
    manager.registered(
      reg('ep', 'T', [
        { path: '/a', obs: true },
        { path: '/b', obs: true },
        { path: '/c', obs: true },
      ]),
      true,
    )
    await settle()
    expect(stateOf(manager, 'ep', '/a')?.state).toBe('pending')
    expect(stateOf(manager, 'ep', '/b')?.state).toBe('subscribed')
    expect(manager.claim({ id: 'id-1', status: 412 })).toBe(true)
    expect(stateOf(manager, 'ep', '/a')).toMatchObject({ state: 'refused', reason: { details: { carrierCode: '412', ref: { key: 'mbed.notObservable' } } } })
    expect(manager.claim({ id: 'someone-elses', status: 200 })).toBe(false)
    manager.retryDue(Date.now() + 10_000)
    await settle()
    expect(calls.filter((c) => c === 'PUT ep/c')).toHaveLength(2)
  })

  it('a full re-registration asks again for everything not refused; a reg-update only for what is new', async () => {
    const { manager, calls } = setup(null)
    await manager.start()
    manager.registered(reg('ep', 'T', [{ path: '/a', obs: true }]), true)
    await settle()
    manager.registered(
      reg('ep', 'T', [
        { path: '/a', obs: true },
        { path: '/b', obs: true },
      ]),
      false,
    )
    await settle()
    expect(calls).toEqual(['PUT ep/a', 'PUT ep/b'])
    manager.registered(reg('ep', 'T', [{ path: '/b', obs: true }]), true)
    await settle()
    expect(calls.slice(2)).toEqual(['PUT ep/b'])
    expect(manager.list('ep')[0]?.resources.map((r) => r.path)).toEqual(['/b'])
    manager.left('ep')
    expect(manager.list('ep')).toEqual([])
  })

  it('the operator’s choices win: unsubscribed stays off (a pre-subscription that brings it back is removed), subscribed comes back', async () => {
    const { manager, calls } = setup([{ 'endpoint-type': 'T' }])
    await manager.start()
    manager.registered(
      reg('ep', 'T', [
        { path: '/a', obs: true },
        { path: '/b', obs: false },
      ]),
      true,
    )
    const off = await manager.unsubscribe('ep', '/a')
    expect(off).toMatchObject({ state: 'unsubscribed', via: 'operator' })
    const on = await manager.subscribe('ep', '/b')
    expect(on).toMatchObject({ state: 'subscribed', via: 'operator' })
    calls.length = 0
    manager.registered(
      reg('ep', 'T', [
        { path: '/a', obs: true },
        { path: '/b', obs: false },
      ]),
      true,
    )
    await settle()
    expect(calls.sort()).toEqual(['DELETE ep/a', 'PUT ep/b'])
    expect(stateOf(manager, 'ep', '/a')?.state).toBe('unsubscribed')
  })

  it('answers that arrive after stop() are ignored', async () => {
    let release!: () => void
    const gate = new Promise<void>((resolve) => (release = resolve))
    const { manager } = setup(null, undefined, undefined, {
      subscribe: async () => {
        await gate
        return { kind: 'subscribed', status: 200 }
      },
    })
    await manager.start()
    manager.registered(reg('ep', 'T', [{ path: '/a', obs: true }]), true)
    manager.stop()
    release()
    await settle()
    expect(stateOf(manager, 'ep', '/a')?.state).toBe('pending')
  })
})

describe('endpointChangeBatcher', () => {
  it('names each changed endpoint once per batch, at most 200, and says when there were more', async () => {
    const events: { endpoints: string[]; more: boolean }[] = []
    const batcher = endpointChangeBatcher((e) => events.push(e), 10)
    for (let i = 0; i < 250; i++) batcher.changed(`ep-${i % 220}`)
    batcher.flush()
    expect(events).toHaveLength(1)
    expect(events[0]?.endpoints).toHaveLength(200)
    expect(events[0]?.more).toBe(true)
    batcher.changed('x')
    await expect.poll(() => events[1]).toEqual({ endpoints: ['x'], more: false })
  })
})

describe('subscription manager after an outage (verify)', () => {
  it('subscribes again what mbed no longer lists; nothing for an endpoint mbed still fully holds', async () => {
    const held = new Map<string, string[]>([
      ['a', ['/x']],
      ['b', []],
      ['c', ['/w']],
    ])
    const { manager, calls } = setup(null, undefined, undefined, {
      endpointSubscriptions: async (ep: string) => {
        calls.push(`LIST ${ep}`)
        return held.get(ep) ?? []
      },
    })
    await manager.start()
    manager.registered(
      reg('a', 'T', [
        { path: '/x', obs: true },
        { path: '/y', obs: true },
      ]),
      true,
    )
    manager.registered(reg('b', 'T', [{ path: '/z', obs: true }]), true)
    manager.registered(reg('c', 'T', [{ path: '/w', obs: true }]), true)
    await settle()
    expect(stateOf(manager, 'a', '/y')?.state).toBe('subscribed')
    calls.length = 0
    await manager.verify()
    await settle()
    expect(calls.sort()).toEqual(['LIST a', 'LIST b', 'LIST c', 'PUT a/y', 'PUT b/z'])
    expect(stateOf(manager, 'b', '/z')).toMatchObject({ state: 'subscribed', attempts: 1 })
  })

  it('a subscription still waiting for its async answer from the mbed that went away is asked again (the answer would never come)', async () => {
    let n = 0
    const { manager, calls } = setup(null, () => ({ kind: 'async', asyncId: `id-${++n}` }))
    await manager.start()
    manager.registered(reg('q', 'Tracker', [{ path: '/t', obs: true }]), true)
    await settle()
    expect(stateOf(manager, 'q', '/t')?.state).toBe('pending')
    calls.length = 0
    await manager.verify()
    await settle()
    expect(calls).toEqual(['LIST q', 'PUT q/t'])
    // The first request's answer is no longer the manager's to claim; the new one's is.
    expect(manager.claim({ id: 'id-1', status: 200 })).toBe(false)
    expect(manager.claim({ id: 'id-2', status: 200 })).toBe(true)
    expect(stateOf(manager, 'q', '/t')?.state).toBe('subscribed')
  })

  it('a list that cannot be read is read again after the back-off, not given up', async () => {
    let failures = 2
    const { manager, calls } = setup(null, undefined, undefined, {
      endpointSubscriptions: async (ep: string) => {
        calls.push(`LIST ${ep}`)
        if (failures-- > 0) throw status(503)
        return []
      },
    })
    await manager.start()
    manager.registered(reg('a', 'T', [{ path: '/x', obs: true }]), true)
    await settle()
    calls.length = 0
    await manager.verify()
    expect(calls).toEqual(['LIST a'])
    manager.retryDue(Date.now())
    await settle()
    expect(calls).toEqual(['LIST a'])
    manager.retryDue(Date.now() + 10_000)
    await settle()
    expect(calls).toEqual(['LIST a', 'LIST a'])
    manager.retryDue(Date.now() + 20_000)
    await settle()
    await settle()
    expect(calls).toEqual(['LIST a', 'LIST a', 'LIST a', 'PUT a/x'])
  })

  it('reads at most two endpoints at once, and a second outage during the reads reads them again', async () => {
    let inFlight = 0
    let most = 0
    const answers: (() => void)[] = []
    const { manager, calls } = setup(null, undefined, undefined, {
      endpointSubscriptions: async (ep: string) => {
        calls.push(`LIST ${ep}`)
        inFlight++
        most = Math.max(most, inFlight)
        await new Promise<void>((resolve) => answers.push(resolve))
        inFlight--
        return ['/x']
      },
    })
    await manager.start()
    for (let i = 0; i < 6; i++) manager.registered(reg(`e${i}`, 'T', [{ path: '/x', obs: true }]), true)
    await settle()
    calls.length = 0
    const first = manager.verify()
    await settle()
    expect(calls).toEqual(['LIST e0', 'LIST e1'])
    const second = manager.verify()
    while (answers.length > 0 || inFlight > 0) {
      answers.shift()?.()
      await settle()
    }
    await Promise.all([first, second])
    expect(most).toBe(2)
    // e0 and e1 were being read when the second outage came: read again; the others once.
    expect(calls.filter((c) => c === 'LIST e0')).toHaveLength(2)
    expect(calls.filter((c) => c === 'LIST e1')).toHaveLength(2)
    expect(calls.filter((c) => c === 'LIST e5')).toHaveLength(1)
    expect(calls.filter((c) => c.startsWith('PUT'))).toEqual([])
  })

  it('in rules mode, writes the rules again', async () => {
    const rules = [{ 'endpoint-type': 'T' }]
    const { manager, calls } = setup(rules)
    await manager.start()
    calls.length = 0
    await manager.verify()
    expect(calls).toEqual([`PRESUB ${JSON.stringify(rules)}`])
  })
})
