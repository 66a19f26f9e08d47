import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import mqtt from 'mqtt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { EventPayload } from '../../src-shared/contract'
import { updateSyncState } from '../../src-main/core/sync/sync.store'
import { silentLogger, tempDir, testCore } from '../helpers/core'
import { mosquittoSkipReason, startMosquitto, type Mosquitto } from '../helpers/mosquitto'

type TestCore = Awaited<ReturnType<typeof testCore>>
const POLL = { timeout: 20_000, interval: 20 }

async function importText(core: TestCore, fileName: string, text: string) {
  const { jobId } = await core.call('import:start', { fileName })
  await core.call('import:chunk', { jobId, data: Buffer.from(text).toString('base64') })
  return core.call('import:finish', { jobId })
}

/** A core on a temporary directory with device pump/p-1, its `devices:location` events collected into `events`. */
async function coreWithPump(events: EventPayload<'devices:location'>[]): Promise<{ core: TestCore; cleanup: () => Promise<void> }> {
  const t = await tempDir()
  const core = await testCore(t.dir)
  core.bus.subscribe((name, payload) => {
    if (name === 'devices:location') events.push(payload as EventPayload<'devices:location'>)
  })
  await core.call('devices:add', { typeId: 'pump', deviceId: 'p-1' })
  return { core, cleanup: t.cleanup }
}

