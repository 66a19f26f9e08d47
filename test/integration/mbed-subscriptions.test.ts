/**
 * The bridge's mbed subscriptions (docs/wire/mbed.md §1.4) against the strict mbed peer, which delivers a notification
 * only for a subscribed or pre-subscribed resource and drops manual subscriptions on a full re-registration, and a
 * real mosquitto: notifications arrive only once the bridge subscribed, keep arriving after a device re-registers
 * fully, a 412 is reported by name, 429/5xx are asked again, the operator's subscribe/unsubscribe win, and the
 * pre-subscription rules are written and relied on.
 */
import { connect, createServer, type AddressInfo, type Socket } from 'node:net'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createMbedBridge } from '../../src-main/core/mbed/bridge'
import { createMbedClient } from '../../src-main/core/mbed/connector.client'
import { createPlatformLink } from '../../src-main/core/platform/link'
import { mbedEvents } from '../../src-shared/models/mbed'
import { FAST, POLL, allSubscribed, b64, cleanups, endpoint, runCleanups, setup, subscriber } from '../helpers/mbed-bridge'
import { mosquittoSkipReason, startMosquitto, type Mosquitto } from '../helpers/mosquitto'
import { startMbedPeer, type MbedPeer } from '../peers/mbed/mbed.peer'
import { tempDir } from '../helpers/core'

const skip = mosquittoSkipReason()
afterEach(runCleanups)
const KEY = 'ak_test_key'

