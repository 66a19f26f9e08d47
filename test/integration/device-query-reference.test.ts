/**
 * The device index against a brute-force reference, on a seeded random fleet: every page, total and facet of random
 * queries (text, field filters, every sort column both ways, random offsets) must be what reading everything gives.
 * Run twice: through the dispatcher with the real limits, and straight on the index with limits lowered so far that
 * every way of answering (gathering in memory, walking each order, a selective search term driving, common terms
 * checked on rows, estimated totals, the ranges of the natural order an ID fragment begins) is taken on a fleet of this
 * size.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEVICE_COLUMNS, FACET_FIELDS, type DeviceQuery, type DeviceRow } from '../../src-shared/models/device-query'
import { CARRIERS, SIM_STATUSES } from '../../src-shared/models/sim'
import { DeviceQueries } from '../../src-main/core/devices/listing/query'
import { searchTerms, words } from '../../src-main/core/devices/listing/text'
import { tempDir, testCore } from '../helpers/core'
import { makeFleet, randomWeather, refFacet, refQuery, refRows, simDoc, weatherDoc, type Fleet, type FleetDevice, type FleetWeather, type RefRow } from '../helpers/device-fleet'
import { prng } from '../peers/mbed/registry'

const SEED = Number(process.env.FIELDLINE_QUERY_SEED ?? 4242)
const QUERIES = 250
const TINY = { enumerate: 40, rows: 15, probe: 10, driver: 60, gather: 150 }

type TestCore = Awaited<ReturnType<typeof testCore>>

const label = (r: { typeId: string; deviceId: string }) => `${r.typeId}/${r.deviceId}`
const asRow = (r: RefRow): DeviceRow => ({ ...r, metadata: {} })
/** A row as text with its fields in one order, so two rows compare whatever order their fields were made in. */
const canon = (r: DeviceRow) => JSON.stringify(r, Object.keys(r).sort())

function randomQuery(random: () => number, rows: RefRow[]): DeviceQuery {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!
  const some = <T>(xs: readonly T[], max: number): T[] => [...new Set(Array.from({ length: 1 + Math.floor(random() * max) }, () => pick(xs)))]
  const wordOf = () => {
    const r = pick(rows)
    const ws = [...words(r.deviceId), ...words(r.description), ...(r.simId ? words(r.simId) : []), ...words(r.typeId)]
    const w = pick(ws.length ? ws : ['x'])
    return w.slice(0, 1 + Math.floor(random() * w.length))
  }
  // A fragment typed from an ID: the IDs it begins lie in a few ranges of the natural order.
  const idFragment = () => {
    const id = pick(rows).deviceId
    return id.slice(0, 2 + Math.floor(random() * (id.length - 1)))
  }
  const t = random()
  const text =
    t < 0.35
      ? ''
      : t < 0.47
        ? idFragment()
        : t < 0.65
          ? wordOf()
          : t < 0.78
            ? `${wordOf()} ${wordOf()}`
            : t < 0.86
              ? pick(['g', 'n', '8', 'a', 'x', '1'])
              : t < 0.92
                ? pick(['jasper', 'orang', 'ATNT', 'meter', 'pump', 'sensor v2', 'weath'])
                : pick(['zzzq', 'nowhere 12', 'ÉVRY'])
  const filters: DeviceQuery['filters'] = {}
  if (random() < 0.2) filters.typeId = some(['gw', 'meter', 'pump-station', 'sensor.v2', 'Valve', 'x', 'none-such'], 2)
  if (random() < 0.2) filters.carrier = some([...CARRIERS, 'none'] as const, 2)
  if (random() < 0.2) filters.simStatus = some([...SIM_STATUSES, 'notCached', 'none'] as const, 3)
  if (random() < 0.15) filters.extension = some(['jasper', 'atnt', 'orange', 'weather', 'none'], 2)
  if (random() < 0.15) filters.configErrors = random() < 0.5
  if (random() < 0.15) filters.dmSupport = random() < 0.5
  if (random() < 0.15) filters.weather = some(['cached', 'notFetched', 'moved', 'none'] as const, 2)
  return { text, filters, sort: pick(DEVICE_COLUMNS), descending: random() < 0.5 }
}

async function writeFleet(core: TestCore, fleet: Fleet): Promise<void> {
  const docs = [...fleet.devices.values(), ...[...fleet.sims.values()].map(simDoc), ...[...fleet.weather].map(([id, w]) => weatherDoc(id, w))]
  for (let i = 0; i < docs.length; i += 400) {
    const results = await core.workspace.db.bulkDocs(docs.slice(i, i + 400) as never)
    expect(results.every((r) => 'ok' in r && r.ok)).toBe(true)
  }
}