describe('device location set by the operator and imported', () => {
  let core: TestCore
  let cleanup: () => Promise<void>
  const events: EventPayload<'devices:location'>[] = []
  const pump = { typeId: 'pump', deviceId: 'p-1' }

  beforeAll(async () => {
    ;({ core, cleanup } = await coreWithPump(events))
  })
  afterAll(async () => {
    await core.close()
    await cleanup()
  })

  it('sets a location with its source and date, audits it with before and after, and says so in an event', async () => {
    const device = await core.call('devices:setLocation', { ...pump, latitude: 45.1885, longitude: 5.7245, elevation: 212, accuracy: 5, measuredAt: '2026-03-10T09:00:00+01:00' })
    expect(device.location).toEqual({ latitude: 45.1885, longitude: 5.7245, elevation: 212, accuracy: 5, measuredAt: '2026-03-10T09:00:00+01:00', source: 'operator', updatedAt: expect.any(String) })
    expect((await core.call('devices:get', pump)).location).toEqual(device.location)
    const moved = await core.call('devices:setLocation', { ...pump, latitude: -33.8688, longitude: 151.2093 })
    expect(moved.location).toMatchObject({ elevation: null, accuracy: null, measuredAt: null, source: 'operator' })
    const [latest, first] = (await core.call('audit:list', { query: 'device.location.set' })).items
    expect(first).toMatchObject({ target: 'pump/p-1', outcome: 'ok', before: null, after: { latitude: 45.1885, source: 'operator' } })
    expect(latest).toMatchObject({ before: { latitude: 45.1885 }, after: { latitude: -33.8688, longitude: 151.2093 } })
    expect(events.at(-1)).toEqual({ items: [{ ...pump, source: 'operator' }] })
  })

  it.each([
    ['a latitude beyond 90', { latitude: 90.0001, longitude: 0 }],
    ['a longitude beyond -180', { latitude: 0, longitude: -180.5 }],
    ['NaN', { latitude: Number.NaN, longitude: 0 }],
    ['Infinity', { latitude: 0, longitude: Number.POSITIVE_INFINITY }],
    ['a number as text', { latitude: '45.1', longitude: 5 }],
    ['half a position', { latitude: 45.1 }],
    ['an elevation below any trench', { latitude: 0, longitude: 0, elevation: -20_000 }],
    ['a negative accuracy', { latitude: 0, longitude: 0, accuracy: -1 }],
    ['a date without a time zone', { latitude: 0, longitude: 0, measuredAt: '2026-03-10T09:00:00' }],
    ['an unknown field', { latitude: 0, longitude: 0, altitude: 3 }],
  ])('refuses %s and changes nothing', async (_what, input) => {
    const before = await core.call('devices:get', pump)
    const audits = (await core.call('audit:list', { query: 'device.location' })).total
    expect(await core.dispatcher.invoke('devices:setLocation', { ...pump, ...input })).toMatchObject({ ok: false, error: { code: 'VALIDATION' } })
    expect((await core.call('devices:get', pump)).location).toEqual(before.location)
    expect((await core.call('audit:list', { query: 'device.location' })).total).toBe(audits)
  })

  it('refuses a measurement dated in the future (a wrong clock), by name', async () => {
    expect(await core.dispatcher.invoke('devices:setLocation', { ...pump, latitude: 1, longitude: 1, measuredAt: '2099-01-01T00:00:00Z' })).toMatchObject({
      ok: false,
      error: { code: 'VALIDATION', details: { ref: { key: 'location.measuredInFuture' } } },
    })
    expect(await core.dispatcher.invoke('devices:setLocation', { typeId: 'pump', deviceId: 'ghost', latitude: 1, longitude: 1 })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } })
  })

  it('clears a location (audited), and clearing none changes nothing', async () => {
    expect(await core.call('devices:clearLocation', pump)).toEqual({ cleared: true })
    expect((await core.call('devices:get', pump)).location).toBeNull()
    const audits = (await core.call('audit:list', { query: 'device.location.clear' })).items
    expect(audits).toHaveLength(1)
    expect(audits[0]).toMatchObject({ before: { latitude: -33.8688 } })
    expect(await core.call('devices:clearLocation', pump)).toEqual({ cleared: false })
    expect((await core.call('audit:list', { query: 'device.location.clear' })).total).toBe(1)
  })

  it('imports lat/lon columns (any usual header) and refuses rows with half a position or a number it would misread', async () => {
    const csv = [
      'typeId,deviceId,Lat,Lng,elevation',
      'meter,m-1,45.1885,5.7245,212',
      'meter,m-2,-33.8688,151.2093,',
      'meter,m-3,45.1885,,',
      'meter,m-4,"45,1885",5.72,',
      'meter,m-5,1e3,5,',
      'meter,m-6,91,5,',
      'meter,m-7,,,',
    ].join('\n')
    const report = await importText(core, 'meters.csv', csv)
    expect(report).toMatchObject({ rows: 7, added: 3, failed: 4 })
    expect(report.errors.map((e) => [e.row, e.ref.key])).toEqual([
      [4, 'import.locationIncomplete'],
      [5, 'import.badNumber'],
      [6, 'import.badNumber'],
      [7, 'import.outOfRange'],
    ])
    expect((await core.call('devices:get', { typeId: 'meter', deviceId: 'm-1' })).location).toEqual({
      latitude: 45.1885,
      longitude: 5.7245,
      elevation: 212,
      accuracy: null,
      measuredAt: null,
      source: 'import',
      updatedAt: expect.any(String),
    })
    const m7 = await core.call('devices:get', { typeId: 'meter', deviceId: 'm-7' })
    expect([m7.location, m7.metadata]).toEqual([null, {}])

    const jsonl = ['{"typeId":"meter","deviceId":"j-1","latitude":48.39,"longitude":-4.49,"accuracy":30}', '{"typeId":"meter","deviceId":"j-2","latitude":1e999,"longitude":0}'].join('\n')
    const r2 = await importText(core, 'meters.jsonl', jsonl)
    // A number JSON cannot hold is refused by the import's JSON guard before the location is read.
    expect(r2).toMatchObject({ added: 1, failed: 1, errors: [{ row: 2, ref: { key: 'errors.jsonNotFinite' } }] })
    expect((await core.call('devices:get', { typeId: 'meter', deviceId: 'j-1' })).location).toMatchObject({ latitude: 48.39, longitude: -4.49, accuracy: 30, source: 'import' })
  })
})

const skip = mosquittoSkipReason()

