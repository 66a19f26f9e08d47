/**
 * The device index follows every write, whoever makes it: documents written straight into the workspace database (as
 * CouchDB replication writes them, conflicts included), a real PouchDB replication, and the core's own services; its
 * counts and facets stay right through adds, removals, configuration changes, SIM reads and imports.
 */
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import PouchDB from 'pouchdb'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { FacetField } from '../../src-shared/models/device-query'
import { blankSim } from '../../src-main/core/carriers/sim-model'
import { writeSimCache } from '../../src-main/core/store/cache.store'
import { openIndexDb } from '../../src-main/core/store/index-db'
import { CHECKPOINT_KEY, rowKey } from '../../src-main/core/devices/listing/keys'
import { tempDir, testCore } from '../helpers/core'
import { simDoc, weatherDoc } from '../helpers/device-fleet'

type TestCore = Awaited<ReturnType<typeof testCore>>

const device = (typeId: string, deviceId: string, extra: Record<string, unknown> = {}) => ({
  _id: `device:${typeId}:${deviceId}`,
  kind: 'device',
  schemaVersion: 1,
  typeId,
  deviceId,
  description: `Replicated ${deviceId}`,
  metadata: {},
  extensionConfig: null,
  createdAt: '2025-01-01T00:00:00.000Z',
  updatedAt: '2025-01-01T00:00:00.000Z',
  ...extra,
})

