import { DEVICE_ID_PATTERN } from '../../../../src-shared/models/device-id'
import { SIM_NOT_CACHED, type DeviceRow, type WeatherQuantity, type WeatherState } from '../../../../src-shared/models/device-query'
import { CARRIERS, SIM_STATUSES, type Carrier } from '../../../../src-shared/models/sim'
import { WEATHER_QUANTITY_UNITS } from '../../../../src-shared/models/weather'
import { dimensionOf, isUnit } from '../../../../src-shared/models/weather-units'
import type { BaseDoc } from '../../store/documents'
import { checkConfigValue } from '../extension-config'

/** What the carrier cache says of a SIM, as the device list shows it. */
export interface SimFacts {
  status: string
  ratePlan: string | null
  dataBytes: number | null
  asOf: string
}

/** What the weather cache says at a device's location, as the device list shows it, with the point it was read at. */
export interface WeatherFacts {
  phrase: string | null
  temperature: WeatherQuantity | null
  wind: WeatherQuantity | null
  asOf: string
  latitude: number
  longitude: number
}

/** A device as the index keeps it: every column of the list, without metadata (read from the device when asked for). */
export interface IndexedRow {
  typeId: string
  deviceId: string
  description: string
  extensions: string[]
  carrier: Carrier | null
  simId: string | null
  /** A SIM_STATUSES value, SIM_NOT_CACHED for a SIM the cache has not read, null without a SIM. */
  simStatus: string | null
  ratePlan: string | null
  dataBytes: number | null
  simAsOf: string | null
  updatedAt: string
  configErrors: boolean
  dmSupport: boolean
  /** The device's location (both null without one): a cached reading for another point is not its weather. */
  latitude: number | null
  longitude: number | null
  /** A WEATHER_STATES value, null without a location. */
  weatherStatus: WeatherState | null
  weatherPhrase: string | null
  temperature: WeatherQuantity | null
  wind: WeatherQuantity | null
  weatherAsOf: string | null
}

/** The fields of a row that come from the caches (carrier, weather) rather than from the device's document. */
type CachedField = 'simStatus' | 'ratePlan' | 'dataBytes' | 'simAsOf' | 'weatherStatus' | 'weatherPhrase' | 'temperature' | 'wind' | 'weatherAsOf'
export type DeviceFields = Omit<IndexedRow, CachedField>

/**
 * The fields of a row that few devices differ in. Devices with the same values form a cell; the index counts each
 * cell's devices, which gives every count and facet of a field-only query without reading a device.
 */
export interface CellFields {
  typeId: string
  carrier: Carrier | null
  simStatus: string | null
  ratePlan: string | null
  extensions: string[]
  configErrors: boolean
  dmSupport: boolean
  weatherStatus: WeatherState | null
}

const SIM_ID_FIELD: Record<Carrier, string> = { jasper: 'iccid', atnt: 'iccid', orange: 'serialnumber' }
const KNOWN_STATUSES = new Set<string>(SIM_STATUSES)
const SHORT_TEXT = 64

const text = (v: unknown, max: number): string => (typeof v === 'string' ? v.slice(0, max) : '')
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v)
const QUANTITY_UNITS = new Set<string>(WEATHER_QUANTITY_UNITS)

export interface SimRef {
  carrier: Carrier
  id: string
}

/** The cache key of a SIM (store/cache.store.ts names its document `cache:sim:<carrier>:<id>`). */
export const simKey = (sim: SimRef): string => `${sim.carrier}:${sim.id}`

/**
 * The device's fields as the list shows them, or null for a document that is not a device this core can show (a
 * replica may hold anything: each field is checked, a broken configuration counts as a configuration error).
 */
