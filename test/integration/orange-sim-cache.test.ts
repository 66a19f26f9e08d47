import { afterEach, describe, expect, it } from 'vitest'
import type { OrangeLocation, Sim } from '../../src-shared/models/sim'
import { EventBus } from '../../src-main/core/common/events'
import { blankSim } from '../../src-main/core/carriers/sim-model'
import { attachOrangeLocation, cacheOrangeSim, cachedOrangeSim } from '../../src-main/core/carriers/orange/sim-cache'
import type { Db } from '../../src-main/core/store/documents'
import { openWorkspace, type Workspace } from '../../src-main/core/store/workspace'
import { tempDir } from '../helpers/core'

const SERIAL = '1668007370011'

function sim(fetchedAt: string): Sim {
  return {
    ...blankSim('orange', '89330116680073700130', fetchedAt),
    status: 'activated',
    statusRaw: 'ACTIVATED',
    orange: {
      serialNumber: SERIAL,
      iccidReported: true,
      suspensionReason: null,
      lastStatusChangeDate: null,
      lastStatusRefreshDate: null,
      requestedStatus: null,
      statusChangeRequestDate: null,
      customerEnvironment: null,
      subscription: null,
      position: null,
      location: null,
    },
  }
}

const LOCATION: OrangeLocation = { connectivity: true, ip: null, sessionTime: null, roaming: false, cell: null, position: null, lastKnownPosition: null, reportedAt: null, ticketNumber: 901001 }

describe('cached Orange SIMs', () => {
  let ws: Workspace | undefined
  let cleanup: (() => Promise<void>) | undefined
  afterEach(async () => {
    await ws?.close()
    await cleanup?.()
  })

  it('keep a location report that lands while a refresh is being written (no lost update)', async () => {
    const t = await tempDir()
    cleanup = t.cleanup
    ws = await openWorkspace(t.dir)
    const bus = new EventBus()
    await cacheOrangeSim(ws.db, bus, sim('2025-01-01T00:00:00.000Z'))

    // The refresh reads the cached copy, then waits at the gate while the location report is written.
    let release!: () => void
    const gate = new Promise<void>((resolve) => (release = resolve))
    let readByRefresh: () => void
    const refreshHasRead = new Promise<void>((resolve) => (readByRefresh = resolve))
    let gated = true
    const db = ws.db
    const slowDb = new Proxy(db, {
      get(target, prop) {
        if (prop === 'get') {
          return async (id: string) => {
            const doc = await target.get(id)
            if (gated) {
              gated = false
              readByRefresh()
              await gate
            }
            return doc
          }
        }
        const value = Reflect.get(target, prop) as unknown
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value
      },
    }) as Db
    const refresh = cacheOrangeSim(slowDb, bus, sim('2025-01-02T00:00:00.000Z'))
    await refreshHasRead
    await attachOrangeLocation(db, bus, SERIAL, LOCATION, async () => sim('2025-01-01T00:00:00.000Z'))
    release()
    await refresh

    const cached = await cachedOrangeSim(db, SERIAL)
    expect(cached?.fetchedAt).toBe('2025-01-02T00:00:00.000Z')
    expect(cached?.sim.orange?.location).toEqual(LOCATION)
  })
})
