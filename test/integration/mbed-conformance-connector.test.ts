/**
 * Conformance of the mbed peer (Connector flavour) with ARM's official Node client for mbed Device Connector v2,
 * `mbed-connector-api` 3.0.0 (a devDependency; it uses `request`): the client nobody on this project wrote drives the
 * peer through each documented operation (docs/wire/mbed.md §1.1–§1.7) and the documented outcome is asserted.
 *
 * Running it on our Node: the client (2016) calls `util.isString`, which Node 23 removed. This file puts back exactly
 * that function (`typeof value === 'string'`, its documented behaviour) before loading the client; nothing else of the
 * client is changed.
 *
 * Where the client and the spec differ, the case says which it follows:
 * - Resource PUT/POST: the spec's example sends `content-type: text/plain`; the client sends no content type. The peer
 *   accepts both (the client worked against the real service), and the device receives the bytes either way.
 * - DELETE /v2/endpoints/{ep}: the spec says "may be async/202"; the client's own tests answer 200, or 202 with an
 *   async-response-id followed by an async-responses item. The peer answers 202 + id + item, which the client completes.
 * - DELETE /v2/subscriptions: the client calls it "delete all subscriptions", Pelion's swagger "remove
 *   pre-subscriptions" (§1.4 ⚠). The Connector flavour follows the client (it is the Connector's own client).
 */
import { createRequire } from 'node:module'
import { afterAll, beforeAll, describe, expect } from 'vitest'
import { conformanceSuite } from '../helpers/conformance'
import { startWireCapture } from '../helpers/wire-capture'
import { startMbedPeer, type MbedPeer } from '../peers/mbed/mbed.peer'

const require = createRequire(import.meta.url)
// The one Node API the client needs that Node 23 removed (see the header).
;(require('node:util') as { isString?: (v: unknown) => boolean }).isString = (v: unknown): boolean => typeof v === 'string'

interface ClientError extends Error {
  status: number | string
}
/** The operations used here; each returns a promise when called without a callback (mbed-connector-api.js). */
type Operation = (...args: unknown[]) => Promise<unknown>
type ConnectorApi = Record<
  | 'deleteAllSubscriptions'
  | 'deleteCallback'
  | 'deleteEndpoint'
  | 'deleteEndpointSubscriptions'
  | 'deleteResourceSubscription'
  | 'getApiVersions'
  | 'getCallback'
  | 'getEndpointSubscriptions'
  | 'getEndpoints'
  | 'getLimits'
  | 'getPreSubscription'
  | 'getResourceSubscription'
  | 'getResourceValue'
  | 'getResources'
  | 'postResource'
  | 'putCallback'
  | 'putPreSubscription'
  | 'putResourceSubscription'
  | 'putResourceValue',
  Operation
>
type ConnectorCtor = new (options: { accessKey: string; host: string }) => ConnectorApi & {
  startLongPolling(cb: (e?: unknown) => void): void
  stopLongPolling(): void
  on(event: string, listener: (data: unknown) => void): void
}

const MbedConnectorApi = require('mbed-connector-api') as ConnectorCtor
const POLL = { timeout: 10_000, interval: 20 }
const KEYS = ['ak_conformance_poll', 'ak_conformance_hook', 'ak_conformance_bad_hook']

async function status(p: Promise<unknown>): Promise<number | string> {
  try {
    await p
  } catch (e) {
    return (e as ClientError).status
  }
  throw new Error('expected the client to report an error')
}

