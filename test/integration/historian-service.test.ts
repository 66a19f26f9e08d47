/**
 * The historian through the core's channels, as the UI and the CLI use it: destination and forwarder profiles (their
 * rules, translated refusals, secrets only as "is set"), start / pause / resume / stop with an audit entry each, the
 * status event, the device history, bucket listing and confirmed deletion (audited), strict inputs with limits, and
 * the refusals of a forwarder that cannot work (a missing destination, the mbed bridge's events twice).
 */
import { connectAsync } from 'mqtt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { EventName } from '../../src-shared/contract'
import { startCouchPeer, type CouchPeer } from '../peers/couchdb/couchdb.peer'
import { tempDir, testCore } from '../helpers/core'
import { FAST, POLL } from '../helpers/historian'
import { mosquittoSkipReason, startMosquitto, type Mosquitto } from '../helpers/mosquitto'

type TestCore = Awaited<ReturnType<typeof testCore>>
const skip = mosquittoSkipReason()

describe.skipIf(skip)('historian channels', () => {
  let core: TestCore
  let broker: Mosquitto
  let couch: CouchPeer
  let cleanup: () => Promise<void>
  let dataDir: string
  const events: { name: EventName; payload: unknown }[] = []

  beforeAll(async () => {
    broker = await startMosquitto({ maxQueuedMessages: 0 })
    couch = await startCouchPeer({ apiKeys: { 'iam-service-key': 'manager' } })
    const t = await tempDir()
    cleanup = t.cleanup
    dataDir = t.dir
    core = await testCore(t.dir, { historianTuning: FAST })
    core.bus.subscribe((name, payload) => events.push({ name, payload }))
  })
  afterAll(async () => {
    await core?.close()
    await couch?.close()
    await broker?.stop()
    await cleanup?.()
  })

  const refusal = async (channel: Parameters<TestCore['dispatcher']['invoke']>[0], input: unknown): Promise<{ code: string; key?: string }> => {
    const r = await core.dispatcher.invoke(channel, input as never)
    if (r.ok) throw new Error(`${channel} was accepted`)
    return { code: r.error.code, ...(r.error.details?.ref?.key ? { key: r.error.details.ref.key } : {}) }
  }

  const couchSettings = () => ({ url: couch.url, iamUrl: couch.iamUrl, dbName: 'svc', timeZone: 'Europe/Paris', queueSize: 10_000 })

  it('refuses destination and forwarder profiles that cannot work, with a translated reason, and stores nothing', async () => {
    expect(await refusal('profiles:save', { extension: 'couchdb', name: 'C', settings: couchSettings() })).toEqual({ code: 'VALIDATION', key: 'historian.apiKeyRequired' })
    expect(await refusal('profiles:save', { extension: 'couchdb', name: 'C', settings: { ...couchSettings(), timeZone: 'Mars/Olympus' }, secrets: { apiKey: 'k' } })).toEqual({
      code: 'VALIDATION',
      key: 'historian.unknownTimeZone',
    })
    expect(await refusal('profiles:save', { extension: 'couchdb', name: 'C', settings: { ...couchSettings(), url: 'http://cloudant.example.com' }, secrets: { apiKey: 'k' } })).toEqual({
      code: 'VALIDATION',
      key: 'errors.insecureUrl',
    })
    expect((await refusal('profiles:save', { extension: 'couchdb', name: 'C', settings: { ...couchSettings(), dbName: 'Bad Name' }, secrets: { apiKey: 'k' } })).code).toBe('VALIDATION')
    expect((await refusal('profiles:save', { extension: 'couchdb', name: 'C', settings: { ...couchSettings(), extra: 1 }, secrets: { apiKey: 'k' } })).code).toBe('VALIDATION')
    expect(await refusal('profiles:save', { extension: 'kafka', name: 'K', settings: { brokers: ['kafka.example.com:9092'], security: 'plaintext', topic: 't' } })).toEqual({
      code: 'VALIDATION',
      key: 'historian.plaintextRemote',
    })
    expect(await refusal('profiles:save', { extension: 'kafka', name: 'K', settings: { brokers: ['kafka.example.com'], topic: 't' }, secrets: { password: 'p' } })).toEqual({
      code: 'VALIDATION',
      key: 'historian.invalidBroker',
    })
    expect(
      await refusal('profiles:save', { extension: 'kafka', name: 'K', settings: { transport: 'confluent-rest', restUrl: 'https://rest.example.com', topic: 't' }, secrets: { password: 'p' } }),
    ).toEqual({ code: 'VALIDATION', key: 'historian.clusterIdRequired' })
    expect(await refusal('profiles:save', { extension: 'historian', name: 'H', settings: { shareGroup: 'g', rules: [{ destinations: ['couchdb/x'] }] } })).toEqual({
      code: 'VALIDATION',
      key: 'historian.shareNeedsMqtt5',
    })
    expect((await refusal('profiles:save', { extension: 'historian', name: 'H', settings: { rules: [] } })).code).toBe('VALIDATION')
    expect((await refusal('profiles:save', { extension: 'historian', name: 'H', settings: { rules: [{ deviceType: 'a/b', destinations: ['couchdb/x'] }] } })).code).toBe('VALIDATION')
    expect((await core.call('profiles:list', {})).items.filter((p) => ['couchdb', 'kafka', 'historian'].includes(p.extension))).toEqual([])
  })

  it('runs a forwarder from profiles: start, status events, pause, resume, history, buckets, stop — every change audited', async () => {
    await core.call('profiles:save', { extension: 'platform', name: 'Broker', settings: { url: broker.url, clientId: 'a:svcorg:console' } })
    const c = await core.call('profiles:save', { extension: 'couchdb', name: 'Cloudant', settings: couchSettings(), secrets: { apiKey: 'iam-service-key' } })
    expect(c).toMatchObject({ extension: 'couchdb', secrets: { apiKey: true, password: false } })
    expect(JSON.stringify(await core.call('profiles:list', { extension: 'couchdb' }))).not.toContain('iam-service-key')
    expect(await core.call('profiles:verify', { extension: 'couchdb', id: c.id })).toMatchObject({ ok: true, detail: expect.stringContaining('signed in') })
    const h = await core.call('profiles:save', {
      extension: 'historian',
      name: 'Plant',
      settings: { mqttVersion: 5, instanceId: 'svc', rules: [{ deviceType: 'sensor*', eventId: '*', destinations: [`couchdb/${c.id}`] }] },
    })
    expect(await core.call('profiles:verify', { extension: 'historian', id: h.id })).toMatchObject({ detail: expect.stringContaining('1 destination(s), 1 rule(s)') })

    const started = await core.call('historian:start', { profileId: h.id })
    expect(started).toMatchObject({ state: 'running', profileId: h.id, mqtt: { filter: 'iot-2/type/+/id/+/evt/+/fmt/+' } })
    await expect.poll(() => core.historian.status().mqtt.state, POLL).toBe('connected')
    const pub = await connectAsync(broker.url, { clientId: 'svc-pub' })
    try {
      for (let n = 0; n < 5; n++) await pub.publishAsync(`iot-2/type/sensor1/id/s1/evt/temp/fmt/json`, JSON.stringify({ n, t: 20 + n }), { qos: 1 })
      await pub.publishAsync('iot-2/type/pump/id/p1/evt/temp/fmt/json', '{"n":99}', { qos: 1 })
      await expect.poll(async () => (await core.call('historian:status', {})).destinations[0]?.delivered, POLL).toBe(5)
      expect((await core.call('historian:status', {})).unmatched).toBe(1)
      // An event id the platform does not allow: not stored, but counted, with its topic.
      await pub.publishAsync('iot-2/type/sensor1/id/s1/evt/=2-5/fmt/json', '{}', { qos: 1 })
      await expect.poll(async () => (await core.call('historian:status', {})).unreadableTopics, POLL).toBe(1)
      expect(core.historian.status().lastUnreadableTopic).toBe('iot-2/type/sensor1/id/s1/evt/=2-5/fmt/json')
      expect(events.some((e) => e.name === 'historian:status')).toBe(true)

      const ref = `couchdb/${c.id}`
      expect(await core.call('historian:pause', { destination: ref })).toMatchObject({ state: 'paused' })
      await pub.publishAsync('iot-2/type/sensor1/id/s1/evt/temp/fmt/json', JSON.stringify({ n: 5 }), { qos: 1 })
      await expect.poll(async () => (await core.call('historian:status', {})).destinations[0]?.queued, POLL).toBe(1)
      expect(await core.call('historian:resume', { destination: ref })).toMatchObject({ state: 'idle' })
      await expect.poll(async () => (await core.call('historian:status', {})).destinations[0]?.delivered, POLL).toBe(6)
    } finally {
      await pub.endAsync()
    }

    const from = new Date(Date.now() - 60_000).toISOString()
    const to = new Date(Date.now() + 60_000).toISOString()
    const page = await core.call('historian:history', { typeId: 'sensor1', deviceId: 's1', from, to, limit: 4 })
    expect(page.items.map((i) => (i.data as { n: number }).n)).toEqual([0, 1, 2, 3])
    expect(page.next).not.toBeNull()
    const rest = await core.call('historian:history', { typeId: 'sensor1', deviceId: 's1', from, to, cursor: page.next!, limit: 4 })
    expect(rest.items.map((i) => (i.data as { n: number }).n)).toEqual([4, 5])
    expect(rest.items[0]?.timestamp).toMatch(/\+0[12]:00$/)

    const buckets = await core.call('historian:buckets', { destination: c.id })
    expect(buckets.databases.length).toBe(2)
    expect(buckets.expired).toEqual([])
    const del = await core.call('historian:deleteBuckets', { destination: c.id, databases: [buckets.databases[0]!.name] })
    expect(del.deleted).toEqual([])
    expect(del.refused[0]?.reason.details?.ref?.key).toBe('historian.notExpired')

    const stopped = await core.call('historian:stop', {})
    expect(stopped).toMatchObject({ status: { state: 'stopped' }, queued: 0 })
    const actions = (await core.call('audit:list', { query: 'historian.', limit: 50 })).items.map((e) => `${e.action}:${e.outcome}`)
    expect(actions).toEqual(['historian.forwarder.stop:ok', 'historian.buckets.delete:failed', 'historian.destination.resume:ok', 'historian.destination.pause:ok', 'historian.forwarder.start:ok'])
  })

  it('refuses bad inputs by name and with limits; nothing changes', async () => {
    expect((await refusal('historian:pause', { destination: 'couchdb/x', extra: true })).code).toBe('VALIDATION')
    expect((await refusal('historian:pause', { destination: 'mongo/x' })).code).toBe('VALIDATION')
    expect(await refusal('historian:pause', { destination: 'couchdb/x' })).toEqual({ code: 'VALIDATION', key: 'historian.notRunning' })
    const window = { typeId: 't', deviceId: 'd', from: '2024-01-02T00:00:00Z', to: '2024-01-01T00:00:00Z' }
    expect(await refusal('historian:history', window)).toEqual({ code: 'VALIDATION', key: 'historian.rangeReversed' })
    expect((await refusal('historian:history', { ...window, from: '2024-01-01', to: '2024-01-02T00:00:00Z' })).code).toBe('VALIDATION')
    expect((await refusal('historian:history', { ...window, to: '2024-01-03T00:00:00Z', limit: 5000 })).code).toBe('VALIDATION')
    expect((await refusal('historian:history', { ...window, to: '2024-01-03T00:00:00Z', typeId: 'a:b' })).code).toBe('VALIDATION')
    expect(await refusal('historian:history', { ...window, to: '2024-01-03T00:00:00Z', cursor: 'not-a-cursor' })).toEqual({ code: 'VALIDATION', key: 'historian.badCursor' })
    expect((await refusal('historian:deleteBuckets', { destination: 'x', databases: ['Not_A_DB'] })).code).toBe('VALIDATION')
    expect((await refusal('historian:deleteBuckets', { destination: 'x', databases: [] })).code).toBe('VALIDATION')
  })

  it("refuses to start a forwarder whose rule names a missing destination, or that would take the mbed bridge's events twice (audited)", async () => {
    const missing = await core.call('profiles:save', { extension: 'historian', name: 'Missing', settings: { rules: [{ destinations: ['kafka/nowhere'] }] } })
    expect(await refusal('historian:start', { profileId: missing.id })).toEqual({ code: 'NOT_FOUND', key: 'profiles.notFound' })
    const platform = (await core.call('profiles:list', { extension: 'platform' })).items[0]!
    await core.call('profiles:save', { extension: 'mbed', name: 'Mbed', settings: { apiUrl: 'https://api.connector.mbed.com', platformProfile: platform.id }, secrets: { accessKey: 'ak_x' } })
    const couchId = (await core.call('profiles:list', { extension: 'couchdb' })).items[0]!.id
    const twice = await core.call('profiles:save', { extension: 'historian', name: 'Twice', settings: { mbed: true, mqtt: true, rules: [{ destinations: [`couchdb/${couchId}`] }] } })
    expect(await refusal('historian:start', { profileId: twice.id })).toEqual({ code: 'VALIDATION', key: 'historian.duplicateSources' })
    const audit = (await core.call('audit:list', { query: 'historian.forwarder.start', limit: 2 })).items
    expect(audit.map((e) => e.outcome)).toEqual(['failed', 'failed'])
    expect(core.historian.status().state).toBe('stopped')
  })

  it('stopped, the status still says what each destination keeps queued on disk for the next start, after a restart too', async () => {
    const couch = (await core.call('profiles:list', { extension: 'couchdb' })).items[0]!
    const ref = `couchdb/${couch.id}` as const
    const h = await core.call('profiles:save', { extension: 'historian', name: 'Later', settings: { mqttVersion: 5, instanceId: 'later', rules: [{ deviceType: 'sensor*', destinations: [ref] }] } })
    await core.call('historian:start', { profileId: h.id })
    await expect.poll(() => core.historian.status().mqtt.state, POLL).toBe('connected')
    await core.call('historian:pause', { destination: ref })
    const pub = await connectAsync(broker.url, { clientId: 'svc-pub-later' })
    try {
      for (let n = 0; n < 3; n++) await pub.publishAsync('iot-2/type/sensor1/id/s9/evt/temp/fmt/json', JSON.stringify({ n }), { qos: 1 })
    } finally {
      await pub.endAsync()
    }
    await expect.poll(async () => (await core.call('historian:status', {})).destinations[0]?.queued, POLL).toBe(3)

    const stopped = await core.call('historian:stop', {})
    expect(stopped.queued).toBe(3)
    const left = { ref, name: couch.name, state: 'stopped', queued: 3, oldestQueuedAt: expect.any(String) }
    expect(stopped.status).toMatchObject({ state: 'stopped', destinations: [left] })
    expect(await core.call('historian:status', {})).toMatchObject({ state: 'stopped', profileId: h.id, destinations: [left] })

    // The app closed and opened again: the forwarder's status file says what waits, without taking the queue over.
    await core.close()
    core = await testCore(dataDir, { historianTuning: FAST })
    expect(await core.call('historian:status', {})).toMatchObject({ state: 'stopped', profileId: h.id, mqtt: { state: 'off' }, destinations: [{ ...left, eventsPerSecond: 0 }] })
  })

  it('resume retries with the destination profile as saved now: a corrected API key gets through without a restart', async () => {
    const saved = { extension: 'couchdb' as const, name: 'Wrong key', settings: { ...couchSettings(), dbName: 'fixed' } }
    const c = await core.call('profiles:save', { ...saved, secrets: { apiKey: 'not-the-key' } })
    const ref = `couchdb/${c.id}` as const
    const h = await core.call('profiles:save', { extension: 'historian', name: 'Fix', settings: { mqttVersion: 5, instanceId: 'fix', rules: [{ deviceType: 'fix*', destinations: [ref] }] } })
    await core.call('historian:start', { profileId: h.id })
    await expect.poll(() => core.historian.status().destinations[0]?.state, POLL).toBe('failed')
    expect(core.historian.status().destinations[0]?.reason?.code).toBe('AUTH_FAILED')
    await expect.poll(() => core.historian.status().mqtt.state, POLL).toBe('connected')
    const pub = await connectAsync(broker.url, { clientId: 'svc-pub-fix' })
    try {
      for (let n = 0; n < 2; n++) await pub.publishAsync('iot-2/type/fix1/id/f1/evt/temp/fmt/json', JSON.stringify({ n }), { qos: 1 })
    } finally {
      await pub.endAsync()
    }
    await expect.poll(async () => (await core.call('historian:status', {})).destinations[0]?.queued, POLL).toBe(2)

    // The operator corrects the key in the profile and presses Resume: no Stop and Start needed.
    await core.call('profiles:save', { ...saved, id: c.id, name: 'Right key', secrets: { apiKey: 'iam-service-key' } })
    await core.call('historian:resume', { destination: ref })
    await expect.poll(async () => (await core.call('historian:status', {})).destinations[0]?.delivered, POLL).toBe(2)
    expect(core.historian.status().destinations[0]).toMatchObject({ state: 'connected', name: 'Right key', queued: 0 })
    expect((await couch.databases()).filter((d) => d.startsWith('iotp_svcorg_fixed_2')).length).toBeGreaterThan(0)
    const resumed = (await core.call('audit:list', { query: 'historian.destination.resume', limit: 1 })).items[0]
    expect(resumed).toMatchObject({ target: ref, subject: 'Right key', outcome: 'ok' })
    await core.call('historian:stop', {})
  })

  it('keeps a destination’s database layout (name part, interval, zone) as created: a change is refused, the rest may change', async () => {
    const saved = await core.call('profiles:save', { extension: 'couchdb', name: 'Layout', settings: couchSettings(), secrets: { apiKey: 'k' } })
    for (const change of [{ bucketInterval: 'month' }, { timeZone: 'UTC' }, { dbName: 'other' }]) {
      expect(await refusal('profiles:save', { id: saved.id, extension: 'couchdb', name: 'Layout', settings: { ...couchSettings(), ...change } })).toEqual({
        code: 'VALIDATION',
        key: 'historian.layoutFixed',
      })
    }
    const renamed = await core.call('profiles:save', { id: saved.id, extension: 'couchdb', name: 'Layout 2', settings: { ...couchSettings(), retentionBuckets: 3, batchSize: 100 } })
    expect(renamed.settings).toMatchObject({ dbName: 'svc', bucketInterval: 'day', timeZone: 'Europe/Paris', retentionBuckets: 3, batchSize: 100 })
    await core.call('profiles:remove', { extension: 'couchdb', id: saved.id })
  })
})
