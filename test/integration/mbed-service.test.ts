/**
 * The mbed service (src-main/core/mbed/mbed.service.ts) on real profiles (workspace + in-memory vault), the shared
 * platform links, the mbed peer and mosquitto: what the proposed mbed:* channels would answer.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { connectAsync } from 'mqtt'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { EventBus } from '../../src-main/core/common/events'
import type { MbedBridgeEvent } from '../../src-main/core/mbed/bridge'
import { mbedChannels } from '../../src-shared/models/mbed'
import { createMbedService } from '../../src-main/core/mbed/mbed.service'
import { profileQueueDir } from '../../src-main/core/mbed/queue-dir'
import { bridgeClientId } from '../../src-main/core/mbed/session'
import { createPlatformLinks } from '../../src-main/core/platform/platform-links'
import { createProfilesService } from '../../src-main/core/profiles/profiles.service'
import { listAudit } from '../../src-main/core/store/audit.store'
import { openWorkspace } from '../../src-main/core/store/workspace'
import { createMemoryStore } from '../../src-main/core/vault/memory.store'
import { tempDir } from '../helpers/core'
import { resumeSession } from '../helpers/mbed-bridge'
import { mosquittoSkipReason, startMosquitto, type Mosquitto } from '../helpers/mosquitto'
import { startMbedPeer, type MbedPeer } from '../peers/mbed/mbed.peer'

const skip = mosquittoSkipReason()
const POLL = { timeout: 20_000, interval: 20 }
const ctx = { actor: 'test' }
const cleanups: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined)
})

describe.skipIf(skip)('mbed service', () => {
  let broker: Mosquitto
  let peer: MbedPeer

  beforeAll(async () => {
    broker = await startMosquitto()
    peer = await startMbedPeer({ pollTimeoutMs: 300 })
  })

  afterAll(async () => {
    await peer?.close()
    await broker?.stop()
  })

  async function service() {
    const dir = await tempDir()
    cleanups.push(() => dir.cleanup())
    const ws = await openWorkspace(dir.dir)
    cleanups.push(() => ws.close())
    const bus = new EventBus()
    const profiles = createProfilesService({ db: ws.db, vault: createMemoryStore(), bus })
    const links = createPlatformLinks({ profiles, bus })
    cleanups.push(() => links.close())
    const events: MbedBridgeEvent[] = []
    const mbed = createMbedService({ db: ws.db, bus, profiles, dataDir: dir.dir, emit: (e) => events.push(e) })
    cleanups.push(() => mbed.close())
    await profiles.save({ extension: 'platform', name: 'Local broker', settings: { url: broker.url, clientId: `a:test:svc-${process.pid}`, username: '', ca: '', restUrl: '' }, secrets: {} }, ctx)
    const saved = await profiles.save(
      {
        extension: 'mbed',
        name: 'Peer',
        settings: { apiUrl: peer.url, flavour: 'connector', domainId: '', channel: 'longpoll', defaultDeviceType: 'mbed', queueSize: 1000, platformProfile: '' },
        secrets: { accessKey: 'ak_test_key' },
      },
      ctx,
    )
    return { mbed, events, profileId: saved.id, db: ws.db, links, profiles, dataDir: dir.dir }
  }

  it('verifies, starts, bridges, lists, imports, commands and stops, with answers in the proposed channel shapes', async () => {
    const { mbed, events, profileId, db } = await service()
    const verified = await mbed.verifyProfile(profileId)
    expect(verified.detail).toContain('access key accepted')
    mbedChannels['mbed:verify'].output.parse(await mbed.verify({ profileId }))
    expect(mbed.status().status.state).toBe('stopped')

    const sub = await connectAsync(broker.url, { clientId: `svc-sub-${process.pid}`, reconnectPeriod: 0 })
    cleanups.push(() => sub.endAsync(true))
    const got: string[] = []
    sub.on('message', (topic) => got.push(topic))
    await sub.subscribeAsync('iot-2/type/+/id/+/evt/+/fmt/json', { qos: 1 })

    mbedChannels['mbed:start'].output.parse(await mbed.start({}))
    await expect.poll(() => mbed.status().status.state, POLL).toBe('running')
    mbedChannels['mbed:status'].output.parse(mbed.status())
    const ep = peer.endpoints()[0]
    if (!ep) throw new Error('no endpoint')
    // The strict peer delivers notifications only for subscribed resources: the bridge subscribes the observable ones.
    await expect.poll(() => peer.subscribed('ak_test_key', ep.name, '/3/0/13'), POLL).toBe(true)
    peer.notify(ep.name, '/3/0/13', 'svc')
    await expect.poll(() => got, POLL).toContain(`iot-2/type/${ep.type}/id/${ep.name}/evt/notify/fmt/json`)

    const endpoints = mbedChannels['mbed:endpoints'].output.parse(await mbed.endpoints({}))
    expect(endpoints.items).toHaveLength(peer.endpoints().length)
    const report = mbedChannels['mbed:import'].output.parse(await mbed.import({ names: [ep.name] }, ctx))
    expect(report.added).toEqual([{ typeId: ep.type, deviceId: ep.name }])
    expect((await db.allDocs({ startkey: 'device:', endkey: 'device:\ufff0' })).rows).toHaveLength(1)

    mbedChannels['mbed:sendCommand'].output.parse(await mbed.sendCommand({ method: 'POST', deviceId: ep.name, resourceId: '3/0/4' }))
    await expect.poll(() => mbed.commands().items[0]?.state, POLL).toBe('answered')
    mbedChannels['mbed:commands'].output.parse(mbed.commands())

    const stopped = mbedChannels['mbed:stop'].output.parse(await mbed.stop())
    expect(stopped).toMatchObject({ status: { state: 'stopped' }, undelivered: 0 })
    expect(events.some((e) => e.name === 'mbed:state' && e.payload.state === 'running')).toBe(true)
  })

  it('a platform profile saved under a running bridge with another client id restarts it on the new one and ends the old session at once', async () => {
    const { mbed, profiles, profileId, dataDir } = await service()
    await mbed.start({}, ctx)
    await expect.poll(() => mbed.status().status.state, POLL).toBe('running')
    const queueDir = profileQueueDir(dataDir, profileId)
    const oldId = bridgeClientId(`a:test:svc-${process.pid}`, queueDir)
    const newId = bridgeClientId(`a:test:edited-${process.pid}`, queueDir)
    const platform = await profiles.resolve('platform')
    await profiles.save(
      {
        extension: 'platform',
        id: platform._id.split(':')[2],
        name: 'Local broker',
        settings: { url: broker.url, clientId: `a:test:edited-${process.pid}`, username: '', ca: '', restUrl: '' },
        secrets: {},
      },
      ctx,
    )
    // What the app does when a platform profile is saved (app.ts: onProfileChange); it waits for the old session's end.
    await mbed.platformChanged(await profiles.resolve('platform'), ctx)
    await expect.poll(() => mbed.status().status.state, POLL).toBe('running')
    expect(mbed.status().status.link.state).toBe('connected')

    const pub = await connectAsync(broker.url, { clientId: `svc-pub-${process.pid}`, reconnectPeriod: 0 })
    cleanups.push(() => pub.endAsync(true))
    await pub.publishAsync('iot-2/type/Light/id/gone/cmd/update/fmt/json', '{}', { qos: 1 })
    expect(await resumeSession(broker.url, oldId)).toEqual({ present: false, commands: [] })
    expect(newId).not.toBe(oldId)
    expect(JSON.parse(readFileSync(join(queueDir, 'session.json'), 'utf8'))).toEqual({ url: broker.url, clientId: newId })
    await mbed.stop()
  })

  it('a platform profile saved while its bridge is stopped keeps the old session to end; the next bridge on that broker ends it', async () => {
    const { mbed, profiles, profileId, dataDir } = await service()
    await mbed.start({}, ctx)
    await expect.poll(() => mbed.status().status.state, POLL).toBe('running')
    await mbed.stop()
    const queueDir = profileQueueDir(dataDir, profileId)
    const oldId = bridgeClientId(`a:test:svc-${process.pid}`, queueDir)
    const platform = await profiles.resolve('platform')
    await profiles.save(
      {
        extension: 'platform',
        id: platform._id.split(':')[2],
        name: 'Local broker',
        settings: { url: broker.url, clientId: `a:test:later-${process.pid}`, username: '', ca: '', restUrl: '' },
        secrets: {},
      },
      ctx,
    )
    await mbed.platformChanged(await profiles.resolve('platform'), ctx)
    expect(mbed.status().status.state).toBe('stopped')
    expect(JSON.parse(readFileSync(join(dataDir, 'mbed', 'queues', 'sessions-to-end.json'), 'utf8'))).toEqual([{ url: broker.url, clientId: oldId }])
    // The old session still holds what is published meanwhile, until a bridge on that broker starts.
    await mbed.start({}, ctx)
    await expect.poll(() => JSON.parse(readFileSync(join(dataDir, 'mbed', 'queues', 'sessions-to-end.json'), 'utf8')), POLL).toEqual([])
    await mbed.stop()
    const pub = await connectAsync(broker.url, { clientId: `svc-pub-${process.pid}`, reconnectPeriod: 0 })
    cleanups.push(() => pub.endAsync(true))
    await pub.publishAsync('iot-2/type/Light/id/gone/cmd/update/fmt/json', '{}', { qos: 1 })
    expect(await resumeSession(broker.url, oldId)).toEqual({ present: false, commands: [] })
  })

  it('a platform profile removed under a running bridge closes its link: failed, saying so and what to do', async () => {
    const { mbed, links, profiles } = await service()
    await mbed.start({}, ctx)
    await expect.poll(() => mbed.status().status.state, POLL).toBe('running')
    const platform = await profiles.resolve('platform')
    await profiles.remove('platform', platform._id.split(':')[2] ?? '', ctx)
    links.invalidate(platform)
    await mbed.platformChanged(platform)
    await expect.poll(() => mbed.status().status.state, POLL).toBe('failed')
    const status = mbedChannels['mbed:status'].output.parse(mbed.status()).status
    expect(status).toMatchObject({ failedSide: 'link', restartAt: null, reason: { details: { ref: { key: 'mbed.linkClosed' } } } })
    expect(status.reason?.message).toContain('start the bridge again')
    await mbed.stop()
  })

  it('a deleted mbed profile stops its bridge and ends its MQTT session: the broker keeps no command for it; its queue stays', async () => {
    const { mbed, profileId, profiles, dataDir } = await service()
    await mbed.start({}, ctx)
    await expect.poll(() => mbed.status().status.state, POLL).toBe('running')
    const queueDir = profileQueueDir(dataDir, profileId)
    const bridgeId = bridgeClientId(`a:test:svc-${process.pid}`, queueDir)
    const doc = await profiles.get('mbed', profileId)
    // What the deletion's confirmation says (none journalled: the running bridge sent each command it took).
    expect(mbedChannels['mbed:journalled'].output.parse(await mbed.journalled({ profileId }))).toEqual({ commands: 0 })
    await profiles.remove('mbed', profileId, ctx)
    // What the app does when a profile is saved or removed (app.ts: onProfileChange).
    await mbed.mbedProfileChanged(doc, ctx)
    expect(mbed.status().status.state).toBe('stopped')

    const pub = await connectAsync(broker.url, { clientId: `svc-pub-${process.pid}`, reconnectPeriod: 0 })
    cleanups.push(() => pub.endAsync(true))
    await pub.publishAsync('iot-2/type/Light/id/gone/cmd/update/fmt/json', '{}', { qos: 1 })
    expect(await resumeSession(broker.url, bridgeId)).toEqual({ present: false, commands: [] })
    // Restoring the profile from the trash finds its queue and journal as they were.
    expect(await mbed.queues()).toMatchObject([{ name: `profile-${profileId}`, configured: false, commands: 0 }])
  })

  it('a second start of the same profile is a no-op; commands need a running bridge', async () => {
    const { mbed } = await service()
    await expect(mbed.sendCommand({ method: 'POST', deviceId: 'x', resourceId: '3/0/4' })).rejects.toMatchObject({ code: 'VALIDATION' })
    await Promise.all([mbed.start({}), mbed.start({})])
    await expect.poll(() => mbed.status().status.state, POLL).toBe('running')
    expect(peer.stats().byRoute['GET /v2/endpoints']).toBeGreaterThan(0)
    await mbed.stop()
  })

  it('lists subscriptions and lets the operator subscribe and unsubscribe a resource, each with an audit entry', async () => {
    const { mbed, db } = await service()
    expect(mbedChannels['mbed:subscriptions'].output.parse(mbed.subscriptions({}))).toMatchObject({ endpoints: [], total: 0 })
    await expect(mbed.subscribe({ ep: 'x', path: '/1' }, ctx)).rejects.toMatchObject({ code: 'VALIDATION', details: { ref: { key: 'mbed.notRunning' } } })
    await mbed.start({})
    await expect.poll(() => mbed.status().status.state, POLL).toBe('running')
    const sensor = peer.endpoints().find((e) => e.type === 'Sensor')
    if (!sensor) throw new Error('no sensor')
    await expect.poll(() => mbed.subscriptions({ ep: sensor.name }).endpoints[0]?.resources.filter((r) => r.state === 'subscribed').length, POLL).toBe(3)
    const listed = mbedChannels['mbed:subscriptions'].output.parse(mbed.subscriptions({}))
    expect(listed.total).toBe(peer.endpoints().length)

    const off = mbedChannels['mbed:unsubscribe'].output.parse(await mbed.unsubscribe({ ep: sensor.name, path: '/3303/0/5700' }, ctx))
    expect(off.state).toBe('unsubscribed')
    const refused = mbedChannels['mbed:subscribe'].output.parse(await mbed.subscribe({ ep: sensor.name, path: '/3/0/0' }, ctx))
    expect(refused).toMatchObject({ state: 'refused', reason: { details: { carrierCode: '412' } } })
    const on = await mbed.subscribe({ ep: sensor.name, path: '/3303/0/5700' }, ctx)
    expect(on.state).toBe('subscribed')

    const audit = await listAudit(db, { query: 'mbed.subscription', offset: 0, limit: 10 })
    expect(audit.items.map((a) => [a.action, a.target, a.outcome]).reverse()).toEqual([
      ['mbed.subscription.unsubscribe', `mbed:${sensor.name}/3303/0/5700`, 'ok'],
      ['mbed.subscription.subscribe', `mbed:${sensor.name}/3/0/0`, 'failed'],
      ['mbed.subscription.subscribe', `mbed:${sensor.name}/3303/0/5700`, 'ok'],
    ])
    expect(audit.items.find((a) => a.outcome === 'failed')?.error?.message).toContain('not observable')
    await mbed.stop()
  })
})