/** The workspace as the reference sees it: every device and cached SIM read back, broken configurations as written. */
async function referenceOf(core: TestCore, broken: Set<string>): Promise<RefRow[]> {
  const all = await core.workspace.db.allDocs({ include_docs: true })
  const fleet: Fleet = { devices: new Map(), sims: new Map(), broken, weather: new Map() }
  for (const row of all.rows) {
    const doc = row.doc as unknown as Record<string, unknown>
    if (row.id.startsWith('device:')) fleet.devices.set(row.id, doc as unknown as FleetDevice)
    if (row.id.startsWith('cache:sim:')) {
      const sim = doc.sim as { carrier: 'jasper'; iccid: string; status: string; ratePlan: string | null; monthToDate: { dataBytes: number } | null }
      const id = row.id.split(':')[3]!
      fleet.sims.set(`${sim.carrier}:${id}`, {
        carrier: sim.carrier,
        id,
        status: sim.status,
        ratePlan: sim.ratePlan,
        dataBytes: sim.monthToDate?.dataBytes ?? null,
        fetchedAt: doc.fetchedAt as string,
      })
    }
    if (row.id.startsWith('cache:weather:')) {
      const { request, reading } = doc as {
        request: { latitude: number; longitude: number }
        reading: { phrase: string | null; temperature: FleetWeather['temperature']; wind: { speed: FleetWeather['wind'] }; observedAt: string }
      }
      const known = (q: FleetWeather['temperature']) => (q?.value === null ? null : q)
      fleet.weather.set(`device:${row.id.slice('cache:weather:'.length)}`, {
        latitude: request.latitude,
        longitude: request.longitude,
        phrase: reading.phrase,
        temperature: known(reading.temperature),
        wind: known(reading.wind.speed),
        observedAt: reading.observedAt,
      })
    }
  }
  return refRows(fleet)
}

