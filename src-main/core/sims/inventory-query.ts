import { cellText, csvRecord } from '../../../src-shared/models/device-table'
import { CARRIERS, type Carrier } from '../../../src-shared/models/sim'
import { SIM_EXPORT_COLUMNS, SIM_NOT_LISTED, type SimFilters, type SimKey, type SimQuery, type SimRow, type SimSelection } from '../../../src-shared/models/sim-inventory'
import type { DeviceIndex } from '../devices/listing/device-index'
import { END, keyOfNat, simDevicesKey } from '../devices/listing/keys'
import type { SimCacheDoc } from '../store/cache.store'
import type { Db } from '../store/documents'
import { allSimDocs } from './inventory.store'

const MAX_DEVICES_SHOWN = 10

/**
 * The whole inventory as rows: every SIM the cache holds (listed by a sync or read by a SIM panel) and every SIM a
 * device's configuration names (from the device index, so a million devices are not read). Built per query: the
 * inventory is at most a few hundred thousand SIMs, read page by page from the workspace.
 */
export async function inventoryRows(db: Db, index: DeviceIndex): Promise<SimRow[]> {
  const attached = await attachedSims(index)
  const rows = new Map<string, SimRow>()
  for await (const page of allSimDocs(db)) {
    for (const doc of page) {
      const row = rowOf(doc, attached)
      if (row) rows.set(`${row.carrier}:${row.simId}`, row)
    }
  }
  for (const [key, devices] of attached) {
    if (rows.has(key)) continue
    const colon = key.indexOf(':')
    const carrier = key.slice(0, colon) as Carrier
    const simId = key.slice(colon + 1)
    if (!(CARRIERS as readonly string[]).includes(carrier) || !/^\d{1,24}$/.test(simId)) continue
    rows.set(key, {
      carrier,
      simId,
      iccid: carrier === 'orange' ? null : simId,
      account: null,
      status: SIM_NOT_LISTED,
      statusRaw: null,
      ratePlan: null,
      communicationPlan: null,
      dataBytes: null,
      smsCount: null,
      lastSessionAt: null,
      asOf: null,
      usageAsOf: null,
      devices: devices.slice(0, MAX_DEVICES_SHOWN),
    })
  }
  return [...rows.values()]
}

/** SIM key (`carrier:id`) → the devices naming it, as the device index keeps them. */
async function attachedSims(index: DeviceIndex): Promise<Map<string, string[]>> {
  await index.sync()
  return index.read(async () => {
    const out = new Map<string, string[]>()
    const reader = index.db.range({ gte: simDevicesKey(''), lt: simDevicesKey(END) })
    try {
      for (let entries = await reader.next(1000); entries.length > 0; entries = await reader.next(1000)) {
        for (const [key, value] of entries) {
          const devices = devicesOf(value)
          if (devices.length > 0) out.set(key.slice(simDevicesKey('').length), devices)
        }
      }
    } finally {
      await reader.close()
    }
    return out
  })
}

/** The index's value for one SIM (natural keys, one a line) as `type/id`. */
function devicesOf(value: string | undefined): string[] {
  return (value ?? '')
    .split('\n')
    .filter((n) => n !== '')
    .map((n) => {
      const k = keyOfNat(n)
      return `${k.typeId}/${k.deviceId}`
    })
}

/** The devices naming each of these SIMs (`carrier:id`), at most ten each, read key by key rather than the whole range. */
export async function devicesOfSims(index: DeviceIndex, sims: readonly string[]): Promise<Map<string, string[]>> {
  if (sims.length === 0) return new Map()
  await index.sync()
  const values = await index.read(() => index.db.getMany(sims.map(simDevicesKey)))
  return new Map(sims.map((sim, i) => [sim, devicesOf(values[i]).slice(0, MAX_DEVICES_SHOWN)]))
}

