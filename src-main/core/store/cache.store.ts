import type { CycleUsage, Sim, SimStatus } from '../../../src-shared/models/sim'
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
  /** What the SIM inventory knows of the SIM beyond one read (sims/inventory.store.ts); every read keeps it. */
  inventory?: InventoryFacts
  /**
   * The job (its id) whose change to the SIM was abandoned on its way to the carrier (jobs/job-runner.ts): it may have
   * been applied, so this copy's status and rate plan are not to be trusted (a pre-flight reading them would send the
   * change again). The next read of the SIM drops it.
   */
  changeInDoubt?: string
}

export interface InventoryFacts {
  account: string
  listedAt: string
  usageAt: string | null
  lastSessionAt: string | null
  /** The last status change a read saw (alerts "status changed" fire once per change). */
  statusChange: { from: SimStatus; to: SimStatus; at: string } | null
}

/** The inventory facts of a cached SIM, or those of a SIM no account listing has named yet. */
export function inventoryFactsOf(doc: SimCacheDoc): InventoryFacts {
  return doc.inventory ?? { account: '', listedAt: doc.fetchedAt, usageAt: null, lastSessionAt: null, statusChange: null }
}

/**
 * A new read of a SIM over its cached copy. Whoever reads it (a sync, the SIM panel, a bulk job's refresh), what the
 * inventory knows of it is kept, and a status that differs from the cached one is recorded as a change: a "status
 * changed" alert must fire for a change a refresh saw first.
 */
export function simReadOver(id: string, existing: SimCacheDoc | null, sim: Sim): SimCacheDoc {
  const doc: SimCacheDoc = { _id: id, ...(existing?._rev ? { _rev: existing._rev } : {}), kind: 'cache', schemaVersion: CURRENT_SCHEMA.cache, sim, fetchedAt: sim.fetchedAt }
  if (!existing) return doc
  const facts = inventoryFactsOf(existing)
  if (existing.sim.status !== sim.status) return { ...doc, inventory: { ...facts, statusChange: { from: existing.sim.status, to: sim.status, at: sim.fetchedAt } } }
  return existing.inventory ? { ...doc, inventory: facts } : doc
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

export async function writeSimCache(db: Db, sim: Sim): Promise<void> {
  await updateSimCache(db, sim.carrier, sim.orange?.serialNumber ?? sim.iccid, () => sim)
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
    try {
      await db.put(simReadOver(simId(carrier, key), existing, sim))
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
