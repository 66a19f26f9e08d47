/**
 * The local copy of the device history read back from the historian's bucket databases, so the device page shows it
 * offline. A database of its own next to the workspace (`<dataDir>/history-cache`), never replicated: event history
 * belongs in the buckets, not in the team's workspace (docs/wire/couchdb-kafka.md §3.1). It holds what was read, nothing more.
 *
 * Ids are `<destination>|<event id>`; event ids put the device and the time first, so one device's events over a time
 * range are one key range. Events never change: a copy read again is simply kept.
 */
import { join } from 'node:path'
import PouchDB from 'pouchdb'
import type { HistoryEvent } from '../../../src-shared/models/historian'
import { ensurePrivateDir } from '../common/private-fs'
import type { BaseDoc } from './documents'
import { CURRENT_SCHEMA } from './schema'

export interface HistoryCacheDoc extends BaseDoc {
  kind: 'historyEvent'
  event: HistoryEvent
  fetchedAt: string
}

export interface HistoryCache {
  put(destination: string, events: readonly HistoryEvent[], fetchedAt: string): Promise<void>
  /** Events with ids from `startkey` to `endkey` (inclusive), at most `limit`, in id order. */
  range(destination: string, startkey: string, endkey: string, limit: number): Promise<{ event: HistoryEvent; fetchedAt: string }[]>
  close(): Promise<void>
}

const key = (destination: string, id: string): string => `${destination}|${id}`

export function openHistoryCache(dataDir: string): HistoryCache {
  // `fieldline historian history` may be the first command run with a data directory: LevelDB makes its own folder but
  // not the data directory above it (cold trial: 'IO error: …/history-cache/LOCK: No such file or directory').
  ensurePrivateDir(dataDir)
  const db = new PouchDB<HistoryCacheDoc>(join(dataDir, 'history-cache'))
  return {
    async put(destination, events, fetchedAt) {
      if (events.length === 0) return
      const docs: HistoryCacheDoc[] = events.map((event) => ({ _id: key(destination, event.id), kind: 'historyEvent', schemaVersion: CURRENT_SCHEMA.historyEvent, event, fetchedAt }))
      // A conflict is a copy kept from an earlier read: the event is the same.
      await db.bulkDocs(docs)
    },
    async range(destination, startkey, endkey, limit) {
      const page = await db.allDocs({ include_docs: true, startkey: key(destination, startkey), endkey: key(destination, endkey), limit })
      return page.rows.map((r) => r.doc as HistoryCacheDoc).map((d) => ({ event: d.event, fetchedAt: d.fetchedAt }))
    },
    close: () => db.close(),
  }
}
