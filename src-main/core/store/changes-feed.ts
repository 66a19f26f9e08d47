import type { BaseDoc, Db } from './documents'
import { upgradeDoc } from './migrations'
import { MIGRATIONS } from './schema'

export interface Change {
  id: string
  seq: number
  /** The winning revision as today's schema reads it; null when the document was deleted. */
  doc: BaseDoc | null
}

/**
 * The workspace's changes since `since`, oldest first, at most `limit`, each document as it is now (its winning
 * revision) and upgraded like every other read (store/upgrade-on-read.ts). Every write reaches the feed, whoever made
 * it: this core's services, an import, CouchDB replication, another tool on the same database. Derived indexes follow
 * it from a checkpoint, so they see all of them.
 */
export async function readChanges(db: Db, since: number, limit: number): Promise<{ changes: Change[]; last: number }> {
  const page = await db.changes({ since, limit, include_docs: true, return_docs: true })
  const changes = page.results.map((r) => ({
    id: r.id,
    seq: Number(r.seq),
    doc: r.deleted || !r.doc ? null : upgradeDoc(r.doc as unknown as BaseDoc, MIGRATIONS),
  }))
  return { changes, last: changes.length ? Number(page.last_seq) : since }
}

/** The sequence number of the workspace's latest write (PouchDB keeps it in memory: asking costs nothing). */
export async function latestSeq(db: Db): Promise<number> {
  return Number((await db.info()).update_seq)
}