describe.skipIf(skip)('location updates from managed devices through the platform link', () => {
  let core: TestCore
  let broker: Mosquitto
  let gateway: mqtt.MqttClient
  let cleanup: () => Promise<void>
  const answers: { topic: string; rc: number; reqId: string }[] = []
  const events: EventPayload<'devices:location'>[] = []
  const pump = { typeId: 'pump', deviceId: 'p-1' }
  const topic = (t: string, d: string) => `iotdevice-1/type/${t}/id/${d}/device/update/location`
  const send = (t: string, d: string, body: unknown) => gateway.publishAsync(topic(t, d), typeof body === 'string' ? body : JSON.stringify(body), { qos: 1 })
  const answerTo = (reqId: string) => answers.find((a) => a.reqId === reqId)

  beforeAll(async () => {
    broker = await startMosquitto()
    ;({ core, cleanup } = await coreWithPump(events))
    await core.call('profiles:save', { extension: 'platform', name: 'Broker', settings: { url: broker.url, clientId: 'a:org1:fieldline' } })
    // A gateway reporting for the devices behind it, and listening for the platform's answers.
    gateway = await mqtt.connectAsync(broker.url, { clientId: 'g:org1:gw:gw1' })
    await gateway.subscribeAsync('iotdm-1/type/+/id/+/response', { qos: 1 })
    gateway.on('message', (t, payload) => {
      const body = JSON.parse(payload.toString()) as { rc: number; reqId: string }
      answers.push({ topic: t, ...body })
    })
    const { profileId } = await core.call('devices:followLocations', {})
    // The link that call opened: 'connected' means its subscriptions are granted.
    await (await core.links.linkFor(await core.profiles.get('platform', profileId))).connect()
  })
  afterAll(async () => {
    await gateway?.endAsync()
    await core?.close()
    await broker?.stop()
    await cleanup?.()
  })

  it('stores the reported position on the device and answers rc 200 with the reqId once it is stored', async () => {
    await send('pump', 'p-1', { d: { longitude: 5.7245, latitude: 45.1885, elevation: 212, accuracy: 8, measuredDateTime: '2026-03-10T09:00:00Z' }, reqId: 'r-1' })
    await expect.poll(() => answerTo('r-1'), POLL).toEqual({ topic: 'iotdm-1/type/pump/id/p-1/response', rc: 200, reqId: 'r-1' })
    expect((await core.call('devices:get', pump)).location).toEqual({
      latitude: 45.1885,
      longitude: 5.7245,
      elevation: 212,
      accuracy: 8,
      measuredAt: '2026-03-10T09:00:00Z',
      source: 'device',
      updatedAt: expect.any(String),
    })
    await expect.poll(() => events.flatMap((e) => e.items), POLL).toContainEqual({ ...pump, source: 'device' })
    // A device's report is not an operator action: nothing in the audit trail.
    expect((await core.call('audit:list', { query: 'device.location' })).total).toBe(0)
  })

  it('answers 400 for an invalid update and 404 for a device the workspace does not have, changing nothing', async () => {
    const before = (await core.call('devices:get', pump)).location
    await send('pump', 'p-1', { d: { longitude: 5.7, latitude: 123 }, reqId: 'r-bad-lat' })
    await send('pump', 'p-1', { d: { longitude: 5.7, latitude: 45, colour: 'red' }, reqId: 'r-extra' })
    await send('pump', 'p-1', { d: { longitude: 5.7, latitude: 45, measuredDateTime: '2099-01-01T00:00:00Z' }, reqId: 'r-future' })
    await send('pump', 'p-1', '{"d": {"longitude": 1e999, "latitude": 45}, "reqId": "r-inf"}')
    await send('pump', 'ghost', { d: { longitude: 5.7, latitude: 45 }, reqId: 'r-ghost' })
    await expect.poll(() => ['r-bad-lat', 'r-extra', 'r-future', 'r-inf', 'r-ghost'].map((id) => answerTo(id)?.rc), POLL).toEqual([400, 400, 400, 400, 404])
    // Not JSON, and no reqId: nothing to answer, nothing stored, and the link keeps working.
    await send('pump', 'p-1', 'not json')
    await send('pump', 'p-1', { d: { longitude: 5.7, latitude: 45 } })
    expect((await core.call('devices:get', pump)).location).toEqual(before)
    await expect.poll(() => core.locationIntake.stats().refused, POLL).toBe(6)
    expect(await core.dispatcher.invoke('devices:get', { typeId: 'pump', deviceId: 'ghost' })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } })
  })

  it('keeps the position measured last when reports arrive out of order', async () => {
    await send('pump', 'p-1', { d: { longitude: 1, latitude: 1, measuredDateTime: '2026-03-10T08:00:00Z' }, reqId: 'r-old' })
    await expect.poll(() => answerTo('r-old')?.rc, POLL).toBe(200)
    expect((await core.call('devices:get', pump)).location).toMatchObject({ latitude: 45.1885, measuredAt: '2026-03-10T09:00:00Z' })
    expect(core.locationIntake.stats().stale).toBe(1)
  })

  it('answers every report of a burst after writing, and keeps the one measured last', async () => {
    const base = Date.parse('2026-03-10T10:00:00Z')
    const ids = Array.from({ length: 40 }, (_, i) => `burst-${i}`)
    await Promise.all(ids.map((reqId, i) => send('pump', 'p-1', { d: { longitude: 10 + i / 100, latitude: 20, measuredDateTime: new Date(base + i * 1000).toISOString() }, reqId })))
    await expect.poll(() => ids.filter((id) => answerTo(id)?.rc === 200).length, POLL).toBe(40)
    expect((await core.call('devices:get', pump)).location).toMatchObject({ longitude: 10.39, measuredAt: new Date(base + 39_000).toISOString(), source: 'device' })
  })

  it('wins over an operator position only when measured later, and an operator can always set one', async () => {
    await core.call('devices:setLocation', { ...pump, latitude: -1, longitude: -1, measuredAt: '2026-03-10T12:00:00Z' })
    await send('pump', 'p-1', { d: { longitude: 2, latitude: 2, measuredDateTime: '2026-03-10T11:00:00Z' }, reqId: 'r-before-operator' })
    await expect.poll(() => answerTo('r-before-operator')?.rc, POLL).toBe(200)
    expect((await core.call('devices:get', pump)).location).toMatchObject({ latitude: -1, source: 'operator' })
    await send('pump', 'p-1', { d: { longitude: 3, latitude: 3, measuredDateTime: '2026-03-10T13:00:00Z' }, reqId: 'r-after-operator' })
    await expect.poll(async () => (await core.call('devices:get', pump)).location?.latitude, POLL).toBe(3)
  })

  it('counts direct-form updates, which name no device, without applying or answering them', async () => {
    const answered = answers.length
    await gateway.publishAsync('iotdevice-1/device/update/location', JSON.stringify({ d: { longitude: 9, latitude: 9 }, reqId: 'r-direct' }), { qos: 1 })
    await expect.poll(() => core.locationIntake.stats().unattributed, POLL).toBe(1)
    expect(answers.length).toBe(answered)
    expect((await core.call('devices:get', pump)).location?.latitude).toBe(3)
  })
})