describe('the device index follows the workspace', () => {
  let core: TestCore
  let dir: string
  let cleanup: () => Promise<void>

  beforeEach(async () => {
    ;({ dir, cleanup } = await tempDir())
    core = await testCore(dir)
  })
  afterEach(async () => {
    await core.close()
    await cleanup()
  })

  const facets = async (by: FacetField[], query = {}) => {
    const counted = await core.call('devices:count', { selection: { query }, by })
    return { total: counted.total, ...Object.fromEntries(counted.facets.map((f) => [f.field, Object.fromEntries(f.values.map((v) => [v.value, v.count]))])) }
  }

  it('finds documents written straight into the database, without a query asking first, and the winning revision of a conflict', async () => {
    const db = core.workspace.db
    await db.bulkDocs([device('rep', 'r-1'), device('rep', 'r-2', { extensionConfig: { orange: { serialnumber: '1234567890128' } } })] as never)
    // Nothing asked the index: it picks the writes up by itself (it looks for changes once a second).
    await expect.poll(() => core.deviceIndex.cells.total, { timeout: 10_000 }).toBe(2)

    // Two revisions of r-1 made apart, as replication delivers them: the deeper one wins, on every replica alike.
    const r1 = await db.get('device:rep:r-1')
    await db.bulkDocs(
      [
        { ...device('rep', 'r-1', { description: 'Branch A' }), _rev: '2-aaaa', _revisions: { start: 2, ids: ['aaaa', r1._rev.split('-')[1]] } },
        { ...device('rep', 'r-1', { description: 'Branch B deeper' }), _rev: '3-bbbb', _revisions: { start: 3, ids: ['bbbb', 'b2', r1._rev.split('-')[1]] } },
      ] as never,
      { new_edits: false },
    )
    expect(((await db.get('device:rep:r-1')) as unknown as { description: string }).description).toBe('Branch B deeper')
    expect((await core.call('devices:query', { query: { text: 'deeper' } })).items.map((d) => d.deviceId)).toEqual(['r-1'])
    expect((await core.call('devices:query', { query: { text: 'branch a' } })).total).toBe(0)

    // A replicated deletion, and a cached SIM read elsewhere.
    const r2 = await db.get('device:rep:r-2')
    await db.put({ ...simDoc({ carrier: 'orange', id: '1234567890128', status: 'sleeping', ratePlan: 'P1', dataBytes: 42, fetchedAt: '2025-06-01T00:00:00.000Z' }) } as never)
    expect((await core.call('devices:query', { query: { filters: { simStatus: ['sleeping'] } } })).items).toMatchObject([
      { deviceId: 'r-2', simStatus: 'sleeping', simAsOf: '2025-06-01T00:00:00.000Z', dataThisCycleBytes: 42, ratePlan: 'P1' },
    ])
    await db.bulkDocs([{ _id: r2._id, _rev: r2._rev, _deleted: true }] as never)
    expect(await facets(['typeId'])).toEqual({ total: 1, typeId: { rep: 1 } })
  })

  it('opens and sorts over a replicated weather reading whose units measure something else, showing no value for it', async () => {
    const located = { location: { latitude: 1, longitude: 2, elevation: null, accuracy: null, measuredAt: null, source: 'operator', updatedAt: '2025-06-01T00:00:00.000Z' } }
    const reading = (id: string, temperature: { value: number; unit: string }, wind: { value: number; unit: string }) =>
      weatherDoc(id, { latitude: 1, longitude: 2, phrase: 'Fog', temperature: temperature as never, wind: wind as never, observedAt: '2026-12-05T00:00:00.000Z' })
    await core.workspace.db.bulkDocs([
      device('wx', 'odd', located),
      device('wx', 'fine', located),
      reading('device:wx:odd', { value: 20, unit: '%' }, { value: 1013, unit: 'hPa' }),
      reading('device:wx:fine', { value: 68, unit: '°F' }, { value: 10, unit: 'km/h' }),
    ] as never)
    await expect.poll(() => core.deviceIndex.cells.total, { timeout: 10_000 }).toBe(2)
    const sorted = async (sort: 'weatherTemperature' | 'weatherWindSpeed') =>
      (await core.call('devices:query', { query: { sort } })).items.map((d) => [d.deviceId, d.weatherTemperature, d.weatherWindSpeed])
    const expected = [
      ['fine', { value: 68, unit: '°F' }, { value: 10, unit: 'km/h' }],
      ['odd', null, null],
    ]
    expect(await sorted('weatherTemperature')).toEqual(expected)
    expect(await sorted('weatherWindSpeed')).toEqual(expected)
    // A fresh start rebuilds nothing it cannot read: the workspace opens.
    await core.close()
    core = await testCore(dir)
    expect(await sorted('weatherTemperature')).toEqual(expected)
  })

  it('gives an import’s new devices what the carrier and weather caches held before them, and a removed device imported again its new row', async () => {
    // An import's new devices have no row to read back (the index takes them as created); their caches may exist already.
    await core.workspace.db.bulkDocs([
      simDoc({ carrier: 'jasper', id: '89882160000000000001', status: 'activated', ratePlan: 'Plan A', dataBytes: 42, fetchedAt: '2026-12-01T00:00:00.000Z' }),
      weatherDoc('device:meter:w-1', { latitude: 45.1885, longitude: 5.7245, phrase: 'Fog', temperature: { value: 3, unit: '°C' }, wind: null, observedAt: '2026-12-05T00:00:00.000Z' }),
      weatherDoc('device:meter:w-2', { latitude: 45.1885, longitude: 5.7245, phrase: 'Rain', temperature: { value: 4, unit: '°C' }, wind: null, observedAt: '2026-12-05T00:00:00.000Z' }),
    ] as never)
    await core.call('devices:add', { typeId: 'meter', deviceId: 'gone', description: 'first life' })
    await core.call('devices:remove', { typeId: 'meter', deviceId: 'gone' })
    const csv = ['typeId,deviceId,description,carrier,iccid,lat,lon', 'meter,w-1,located,jasper,89882160000000000001,45.1885,5.7245', 'meter,w-2,no location,,,,', 'meter,gone,second life,,,,'].join(
      '\n',
    )
    const { jobId } = await core.call('import:start', { fileName: 'cached.csv' })
    await core.call('import:chunk', { jobId, data: Buffer.from(csv).toString('base64') })
    expect(await core.call('import:finish', { jobId })).toMatchObject({ added: 3, failed: 0 })
    const rows = (await core.call('devices:query', { query: {} })).items.map((d) => [d.deviceId, d.description, d.simStatus, d.ratePlan, d.dataThisCycleBytes, d.weatherStatus, d.weatherPhrase])
    expect(rows).toEqual([
      ['gone', 'second life', null, null, null, null, null],
      ['w-1', 'located', 'activated', 'Plan A', 42, 'cached', 'Fog'],
      ['w-2', 'no location', null, null, null, null, null],
    ])
    expect((await core.call('devices:query', { query: { text: 'life' } })).items.map((d) => d.description)).toEqual(['second life'])
    expect(await facets(['typeId', 'simStatus'])).toEqual({ total: 3, typeId: { meter: 3 }, simStatus: { none: 2, activated: 1 } })
    // The same rows after the index is built again from the workspace.
    await core.close()
    await rm(join(dir, 'indexes'), { recursive: true, force: true })
    core = await testCore(dir)
    expect((await core.call('devices:query', { query: {} })).items.map((d) => [d.deviceId, d.description, d.simStatus, d.ratePlan, d.dataThisCycleBytes, d.weatherStatus, d.weatherPhrase])).toEqual(
      rows,
    )
  })

  it('builds the index again when it was written in another format, leaving none of its entries behind', async () => {
    await core.workspace.db.bulkDocs([device('gw', 'GW-007'), device('gw', 'gw-7'), device('gw', 'gw-10'), device('Valve', 'v-1')] as never)
    const listed = async () => (await core.call('devices:query', { query: {} })).items.map((d) => `${d.typeId}:${d.deviceId}`)
    const expected = ['gw:GW-007', 'gw:gw-7', 'gw:gw-10', 'Valve:v-1']
    expect(await listed()).toEqual(expected)
    const location = join(core.workspace.indexes.dir, 'devices')
    await core.close()
    // As an earlier release left it: its checkpoint's format, and a key of its layout (the raw type:id after the nat).
    const { db } = await openIndexDb(location, { durable: false })
    const checkpoint = JSON.parse((await db.get(CHECKPOINT_KEY))!) as { format: number }
    const stale = `${rowKey('gw\u0001gw-0017\u0000gw:gw-7')}`
    await db.write([
      { type: 'put', key: CHECKPOINT_KEY, value: JSON.stringify({ ...checkpoint, format: checkpoint.format - 1 }) },
      { type: 'put', key: stale, value: '1|gw-7|{}' },
    ])
    await db.close()
    core = await testCore(dir)
    expect(await listed()).toEqual(expected)
    expect(await core.deviceIndex.db.get(stale)).toBeUndefined()
    expect(JSON.parse((await core.deviceIndex.db.get(CHECKPOINT_KEY))!)).toMatchObject({ format: checkpoint.format })
  })

  it('finds what a PouchDB replication brings in', async () => {
    const remote = new PouchDB<object>(join(dir, 'teammate'))
    try {
      await remote.bulkDocs(
        Array.from({ length: 1200 }, (_, i) => device('team', `t-${i}`, i % 2 ? { extensionConfig: { jasper: { iccid: `8988216716970${String(i).padStart(7, '0')}` } } } : {})) as never,
      )
      await core.workspace.db.replicate.from(remote)
      expect(await facets(['carrier'], { filters: { typeId: ['team'] } })).toEqual({ total: 1200, carrier: { jasper: 600, none: 600 } })
      expect((await core.call('devices:query', { query: { text: 't-1199' } })).items.map((d) => d.deviceId)).toEqual(['t-1199'])
      expect((await core.call('devices:query', { query: { sort: 'deviceId', descending: true }, limit: 1 })).items[0]?.deviceId).toBe('t-1199')
    } finally {
      await remote.close()
    }
  })

  it('keeps counts and facets right through adds, removals, configuration changes, SIM reads, DM support and imports', async () => {
    const by: FacetField[] = ['typeId', 'carrier', 'simStatus', 'extension', 'configErrors', 'dmSupport']
    await core.call('devices:add', { typeId: 'meter', deviceId: 'm-1' })
    await core.call('devices:add', { typeId: 'meter', deviceId: 'm-2' })
    await core.call('devices:add', { typeId: 'gw', deviceId: 'g-1' })
    expect(await facets(by)).toEqual({
      total: 3,
      typeId: { meter: 2, gw: 1 },
      carrier: { none: 3 },
      simStatus: { none: 3 },
      extension: { none: 3 },
      configErrors: { false: 3 },
      dmSupport: { false: 3 },
    })

    await core.call('devices:saveConfig', { typeId: 'meter', deviceId: 'm-1', text: '{"jasper": {"iccid": "89882167169700049730"}}' })
    expect(await facets(['carrier', 'simStatus', 'extension'])).toEqual({ total: 3, carrier: { none: 2, jasper: 1 }, simStatus: { none: 2, notCached: 1 }, extension: { none: 2, jasper: 1 } })

    await writeSimCache(core.workspace.db, {
      ...blankSim('jasper', '89882167169700049730', '2025-05-05T05:05:05.000Z'),
      status: 'activated',
      statusRaw: 'ACTIVATED',
      ratePlan: 'Basic',
      monthToDate: { dataBytes: 1234, smsCount: 0, voiceSeconds: 0, sessionCount: null },
    })
    expect(await facets(['simStatus'])).toEqual({ total: 3, simStatus: { none: 2, activated: 1 } })
    expect((await core.call('devices:query', { query: { sort: 'dataThisCycleBytes' }, limit: 1 })).items[0]).toMatchObject({
      deviceId: 'm-1',
      dataThisCycleBytes: 1234,
      simAsOf: '2025-05-05T05:05:05.000Z',
    })

    await core.call('packages:add', { text: JSON.stringify({ bundleId: 'pkg-a', displayName: { en_US: 'A' }, actions: { reboot: { actionDisplayName: { en_US: 'Reboot' } } } }) })
    await core.call('devices:setSupportedBundles', { typeId: 'gw', deviceId: 'g-1', bundles: ['pkg-a'] })
    expect(await facets(['dmSupport'])).toEqual({ total: 3, dmSupport: { false: 2, true: 1 } })

    await core.call('devices:remove', { typeId: 'meter', deviceId: 'm-1' })
    expect(await facets(['typeId', 'carrier', 'simStatus'])).toEqual({ total: 2, typeId: { meter: 1, gw: 1 }, carrier: { none: 2 }, simStatus: { none: 2 } })

    // A configuration that breaks the schema (as an older release or another tool could write it) counts as an error.
    const m2 = await core.workspace.db.get('device:meter:m-2')
    await core.workspace.db.put({ ...m2, extensionConfig: { jasper: { iccid: 8988 } } } as never)
    expect(await facets(['configErrors', 'extension'], { filters: { configErrors: true } })).toEqual({ total: 1, configErrors: { true: 1 }, extension: { jasper: 1 } })

    const { jobId } = await core.call('import:start', { fileName: 'more.csv' })
    const csv = ['typeId,deviceId,carrier,serialnumber', ...Array.from({ length: 700 }, (_, i) => `pump,p-${i},${i % 2 ? 'orange' : ''},${i % 2 ? String(1_000_000_000_000 + i) : ''}`)].join('\n')
    await core.call('import:chunk', { jobId, data: Buffer.from(csv).toString('base64') })
    await core.call('import:finish', { jobId })
    expect(await facets(['typeId', 'carrier'])).toEqual({ total: 702, typeId: { pump: 700, meter: 1, gw: 1 }, carrier: { none: 352, orange: 350 } })
  })
})