describe('device queries against a brute-force reference', () => {
  let core: TestCore
  let cleanup: () => Promise<void>
  let rows: RefRow[]
  /** The devices the setup adds itself: a fleet that drew one made the setup fail ("gw/gw-10 already exists", seed 5). */
  const OWN = [
    { typeId: 'gw', deviceId: 'gw-2', description: 'Added by the service' },
    { typeId: 'gw', deviceId: 'gw-10', description: 'Added by the service' },
    // Words of other devices' IDs in a description: a search typed from an ID finds it by them too.
    { typeId: 'pump-station', deviceId: 'relay-1', description: 'Feeds gw-17 and gw-1200, gw-0012' },
  ]
  const fleet = makeFleet(SEED, 1500, new Set(OWN.map((d) => `device:${d.typeId}:${d.deviceId}`)))

  beforeAll(async () => {
    const t = await tempDir()
    cleanup = t.cleanup
    core = await testCore(t.dir)
    await writeFleet(core, fleet)
    // Changes after the first indexing: removals, new configurations, SIMs read again, an import, services' writes.
    const random = prng(SEED + 1)
    const db = core.workspace.db
    const some = [...fleet.devices.values()].filter(() => random() < 0.12)
    const changed = await Promise.all(some.map((d) => db.get(d._id)))
    await db.bulkDocs(
      changed.map((doc, i) => {
        if (i % 3 === 0) return { ...doc, _deleted: true }
        if (i % 3 === 1) {
          fleet.broken.delete(doc._id)
          return { ...doc, extensionConfig: { orange: { serialnumber: '1234567890123' } }, updatedAt: '2026-01-01T00:00:00.000Z' }
        }
        return { ...doc, description: 'Rewritten 7', supportedBundles: [] }
      }) as never,
    )
    for (const sim of [...fleet.sims.values()].filter(() => random() < 0.2)) {
      const doc = await db.get(`cache:sim:${sim.carrier}:${sim.id}`)
      await db.put({ ...doc, ...simDoc({ ...sim, status: 'suspended', dataBytes: 7 }), _rev: doc._rev } as never)
    }
    await db.put(simDoc({ carrier: 'orange', id: '1234567890123', status: 'sleeping', ratePlan: 'Plan 2', dataBytes: null, fetchedAt: '2026-02-02T00:00:00.000Z' }) as never)
    // The weather cache changing under devices that did not change: readings fetched, dropped, and devices moved.
    const located = (await db.allDocs({ include_docs: true, startkey: 'device:', endkey: 'device:\ufff0' })).rows
      .map((r) => r.doc as unknown as FleetDevice & { _rev: string })
      .filter((d) => d.location && random() < 0.15)
    for (const [i, d] of located.entries()) {
      const id = weatherDoc(d._id, randomWeather(random, 0, 0))._id
      const existing = await db.get(id).catch(() => null)
      if (i % 3 === 0) await db.put({ ...weatherDoc(d._id, randomWeather(random, d.location!.latitude, d.location!.longitude)), ...(existing ? { _rev: existing._rev } : {}) } as never)
      else if (i % 3 === 1 && existing) await db.remove(existing._id, existing._rev)
      else await db.put({ ...d, location: { ...d.location!, longitude: d.location!.longitude + 0.5 } } as never)
    }
    const { jobId } = await core.call('import:start', { fileName: 'more.csv' })
    const csv = [
      'typeId,deviceId,description,carrier,iccid',
      ...Array.from({ length: 300 }, (_, i) => `meter,imp-${i},Imported ${i % 7},${i % 2 ? 'jasper' : ''},${i % 2 ? `8988216716970${String(i).padStart(6, '0')}` : ''}`),
    ].join('\n')
    await core.call('import:chunk', { jobId, data: Buffer.from(csv).toString('base64') })
    await core.call('import:finish', { jobId })
    for (const device of OWN) await core.call('devices:add', device)
    rows = await referenceOf(core, fleet.broken)
    // Every weather state is there to be filtered, counted and ordered.
    for (const state of ['cached', 'notFetched', 'moved', null]) expect(rows.filter((r) => r.weatherStatus === state).length).toBeGreaterThan(20)
  }, 120_000)
  afterAll(async () => {
    await core.close()
    await cleanup()
  })

  it(`answers ${QUERIES} random queries (seed ${SEED}) through the dispatcher as the reference does`, async () => {
    const random = prng(SEED + 2)
    const wrong: string[] = []
    for (let i = 0; i < QUERIES; i++) {
      const query = randomQuery(random, rows)
      const expected = refQuery(rows, query)
      const offset = random() < 0.5 ? 0 : Math.floor(random() * (expected.length + 10))
      const limit = 1 + Math.floor(random() * 60)
      const got = await core.call('devices:query', { query, offset, limit })
      const want = expected.slice(offset, offset + limit)
      const what = JSON.stringify({ query, offset, limit })
      if (got.items.map(canon).join('\n') !== want.map(asRow).map(canon).join('\n')) wrong.push(`${what}: items ${got.items.map(label).join(',')} ≠ ${want.map(label).join(',')}`)
      if (got.totalExact && got.total !== expected.length) wrong.push(`${what}: total ${got.total} ≠ ${expected.length}`)
      if (!got.totalExact && got.total < Math.min(expected.length, offset + got.items.length)) wrong.push(`${what}: estimate ${got.total} below what it returned`)
      const counted = await core.call('devices:count', { selection: { query }, by: [...FACET_FIELDS] })
      if (counted.total !== expected.length) wrong.push(`${what}: count ${counted.total} ≠ ${expected.length}`)
      for (const facet of counted.facets) {
        const ref = Object.fromEntries(refFacet(expected, facet.field))
        if (
          JSON.stringify(Object.fromEntries(facet.values.map((v) => [v.value, v.count]))) !== JSON.stringify(Object.fromEntries(facet.values.map((v) => [v.value, ref[v.value]]))) ||
          facet.values.length !== Object.keys(ref).length
        ) {
          wrong.push(`${what}: facet ${facet.field} ${JSON.stringify(facet.values)} ≠ ${JSON.stringify(ref)}`)
        }
      }
    }
    expect(wrong.slice(0, 5)).toEqual([])
  }, 180_000)

  it('gives the same pages, totals and full walks with limits low enough to take every way of answering', async () => {
    const random = prng(SEED + 3)
    const index = core.deviceIndex
    await index.sync()
    const queries = new DeviceQueries(index.db, index.cells, TINY)
    const wrong: string[] = []
    let estimated = 0
    const check = async (query: DeviceQuery, i: number) => {
      const expected = refQuery(rows, query)
      const offset = random() < 0.5 ? 0 : Math.floor(random() * (expected.length + 10))
      const limit = 1 + Math.floor(random() * 60)
      const what = JSON.stringify({ query, offset, limit })
      const page = await index.read(() => queries.page(query, offset, limit))
      const want = expected.slice(offset, offset + limit)
      if (page.rows.map((r) => label(r.row)).join(',') !== want.map(label).join(',')) wrong.push(`${what}: ${page.rows.map((r) => label(r.row)).join(',')} ≠ ${want.map(label).join(',')}`)
      if (page.totalExact && page.total !== expected.length) wrong.push(`${what}: total ${page.total} ≠ ${expected.length}`)
      if (!page.totalExact) estimated++
      const tally = await index.read(() => queries.tally({ query, except: [] }, []))
      if (tally.total !== expected.length) wrong.push(`${what}: tally ${tally.total} ≠ ${expected.length}`)
      if (i % 10 === 0) {
        const all: string[] = []
        await index.read(async () => {
          for await (const batch of queries.rows({ query, except: [] })) all.push(...batch.map((r) => label(r.row)))
        })
        if (all.join(',') !== expected.map(label).join(',')) wrong.push(`${what}: a full walk differs`)
      }
    }
    for (let i = 0; i < QUERIES; i++) await check(randomQuery(random, rows), i)
    // Short fragments typed from IDs ("gw-1", "pump-00"), which begin too many IDs to drive the search at these limits.
    for (let i = 0; i < 60; i++) {
      const { deviceId } = rows[Math.floor(random() * rows.length)]!
      const text = deviceId.slice(0, deviceId.indexOf('-') + 2 + Math.floor(random() * 2))
      const filters: DeviceQuery['filters'] = random() < 0.3 ? { carrier: ['jasper', 'none'] } : {}
      await check({ text, filters, sort: 'typeId', descending: random() < 0.5 }, i)
    }
    // Digits typed from SIM ids, as from an ICCID: a lone common term read whole from its postings, the page kept as
    // they are read; without a filter, in an order of keys, without the postings' cells.
    const sims = rows.filter((r) => r.simId !== null)
    for (let i = 0; i < 60; i++) {
      const simId = sims[Math.floor(random() * sims.length)]!.simId!
      const text = simId.slice(0, 1 + Math.floor(random() * 5))
      const filters: DeviceQuery['filters'] = random() < 0.2 ? { carrier: ['atnt', 'orange'] } : {}
      const sort = (['typeId', 'deviceId', 'carrier', 'dmSupport'] as const)[Math.floor(random() * 4)]!
      await check({ text, filters, sort, descending: random() < 0.5 }, i)
    }
    expect(wrong.slice(0, 5)).toEqual([])
    // The broad-search way, whose total is an estimate, was taken (and its pages checked above).
    expect(estimated).toBeGreaterThan(0)
  }, 180_000)

  it('counts selections that leave devices out, or name them one by one, and walks them in order', async () => {
    const query: DeviceQuery = { text: '', filters: { carrier: ['jasper'] }, sort: 'simId', descending: true }
    const expected = refQuery(rows, query)
    const except = expected.slice(0, 25).map((r) => ({ typeId: r.typeId, deviceId: r.deviceId }))
    const outside = rows.find((r) => r.carrier !== 'jasper')!
    const counted = await core.call('devices:count', { selection: { query, except: [...except, { typeId: outside.typeId, deviceId: outside.deviceId }] }, by: ['carrier'] })
    expect(counted).toEqual({ total: expected.length - 25, facets: [{ field: 'carrier', values: [{ value: 'jasper', count: expected.length - 25 }] }] })

    const keys = [...rows.slice(0, 30), ...rows.slice(0, 3)].map((r) => ({ typeId: r.typeId, deviceId: r.deviceId }))
    const named = await core.call('devices:count', { selection: { keys: [...keys, { typeId: 'gone', deviceId: 'never-was' }] }, by: ['typeId'] })
    expect(named.total).toBe(30)
    const byType = Object.fromEntries(refFacet(rows.slice(0, 30), 'typeId'))
    expect(Object.fromEntries(named.facets[0]!.values.map((v) => [v.value, v.count]))).toEqual(byType)

    const index = core.deviceIndex
    const queries = new DeviceQueries(index.db, index.cells, TINY)
    const walked: string[] = []
    await index.read(async () => {
      for await (const batch of queries.rows({ keys, sort: 'updatedAt', descending: false })) walked.push(...batch.map((r) => label(r.row)))
    })
    expect(walked).toEqual(refQuery(rows.slice(0, 30), { text: '', filters: {}, sort: 'updatedAt', descending: false }).map(label))
  })

  it('orders IDs naturally and searches by the beginning of words, ignoring case and accents', async () => {
    const page = await core.call('devices:query', { query: { text: 'gw-', filters: { typeId: ['gw'] } }, limit: 1000 })
    const ids = page.items.map((r) => r.deviceId).filter((id) => /^gw-\d+$/.test(id))
    expect(ids.indexOf('gw-2')).toBeLessThan(ids.indexOf('gw-10'))
    expect(searchTerms('ÉVRY north-EAST')).toEqual(['evry', 'north-east'])
    const evry = await core.call('devices:count', { selection: { query: { text: 'evry' } } })
    expect(evry.total).toBe(refQuery(rows, { text: 'Évry', filters: {}, sort: 'typeId', descending: false }).length)
    expect(evry.total).toBeGreaterThan(0)
  })
})