describe.skipIf(skip)("location updates on a viewer's computer", () => {
  let core: TestCore
  let broker: Mosquitto
  let gateway: mqtt.MqttClient
  let cleanup: () => Promise<void>
  const answers: { rc: number; reqId: string }[] = []
  const warnings: string[] = []
  const errors: string[] = []
  const logger = {
    ...silentLogger,
    warn: (_fields: unknown, message: string) => void warnings.push(message),
    error: (_fields: unknown, message: string) => void errors.push(message),
  }

  beforeAll(async () => {
    broker = await startMosquitto()
    const t = await tempDir()
    cleanup = t.cleanup
    core = await testCore(t.dir, { logger: logger as never })
    await core.call('devices:add', { typeId: 'pump', deviceId: 'p-1' })
    await core.call('profiles:save', { extension: 'platform', name: 'Broker', settings: { url: broker.url, clientId: 'a:org1:viewer' } })
    gateway = await mqtt.connectAsync(broker.url, { clientId: 'g:org1:gw:gw2' })
    await gateway.subscribeAsync('iotdm-1/type/+/id/+/response', { qos: 1 })
    gateway.on('message', (_t, payload) => answers.push(JSON.parse(payload.toString()) as { rc: number; reqId: string }))
  })
  afterAll(async () => {
    await gateway?.endAsync()
    await core?.close()
    await broker?.stop()
    await cleanup?.()
  })

  /** What the sync remembers once the server said this computer's user is a viewer; the status tells the role gate. */
  async function becomeViewer(): Promise<void> {
    await core.call('sync:saveSettings', { url: 'http://127.0.0.1:5984', database: 'team', username: 'vic', secrets: { password: 'pw' }, offline: true })
    await updateSyncState(core.workspace.db, (s) => {
      s.role = 'viewer'
      s.roleAsOf = new Date().toISOString()
    })
    expect((await core.call('sync:status', {})).refused).toContain('devices')
  }

  it('answers 403 to every update once the role is viewer, stores nothing, and warns once instead of an error per update', async () => {
    const { profileId } = await core.call('devices:followLocations', {})
    await (await core.links.linkFor(await core.profiles.get('platform', profileId))).connect()
    await becomeViewer()
    const ids = Array.from({ length: 6 }, (_, i) => `v-${i}`)
    for (const [i, reqId] of ids.entries()) {
      await gateway.publishAsync('iotdevice-1/type/pump/id/p-1/device/update/location', JSON.stringify({ d: { longitude: i, latitude: i }, reqId }), { qos: 1 })
    }
    await expect.poll(() => ids.map((id) => answers.find((a) => a.reqId === id)?.rc), POLL).toEqual(ids.map(() => 403))
    expect((await core.call('devices:get', { typeId: 'pump', deviceId: 'p-1' })).location).toBeNull()
    expect(core.locationIntake.stats()).toMatchObject({ notRecorded: 6, failed: 0, stored: 0 })
    expect(errors).toEqual([])
    expect(warnings.filter((w) => w.startsWith('location intake: location reports are not recorded'))).toHaveLength(1)
  })

  it('refuses to start following, with the translated reason, and opens no link for it', async () => {
    await becomeViewer()
    await expect(core.call('devices:followLocations', {})).rejects.toMatchObject({ bridge: { code: 'FORBIDDEN', details: { ref: { key: 'location.follow.notRecorded' } } } })
    expect((await core.call('audit:list', { query: 'devices.locations.follow' })).total).toBe(1)
  })
})

