/**
 * Replication conflicts in the workspace (docs/wire/couchdb-sync.md §4): a document edited on two computers before
 * they synced has two leaf revisions. PouchDB and CouchDB pick the same winner everywhere (longest path, then highest
 * hash), so both computers show the same document; the other version waits in `_conflicts` until it is resolved.
 *
 * Resolution is one bulkDocs write with its audit entry: the kept version's content on top of the winner, and every
 * other leaf deleted. Replicated, it removes the conflict on every computer.
 */
import type { SyncConflict } from '../../../src-shared/models/sync'
import { AppError } from '../common/errors'
import { auditDoc } from '../store/audit.store'
import { assertBulkOk, isNotFound, type BaseDoc, type Db } from '../store/documents'

type Stored = BaseDoc & { _rev: string; _conflicts?: string[] } & Record<string, unknown>

const PAGE = 1000

/** Visits every document under the prefixes that has conflicts, a page at a time. */
async function* conflicted(db: Db, prefixes: readonly string[]): AsyncGenerator<Stored> {
  for (const prefix of prefixes) {
    const exact = !prefix.endsWith(':')
    let startkey = prefix
    let skip = 0
    for (;;) {
      const page = await db.allDocs({ include_docs: true, conflicts: true, startkey, endkey: exact ? prefix : `${prefix}\ufff0`, limit: PAGE, skip })
      for (const row of page.rows) {
        const doc = row.doc as unknown as Stored | undefined
        if (doc?._conflicts && doc._conflicts.length > 0) yield doc
      }
      if (page.rows.length < PAGE) break
      startkey = page.rows[page.rows.length - 1]!.id
      skip = 1
    }
  }
}

function body(doc: Record<string, unknown>): Record<string, unknown> {
  const { _conflicts: _c, _revisions: _r, ...rest } = doc
  return rest
}

function sideOf(rev: string, theirs: readonly string[] | undefined): 'mine' | 'theirs' | 'unknown' {
  if (!theirs) return 'unknown'
  return theirs.includes(rev) ? 'theirs' : 'mine'
}

async function versionsOf(db: Db, doc: Stored, theirs: readonly string[] | undefined): Promise<SyncConflict['versions']> {
  const losers = await Promise.all((doc._conflicts ?? []).map(async (rev) => (await db.get(doc._id, { rev })) as unknown as Stored))
  return [doc, ...losers].map((d, i) => ({ rev: d._rev, side: sideOf(d._rev, theirs), winner: i === 0, doc: body(d) }))
}

export async function listConflicts(db: Db, prefixes: readonly string[], theirs: Record<string, string[]>, limit: number): Promise<{ items: SyncConflict[]; total: number }> {
  const items: SyncConflict[] = []
  let total = 0
  for await (const doc of conflicted(db, prefixes)) {
    total++
    if (items.length < limit) items.push({ id: doc._id, kind: doc.kind, versions: await versionsOf(db, doc, theirs[doc._id]) })
  }
  return { items, total }
}

/** The conflicts among the documents `ids` names (a device's page asks about the device and its draft). */
export async function conflictsOf(db: Db, ids: readonly string[], theirs: Record<string, string[]>): Promise<{ items: SyncConflict[]; total: number }> {
  const page = await db.allDocs({ keys: [...ids], include_docs: true, conflicts: true })
  const items: SyncConflict[] = []
  for (const row of page.rows) {
    const doc = 'doc' in row ? (row.doc as unknown as Stored | null | undefined) : undefined
    if (doc?._conflicts && doc._conflicts.length > 0) items.push({ id: doc._id, kind: doc.kind, versions: await versionsOf(db, doc, theirs[doc._id]) })
  }
  return { items, total: items.length }
}

/**
 * Of a pulled batch, the revisions that now stand in conflict, and the ids that have none (a resolution made on
 * another computer arrives as one of those). A point read per document: `allDocs({ keys })` looks like one read but
 * PouchDB's LevelDB adapter opens an iterator for each key, which cost four times the CPU of a get per document and was
 * the largest part of a first pull on our side (test/bench/team-sync.bench.ts, BENCH_SYNC_PROFILE).
 */
export async function conflictsAmong(db: Db, docs: readonly { _id: string; _rev?: string }[]): Promise<{ conflicted: [string, string][]; settled: string[] }> {
  const pulled = docs.filter((d): d is { _id: string; _rev: string } => typeof d._rev === 'string')
  if (pulled.length === 0) return { conflicted: [], settled: [] }
  const ids = [...new Set(pulled.map((d) => d._id))]
  // A pulled deletion leaves nothing to read (404): it stands in no conflict.
  const current = await Promise.all(
    ids.map((id) =>
      db.get(id, { conflicts: true }).then(
        (doc) => doc as unknown as Stored,
        (e: unknown) => (isNotFound(e) ? null : Promise.reject(e)),
      ),
    ),
  )
  const conflicted = new Set<string>()
  const settled: string[] = []
  ids.forEach((id, i) => {
    const conflicts = current[i]?._conflicts
    if (conflicts && conflicts.length > 0) conflicted.add(id)
    else settled.push(id)
  })
  return { conflicted: pulled.filter((d) => conflicted.has(d._id)).map((d) => [d._id, d._rev]), settled }
}

