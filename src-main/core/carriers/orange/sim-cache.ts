/**
 * Orange SIMs in the workspace's carrier cache (keyed by serial number), so the panel shows them offline "as of" the
 * last read. A directory read does not carry the location status, which comes from its own tickets: a refresh keeps
 * the last location, and a finished location ticket adds its report to the cached SIM.
 */
import type { OrangeLocation, Sim } from '../../../../src-shared/models/sim'
import type { EventBus } from '../../common/events'
import { readSimCache, writeSimCache } from '../../store/cache.store'
import type { Db } from '../../store/documents'

export async function cacheOrangeSim(db: Db, bus: EventBus, sim: Sim): Promise<Sim> {
  const serialNumber = sim.orange!.serialNumber
  const cached = await readSimCache(db, 'orange', serialNumber)
  const location = sim.orange?.location ?? cached?.sim.orange?.location ?? null
  const merged: Sim = { ...sim, orange: { ...sim.orange!, location } }
  await writeSimCache(db, merged)
  bus.emit('orange:changed', { serialNumber })
  return merged
}

export async function cachedOrangeSim(db: Db, serialNumber: string): Promise<{ sim: Sim; fetchedAt: string } | null> {
  const doc = await readSimCache(db, 'orange', serialNumber)
  return doc ? { sim: doc.sim, fetchedAt: doc.fetchedAt } : null
}

/** Adds a location report to the cached SIM; without a cached SIM, `read` fetches one first. */
export async function attachOrangeLocation(db: Db, bus: EventBus, serialNumber: string, location: OrangeLocation, read: () => Promise<Sim>): Promise<void> {
  const cached = await readSimCache(db, 'orange', serialNumber)
  const sim = cached?.sim.orange ? cached.sim : await read()
  await cacheOrangeSim(db, bus, { ...sim, orange: { ...sim.orange!, location } })
}
