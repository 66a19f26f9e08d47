import mqtt from 'mqtt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startMosquitto } from '../helpers/mosquitto'
import { tempDir, testCore } from '../helpers/core'

type TestCore = Awaited<ReturnType<typeof testCore>>
type Broker = Awaited<ReturnType<typeof startMosquitto>>

/** The IBM documentation's own example package (docs/wire/dm-packages.md §4). */
const EXAMPLE = JSON.stringify(
  {
    bundleId: 'exampleDeviceType-actions-v1',
    displayName: { en_US: 'example plugin actions' },
    version: '1.0',
    provider: 'some company',
    actions: {
      installPlugin: {
        actionDisplayName: { en_US: 'Install Plugin' },
        parameters: [
          { name: 'pluginId', value: '\\w+', required: true },
          { name: 'pluginURI', value: '((http:\\/\\/|https:\\/\\/)(.*)+)', required: true },
        ],
      },
      enablePlugin: { actionDisplayName: { en_US: 'Enable Plugin' }, parameters: [{ name: 'pluginId', value: '\\w+', required: true }] },
      disablePlugin: { actionDisplayName: { en_US: 'Disable Plugin' }, parameters: [{ name: 'pluginId', value: '\\w+', required: true }] },
      uninstallPlugin: { actionDisplayName: { en_US: 'Uninstall Plugin' }, parameters: [{ name: 'pluginId', value: '\\w+', required: true }] },
    },
  },
  null,
  2,
)