function rowOf(doc: SimCacheDoc, attached: Map<string, string[]>): SimRow | null {
  const sim = doc.sim
  const simId = doc._id.slice(doc._id.indexOf(':', 'cache:sim:'.length) + 1)
  if (!(CARRIERS as readonly string[]).includes(sim.carrier) || !/^\d{1,24}$/.test(simId)) return null
  const devices = attached.get(`${sim.carrier}:${simId}`) ?? []
  return {
    carrier: sim.carrier,
    simId,
    iccid: sim.iccid,
    account: doc.inventory?.account || null,
    status: sim.status,
    statusRaw: sim.statusRaw,
    ratePlan: sim.ratePlan,
    communicationPlan: sim.communicationPlan,
    dataBytes: sim.monthToDate?.dataBytes ?? null,
    smsCount: sim.monthToDate?.smsCount ?? null,
    lastSessionAt: doc.inventory?.lastSessionAt ?? null,
    asOf: doc.fetchedAt,
    usageAsOf: doc.inventory?.usageAt ?? null,
    devices: devices.slice(0, MAX_DEVICES_SHOWN),
  }
}

export function matches(row: SimRow, f: SimFilters): boolean {
  if (f.carrier && !f.carrier.includes(row.carrier)) return false
  if (f.account && (row.account === null || !f.account.includes(row.account))) return false
  if (f.status && !f.status.includes(row.status)) return false
  if (f.ratePlan && (row.ratePlan === null || !f.ratePlan.includes(row.ratePlan))) return false
  if (f.dataAbove !== undefined && (row.dataBytes === null || row.dataBytes < f.dataAbove)) return false
  if (f.dataBelow !== undefined && (row.dataBytes === null || row.dataBytes > f.dataBelow)) return false
  if (f.attached !== undefined && row.devices.length > 0 !== f.attached) return false
  if (f.refreshedBefore !== undefined && row.asOf !== null && row.asOf >= f.refreshedBefore) return false
  if (f.text !== undefined && !matchesText(row, f.text)) return false
  return true
}

function matchesText(row: SimRow, text: string): boolean {
  const words = text
    .toLowerCase()
    .split(/\s+/)
    .filter((w) => w !== '')
  if (words.length === 0) return true
  const haystack = [row.simId, row.iccid, row.account, row.ratePlan, row.communicationPlan, ...row.devices]
    .filter((v) => v !== null)
    .join('\n')
    .toLowerCase()
  return words.every((w) => haystack.includes(w))
}

const collator = new Intl.Collator('en', { numeric: true })

/** Filtered and sorted; empty values last whichever the direction, the SIM id breaking ties. */
export function select(rows: readonly SimRow[], query: SimQuery): SimRow[] {
  const field = query.sort
  const sign = query.descending ? -1 : 1
  return rows
    .filter((r) => matches(r, query.filters))
    .sort((a, b) => {
      const x = a[field]
      const y = b[field]
      if (x !== y) {
        if (x === null) return 1
        if (y === null) return -1
        const c = typeof x === 'number' && typeof y === 'number' ? x - y : collator.compare(String(x), String(y))
        if (c !== 0) return sign * c
      }
      return collator.compare(`${a.carrier}:${a.simId}`, `${b.carrier}:${b.simId}`)
    })
}

const keyOf = (sim: SimKey): string => `${sim.carrier}:${sim.simId}`

/** The rows a selection holds, in its order: a query's minus its exceptions, or the SIMs picked (those still there). */
export function selected(rows: readonly SimRow[], selection: SimSelection): SimRow[] {
  if ('query' in selection) {
    const except = new Set(selection.except.map(keyOf))
    return select(rows, selection.query).filter((r) => !except.has(keyOf(r)))
  }
  const keys = new Set(selection.keys.map(keyOf))
  return select(
    rows.filter((r) => keys.has(keyOf(r))),
    { filters: {}, sort: selection.sort, descending: selection.descending },
  )
}

export const simCsvHeader = (): string => csvRecord([...SIM_EXPORT_COLUMNS])

/** A row as CSV, every cell formula-safe (the device export's helpers). */
export function simCsvLine(row: SimRow): string {
  return csvRecord(SIM_EXPORT_COLUMNS.map((c) => cellText(row[c])))
}

export function simJsonLine(row: SimRow): string {
  return `${JSON.stringify(Object.fromEntries(SIM_EXPORT_COLUMNS.map((c) => [c, row[c]])))}\n`
}
