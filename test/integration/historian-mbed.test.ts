/**
 * The historian's second source: the mbed bridge running in the same core hands each device event over as it queues
 * it for the broker. Real parts: the mbed peer (strict subscriptions), mosquitto for the bridge's link, the CouchDB
 * peer. The events reach CouchDB even while the broker the bridge publishes to is down.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startCouchPeer, type CouchPeer } from '../peers/couchdb/couchdb.peer'
import { startMbedPeer, type MbedPeer } from '../peers/mbed/mbed.peer'
import { tempDir, testCore } from '../helpers/core'
import { FAST, POLL } from '../helpers/historian'
import { mosquittoSkipReason, startMosquitto, type Mosquitto } from '../helpers/mosquitto'

const skip = mosquittoSkipReason()

describe.skipIf(skip)('historian ← mbed bridge', () => {
  let broker: Mosquitto
  let mbed: MbedPeer
  let couch: CouchPeer
  let core: Awaited<ReturnType<typeof testCore>>
  let cleanup: () => Promise<void>

  beforeAll(async () => {
    broker = await startMosquitto()
    mbed = await startMbedPeer({ pollTimeoutMs: 300 })
    couch = await startCouchPeer()
    const t = await tempDir()
    cleanup = t.cleanup
    core = await testCore(t.dir, { historianTuning: FAST })
  })
  afterAll(async () => {
    await core?.close()
    await couch?.close()
    await mbed?.close()
    await broker?.stop()
    await cleanup?.()
  })

  it("stores the bridge's notify events, also while the broker it publishes to is down", async () => {
    await core.call('profiles:save', { extension: 'platform', name: 'Broker', settings: { url: broker.url, clientId: 'a:mbedorg:bridge' } })
    await core.call('profiles:save', { extension: 'mbed', name: 'Peer', settings: { apiUrl: mbed.url, queueSize: 1000 }, secrets: { accessKey: 'ak_test_key' } })
    const c = await core.call('profiles:save', { extension: 'couchdb', name: 'C', settings: { url: couch.url, iamUrl: couch.iamUrl, dbName: 'mbed' }, secrets: { apiKey: 'iam-test-key' } })
    const h = await core.call('profiles:save', { extension: 'historian', name: 'From mbed', settings: { mqtt: false, mbed: true, rules: [{ eventId: 'notify', destinations: [`couchdb/${c.id}`] }] } })
    await core.call('mbed:start', {})
    await expect.poll(async () => (await core.call('mbed:status', {})).status.state, POLL).toBe('running')
    expect(await core.call('historian:start', { profileId: h.id })).toMatchObject({ state: 'running', mbed: 'on', mqtt: { state: 'off' } })

    const ep = mbed.endpoints()[0]!
    await expect.poll(() => mbed.subscribed('ak_test_key', ep.name, '/3/0/13'), POLL).toBe(true)
    mbed.notify(ep.name, '/3/0/13', 'first')
    await expect.poll(async () => (await core.call('historian:status', {})).destinations[0]?.delivered, POLL).toBe(1)

    await broker.kill()
    mbed.notify(ep.name, '/3/0/13', 'while-the-broker-is-down')
    await expect.poll(async () => (await core.call('historian:status', {})).destinations[0]?.delivered, POLL).toBe(2)
    const dbs = (await couch.databases()).filter((d) => /^iotp_mbedorg_mbed_\d/.test(d))
    const docs = (await Promise.all(dbs.map((d) => couch.docs(d)))).flat()
    const payloads = docs.map((d) => Buffer.from((d.data as { payload: string }).payload, 'base64').toString()).sort()
    expect(payloads).toEqual(['first', 'while-the-broker-is-down'])
    expect(docs[0]).toMatchObject({ typeId: ep.type, deviceId: ep.name, eventType: 'notify', format: 'json', data: { ep: ep.name, path: '/3/0/13' } })
    await broker.start()
    await core.call('historian:stop', {})
    await core.call('mbed:stop', {})
  })
})