describe('custom device-management packages', () => {
  let core: TestCore
  let broker: Broker
  let device: mqtt.MqttClient
  let cleanup: () => Promise<void>
  /** How the simulated managed device answers each action: an rc, or silence. */
  const answers: Record<string, number | 'never'> = { installPlugin: 200, enablePlugin: 500, disablePlugin: 501, uninstallPlugin: 'never' }
  const received: { topic: string; body: { d: { fields: { field: string; value: string }[] }; reqId: string } }[] = []

  beforeAll(async () => {
    broker = await startMosquitto()
    const t = await tempDir()
    cleanup = t.cleanup
    core = await testCore(t.dir)
    // A gateway-managed device: receives iotdm-1/type/T/id/D/mgmt/custom/…, answers on iotdevice-1/type/T/id/D/response.
    device = await mqtt.connectAsync(broker.url, { clientId: 'g:org1:gw:gw1' })
    await device.subscribeAsync('iotdm-1/type/pump/id/p-1/mgmt/custom/#', { qos: 1 })
    device.on('message', (topic, payload) => {
      const body = JSON.parse(payload.toString()) as (typeof received)[number]['body']
      received.push({ topic, body })
      const answer = answers[topic.split('/').pop() ?? '']
      if (typeof answer === 'number') void device.publishAsync('iotdevice-1/type/pump/id/p-1/response', JSON.stringify({ rc: answer, reqId: body.reqId }), { qos: 1 })
    })
    await core.call('profiles:save', { extension: 'platform', name: 'Broker', settings: { url: broker.url, clientId: 'a:org1:fieldline' } })
    await core.call('devices:add', { typeId: 'pump', deviceId: 'p-1' })
  })
  afterAll(async () => {
    await device.endAsync()
    await core.close()
    await broker.stop()
    await cleanup()
  })

  it('refuses an invalid package with line and column, and stores nothing', async () => {
    const r = await core.dispatcher.invoke('packages:add', { text: EXAMPLE.replace('"actions"', '"actionz"') })
    expect(r).toMatchObject({ ok: false, error: { code: 'VALIDATION', details: { diagnostics: expect.arrayContaining([expect.objectContaining({ severity: 'error' })]) } } })
    expect((await core.call('packages:list', {})).items).toEqual([])
  })

  it('keeps, refuses to overwrite unless asked, replaces into the audit trail, exports and deletes', async () => {
    expect(await core.call('packages:add', { text: EXAMPLE })).toMatchObject({ bundleId: 'exampleDeviceType-actions-v1', version: '1.0', provider: 'some company', actionCount: 4 })
    const v2 = EXAMPLE.replace('"version": "1.0"', '"version": "2.0"')
    expect(await core.dispatcher.invoke('packages:add', { text: v2 })).toMatchObject({ ok: false, error: { code: 'CONFLICT', details: { ref: { key: 'dm.exists' } } } })
    expect(await core.call('packages:add', { text: v2, replace: true })).toMatchObject({ version: '2.0' })
    const [replaced] = (await core.call('audit:list', { query: 'package.replace' })).items
    expect(replaced).toMatchObject({ before: { version: '1.0', text: EXAMPLE } })
    expect((await core.call('packages:get', { bundleId: 'exampleDeviceType-actions-v1' })).text).toBe(v2)
    expect(await core.dispatcher.invoke('packages:save', { bundleId: 'exampleDeviceType-actions-v1', text: v2.replace('exampleDeviceType-actions-v1', 'other') })).toMatchObject({
      ok: false,
      error: { details: { ref: { key: 'dm.bundleIdChanged' } } },
    })
    await core.call('packages:remove', { bundleId: 'exampleDeviceType-actions-v1' })
    expect((await core.call('packages:list', {})).items).toEqual([])
    await core.call('packages:add', { text: EXAMPLE })
  })

  it('runs actions only on devices marked as supporting the bundle, with values checked before sending', async () => {
    const key = { typeId: 'pump', deviceId: 'p-1', bundleId: 'exampleDeviceType-actions-v1' }
    expect(await core.dispatcher.invoke('packages:invoke', { ...key, actionId: 'enablePlugin', parameters: { pluginId: 'p1' } })).toMatchObject({
      ok: false,
      error: { details: { ref: { key: 'dm.notSupported' } } },
    })
    expect((await core.call('devices:setSupportedBundles', { typeId: 'pump', deviceId: 'p-1', bundles: [key.bundleId] })).supportedBundles).toEqual([key.bundleId])
    const bad = await core.dispatcher.invoke('packages:invoke', { ...key, actionId: 'installPlugin', parameters: { pluginId: 'not valid!' } })
    expect(bad).toMatchObject({
      ok: false,
      error: {
        code: 'VALIDATION',
        details: {
          issues: [
            { path: 'pluginId', message: 'mismatch' },
            { path: 'pluginURI', message: 'required' },
          ],
        },
      },
    })
    expect(received).toEqual([])
  })

  it('publishes the request and reports the device rc: 200, 500, 501, or a timeout', async () => {
    const key = { typeId: 'pump', deviceId: 'p-1', bundleId: 'exampleDeviceType-actions-v1' }
    const ok = await core.call('packages:invoke', { ...key, actionId: 'installPlugin', parameters: { pluginId: 'p1', pluginURI: 'https://example.com/p1.zip' } })
    expect(ok).toMatchObject({ rc: 200, timedOut: false, topic: 'iotdm-1/type/pump/id/p-1/mgmt/custom/exampleDeviceType-actions-v1/installPlugin' })
    expect(received[0]?.body).toEqual({
      d: {
        fields: [
          { field: 'pluginId', value: 'p1' },
          { field: 'pluginURI', value: 'https://example.com/p1.zip' },
        ],
      },
      reqId: ok.reqId,
    })
    expect(await core.call('packages:invoke', { ...key, actionId: 'enablePlugin', parameters: { pluginId: 'p1' } })).toMatchObject({ rc: 500 })
    expect(await core.call('packages:invoke', { ...key, actionId: 'disablePlugin', parameters: { pluginId: 'p1' } })).toMatchObject({ rc: 501 })
    expect(await core.call('packages:invoke', { ...key, actionId: 'uninstallPlugin', parameters: { pluginId: 'p1' }, timeoutSeconds: 1 })).toMatchObject({ rc: null, timedOut: true })
    const invocations = (await core.call('audit:list', { query: 'package.invoke' })).items
    // Newest first; requests refused before sending never reached a device and are not invocations.
    expect(invocations.map((e) => e.outcome)).toEqual(['failed', 'failed', 'failed', 'ok'])
  })
})
