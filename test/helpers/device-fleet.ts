/**
 * A seeded random fleet for the device-list tests, and a brute-force reference that answers every query over it by
 * reading everything: the index must give the same pages, totals and facets. The reference shares with the core only
 * what a text means (words, search terms, natural keys, each unit-tested on its own); joins, filters, orders, pages,
 * counts and facets are computed here from the documents as written.
 */
import type { DeviceColumn, DeviceQuery, FacetField, WeatherQuantity, WeatherState } from '../../src-shared/models/device-query'
import { SIM_STATUSES, type Carrier } from '../../src-shared/models/sim'
import { convert } from '../../src-shared/models/weather-units'
import { blankSim } from '../../src-main/core/carriers/sim-model'
import { naturalKey, searchTerms, words } from '../../src-main/core/devices/listing/text'
import { prng } from '../peers/mbed/registry'

export interface FleetDevice {
  _id: string
  kind: 'device'
  schemaVersion: number
  typeId: string
  deviceId: string
  description: string
  metadata: Record<string, unknown>
  extensionConfig: Record<string, unknown> | null
  supportedBundles?: string[]
  location?: { latitude: number; longitude: number; elevation: null; accuracy: null; measuredAt: null; source: 'operator'; updatedAt: string }
  createdAt: string
  updatedAt: string
}

/** A cached weather reading of a device (by its document id), at the point it was asked for. */
export interface FleetWeather {
  latitude: number
  longitude: number
  phrase: string | null
  temperature: WeatherQuantity | null
  wind: WeatherQuantity | null
  observedAt: string
}

export interface FleetSim {
  carrier: Carrier
  id: string
  status: string
  ratePlan: string | null
  dataBytes: number | null
  fetchedAt: string
}

export interface RefRow {
  typeId: string
  deviceId: string
  description: string
  extensions: string[]
  carrier: Carrier | null
  simId: string | null
  simStatus: string | null
  ratePlan: string | null
  dataThisCycleBytes: number | null
  simAsOf: string | null
  updatedAt: string
  configErrors: boolean
  dmSupport: boolean
  weatherStatus: WeatherState | null
  weatherPhrase: string | null
  weatherTemperature: WeatherQuantity | null
  weatherWindSpeed: WeatherQuantity | null
  weatherAsOf: string | null
}

const TYPES = ['gw', 'meter', 'pump-station', 'sensor.v2', 'Valve', 'x']
const PREFIXES = ['gw', 'node', 'Dev', 'a_b', 'GW']
const WORDS = ['North', 'north-east', 'Évry', 'station', '12', '120', 'feeder', 'Pump', 'déjà', 'vu', 'A1', 'a10', 'b2', 'x', '=SUM(A1)', '"quoted"', 'Zoë']
const PLANS = ['Plan A', 'plan b', 'Plan 10', 'Plan 2', null]
const ID_FIELD: Record<Carrier, string> = { jasper: 'iccid', atnt: 'iccid', orange: 'serialnumber' }
const PHRASES = ['Clear sky', 'Partly cloudy', 'Rain', 'rain showers', 'Fog', 'Snow 2', 'Snow 10', null]
/** Readings fetched in different unit systems over time sit side by side in the cache. */
const UNIT_PAIRS = [
  ['°C', 'km/h'],
  ['°F', 'mph'],
  ['°C', 'm/s'],
  ['°C', 'mph'],
] as const

function digits(random: () => number, n: number): string {
  let s = ''
  for (let i = 0; i < n; i++) s += String(Math.floor(random() * 10))
  return s
}

export interface Fleet {
  devices: Map<string, FleetDevice>
  sims: Map<string, FleetSim>
  /** Devices whose configuration is broken (written as a replica could write it). */
  broken: Set<string>
  /** Cached weather readings by device document id (some for devices without a location, some for an earlier one). */
  weather: Map<string, FleetWeather>
}

const tenth = (random: () => number, min: number, max: number) => Math.round((min + random() * (max - min)) * 10) / 10

export function randomWeather(random: () => number, latitude: number, longitude: number): FleetWeather {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!
  const [t, w] = pick(UNIT_PAIRS)
  return {
    latitude,
    longitude,
    phrase: pick(PHRASES),
    temperature: random() < 0.1 ? null : { value: t === '°F' ? tenth(random, -20, 110) : tenth(random, -30, 45), unit: t },
    wind: random() < 0.1 ? null : { value: tenth(random, 0, w === 'm/s' ? 40 : 120), unit: w },
    observedAt: new Date(Date.UTC(2026, 0, 1) + Math.floor(random() * 1e9)).toISOString(),
  }
}

