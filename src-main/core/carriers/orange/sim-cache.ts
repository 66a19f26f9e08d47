/**
 * Orange SIMs in the workspace's carrier cache (keyed by serial number), so the panel shows them offline "as of" the
 * last read. A directory read does not carry the location status, which comes from its own tickets: a refresh keeps
 * the last location, and a finished location ticket adds its report to the cached SIM. Both go through one
 * read-modify-write, so a refresh and a finished ticket landing together keep each other's part.
 */
import type { OrangeLocation, Sim } from '../../../../src-shared/models/sim'
import type { EventBus } from '../../common/events'
import { readSimCache, updateSimCache } from '../../store/cache.store'
import type { Db } from '../../store/documents'

function withLocation(sim: Sim, location: OrangeLocation | null): Sim {
  return { ...sim, orange: { ...sim.orange!, location } }
}

export async function cacheOrangeSim(db: Db, bus: EventBus, sim: Sim): Promise<Sim> {
  const serialNumber = sim.orange!.serialNumber
  const merged = await updateSimCache(db, 'orange', serialNumber, (current) => withLocation(sim, sim.orange?.location ?? current?.orange?.location ?? null))
  bus.emit('orange:changed', { serialNumber })
  return merged
}

export async function cachedOrangeSim(db: Db, serialNumber: string): Promise<{ sim: Sim; fetchedAt: string } | null> {
  const doc = await readSimCache(db, 'orange', serialNumber)
  return doc ? { sim: doc.sim, fetchedAt: doc.fetchedAt } : null
}

/** Adds a location report to the cached SIM; without a cached SIM, `read` fetches one first. */
export async function attachOrangeLocation(db: Db, bus: EventBus, serialNumber: string, location: OrangeLocation, read: () => Promise<Sim>): Promise<void> {
  const fresh = (await readSimCache(db, 'orange', serialNumber))?.sim.orange ? null : await read()
  await updateSimCache(db, 'orange', serialNumber, (current) => withLocation(current?.orange ? current : fresh!, location))
  bus.emit('orange:changed', { serialNumber })
}