export type Keep = 'mine' | 'theirs' | { rev: string } | { merged: string }

function noConflict(id: string): AppError {
  return AppError.withRef('NOT_FOUND', `${id} has no conflict to resolve`, { key: 'sync.noConflict', params: { id } })
}

function chosen(id: string, keep: Exclude<Keep, { merged: string }>, leaves: string[], theirs: readonly string[] | undefined): string {
  if (typeof keep === 'object') {
    if (!leaves.includes(keep.rev)) throw AppError.withRef('VALIDATION', `${keep.rev} is not one of the versions of ${id}`, { key: 'sync.unknownRevision', params: { id, rev: keep.rev } })
    return keep.rev
  }
  const side = leaves.filter((rev) => sideOf(rev, theirs) === keep)
  // Every version came in from the server (a first sync), or several are on one side: the operator names the revision.
  if (side.length !== 1) throw AppError.withRef('VALIDATION', `Which version of ${id} is ${keep} is not known here; name the revision to keep`, { key: 'sync.sideUnknown', params: { id } })
  return side[0]!
}

/**
 * The operator's merge as the document's new content: a JSON object naming no other document and no other kind (the
 * fields PouchDB owns, those starting with `_`, are its own and dropped).
 */
function mergedContent(winner: Stored, text: string): Record<string, unknown> {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e)
    throw AppError.withRef('VALIDATION', `The merged version of ${winner._id} is not JSON: ${reason}`, { key: 'sync.mergeNotJson', params: { id: winner._id, reason } })
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw AppError.withRef('VALIDATION', `The merged version of ${winner._id} must be a JSON object`, { key: 'sync.mergeNotObject', params: { id: winner._id } })
  }
  const content = Object.fromEntries(Object.entries(parsed).filter(([key]) => !key.startsWith('_')))
  const namedId = (parsed as Record<string, unknown>)._id
  if ((namedId !== undefined && namedId !== winner._id) || content.kind !== winner.kind) {
    throw AppError.withRef('VALIDATION', `The merged version must stay the document ${winner._id} of kind ${winner.kind}`, {
      key: 'sync.mergeOtherDocument',
      params: { id: winner._id, kind: winner.kind },
    })
  }
  return { ...content, _id: winner._id }
}

/** What the operator calls the document (a profile's name, a device's type/id), for Activity; the id stays the target. */
function nameOf(doc: Stored): { subject?: string } {
  const { name, typeId, deviceId } = doc as { name?: unknown; typeId?: unknown; deviceId?: unknown }
  if (typeof name === 'string' && name) return { subject: name }
  return typeof typeId === 'string' && typeof deviceId === 'string' ? { subject: `${typeId}/${deviceId}` } : {}
}

export async function resolveConflict(db: Db, id: string, keep: Keep, theirs: readonly string[] | undefined, actor: string): Promise<{ id: string; rev: string; removed: string[] }> {
  let winner: Stored
  try {
    winner = (await db.get(id, { conflicts: true })) as unknown as Stored
  } catch (e) {
    if (isNotFound(e)) throw noConflict(id)
    throw e
  }
  const losers = winner._conflicts ?? []
  if (losers.length === 0) throw noConflict(id)
  const leaves = [winner._rev, ...losers]
  const deletions = losers.map((rev) => ({ _id: id, _rev: rev, _deleted: true }))
  if (typeof keep === 'object' && 'merged' in keep) {
    const audit = auditDoc({ actor, action: 'sync.resolve', target: id, ...nameOf(winner), outcome: 'ok', before: { versions: leaves }, after: { side: 'merge' } })
    const results = await db.bulkDocs([{ ...mergedContent(winner, keep.merged), _rev: winner._rev }, ...deletions, audit] as never[])
    assertBulkOk(results)
    // Every version's content gave way to the merge, which continues the winner's branch.
    return { id, rev: (results[0] as PouchDB.Core.Response).rev, removed: leaves }
  }
  const kept = chosen(id, keep, leaves, theirs)
  const writes: object[] = [...deletions]
  if (kept !== winner._rev) {
    const content = body((await db.get(id, { rev: kept })) as unknown as Stored)
    writes.unshift({ ...content, _rev: winner._rev })
  }
  const side = typeof keep === 'object' ? 'revision' : keep
  const audit = auditDoc({ actor, action: 'sync.resolve', target: id, ...nameOf(winner), outcome: 'ok', before: { versions: leaves }, after: { kept, side } })
  const results = await db.bulkDocs([...writes, audit] as never[])
  assertBulkOk(results)
  const first = results[0] as PouchDB.Core.Response
  // The versions whose content is gone: every leaf but the kept one (when the kept one was not the winner, its content now sits on the winner's branch).
  return { id, rev: kept === winner._rev ? winner._rev : first.rev, removed: leaves.filter((rev) => rev !== kept) }
}
