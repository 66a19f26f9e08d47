/**
 * Which trash entries hold each document (an entry's item is `docs[0]`), and whether that document is live, for reads
 * keyed by document id: team sync asks about the documents of each pulled batch, and a trash of tens of thousands of
 * entries (a bulk delete of devices) read whole, each entry's document read too, for every batch made each one slow.
 * Trash ids are random, so no key says which entry holds a document: the index is kept in memory for each open
 * database, built once (a read of the trash; a point read of each document it holds the first time liveness is asked
 * for), then brought up to date from the changes feed before each lookup (the changes since the last one: a batch's
 * worth during a sync). Every write, whichever service or replication makes it, is in that feed, so a lookup answers
 * what reading it all again would.
 */
import { serialiser } from '../common/serial'
import { latestSeq } from './changes-feed'
import { getOrNull, type BaseDoc, type Db } from './documents'
import { listTrashDocs, TRASH_PREFIX, type TrashDoc } from './trash.store'

/** How many changes one catch-up reads at a time. */
const PAGE = 1000

interface TrashIndex {
  /** The sequence the index is up to date with; null until it is built. */
  seq: number | null
  /** Trash id → the id of the document it holds. */
  holds: Map<string, string>
  /** Document id → the trash ids holding it. */
  heldBy: Map<string, Set<string>>
  /**
   * The documents held whose winning revision is live (restored, re-created, or brought back by a teammate's edit);
   * null until asked for: a sync's batches ask only which documents are held.
   */
  live: Set<string> | null
  serial: <T>(work: () => Promise<T>) => Promise<T>
}

export interface TrashHolding {
  trashIds: string[]
  live: boolean
}

const indexes = new WeakMap<Db, TrashIndex>()

function unlink(index: TrashIndex, trashId: string): void {
  const docId = index.holds.get(trashId)
  if (docId === undefined) return
  index.holds.delete(trashId)
  const holders = index.heldBy.get(docId)
  holders?.delete(trashId)
  if (holders?.size === 0) {
    index.heldBy.delete(docId)
    index.live?.delete(docId)
  }
}

/** Links the entry to its document; returns the document's id when the index held it not before. */
function link(index: TrashIndex, trash: TrashDoc): string | null {
  unlink(index, trash._id)
  const docId = trash.docs[0]?._id
  if (!docId) return null
  index.holds.set(trash._id, docId)
  const holders = index.heldBy.get(docId)
  if (holders) holders.add(trash._id)
  else index.heldBy.set(docId, new Set([trash._id]))
  return holders ? null : docId
}

function setLive(index: TrashIndex, docId: string, live: boolean): void {
  if (live) index.live?.add(docId)
  else index.live?.delete(docId)
}

/** Point reads: PouchDB's LevelDB adapter answers a `get` for far less than a key of `allDocs({ keys })` (conflicts.ts). */
async function liveAmong(db: Db, docIds: readonly string[]): Promise<Set<string>> {
  const docs = await Promise.all(docIds.map((id) => getOrNull<BaseDoc>(db, id)))
  return new Set(docIds.filter((_, i) => docs[i] !== null))
}

async function build(db: Db, index: TrashIndex): Promise<void> {
  // The sequence first: a write made during the reads is in the changes after it, and reading it again is harmless.
  const seq = await latestSeq(db)
  // What a failed build left is read again.
  index.holds.clear()
  index.heldBy.clear()
  index.live = null
  for (const trash of await listTrashDocs(db)) link(index, trash)
  index.seq = seq
}

/**
 * The changes without their documents (a sync's batch is read only for its ids and whether each is deleted): only the
 * trash entries among them are read.
 */
async function catchUp(db: Db, index: TrashIndex, since: number): Promise<void> {
  for (let seq = since; ;) {
    const page = await db.changes({ since: seq, limit: PAGE, include_docs: false, return_docs: true })
    const written: string[] = []
    for (const c of page.results) {
      if (!c.id.startsWith(TRASH_PREFIX)) {
        if (index.heldBy.has(c.id)) setLive(index, c.id, !c.deleted)
      } else if (c.deleted) unlink(index, c.id)
      else written.push(c.id)
    }
    // A document newly held is read: its own change may have come before this page.
    const fresh: string[] = []
    if (written.length > 0) {
      for (const row of (await db.allDocs({ keys: written, include_docs: true })).rows) {
        if (!row.doc) {
          unlink(index, row.key)
          continue
        }
        const docId = link(index, row.doc as unknown as TrashDoc)
        if (docId) fresh.push(docId)
      }
    }
    if (index.live && fresh.length > 0) {
      const live = await liveAmong(db, fresh)
      for (const id of fresh) setLive(index, id, live.has(id))
    }
    if (page.results.length > 0) seq = index.seq = Number(page.last_seq)
    if (page.results.length < PAGE) return
  }
}

async function current(db: Db, withLiveness: boolean): Promise<TrashIndex> {
  let index = indexes.get(db)
  if (!index) {
    index = { seq: null, holds: new Map(), heldBy: new Map(), live: null, serial: serialiser() }
    indexes.set(db, index)
  }
  const it = index
  await it.serial(async () => {
    // A build that failed is tried again by the next lookup.
    if (it.seq === null) await build(db, it)
    else await catchUp(db, it, it.seq)
    // Read after the catch-up, so as of the sequence the index is at; the changes after it keep it up to date.
    if (withLiveness && !it.live) it.live = await liveAmong(db, [...it.heldBy.keys()])
  })
  return it
}

/**
 * What the trash holds of the documents `ids` names (of every document it holds when none are named); `live` is read
 * only when `withLiveness` asks for it (false otherwise).
 */
export async function trashHoldings(db: Db, ids?: readonly string[], withLiveness = false): Promise<Map<string, TrashHolding>> {
  const index = await current(db, withLiveness)
  const found = new Map<string, TrashHolding>()
  for (const id of ids ?? index.heldBy.keys()) {
    const holders = index.heldBy.get(id)
    if (holders) found.set(id, { trashIds: [...holders], live: index.live?.has(id) ?? false })
  }
  return found
}
