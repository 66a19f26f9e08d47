/**
 * The local history cache in a data directory that does not exist yet. Cold trial: `fieldline --data-dir DIR historian
 * history …` as the first command run with DIR failed with 'IO error: DIR/history-cache/LOCK: No such file or directory'
 * (LevelDB makes its own folder, not the one above it), where `historian run` and `devices list` create DIR.
 */
import { statSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { HistoryEvent } from '../../src-shared/models/historian'
import { openHistoryCache } from '../../src-main/core/store/history-cache.store'
import { tempDir } from '../helpers/core'

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

const event: HistoryEvent = {
  id: 'org1:sensor:s1:2026-12-06T04:37:12.721Z:status:ab00',
  typeId: 'sensor',
  deviceId: 's1',
  eventId: 'status',
  format: 'json',
  timestamp: '2026-12-06T05:37:12.721+01:00',
  data: { v: 1 },
}

describe('history cache in a new data directory', () => {
  it('creates the data directory (private) and keeps what was read', async () => {
    const t = await tempDir('fieldline-history-cache-')
    cleanups.push(t.cleanup)
    const dataDir = join(t.dir, 'not', 'there', 'yet')
    const cache = openHistoryCache(dataDir)
    try {
      await cache.put('couch-a', [event], '2026-12-06T05:00:00.000Z')
      const back = await cache.range('couch-a', 'org1:sensor:s1:', 'org1:sensor:s1:\uffff', 10)
      expect(back.map((r) => r.event.id)).toEqual([event.id])
    } finally {
      await cache.close()
    }
    if (process.platform !== 'win32') expect(statSync(dataDir).mode & 0o777).toBe(0o700)
  })
})