export function deviceFields(doc: BaseDoc): DeviceFields | null {
  const d = doc as BaseDoc & Record<string, unknown>
  if (d.kind !== 'device' || typeof d.typeId !== 'string' || typeof d.deviceId !== 'string') return null
  if (!DEVICE_ID_PATTERN.test(d.typeId) || !DEVICE_ID_PATTERN.test(d.deviceId) || d._id !== `device:${d.typeId}:${d.deviceId}`) return null
  const config = d.extensionConfig
  const extensions = isObject(config) ? Object.keys(config).sort() : []
  let carrier: Carrier | null = null
  let simId: string | null = null
  if (isObject(config)) {
    for (const c of CARRIERS) {
      const id = isObject(config[c]) ? config[c][SIM_ID_FIELD[c]] : undefined
      if (typeof id === 'string' && id !== '') {
        carrier = c
        simId = id.slice(0, SHORT_TEXT)
        break
      }
    }
  }
  const configErrors = config !== null && config !== undefined && !checkConfigValue(config).valid
  const bundles = d.supportedBundles
  const location = isObject(d.location) && isNumber(d.location.latitude) && isNumber(d.location.longitude) ? d.location : null
  return {
    typeId: d.typeId,
    deviceId: d.deviceId,
    description: text(d.description, 1000),
    extensions: extensions.map((e) => e.slice(0, 32)),
    carrier,
    simId,
    updatedAt: text(d.updatedAt, SHORT_TEXT),
    configErrors,
    dmSupport: Array.isArray(bundles) && bundles.length > 0,
    latitude: location ? (location.latitude as number) : null,
    longitude: location ? (location.longitude as number) : null,
  }
}

/** The facts of a cached SIM document (`cache:sim:…`), or null when it holds none this list can show. */
export function simFacts(doc: BaseDoc): SimFacts | null {
  const sim = (doc as BaseDoc & { sim?: unknown }).sim
  const fetchedAt = (doc as BaseDoc & { fetchedAt?: unknown }).fetchedAt
  if (!isObject(sim) || typeof fetchedAt !== 'string') return null
  const usage = sim.monthToDate
  const bytes = isObject(usage) ? usage.dataBytes : null
  return {
    status: typeof sim.status === 'string' && KNOWN_STATUSES.has(sim.status) ? sim.status : 'unknown',
    ratePlan: typeof sim.ratePlan === 'string' ? sim.ratePlan.slice(0, SHORT_TEXT) : null,
    dataBytes: typeof bytes === 'number' && Number.isFinite(bytes) && bytes >= 0 ? bytes : null,
    asOf: fetchedAt.slice(0, SHORT_TEXT),
  }
}

/**
 * A reading's quantity when its unit measures what the column shows: a replicated or older document may carry any
 * unit, and ordering converts to one unit per dimension (keys.ts), which a temperature in % cannot be.
 */
function quantity(v: unknown, dimension: 'temperature' | 'speed'): WeatherQuantity | null {
  if (!isObject(v) || !isNumber(v.value) || typeof v.unit !== 'string' || !QUANTITY_UNITS.has(v.unit)) return null
  return isUnit(v.unit) && dimensionOf(v.unit) === dimension ? { value: v.value, unit: v.unit as WeatherQuantity['unit'] } : null
}

/** The facts of a cached weather document (`cache:weather:…`, weather/weather.store.ts), or null when it holds none this list can show. */
export function weatherFacts(doc: BaseDoc): WeatherFacts | null {
  const { request, reading } = doc as BaseDoc & { request?: unknown; reading?: unknown }
  if (!isObject(request) || !isObject(reading) || !isNumber(request.latitude) || !isNumber(request.longitude) || typeof reading.observedAt !== 'string') return null
  return {
    phrase: typeof reading.phrase === 'string' ? reading.phrase.slice(0, SHORT_TEXT) : null,
    temperature: quantity(reading.temperature, 'temperature'),
    wind: isObject(reading.wind) ? quantity(reading.wind.speed, 'speed') : null,
    asOf: reading.observedAt.slice(0, SHORT_TEXT),
    latitude: request.latitude,
    longitude: request.longitude,
  }
}

export function simRefOf(row: Pick<IndexedRow, 'carrier' | 'simId'>): SimRef | null {
  return row.carrier && row.simId ? { carrier: row.carrier, id: row.simId } : null
}

function weatherStateOf(fields: DeviceFields, facts: WeatherFacts | null): WeatherState | null {
  if (fields.latitude === null || fields.longitude === null) return null
  if (!facts) return 'notFetched'
  return facts.latitude === fields.latitude && facts.longitude === fields.longitude ? 'cached' : 'moved'
}