describe('mbed-connector-api against the mbed peer (Connector)', () => {
  let peer: MbedPeer
  let api: InstanceType<ConnectorCtor>
  const events: { name: string; data: unknown }[] = []
  const of = (name: string) => events.filter((e) => e.name === name).map((e) => e.data)
  let light = ''
  let sensor = ''

  beforeAll(async () => {
    peer = await startMbedPeer({
      accessKeys: KEYS,
      pollTimeoutMs: 500,
      deviceTimeoutMs: 200,
    })
    api = new MbedConnectorApi({ accessKey: KEYS[0] ?? '', host: peer.url })
    for (const name of ['notification', 'registration', 'reg-update', 'de-registration', 'registration-expired']) api.on(name, (data) => events.push({ name, data }))
    light = peer.endpoints().find((e) => e.type === 'Light')?.name ?? ''
    sensor = peer.endpoints().find((e) => e.type === 'Sensor')?.name ?? ''
  })

  afterAll(async () => {
    api?.stopLongPolling()
    await peer?.close()
  })

  const suite = conformanceSuite('mbed-connector-api → mbed peer')

  suite.case('getApiVersions: GET /rest-versions → ["v1","v2"]', '§1.1 CN general.js', async () => {
    expect(await api.getApiVersions()).toEqual(['v1', 'v2'])
  })

  suite.case('getLimits: GET /v2/limits → quotas and counts', '§1.7 CN general.js', async () => {
    expect(await api.getLimits()).toEqual({
      'transaction-quota': expect.any(Number),
      'transaction-count': expect.any(Number),
      'endpoint-quota': expect.any(Number),
      'endpoint-count': 4,
    })
  })

  suite.case('getEndpoints: every endpoint {name, type, status: ACTIVE, q}; ?type= filters', '§1.2 CN endpoints.js', async () => {
    const all = (await api.getEndpoints()) as {
      name: string
      type: string
      status: string
      q: boolean
    }[]
    expect(all).toHaveLength(4)
    expect(all.every((e) => e.status === 'ACTIVE' && typeof e.q === 'boolean')).toBe(true)
    const lights = (await api.getEndpoints({
      parameters: { type: 'Light' },
    })) as { type: string }[]
    expect(lights.map((e) => e.type)).toEqual(['Light', 'Light'])
  })

  suite.case('getResources: [{uri, obs, type, rt?}]; an unknown endpoint → 404', '§1.2 CN endpoints.js, CP', async () => {
    const resources = (await api.getResources(light)) as {
      uri: string
      obs: boolean
      type: string
    }[]
    expect(resources.find((r) => r.uri === '/3311/0/5850')).toMatchObject({
      obs: true,
      type: 'text/plain',
      rt: 'urn:oma:lwm2m:ext:3311',
    })
    expect(await status(api.getResources('no-such-endpoint'))).toBe(404)
  })

  suite.case('startLongPolling: the first poll (noWait) opens the channel', '§1.5 CN notifications.js', async () => {
    await new Promise<void>((resolve, reject) => api.startLongPolling((e?: unknown) => (e ? reject(e as Error) : resolve())))
    await expect.poll(() => peer.stats().byRoute['GET /v2/notification/pull'] ?? 0, POLL).toBeGreaterThanOrEqual(2)
  })

  suite.case('putResourceValue: 202 + async-response-id, completed by the async-responses item', '§1.3, §1.6 CN endpoints.js', async () => {
    await api.putResourceValue(light, '/3311/0/5851', '42')
    const put = peer.commands().at(-1)
    expect(put).toMatchObject({
      method: 'PUT',
      ep: light,
      path: '/3311/0/5851',
      form: 'resource',
    })
    expect(put?.body.toString()).toBe('42')
  })

  suite.case('getResourceValue: the device’s value through the async flow', '§1.3 CN endpoints.js', async () => {
    expect(await api.getResourceValue(light, '/3311/0/5851')).toBe('42')
  })

  suite.case('postResource: an execute without payload completes', '§1.3 CN endpoints.js', async () => {
    await api.postResource(light, '/3/0/4', null)
    expect(peer.commands().at(-1)).toMatchObject({
      method: 'POST',
      path: '/3/0/4',
    })
    expect(peer.commands().at(-1)?.body.length).toBe(0)
  })

  suite.case('resource errors: unknown resource 404, unknown endpoint 410, a device timeout 504 as the async status', '§1.3 CP connectorError.py, JV AsyncIDResponse', async () => {
    expect(await status(api.getResourceValue(light, '/9999/0/1'))).toBe(404)
    expect(await status(api.getResourceValue('no-such-endpoint', '/3/0/0'))).toBe(410)
    peer.setCommandBehaviour(() => 'no-response')
    try {
      expect(await status(api.getResourceValue(light, '/3/0/0'))).toBe(504)
    } finally {
      peer.setCommandBehaviour(null)
    }
  })

  suite.case('a notification for a resource nobody subscribed to is not delivered; after putResourceSubscription it is', '§1.4, §1.6 CN subscriptions.js', async () => {
    peer.notify(sensor, '/3303/0/5700', 'unsubscribed')
    await api.putResourceSubscription(sensor, '/3303/0/5700')
    peer.notify(sensor, '/3303/0/5700', '21.5')
    await expect
      .poll(() => of('notification'), POLL)
      .toEqual([
        {
          ep: sensor,
          path: '/3303/0/5700',
          ct: 'text/plain',
          payload: '21.5',
          'max-age': 0,
        },
      ])
  })

  suite.case('getResourceSubscription true / false and getEndpointSubscriptions (text/uri-list)', '§1.4 CN subscriptions.js', async () => {
    expect(await api.getResourceSubscription(sensor, '/3303/0/5700')).toBe(true)
    expect(await api.getResourceSubscription(sensor, '/3200/0/5501')).toBe(false)
    expect(await api.getEndpointSubscriptions(sensor)).toEqual(['/3303/0/5700'])
    expect(await api.getEndpointSubscriptions(light)).toEqual([])
  })

  suite.case('putResourceSubscription: 412 for a resource that is not observable, 404 for one that does not exist', '§1.4 CP connectorError.py', async () => {
    expect(await status(api.putResourceSubscription(sensor, '/3/0/0'))).toBe(412)
    expect(await status(api.putResourceSubscription(sensor, '/9/9/9'))).toBe(404)
    expect(await status(api.putResourceSubscription('no-such-endpoint', '/3/0/13'))).toBe(404)
  })

  suite.case('a full re-registration drops the manual subscriptions (a registration event); a reg-update keeps them', '§1.4 PY SubscriptionsApi, §1.6', async () => {
    await api.putResourceSubscription(light, '/3311/0/5850')
    peer.register({ name: light, type: 'Light' })
    await expect.poll(() => of('reg-update').length, POLL).toBe(1)
    expect(await api.getResourceSubscription(light, '/3311/0/5850')).toBe(true)
    peer.reregister(light)
    await expect.poll(() => of('registration').map((r) => (r as { ep: string }).ep), POLL).toContain(light)
    expect(await api.getResourceSubscription(light, '/3311/0/5850')).toBe(false)
  })

  suite.case('deleteResourceSubscription and deleteEndpointSubscriptions', '§1.4 CN subscriptions.js', async () => {
    await api.putResourceSubscription(sensor, '/3200/0/5501')
    await api.deleteResourceSubscription(sensor, '/3200/0/5501')
    expect(await api.getResourceSubscription(sensor, '/3200/0/5501')).toBe(false)
    await api.deleteEndpointSubscriptions(sensor)
    expect(await api.getEndpointSubscriptions(sensor)).toEqual([])
  })

  suite.case('pre-subscriptions: put, get back, applied when a matching endpoint registers; limits refused with 400', '§1.4 PY subscriptions_api, CN subscriptions.js', async () => {
    const rules = [{ 'endpoint-name': 'conf-*', 'resource-path': ['/3303/*'] }]
    await api.putPreSubscription(rules)
    expect(await api.getPreSubscription()).toEqual(rules)
    peer.register({ name: 'conf-thermo', type: 'Sensor' })
    await expect.poll(() => of('registration').map((r) => (r as { ep: string }).ep), POLL).toContain('conf-thermo')
    peer.notify('conf-thermo', '/3303/0/5700', 'pre-subscribed')
    await expect.poll(() => of('notification').map((n) => (n as { payload: string }).payload), POLL).toContain('pre-subscribed')
    expect(await status(api.putPreSubscription([{ 'endpoint-name': 'x'.repeat(65) }]))).toBe(400)
    expect(await status(api.putPreSubscription(Array.from({ length: 1025 }, () => ({ 'endpoint-type': 'Light' }))))).toBe(400)
  })

  suite.case('pre-subscriptions survive a full re-registration', '§1.4 PY SubscriptionsApi', async () => {
    peer.reregister('conf-thermo')
    peer.notify('conf-thermo', '/3303/0/5700', 'still pre-subscribed')
    await expect.poll(() => of('notification').map((n) => (n as { payload: string }).payload), POLL).toContain('still pre-subscribed')
  })

  suite.case('deleteAllSubscriptions (Connector: every subscription goes; follows the client, §1.4 ⚠)', '§1.4 CN subscriptions.js', async () => {
    await api.putResourceSubscription(sensor, '/3303/0/5700')
    await api.deleteAllSubscriptions()
    expect(await api.getResourceSubscription(sensor, '/3303/0/5700')).toBe(false)
    expect(await api.getResourceSubscription('conf-thermo', '/3303/0/5700')).toBe(false)
  })

  suite.case('de-registration and registration-expired events', '§1.6 CN notifications.js', async () => {
    peer.deregister('conf-thermo')
    peer.register({ name: 'conf-expiring', type: 'Sensor' })
    peer.expire('conf-expiring')
    await expect.poll(() => [of('de-registration'), of('registration-expired')], POLL).toEqual([['conf-thermo'], ['conf-expiring']])
  })

  suite.case('deleteEndpoint: 202 + async-response-id, completed by its async item; the endpoint is gone', '§1.2, CN test/endpoints.js', async () => {
    peer.register({ name: 'conf-doomed', type: 'Light' })
    await api.deleteEndpoint('conf-doomed')
    expect(await status(api.getResources('conf-doomed'))).toBe(404)
    await expect.poll(() => of('de-registration'), POLL).toContain('conf-doomed')
  })

  suite.case('a key the service does not know → 401', '§1.1', async () => {
    const stranger = new MbedConnectorApi({
      accessKey: 'ak_nobody',
      host: peer.url,
    })
    expect(await status(stranger.getEndpoints())).toBe(401)
  })

  suite.case('callback channel: putCallback tests the URL with {} and registers it; getCallback; notifications arrive as PUTs; deleteCallback', '§1.5 CN notifications.js, JV', async () => {
    const receiver = await startWireCapture(() => ({ status: 204 }))
    const hook = new MbedConnectorApi({
      accessKey: KEYS[1] ?? '',
      host: peer.url,
    })
    try {
      await hook.putCallback({
        url: `${receiver.url}/mbed`,
        headers: { authorization: 'Bearer receiver' },
      })
      expect(receiver.requests[0]).toMatchObject({
        method: 'PUT',
        path: '/mbed',
      })
      expect(receiver.requests[0]?.body.toString()).toBe('{}')
      expect(await hook.getCallback()).toEqual({
        url: `${receiver.url}/mbed`,
        headers: { authorization: 'Bearer receiver' },
      })
      await hook.putResourceSubscription(light, '/3311/0/5850')
      peer.notify(light, '/3311/0/5850', 'by callback')
      await expect.poll(() => receiver.requests.length, POLL).toBe(2)
      expect(receiver.requests[1]?.headers.authorization).toBe('Bearer receiver')
      expect(JSON.parse(receiver.requests[1]?.body.toString() ?? '')).toEqual({
        notifications: [
          {
            ep: light,
            path: '/3311/0/5850',
            ct: 'text/plain',
            payload: Buffer.from('by callback').toString('base64'),
            'max-age': 0,
          },
        ],
      })
      await hook.deleteCallback()
      expect(await status(hook.getCallback())).toBe(404)
    } finally {
      await receiver.close()
    }
  })

  suite.case('putCallback with a URL that does not answer 200/204 → 400 (URL not accessible)', '§1.5 CN test, JV', async () => {
    const receiver = await startWireCapture(() => ({ status: 500 }))
    const hook = new MbedConnectorApi({
      accessKey: KEYS[2] ?? '',
      host: peer.url,
    })
    try {
      expect(await status(hook.putCallback({ url: `${receiver.url}/broken` }))).toBe(400)
      expect(await status(hook.getCallback())).toBe(404)
    } finally {
      await receiver.close()
    }
  })
})