/**
 * `except`: device document ids the fleet never draws (a test's own devices, added after it: drawn by the fleet, the
 * test's add would find them there). Skipped as a duplicate is, before any other draw: a seed that never meets them
 * draws the same fleet as without.
 */
export function makeFleet(seed: number, count: number, except: ReadonlySet<string> = new Set()): Fleet {
  const random = prng(seed)
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!
  const devices = new Map<string, FleetDevice>()
  const sims = new Map<string, FleetSim>()
  const broken = new Set<string>()
  const weather = new Map<string, FleetWeather>()
  const simPool: { carrier: Carrier; id: string }[] = []
  while (devices.size < count) {
    const typeId = pick(TYPES)
    const n = Math.floor(random() * 3000)
    const deviceId = `${pick(PREFIXES)}-${random() < 0.2 ? String(n).padStart(5, '0') : n}`
    const _id = `device:${typeId}:${deviceId}`
    if (devices.has(_id) || except.has(_id)) continue
    const description = random() < 0.2 ? '' : Array.from({ length: 1 + Math.floor(random() * 4) }, () => pick(WORDS)).join(' ')
    let extensionConfig: Record<string, unknown> | null = null
    const r = random()
    if (r < 0.6) {
      let sim: { carrier: Carrier; id: string }
      if (simPool.length > 10 && random() < 0.05) sim = pick(simPool)
      else {
        const carrier = pick(['jasper', 'jasper', 'atnt', 'orange'] as const)
        sim = { carrier, id: carrier === 'orange' ? digits(random, 13) : `89${digits(random, random() < 0.5 ? 17 : 18)}` }
        simPool.push(sim)
      }
      extensionConfig = { [sim.carrier]: { [ID_FIELD[sim.carrier]]: sim.id } }
      if (random() < 0.6 && !sims.has(`${sim.carrier}:${sim.id}`)) {
        sims.set(`${sim.carrier}:${sim.id}`, {
          ...sim,
          status: pick(SIM_STATUSES),
          ratePlan: pick(PLANS),
          dataBytes: random() < 0.2 ? null : Math.floor(random() * 5e9),
          fetchedAt: new Date(Date.UTC(2025, 0, 1) + Math.floor(random() * 1e10)).toISOString(),
        })
      }
    } else if (r < 0.66) {
      extensionConfig = random() < 0.5 ? { jasper: { iccid: 8988 } } : { weather: { on: true } }
      broken.add(_id)
    }
    const located = random() < 0.4 ? { latitude: tenth(random, -60, 60), longitude: tenth(random, -170, 170) } : null
    const w = random()
    if (located && w < 0.6) weather.set(_id, randomWeather(random, located.latitude, located.longitude))
    else if (located && w < 0.7) weather.set(_id, randomWeather(random, located.latitude + 1, located.longitude))
    else if (!located && w < 0.03) weather.set(_id, randomWeather(random, 1, 2))
    devices.set(_id, {
      _id,
      kind: 'device',
      schemaVersion: 1,
      typeId,
      deviceId,
      description,
      metadata: { site: pick(['A', 'B', '-1']) },
      extensionConfig,
      ...(random() < 0.2 ? { supportedBundles: ['pkg-a'] } : {}),
      ...(located ? { location: { ...located, elevation: null, accuracy: null, measuredAt: null, source: 'operator' as const, updatedAt: '2025-06-01T00:00:00.000Z' } } : {}),
      createdAt: '2025-01-01T00:00:00.000Z',
      updatedAt: new Date(Date.UTC(2025, 0, 1) + Math.floor(random() * 1e10)).toISOString(),
    })
  }
  return { devices, sims, broken, weather }
}