/** A device's row: its own fields with what the carrier cache says of its SIM and the weather cache of its location. */
export function withCaches(fields: DeviceFields, sim: SimFacts | null, weather: WeatherFacts | null): IndexedRow {
  const hasSim = fields.carrier !== null
  const weatherStatus = weatherStateOf(fields, weather)
  const shown = weatherStatus === 'cached' ? weather : null
  return {
    ...fields,
    simStatus: !hasSim ? null : (sim?.status ?? SIM_NOT_CACHED),
    ratePlan: hasSim ? (sim?.ratePlan ?? null) : null,
    dataBytes: hasSim ? (sim?.dataBytes ?? null) : null,
    simAsOf: hasSim ? (sim?.asOf ?? null) : null,
    weatherStatus,
    weatherPhrase: shown?.phrase ?? null,
    temperature: shown?.temperature ?? null,
    wind: shown?.wind ?? null,
    weatherAsOf: shown?.asOf ?? null,
  }
}

export function cellOf(row: IndexedRow): CellFields {
  return {
    typeId: row.typeId,
    carrier: row.carrier,
    simStatus: row.simStatus,
    ratePlan: row.ratePlan,
    extensions: row.extensions,
    configErrors: row.configErrors,
    dmSupport: row.dmSupport,
    weatherStatus: row.weatherStatus,
  }
}

export function cellKeyOf(cell: CellFields): string {
  return JSON.stringify([cell.typeId, cell.carrier, cell.simStatus, cell.ratePlan, cell.extensions, cell.configErrors, cell.dmSupport, cell.weatherStatus])
}

/** Rows are stored as JSON arrays: a million of them are read and written, and names in every row would double that. */
export function encodeRow(row: IndexedRow): string {
  return JSON.stringify([
    row.typeId,
    row.deviceId,
    row.description,
    row.extensions,
    row.carrier,
    row.simId,
    row.simStatus,
    row.ratePlan,
    row.dataBytes,
    row.simAsOf,
    row.updatedAt,
    row.configErrors ? 1 : 0,
    row.dmSupport ? 1 : 0,
    row.latitude,
    row.longitude,
    row.weatherStatus,
    row.weatherPhrase,
    row.temperature,
    row.wind,
    row.weatherAsOf,
  ])
}

type EncodedRow = [
  string,
  string,
  string,
  string[],
  Carrier | null,
  string | null,
  string | null,
  string | null,
  number | null,
  string | null,
  string,
  0 | 1,
  0 | 1,
  number | null,
  number | null,
  WeatherState | null,
  string | null,
  WeatherQuantity | null,
  WeatherQuantity | null,
  string | null,
]

export function decodeRow(json: string): IndexedRow {
  const a = JSON.parse(json) as EncodedRow
  return {
    typeId: a[0],
    deviceId: a[1],
    description: a[2],
    extensions: a[3],
    carrier: a[4],
    simId: a[5],
    simStatus: a[6],
    ratePlan: a[7],
    dataBytes: a[8],
    simAsOf: a[9],
    updatedAt: a[10],
    configErrors: a[11] === 1,
    dmSupport: a[12] === 1,
    latitude: a[13],
    longitude: a[14],
    weatherStatus: a[15],
    weatherPhrase: a[16],
    temperature: a[17],
    wind: a[18],
    weatherAsOf: a[19],
  }
}

export function toDeviceRow(row: IndexedRow, metadata: Record<string, string>): DeviceRow {
  return {
    typeId: row.typeId,
    deviceId: row.deviceId,
    description: row.description,
    extensions: row.extensions,
    carrier: row.carrier,
    simId: row.simId,
    simStatus: row.simStatus,
    simAsOf: row.simAsOf,
    ratePlan: row.ratePlan,
    dataThisCycleBytes: row.dataBytes,
    updatedAt: row.updatedAt,
    configErrors: row.configErrors,
    dmSupport: row.dmSupport,
    weatherStatus: row.weatherStatus,
    weatherPhrase: row.weatherPhrase,
    weatherTemperature: row.temperature,
    weatherWindSpeed: row.wind,
    weatherAsOf: row.weatherAsOf,
    metadata,
  }
}
