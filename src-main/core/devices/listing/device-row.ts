import { DEVICE_ID_PATTERN } from '../../../../src-shared/models/device-id'
import { SIM_NOT_CACHED, type DeviceRow } from '../../../../src-shared/models/device-query'
import { CARRIERS, SIM_STATUSES, type Carrier } from '../../../../src-shared/models/sim'
import type { BaseDoc } from '../../store/documents'
import { checkConfigValue } from '../extension-config'

/** What the carrier cache says of a SIM, as the device list shows it. */
export interface SimFacts {
  status: string
  ratePlan: string | null
  dataBytes: number | null
  asOf: string
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
}

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
}

const SIM_ID_FIELD: Record<Carrier, string> = { jasper: 'iccid', atnt: 'iccid', orange: 'serialnumber' }
const KNOWN_STATUSES = new Set<string>(SIM_STATUSES)
const SHORT_TEXT = 64

const text = (v: unknown, max: number): string => (typeof v === 'string' ? v.slice(0, max) : '')
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

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
export function deviceFields(doc: BaseDoc): Omit<IndexedRow, 'simStatus' | 'ratePlan' | 'dataBytes' | 'simAsOf'> | null {
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

export function simRefOf(row: Pick<IndexedRow, 'carrier' | 'simId'>): SimRef | null {
  return row.carrier && row.simId ? { carrier: row.carrier, id: row.simId } : null
}

export function withSim(fields: Omit<IndexedRow, 'simStatus' | 'ratePlan' | 'dataBytes' | 'simAsOf'>, facts: SimFacts | null): IndexedRow {
  const hasSim = fields.carrier !== null
  return {
    ...fields,
    simStatus: !hasSim ? null : (facts?.status ?? SIM_NOT_CACHED),
    ratePlan: hasSim ? (facts?.ratePlan ?? null) : null,
    dataBytes: hasSim ? (facts?.dataBytes ?? null) : null,
    simAsOf: hasSim ? (facts?.asOf ?? null) : null,
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
  }
}

export function cellKeyOf(cell: CellFields): string {
  return JSON.stringify([cell.typeId, cell.carrier, cell.simStatus, cell.ratePlan, cell.extensions, cell.configErrors, cell.dmSupport])
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
  ])
}

export function decodeRow(json: string): IndexedRow {
  const a = JSON.parse(json) as [string, string, string, string[], Carrier | null, string | null, string | null, string | null, number | null, string | null, string, 0 | 1, 0 | 1]
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
    metadata,
  }
}
