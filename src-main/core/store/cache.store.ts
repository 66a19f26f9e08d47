import type { CycleUsage, Sim } from '../../../src-shared/models/sim'
import { getOrNull, isConflict, type BaseDoc, type Db } from './documents'
import { CURRENT_SCHEMA } from './schema'

/**
 * Carrier data as last read, so panels render offline "as of" `fetchedAt`. One document per SIM and one per
 * SIM and cycle: a refresh replaces a whole document, so replicas merge by last write. A SIM is keyed by what the
 * device's configuration names: the ICCID for Control Center, the serial number for Orange.
 */
export interface SimCacheDoc extends BaseDoc {
  kind: 'cache'
  sim: Sim
  fetchedAt: string
}

export interface UsageCacheDoc extends BaseDoc {
  kind: 'cache'
  usage: CycleUsage
  fetchedAt: string
}

const simId = (carrier: string, key: string) => `cache:sim:${carrier}:${key}`
const usagePrefix = (carrier: string, iccid: string) => `cache:usage:${carrier}:${iccid}:`

/** Writes `doc` over whatever copy is there: for caches, where the latest read is the one to keep. */
export async function upsert<T extends BaseDoc>(db: Db, doc: T): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const existing = await getOrNull<T>(db, doc._id)
    try {
      await db.put({ ...doc, ...(existing ? { _rev: existing._rev } : {}) })
      return
    } catch (e) {
      // Two refreshes racing: the later read wins, which is the fresher data.
      if ((e as { status?: number }).status !== 409 || attempt >= 3) throw e
    }
  }
}

export function readSimCache(db: Db, carrier: string, key: string): Promise<SimCacheDoc | null> {
  return getOrNull<SimCacheDoc>(db, simId(carrier, key))
}

export function writeSimCache(db: Db, sim: Sim): Promise<void> {
  return upsert<SimCacheDoc>(db, { _id: simId(sim.carrier, sim.orange?.serialNumber ?? sim.iccid), kind: 'cache', schemaVersion: CURRENT_SCHEMA.cache, sim, fetchedAt: sim.fetchedAt })
}

/**
 * Read-modify-write of a cached SIM: `update` sees the copy as it is at the moment of writing, and runs again if
 * another write came in between (a refresh and a finished ticket writing the same SIM at once), so neither loses
 * what the other added.
 */
export async function updateSimCache(db: Db, carrier: string, key: string, update: (current: Sim | null) => Sim): Promise<Sim> {
  for (let attempt = 0; ; attempt++) {
    const existing = await getOrNull<SimCacheDoc>(db, simId(carrier, key))
    const sim = update(existing?.sim ?? null)
    const doc: SimCacheDoc = { _id: simId(carrier, key), kind: 'cache', schemaVersion: CURRENT_SCHEMA.cache, sim, fetchedAt: sim.fetchedAt, ...(existing ? { _rev: existing._rev } : {}) }
    try {
      await db.put(doc)
      return sim
    } catch (e) {
      if (!isConflict(e) || attempt >= 5) throw e
    }
  }
}

export function readUsageCache(db: Db, carrier: string, iccid: string, cycleStartDate: string): Promise<UsageCacheDoc | null> {
  return getOrNull<UsageCacheDoc>(db, `${usagePrefix(carrier, iccid)}${cycleStartDate}`)
}

export function writeUsageCache(db: Db, usage: CycleUsage): Promise<void> {
  return upsert<UsageCacheDoc>(db, { _id: `${usagePrefix(usage.carrier, usage.iccid)}${usage.cycleStartDate}`, kind: 'cache', schemaVersion: CURRENT_SCHEMA.cache, usage, fetchedAt: usage.fetchedAt })
}

/** Every cycle read so far for one SIM, oldest first (ids sort by cycle date). */
export async function listUsageCache(db: Db, carrier: string, iccid: string): Promise<CycleUsage[]> {
  const prefix = usagePrefix(carrier, iccid)
  const page = await db.allDocs({ include_docs: true, startkey: prefix, endkey: `${prefix}\ufff0` })
  return page.rows.map((r) => (r.doc as unknown as UsageCacheDoc).usage)
}
