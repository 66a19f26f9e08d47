/**
 * Conformance of the mbed peer (Pelion flavour) with the official Pelion SDK for Node, `mbed-cloud-sdk` 2.6.10 (a
 * devDependency): its ConnectApi, pointed at the peer with the `host` option, drives each documented operation of
 * docs/wire/mbed.md §1.2–§1.5 and the documented outcome is asserted.
 *
 * What of the SDK can be used, and what cannot:
 * - ConnectApi works against a custom host as it is: resources (device-requests with its own async ids, answered
 *   through its notification channel), subscriptions, pre-subscriptions, the webhook (callback channel) and its long
 *   poll. Its notification channel is the long poll (the SDK's CLIENT_INITIATED delivery), not the WebSocket.
 * - listConnectedDevices cannot be used: it reads the Device Directory (`GET /v3/devices`), which the spec only names
 *   as the replacement of GET /v2/endpoints (§1.2) without documenting its shape, so the peer does not serve it (it
 *   answers 404 and the SDK then fails with "Cannot read properties of null"). The endpoint list is checked with
 *   mbed-connector-api and our own client instead.
 * - The WebSocket channel is not exercised by the SDK here (its ConnectApi does not open one in this version); our own
 *   client's tests cover it (mbed-channel.test.ts).
 *
 * Where the SDK and the spec differ, the case says which it follows:
 * - An envelope whose async responses are all 5xx (a device TIMEOUT, 504) is dropped by the SDK's long poll, which
 *   polls again expecting the service to send it again (notifications.js "give a chance to 5xx errors"). The spec
 *   documents no redelivery: the service, and the peer, send each item once. So with the SDK a request to a device
 *   that times out never completes. The peer follows the spec; the 504 flow is checked with mbed-connector-api and our
 *   own client instead, and only 4xx async errors are asserted here.
 * - DELETE /v2/subscriptions: the SDK's deletePresubscriptions uses it to remove pre-subscriptions, as Pelion's
 *   swagger says; the Connector's client calls it "delete all subscriptions" (§1.4 ⚠). The Pelion flavour follows the
 *   SDK and the swagger.
 * - updateWebhook refuses to run on a ConnectApi whose notifications are client-initiated (its long poll), and such a
 *   ConnectApi cannot addResourceSubscription (that starts its long poll): the webhook case uses a second ConnectApi
 *   with `handleNotifications: true`, which the SDK documents for webhooks, subscribes with a plain PUT
 *   /v2/subscriptions/{ep}/{path} (§1.4), and hands the envelopes the receiver got to its `notify()`.
 */
import { createRequire } from 'node:module'
import { afterAll, beforeAll, describe, expect } from 'vitest'
import { conformanceSuite } from '../helpers/conformance'
import { startWireCapture } from '../helpers/wire-capture'
import { startMbedPeer, type MbedPeer } from '../peers/mbed/mbed.peer'

const require = createRequire(import.meta.url)

interface SdkError extends Error {
  /** The service's error body (HTTP errors). */
  details?: { code?: number }
  /** The async response's status (async errors). */
  code?: number
}
type Operation = (...args: unknown[]) => Promise<unknown>
interface ConnectApi {
  [operation: string]: Operation | unknown
  on(event: string, listener: (data: unknown) => void): void
  notify(data: unknown): void
}
type ConnectCtor = new (options: { apiKey: string; host: string; handleNotifications?: boolean }) => ConnectApi

const { ConnectApi: ConnectApiCtor } = require('mbed-cloud-sdk') as { ConnectApi: ConnectCtor }
const POLL = { timeout: 10_000, interval: 20 }
const KEYS = ['ak_sdk_poll', 'ak_sdk_hook']

function call(api: ConnectApi, operation: string, ...args: unknown[]): Promise<unknown> {
  return (api[operation] as Operation).apply(api, args)
}

/** The HTTP or async status the SDK reports for a failure. */
async function status(p: Promise<unknown>): Promise<number | undefined> {
  try {
    await p
  } catch (e) {
    const err = e as SdkError
    return err.details?.code ?? err.code
  }
  throw new Error('expected the SDK to report an error')
}

