import type { Carrier, Sim } from '../../../src-shared/models/sim'
import { blankSim } from '../carriers/sim-model'
import { assertBulkOk, docPages, getOrNull, isNotFound, type BaseDoc, type Db } from '../store/documents'
import { inventoryFactsOf, simReadOver, type SimCacheDoc } from '../store/cache.store'
import { CURRENT_SCHEMA } from '../store/schema'

/**
 * Why the inventory is the workspace's SIM cache (`cache:sim:<carrier>:<id>`, the documents the SIM panels and the
 * device index already read) rather than an index of its own: a SIM listed by a sync is then shown with its status,
 * plan and "as of" in the device list and the SIM panel at once, replicates to the team like any cached read, and the
 * device index keeps its SIM facts from the same documents. The inventory adds `inventory` to those documents: the
 * account that listed the SIM, when, and the last status change it saw.
 */
export const SIM_DOC_PREFIX = 'cache:sim:'
export const simDocId = (carrier: Carrier, simId: string): string => `${SIM_DOC_PREFIX}${carrier}:${simId}`

/** What one listing says of a SIM: the fields it gives, merged over what the cache already holds. */
export interface Listed {
  carrier: Carrier
  simId: string
  fields: (cached: Sim | null) => Partial<Sim> & Pick<Sim, 'iccid' | 'status' | 'statusRaw'>
}

/**
 * Writes one page of listed SIMs in one bulkDocs call: each over its cached copy (usage and details read earlier are
 * kept), with the account and the listing's time. A SIM whose status changed gets `statusChange`.
 */
export async function writeListed(db: Db, account: string, listed: readonly Listed[], at: string): Promise<void> {
  if (listed.length === 0) return
  const ids = listed.map((l) => simDocId(l.carrier, l.simId))
  for (let attempt = 0; ; attempt++) {
    const existing = await readMany(db, ids)
    const docs = listed.map((l, i): SimCacheDoc => {
      const old = existing[i]
      const fields = l.fields(old?.sim ?? null)
      const sim: Sim = { ...blankSim(l.carrier, fields.iccid, new Date(0).toISOString()), ...old?.sim, ...fields, fetchedAt: at }
      const doc = simReadOver(ids[i]!, old ?? null, sim)
      return { ...doc, inventory: { ...(doc.inventory ?? { usageAt: null, lastSessionAt: null, statusChange: null }), account, listedAt: at } }
    })
    const results = await db.bulkDocs(docs)
    // A SIM panel refreshing the same SIM meanwhile: read again and merge again (bounded; the data is a cache).
    if (results.some((r) => 'error' in r && r.status === 409) && attempt < 3) continue
    assertBulkOk(results)
    return
  }
}

/** Writes usage (and the last session) read for SIMs, over their cached copies. */
export async function writeUsage(
  db: Db,
  items: readonly { carrier: Carrier; simId: string; dataBytes: number; smsCount: number; voiceSeconds: number; sessionCount: number | null; lastSessionAt: string | null }[],
  at: string,
): Promise<void> {
  if (items.length === 0) return
  const ids = items.map((u) => simDocId(u.carrier, u.simId))
  for (let attempt = 0; ; attempt++) {
    const existing = await readMany(db, ids)
    const docs = items.flatMap((u, i): SimCacheDoc[] => {
      const old = existing[i]
      if (!old) return []
      const facts = inventoryFactsOf(old)
      return [
        {
          ...old,
          sim: { ...old.sim, monthToDate: { dataBytes: u.dataBytes, smsCount: u.smsCount, voiceSeconds: u.voiceSeconds, sessionCount: u.sessionCount } },
          inventory: { ...facts, usageAt: at, lastSessionAt: u.lastSessionAt ?? facts.lastSessionAt },
        },
      ]
    })
    const results = await db.bulkDocs(docs)
    if (results.some((r) => 'error' in r && r.status === 409) && attempt < 3) continue
    assertBulkOk(results)
    return
  }
}

async function readMany(db: Db, ids: readonly string[]): Promise<(SimCacheDoc | null)[]> {
  const page = await db.allDocs({ keys: [...ids], include_docs: true })
  return page.rows.map((r) => ('doc' in r && r.doc ? (r.doc as unknown as SimCacheDoc) : null))
}

/** Every cached SIM, a page at a time (bounded memory per page; the caller keeps what it needs). */
export async function* allSimDocs(db: Db, pageSize = 2000): AsyncGenerator<SimCacheDoc[], void, undefined> {
  for await (const page of docPages(db, SIM_DOC_PREFIX, pageSize)) {
    const docs = page.flatMap((d) => (isSimDoc(d) ? [d as unknown as SimCacheDoc] : []))
    if (docs.length > 0) yield docs
  }
}

function isSimDoc(doc: BaseDoc): boolean {
  const d = doc as BaseDoc & { sim?: unknown }
  return d.kind === 'cache' && typeof d.sim === 'object' && d.sim !== null
}

/** A sync's checkpoint: a `_local` document, this machine's own (never replicated: another machine syncs for itself). */
export interface SyncCheckpoint {
  /** The watermark of the last finished run: the next run lists what changed from here. Null before the first. */
  since: string | null
  lastSyncAt: string | null
  /** An unfinished run: where it stands, so a restart goes on from there. */
  run: {
    since: string | null
    till: string
    full: boolean
    usage: boolean
    phase: 'listing' | 'usage'
    /** Control Center: the next page number; Orange: the lines of the current window already written. */
    position: number
    /** Orange: the status-change date the current window starts at, and the last one it listed so far. */
    windowSince: string | null
    windowLast: string | null
    /** The usage phase: the last SIM id done. */
    usageAfter: string
    listed: number
    usageRead: number
    calls: number
    /**
     * When the operator stopped it (absent from checkpoints written before a sync could be stopped); null for a run
     * under way or one a stopped process left.
     */
    stoppedAt?: string | null
  } | null
  failures: number
  lastError: string | null
}

const checkpointId = (account: string): string => `_local/sims-sync:${account}`

export async function readCheckpoint(db: Db, account: string): Promise<SyncCheckpoint & { _rev?: string }> {
  const doc = await getOrNull<BaseDoc & SyncCheckpoint>(db, checkpointId(account)).catch((e: unknown) => {
    if (isNotFound(e)) return null
    throw e
  })
  return doc ?? { since: null, lastSyncAt: null, run: null, failures: 0, lastError: null }
}

export async function writeCheckpoint(db: Db, account: string, checkpoint: SyncCheckpoint & { _rev?: string }): Promise<SyncCheckpoint & { _rev: string }> {
  const { _rev, ...rest } = checkpoint
  const result = await db.put({ ...rest, _id: checkpointId(account), kind: 'simSync', schemaVersion: CURRENT_SCHEMA.simSync, ...(_rev ? { _rev } : {}) } as BaseDoc)
  return { ...rest, _rev: result.rev }
}
