/**
 * The workspace as a first sync's pull writes into it: each batch is handed to the device index as it is written, so
 * the index does not read 100,000 pulled documents back out of the workspace (the device index reads every write
 * from the changes feed otherwise: devices/listing/device-index.ts).
 *
 * A batch is handed over only when it provably is the workspace's state over an exact span of sequences: the sequence
 * grew across the write by exactly the batch's revisions (nothing else wrote in between), each document appears once,
 * and each written revision is its document's winner (a pulled revision that loses a conflict is not what the index
 * shows). Anything else is left to the index's own reading of the feed, as before.
 */
import type { BaseDoc, Db } from '../store/documents'
import { latestSeq } from '../store/changes-feed'
import { upgradeDoc } from '../store/migrations'
import { MIGRATIONS } from '../store/schema'
import type { DeviceIndex } from '../devices/listing/device-index'

export function handingOver(db: Db, written: DeviceIndex['written'], onError: (e: unknown) => void): Db {
  // The replicator writes `bulkDocs({ docs, new_edits: false })`, the object form.
  const bulkDocs = async (request: { docs: (BaseDoc & { _rev?: string })[]; new_edits?: boolean }) => {
    const docs = request.docs
    const before = await latestSeq(db)
    const result = await (db.bulkDocs as unknown as (r: typeof request) => Promise<unknown>)(request)
    const after = await latestSeq(db)
    const ids = docs.map((d) => d._id)
    if (after - before === docs.length && new Set(ids).size === ids.length) {
      const winners = await db.allDocs({ keys: ids })
      if (winners.rows.every((row, i) => row.value !== undefined && !row.value.deleted && row.value.rev === docs[i]!._rev)) {
        written(
          docs.map((doc) => upgradeDoc(doc, MIGRATIONS)),
          { before, after },
        ).catch(onError)
      }
    }
    return result
  }
  return new Proxy(db, {
    get(target, property) {
      if (property === 'bulkDocs') return bulkDocs
      const value: unknown = Reflect.get(target, property, target)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}