describe.skipIf(skip)('mbed bridge subscriptions', () => {
  let broker: Mosquitto

  beforeAll(async () => {
    broker = await startMosquitto()
  })

  afterAll(async () => {
    await broker?.stop()
  })

  it('receives a notification only after it subscribed the resource', async () => {
    const sub = await subscriber(broker.url)
    // [] = no automatic subscriptions: nothing is subscribed until the operator asks.
    const { peer, bridge } = await setup(broker.url, { bridge: { presubscriptions: [] } })
    const sensor = endpoint(peer, 'Sensor')
    expect(peer.stats().byRoute['PUT /v2/subscriptions']).toBe(1)
    const skippedBefore = peer.stats().notificationsNotSubscribed
    peer.notify(sensor.name, '/3303/0/5700', 'before')
    expect(peer.stats().notificationsNotSubscribed).toBe(skippedBefore + 1)

    const view = await bridge.subscribe(sensor.name, '/3303/0/5700')
    expect(view).toMatchObject({ path: '/3303/0/5700', state: 'subscribed', via: 'operator', reason: null, attempts: 1 })
    expect(peer.subscribed(KEY, sensor.name, '/3303/0/5700')).toBe(true)
    peer.notify(sensor.name, '/3303/0/5700', 'after')
    await expect.poll(() => sub.of('notify').map((r) => r.body.payload), POLL).toEqual([b64('after')])
    expect(bridge.counters().notifications).toBe(1)
  })

  it('subscribes every observable resource by default, keeps receiving after a full re-registration, and lists the state', async () => {
    const sub = await subscriber(broker.url)
    const { peer, bridge, events } = await setup(broker.url)
    const light = endpoint(peer, 'Light')
    const tracker = endpoint(peer, 'Tracker')
    // Default mode writes no pre-subscriptions at all.
    expect(peer.stats().byRoute['PUT /v2/subscriptions']).toBeUndefined()
    const listed = bridge.subscriptions(light.name)
    expect(listed).toMatchObject({ mode: 'default', rules: [], presubscriptions: { state: 'none' }, total: 1 })
    expect(listed.endpoints[0]?.resources.map((r) => [r.path, r.state, r.via, r.observable]).sort()).toEqual([
      ['/3/0/13', 'subscribed', 'bridge', true],
      ['/3311/0/5850', 'subscribed', 'bridge', true],
      ['/3311/0/5851', 'subscribed', 'bridge', true],
    ])
    // The queue-mode endpoint answers 202; the subscription is confirmed by its async response.
    await expect.poll(() => bridge.subscriptions(tracker.name).endpoints[0]?.resources.every((r) => r.state === 'subscribed'), POLL).toBe(true)
    expect(bridge.counters().unmatchedAsyncResponses).toBe(0)

    peer.reregister(light.name)
    // The service dropped the manual subscriptions at once…
    expect(peer.subscribed(KEY, light.name, '/3311/0/5850')).toBe(false)
    // …and the bridge, told by the registrations item, subscribes again.
    await allSubscribed(peer)
    await expect.poll(() => bridge.subscriptions(light.name).endpoints[0]?.resources.find((r) => r.path === '/3311/0/5850'), POLL).toMatchObject({ state: 'subscribed', attempts: 2 })
    peer.notify(light.name, '/3311/0/5850', 'after re-registration')
    await expect.poll(() => sub.of('notify').map((r) => r.body.payload), POLL).toEqual([b64('after re-registration')])
    await expect.poll(() => events.some((e) => e.name === 'mbed:subscriptions' && e.payload.endpoints.includes(light.name)), POLL).toBe(true)
    for (const e of events) expect(() => mbedEvents[e.name].parse(e.payload)).not.toThrow()
  })

  it('reports a 412 (not observable) and a 404 by name', async () => {
    const { peer, bridge } = await setup(broker.url)
    const sensor = endpoint(peer, 'Sensor')
    const refused = await bridge.subscribe(sensor.name, '/3/0/1')
    expect(refused).toMatchObject({
      state: 'refused',
      via: 'operator',
      attempts: 1,
      reason: { code: 'CARRIER', details: { carrierCode: '412', ref: { key: 'mbed.notObservable', params: { ep: sensor.name, path: '/3/0/1' } } } },
    })
    expect(refused.reason?.message).toContain('not observable')
    const missing = await bridge.subscribe('ghost-endpoint', '/3/0/1')
    expect(missing).toMatchObject({ state: 'refused', reason: { code: 'NOT_FOUND', details: { carrierCode: '404', ref: { key: 'mbed.subscribeNotFound' } } } })
    expect(bridge.subscriptions(sensor.name).endpoints[0]?.resources.find((r) => r.path === '/3/0/1')).toMatchObject({ state: 'refused', attempts: 1 })
  })

  it('asks again after 429 and 5xx answers that outlast the HTTP retries, then subscribes', async () => {
    const { peer, bridge } = await setup(broker.url, { bridge: { presubscriptions: [], subscriptionRetry: { minMs: 50, maxMs: 200 } } })
    const sensor = endpoint(peer, 'Sensor')
    // 500 is not retried by the HTTP client (the service's own answer); the subscription manager asks again.
    peer.faults.set({ kind: 'status', status: 500, path: /^\/v2\/subscriptions\//, times: 1 })
    const first = await bridge.subscribe(sensor.name, '/3303/0/5700')
    expect(first).toMatchObject({ state: 'pending', reason: { code: 'CARRIER', details: { carrierCode: '500' } } })
    await expect.poll(() => bridge.subscriptions(sensor.name).endpoints[0]?.resources[0]?.state, POLL).toBe('subscribed')
    // 429 is retried by the HTTP client within the governor first (5 attempts), then by the manager.
    peer.faults.set({ kind: 'status', status: 429, path: /^\/v2\/subscriptions\//, times: 6, retryAfterSeconds: 0 })
    const busy = await bridge.subscribe(sensor.name, '/3200/0/5501')
    expect(busy).toMatchObject({ state: 'pending', reason: { code: 'RATE_LIMITED' } })
    await expect.poll(() => bridge.subscriptions(sensor.name).endpoints[0]?.resources.find((r) => r.path === '/3200/0/5501')?.state, POLL).toBe('subscribed')
    expect(peer.subscribed(KEY, sensor.name, '/3200/0/5501')).toBe(true)
  })

  it('the operator’s unsubscribe stops the notifications and survives a full re-registration', async () => {
    const sub = await subscriber(broker.url)
    const { peer, bridge } = await setup(broker.url)
    const light = endpoint(peer, 'Light')
    const off = await bridge.unsubscribe(light.name, '/3311/0/5850')
    expect(off).toMatchObject({ state: 'unsubscribed', via: 'operator' })
    expect(peer.subscribed(KEY, light.name, '/3311/0/5850')).toBe(false)
    peer.reregister(light.name)
    await expect.poll(() => peer.subscribed(KEY, light.name, '/3311/0/5851'), POLL).toBe(true)
    expect(peer.subscribed(KEY, light.name, '/3311/0/5850')).toBe(false)
    peer.notify(light.name, '/3311/0/5850', 'unwanted')
    peer.notify(light.name, '/3311/0/5851', 'wanted')
    await expect.poll(() => sub.of('notify').map((r) => r.body.path), POLL).toEqual(['/3311/0/5851'])
    expect(bridge.subscriptions(light.name).endpoints[0]?.resources.find((r) => r.path === '/3311/0/5850')?.state).toBe('unsubscribed')
  })

  it('rules: writes the pre-subscriptions, subscribes what they cover on endpoints already registered, and relies on them for new ones', async () => {
    const sub = await subscriber(broker.url)
    const rules = [{ 'endpoint-type': 'Light', 'resource-path': ['/3311/0/5850'] }]
    const { peer, bridge } = await setup(broker.url, { bridge: { presubscriptions: rules } })
    const [a, b] = peer.endpoints().filter((e) => e.type === 'Light')
    const sensor = endpoint(peer, 'Sensor')
    await expect.poll(() => [a, b].every((e) => peer.subscribed(KEY, e?.name ?? '', '/3311/0/5850')), POLL).toBe(true)
    expect(peer.subscribed(KEY, a?.name ?? '', '/3311/0/5851')).toBe(false)
    expect(peer.subscribed(KEY, sensor.name, '/3303/0/5700')).toBe(false)
    expect(bridge.subscriptions()).toMatchObject({ mode: 'rules', rules, presubscriptions: { state: 'written', reason: null } })

    const puts = peer.stats().byRoute['PUT /v2/subscriptions/{ep}/{path}']
    peer.register({ name: 'late-light-1', type: 'Light', resources: [{ path: '/3311/0/5850', obs: true, ct: 'text/plain' }] })
    await expect.poll(() => bridge.subscriptions('late-light-1').endpoints[0]?.resources[0], POLL).toMatchObject({ state: 'subscribed', via: 'presubscription', attempts: 0 })
    expect(peer.stats().byRoute['PUT /v2/subscriptions/{ep}/{path}']).toBe(puts)
    peer.notify('late-light-1', '/3311/0/5850', 'covered')
    await expect.poll(() => sub.of('notify').map((r) => r.body.payload), POLL).toEqual([b64('covered')])
  })

  it('rules the service refuses are reported, and the matching resources are subscribed one by one', async () => {
    const { peer, bridge } = await setup(broker.url, { start: false, bridge: { presubscriptions: [{ 'endpoint-type': 'Sensor' }] } })
    peer.faults.set({ kind: 'status', status: 500, path: /^\/v2\/subscriptions$/, times: 1 })
    await bridge.start()
    await expect.poll(() => bridge.state, POLL).toBe('running')
    expect(bridge.subscriptions().presubscriptions).toMatchObject({ state: 'failed', reason: { details: { carrierCode: '500' } } })
    const sensor = endpoint(peer, 'Sensor')
    await expect.poll(() => peer.subscribed(KEY, sensor.name, '/3303/0/5700'), POLL).toBe(true)
  })

  it('subscribes again after mbed restarted and forgot the subscriptions', async () => {
    const sub = await subscriber(broker.url)
    // One address for the bridge, in front of one mbed and then of a fresh one (same seed, so the same endpoints):
    // a restarted Connector that keeps its registrations and none of the subscriptions.
    let peer: MbedPeer = await startMbedPeer({ flavour: 'connector', pollTimeoutMs: 300, seed: 4711 })
    cleanups.push(() => peer.close())
    const sockets = new Set<Socket>()
    const proxy = createServer((inbound) => {
      const outbound = connect(Number(new URL(peer.url).port), '127.0.0.1')
      for (const s of [inbound, outbound]) {
        sockets.add(s)
        s.on('close', () => sockets.delete(s))
        s.on('error', () => {
          inbound.destroy()
          outbound.destroy()
        })
      }
      inbound.pipe(outbound).pipe(inbound)
    })
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve))
    cleanups.push(() => new Promise<void>((resolve) => proxy.close(() => resolve())))
    cleanups.push(async () => {
      for (const s of sockets) s.destroy()
    })
    const client = createMbedClient({ baseUrl: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`, accessKey: KEY, flavour: 'connector' })
    cleanups.push(() => client.close())
    const link = createPlatformLink({ url: broker.url, clientId: `a:test:mbed-restart-${process.pid}`, reconnect: FAST })
    cleanups.push(() => link.close())
    const queue = await tempDir('fieldline-mbed-queue-')
    cleanups.push(() => queue.cleanup())
    const bridge = createMbedBridge({ client, link, queueDir: queue.dir, channel: { kind: 'longpoll', reconnect: FAST, goneWaitMs: 50, stopTimeoutMs: 2_000 }, drainTimeoutMs: 5_000 })
    cleanups.push(() => bridge.stop())
    await bridge.start()
    await expect.poll(() => bridge.state, POLL).toBe('running')
    await allSubscribed(peer)
    const sensor = endpoint(peer, 'Sensor')

    await peer.close()
    for (const s of sockets) s.destroy()
    await expect.poll(() => bridge.state, POLL).toBe('degraded')
    peer = await startMbedPeer({ flavour: 'connector', pollTimeoutMs: 300, seed: 4711 })
    cleanups.push(() => peer.close())
    expect(peer.subscribed(KEY, sensor.name, '/3303/0/5700')).toBe(false)
    await expect.poll(() => bridge.state, POLL).toBe('running')
    await allSubscribed(peer)
    peer.notify(sensor.name, '/3303/0/5700', 'after the restart')
    await expect.poll(() => sub.of('notify').map((r) => r.body.payload), POLL).toContain(b64('after the restart'))
  })
})