/** A weather cache document as weather/weather.store.ts writes it (the fields the list reads, and the rest of a reading). */
export function weatherDoc(deviceDocId: string, w: FleetWeather) {
  const q = (value: number | null, unit: string) => ({ value, unit })
  return {
    _id: `cache:weather:${deviceDocId.slice('device:'.length)}`,
    kind: 'cache',
    schemaVersion: 1,
    fetchedAt: w.observedAt,
    request: { provider: 'open-meteo', units: 'metric', language: 'en', latitude: w.latitude, longitude: w.longitude },
    reading: {
      provider: 'open-meteo',
      units: 'metric',
      language: 'en',
      phrase: w.phrase,
      weatherCode: null,
      temperature: w.temperature ?? q(null, '°C'),
      predictedMax: q(null, '°C'),
      predictedMin: q(null, '°C'),
      relativeHumidity: q(50, '%'),
      pressure: q(1013, 'hPa'),
      visibility: { ...q(10, 'km'), unlimited: false },
      wind: { speed: w.wind ?? q(null, 'km/h'), gust: q(null, 'km/h'), direction: null, cardinal: null },
      requested: { latitude: w.latitude, longitude: w.longitude },
      grid: null,
      observedAt: w.observedAt,
      fetchedAt: w.observedAt,
      expiresAt: w.observedAt,
      attribution: { text: 'Weather data by Open-Meteo.com', url: 'https://open-meteo.com/' },
    },
  }
}

export function simDoc(sim: FleetSim) {
  return {
    _id: `cache:sim:${sim.carrier}:${sim.id}`,
    kind: 'cache',
    schemaVersion: 1,
    fetchedAt: sim.fetchedAt,
    sim: {
      ...blankSim(sim.carrier, sim.id, sim.fetchedAt),
      status: sim.status,
      ratePlan: sim.ratePlan,
      monthToDate: sim.dataBytes === null ? null : { dataBytes: sim.dataBytes, smsCount: 0, voiceSeconds: 0, sessionCount: null },
    },
  }
}

export function refRows(fleet: Fleet): RefRow[] {
  return [...fleet.devices.values()].map((d) => {
    const config = d.extensionConfig
    let carrier: Carrier | null = null
    let simId: string | null = null
    for (const c of ['jasper', 'atnt', 'orange'] as const) {
      const id = (config?.[c] as Record<string, unknown> | undefined)?.[ID_FIELD[c]]
      if (typeof id === 'string') {
        carrier = c
        simId = id
        break
      }
    }
    const sim = carrier && simId ? fleet.sims.get(`${carrier}:${simId}`) : undefined
    const w = fleet.weather.get(d._id)
    const at = d.location
    const weatherStatus: WeatherState | null = !at ? null : !w ? 'notFetched' : w.latitude === at.latitude && w.longitude === at.longitude ? 'cached' : 'moved'
    const shown = weatherStatus === 'cached' ? w! : null
    return {
      typeId: d.typeId,
      deviceId: d.deviceId,
      description: d.description,
      extensions: config ? Object.keys(config).sort() : [],
      carrier,
      simId,
      simStatus: carrier ? (sim?.status ?? 'notCached') : null,
      ratePlan: sim?.ratePlan ?? null,
      dataThisCycleBytes: sim?.dataBytes ?? null,
      simAsOf: sim?.fetchedAt ?? null,
      updatedAt: d.updatedAt,
      configErrors: fleet.broken.has(d._id),
      dmSupport: (d.supportedBundles?.length ?? 0) > 0,
      weatherStatus,
      weatherPhrase: shown?.phrase ?? null,
      weatherTemperature: shown?.temperature ?? null,
      weatherWindSpeed: shown?.wind ?? null,
      weatherAsOf: shown?.observedAt ?? null,
    }
  })
}

/** Code point order (UTF-8 bytes), as LevelDB orders keys. */
const bytes = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b))

const natural = (r: RefRow): [string, string, string] => [naturalKey(r.typeId), naturalKey(r.deviceId), `${r.typeId}:${r.deviceId}`]
function compareNatural(a: RefRow, b: RefRow): number {
  const x = natural(a)
  const y = natural(b)
  for (let i = 0; i < 3; i++) {
    const c = bytes(x[i]!, y[i]!)
    if (c !== 0) return c
  }
  return 0
}

const STATUS_ORDER = [...SIM_STATUSES, 'notCached']