describe('mbed-cloud-sdk ConnectApi against the mbed peer (Pelion)', () => {
  let peer: MbedPeer
  let api: ConnectApi
  let light = ''
  let sensor = ''
  const registrations: unknown[] = []

  beforeAll(async () => {
    peer = await startMbedPeer({ flavour: 'pelion', accessKeys: KEYS, pollTimeoutMs: 500, deviceTimeoutMs: 200 })
    api = new ConnectApiCtor({ apiKey: KEYS[0] ?? '', host: peer.url })
    api.on('registration', (d) => registrations.push(d))
    light = peer.endpoints().find((e) => e.type === 'Light')?.name ?? ''
    sensor = peer.endpoints().find((e) => e.type === 'Sensor')?.name ?? ''
  })

  afterAll(async () => {
    await call(api, 'stopNotifications').catch(() => undefined)
    await peer?.close()
  })

  const suite = conformanceSuite('mbed-cloud-sdk ConnectApi → mbed peer')

  suite.case('listResources: GET /v2/endpoints/{id} → path, observable, content type', '§1.2 PY Resource.md', async () => {
    const resources = (await call(api, 'listResources', light)) as { path: string; observable: boolean; deviceId: string }[]
    expect(resources.find((r) => r.path === '/3311/0/5850')).toMatchObject({ observable: true, deviceId: light })
    expect(resources.find((r) => r.path === '/3/0/0')?.observable).toBe(false)
  })

  suite.case('startNotifications: the long-poll channel opens', '§1.5 PY NotificationsApi', async () => {
    await call(api, 'startNotifications')
    await expect.poll(() => peer.stats().byRoute['GET /v2/notification/pull'] ?? 0, POLL).toBeGreaterThanOrEqual(1)
  })

  suite.case('setResourceValue and getResourceValue: device-requests 202 with the SDK’s async id, the answer as its async item', '§1.3 JV DeviceDataRequestsApi', async () => {
    await call(api, 'setResourceValue', light, '/3311/0/5851', '17')
    const put = peer.commands().at(-1)
    expect(put).toMatchObject({ method: 'PUT', ep: light, path: '/3311/0/5851', form: 'device-request' })
    expect(put?.body.toString()).toBe('17')
    const read = (await call(api, 'getResourceValue', light, '/3311/0/5851')) as { value: unknown }
    expect(String(read.value)).toBe('17')
  })

  suite.case('executeResource: a POST without payload completes', '§1.3 JV', async () => {
    await call(api, 'executeResource', light, '/3/0/4')
    expect(peer.commands().at(-1)).toMatchObject({ method: 'POST', path: '/3/0/4', form: 'device-request' })
  })

  suite.case('an unknown device → 404 at once; an unknown resource → the device’s async 404', '§1.3, JV AsyncIDResponse', async () => {
    expect(await status(call(api, 'getResourceValue', 'no-such-device', '/3/0/0'))).toBe(404)
    expect(await status(call(api, 'getResourceValue', light, '/9999/0/1'))).toBe(404)
  })

  suite.case('addResourceSubscription: subscribed, and only then is the notification delivered to it', '§1.4, §1.6', async () => {
    const values: unknown[] = []
    peer.notify(sensor, '/3303/0/5700', 'before')
    await call(api, 'addResourceSubscription', sensor, '/3303/0/5700', (_err: unknown, value: unknown) => values.push(value))
    expect(peer.subscribed(KEYS[0] ?? '', sensor, '/3303/0/5700')).toBe(true)
    peer.notify(sensor, '/3303/0/5700', '22.5')
    await expect.poll(() => values.map(String), POLL).toEqual(['22.5'])
  })

  suite.case('getResourceSubscription, listDeviceSubscriptions, deleteResourceSubscription', '§1.4 PY SubscriptionsApi', async () => {
    expect(await call(api, 'getResourceSubscription', sensor, '/3303/0/5700')).toBe(true)
    expect(String(await call(api, 'listDeviceSubscriptions', sensor))).toBe('/3303/0/5700')
    await call(api, 'deleteResourceSubscription', sensor, '/3303/0/5700')
    expect(await call(api, 'getResourceSubscription', sensor, '/3303/0/5700')).toBe(false)
  })

  suite.case('addResourceSubscription of a resource that is not observable → 412', '§1.4 CP', async () => {
    expect(await status(call(api, 'addResourceSubscription', sensor, '/3/0/0'))).toBe(412)
  })

  suite.case('deleteDeviceSubscriptions removes every subscription of the device', '§1.4', async () => {
    await call(api, 'addResourceSubscription', light, '/3311/0/5850')
    await call(api, 'deleteDeviceSubscriptions', light)
    expect(await call(api, 'getResourceSubscription', light, '/3311/0/5850')).toBe(false)
  })

  suite.case('presubscriptions: updatePresubscriptions writes the §1.4 array, listPresubscriptions reads it, a registering device is covered', '§1.4 PY subscriptions_api', async () => {
    await call(api, 'updatePresubscriptions', [{ deviceId: 'sdk-*', resourcePaths: ['/3303/*'] }, { deviceType: 'Light' }])
    expect(await call(api, 'listPresubscriptions')).toEqual([{ deviceId: 'sdk-*', resourcePaths: ['/3303/*'] }, { deviceType: 'Light' }])
    const raw = await fetch(`${peer.url}/v2/subscriptions`, { headers: { authorization: `Bearer ${KEYS[0]}` } })
    expect(await raw.json()).toEqual([{ 'endpoint-name': 'sdk-*', 'resource-path': ['/3303/*'] }, { 'endpoint-type': 'Light' }])
    peer.register({ name: 'sdk-sensor', type: 'Sensor' })
    await expect.poll(() => registrations.length, POLL).toBeGreaterThanOrEqual(1)
    expect(peer.subscribed(KEYS[0] ?? '', 'sdk-sensor', '/3303/0/5700')).toBe(true)
  })

  suite.case('deletePresubscriptions removes the pre-subscriptions (Pelion: DELETE /v2/subscriptions, follows the SDK, §1.4 ⚠)', '§1.4 PY', async () => {
    await call(api, 'deletePresubscriptions')
    expect(await call(api, 'listPresubscriptions')).toEqual([])
  })

  suite.case('webhook: updateWebhook registers after the test PUT of {}, getWebhook reads it, envelopes arrive by PUT, deleteWebhook', '§1.5 JV NotificationsApi', async () => {
    const receiver = await startWireCapture(() => ({ status: 200 }))
    const hook = new ConnectApiCtor({ apiKey: KEYS[1] ?? '', host: peer.url, handleNotifications: true })
    const values: unknown[] = []
    try {
      await call(hook, 'updateWebhook', `${receiver.url}/pelion`, { 'x-receiver': 'fieldline' })
      expect(receiver.requests[0]?.body.toString()).toBe('{}')
      expect(receiver.requests[0]?.headers['x-receiver']).toBe('fieldline')
      expect(await call(hook, 'getWebhook')).toMatchObject({ url: `${receiver.url}/pelion`, headers: { 'x-receiver': 'fieldline' } })
      hook.on('notification', (n) => values.push(n))
      const subscribed = await fetch(`${peer.url}/v2/subscriptions/${light}/3311/0/5851`, { method: 'PUT', headers: { authorization: `Bearer ${KEYS[1]}` } })
      expect(subscribed.status).toBe(200)
      peer.notify(light, '/3311/0/5851', 'hooked')
      await expect.poll(() => receiver.requests.length, POLL).toBe(2)
      hook.notify(JSON.parse(receiver.requests[1]?.body.toString() ?? '{}'))
      expect(values).toEqual([{ id: light, path: '/3311/0/5851', payload: 'hooked' }])
      await call(hook, 'deleteWebhook')
      expect(await call(hook, 'getWebhook')).toBeNull()
    } finally {
      await receiver.close()
    }
  })
})