describe.skipIf(skip)('fieldline devices follow-locations', () => {
  const cli = fileURLToPath(new URL('../../src-main/cli/main.ts', import.meta.url))
  let broker: Mosquitto
  let dir: string
  let cleanup: () => Promise<void>
  const spawnCli = (args: string[], env: Record<string, string> = {}) =>
    spawn(process.execPath, ['--import', 'tsx', cli, '--data-dir', join(dir, 'data'), ...args], { env: { ...process.env, FIELDLINE_MQTT_URL: '', FIELDLINE_MQTT_CLIENT_ID: '', ...env } })
  const run = (args: string[]) =>
    new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawnCli(args)
      let out = ''
      child.stdout.on('data', (d: Buffer) => (out += d.toString()))
      child.on('close', (code) => resolve({ code, out }))
    })

  beforeAll(async () => {
    broker = await startMosquitto()
    ;({ dir, cleanup } = await tempDir())
  })
  afterAll(async () => {
    await broker?.stop()
    await cleanup?.()
  })

  it('stores what devices report until SIGTERM, over a link from FIELDLINE_MQTT_* variables', async () => {
    expect((await run(['devices', 'add', 'pump', 'p-9'])).code).toBe(0)
    const child = spawnCli(['devices', 'follow-locations'], { FIELDLINE_MQTT_URL: broker.url, FIELDLINE_MQTT_CLIENT_ID: 'a:org1:follower' })
    let out = ''
    let err = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.stderr.on('data', (d: Buffer) => (err += d.toString()))
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve))
    await expect.poll(() => err, POLL).toContain('platform link: connected')
    const gateway = await mqtt.connectAsync(broker.url, { clientId: 'g:org1:gw:gw9' })
    try {
      await gateway.subscribeAsync('iotdm-1/type/pump/id/p-9/response', { qos: 1 })
      const answers: string[] = []
      gateway.on('message', (_t, payload) => answers.push(payload.toString()))
      await gateway.publishAsync('iotdevice-1/type/pump/id/p-9/device/update/location', JSON.stringify({ d: { latitude: 45.19, longitude: 5.72 }, reqId: 'cli-1' }), { qos: 1 })
      await expect.poll(() => answers.map((a) => JSON.parse(a) as unknown), POLL).toEqual([{ rc: 200, reqId: 'cli-1' }])
      await expect.poll(() => out, POLL).toContain('pump/p-9 location from the device')
    } finally {
      await gateway.endAsync()
    }
    child.kill('SIGTERM')
    expect(await exited).toBe(0)
    // The position was stored: clearing it says there was one.
    expect((await run(['devices', 'locate', 'pump', 'p-9', '--clear'])).out).toBe('cleared the location of pump/p-9\n')
  })
})