/** The value a row is ordered by (null: shown last whatever the direction). */
function orderValue(column: DeviceColumn, r: RefRow): string | number | null {
  switch (column) {
    case 'typeId':
      return ''
    case 'deviceId':
      return `${naturalKey(r.deviceId)}\u0001${naturalKey(r.typeId)}`
    case 'description':
      return r.description.trim() ? naturalKey(r.description) : null
    case 'carrier':
      return r.carrier
    case 'simId':
      return r.simId === null ? null : naturalKey(r.simId)
    case 'simStatus':
      return r.simStatus === null ? null : STATUS_ORDER.indexOf(r.simStatus)
    case 'simAsOf':
      return r.simAsOf
    case 'ratePlan':
      return r.ratePlan === null ? null : naturalKey(r.ratePlan)
    case 'dataThisCycleBytes':
      return r.dataThisCycleBytes
    case 'extensions':
      return r.extensions.length ? r.extensions.join(',') : null
    case 'updatedAt':
      return r.updatedAt
    case 'configErrors':
      return r.configErrors ? 1 : 0
    case 'dmSupport':
      return r.dmSupport ? 1 : 0
    case 'weatherPhrase':
      return r.weatherPhrase?.trim() ? naturalKey(r.weatherPhrase) : null
    case 'weatherTemperature':
      return r.weatherTemperature === null ? null : thousandths(convert(r.weatherTemperature.value, r.weatherTemperature.unit, '°C'))
    case 'weatherWindSpeed':
      return r.weatherWindSpeed === null ? null : thousandths(convert(r.weatherWindSpeed.value, r.weatherWindSpeed.unit, 'm/s'))
    case 'weatherAsOf':
      return r.weatherAsOf
  }
}

/** Measurements in different units are ordered in one unit, to the thousandth (a conversion's last digits are noise). */
const thousandths = (v: number) => Math.round(v * 1000)

/** Columns ordered by a value many devices share: ties go in natural order whatever the direction. */
const GROUPED = new Set<DeviceColumn>(['carrier', 'simStatus', 'ratePlan', 'extensions', 'configErrors', 'dmSupport'])

export function refCompare(column: DeviceColumn, descending: boolean): (a: RefRow, b: RefRow) => number {
  const dir = descending ? -1 : 1
  return (a, b) => {
    const va = orderValue(column, a)
    const vb = orderValue(column, b)
    if (va === null || vb === null) {
      if (va !== vb) return va === null ? 1 : -1
      return compareNatural(a, b)
    }
    const c = typeof va === 'number' && typeof vb === 'number' ? va - vb : bytes(String(va), String(vb))
    if (c !== 0) return dir * c
    return GROUPED.has(column) ? compareNatural(a, b) : dir * compareNatural(a, b)
  }
}

function wordsOf(r: RefRow): string[] {
  return [...words(r.typeId), ...words(r.deviceId), ...words(r.description), ...(r.simId ? words(r.simId) : []), ...r.extensions]
}

export function refMatches(q: DeviceQuery, r: RefRow): boolean {
  const f = q.filters
  if (f.typeId && !f.typeId.includes(r.typeId)) return false
  if (f.carrier && !f.carrier.includes((r.carrier ?? 'none') as never)) return false
  if (f.simStatus && !f.simStatus.includes((r.simStatus ?? 'none') as never)) return false
  if (f.extension && !(r.extensions.length === 0 ? f.extension.includes('none') : r.extensions.some((e) => f.extension!.includes(e)))) return false
  if (f.configErrors !== undefined && r.configErrors !== f.configErrors) return false
  if (f.dmSupport !== undefined && r.dmSupport !== f.dmSupport) return false
  if (f.weather && !f.weather.includes(r.weatherStatus ?? 'none')) return false
  const ws = wordsOf(r)
  return searchTerms(q.text).every((t) => ws.some((w) => w.startsWith(t)))
}

export function refQuery(rows: RefRow[], q: DeviceQuery): RefRow[] {
  return rows.filter((r) => refMatches(q, r)).sort(refCompare(q.sort, q.descending))
}

export function refFacet(rows: RefRow[], field: FacetField): Map<string, number> {
  const out = new Map<string, number>()
  const add = (v: string) => out.set(v, (out.get(v) ?? 0) + 1)
  for (const r of rows) {
    if (field === 'typeId') add(r.typeId)
    else if (field === 'carrier') add(r.carrier ?? 'none')
    else if (field === 'simStatus') add(r.simStatus ?? 'none')
    else if (field === 'extension') for (const e of r.extensions.length ? r.extensions : ['none']) add(e)
    else if (field === 'weather') add(r.weatherStatus ?? 'none')
    else add(String(r[field]))
  }
  return out
}
