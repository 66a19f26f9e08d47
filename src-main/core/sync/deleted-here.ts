/**
 * A document deleted here while a teammate edited it (docs/wire/couchdb-sync.md §4): CouchDB and PouchDB pick a live
 * revision over a deletion, so after the sync the teammate's edit stands and the deletion is a deleted leaf, which
 * `_conflicts` does not list. The trash entry written with the deletion (never synced) is what says this computer
 * deleted it: a trash entry whose document is live and has a deleted leaf is listed as a conflict, "deleted here,
 * edited by a teammate", until the operator keeps the teammate's version (the stale trash entry goes; an unsaved draft
 * it held comes back when none stands) or deletes it again (the trash entry then keeps the teammate's version, so a
 * restore brings back the latest acknowledged content). Either is one audited bulkDocs write.
 */
import type { SyncConflict } from '../../../src-shared/models/sync'
import { AppError } from '../common/errors'
import { auditDoc } from '../store/audit.store'
import { assertBulkOk, type BaseDoc, type Db } from '../store/documents'
import { trashHoldings } from '../store/trash-index'
import type { TrashDoc } from '../store/trash.store'
import { leavesOf, winnerOf, type Leaf } from './discard'
import { isShared } from './sync-filter'

type StoredTrash = TrashDoc & { _rev: string }

interface DeletedHere {
  trash: StoredTrash
  live: Leaf
  deleted: Leaf
}

function body(leaf: Leaf): BaseDoc & Record<string, unknown> {
  const { _rev: _r, _revisions: _h, ...rest } = leaf
  return rest as BaseDoc & Record<string, unknown>
}

/** The trash entry, when its document is live again beside this computer's deletion of it (`leaves`: the document's). */
function standing(trash: StoredTrash, leaves: readonly Leaf[]): DeletedHere | null {
  const live = winnerOf(leaves)
  const deleted = leaves.filter((l) => l._deleted).sort((a, b) => b._revisions.start - a._revisions.start)[0]
  // A device re-created here under the same key continues the deletion's branch: no deleted leaf is left.
  if (!live || live._deleted || !deleted) return null
  return { trash, live, deleted }
}

/**
 * The trash entries standing again among those holding the documents `which` names or accepts. Keyed reads only
 * (trash-index.ts knows which held documents are live): only a live one can stand beside its deletion, so only those
 * have their entries read and their revision tree walked; the trash of a bulk delete is mostly documents that stay
 * deleted.
 */
async function allStanding(db: Db, which: readonly string[] | ((id: string) => boolean)): Promise<DeletedHere[]> {
  const held = await trashHoldings(db, typeof which === 'function' ? undefined : which, true)
  const live = [...held].filter(([id, h]) => h.live && (typeof which !== 'function' || which(id)))
  if (live.length === 0) return []
  const [entries, leaves] = await Promise.all([
    db.allDocs({ keys: live.flatMap(([, h]) => h.trashIds), include_docs: true }),
    Promise.all(live.map(async ([id]) => [id, await leavesOf(db, id)] as const)),
  ])
  const leavesById = new Map(leaves)
  // In the trash's own order, as a read of the whole trash lists them.
  const trash = entries.rows.flatMap((r) => (r.doc ? [r.doc as unknown as StoredTrash] : [])).sort((a, b) => (a._id < b._id ? -1 : a._id > b._id ? 1 : 0))
  return trash.flatMap((t) => {
    const found = standing(t, leavesById.get(t.docs[0]?._id ?? '') ?? [])
    return found ? [found] : []
  })
}

function asConflict({ trash, live, deleted }: DeletedHere): SyncConflict {
  return {
    id: live._id,
    kind: live.kind,
    deletedHere: { trashId: trash._id.slice('trash:'.length), deletedAt: trash.deletedAt, deletedBy: trash.deletedBy },
    versions: [
      { rev: live._rev, side: 'theirs', winner: true, doc: body(live) },
      { rev: deleted._rev, side: 'mine', winner: false, doc: { _id: live._id, _deleted: true } },
    ],
  }
}

/** The documents under the shared prefixes deleted here and edited by a teammate. */
export async function deletedHereConflicts(db: Db, prefixes: readonly string[]): Promise<SyncConflict[]> {
  return (await allStanding(db, (id) => isShared(id, prefixes))).map(asConflict)
}

/** The same, for the documents `ids` names (a device's page). */
export async function deletedHereAmong(db: Db, ids: readonly string[]): Promise<SyncConflict[]> {
  return (await allStanding(db, ids)).map(asConflict)
}

/** How many of the pulled documents this computer holds a trash entry for (each may have come back by a teammate's edit). */
export async function trashedAmong(db: Db, docs: readonly { _id: string }[]): Promise<number> {
  const held = await trashHoldings(db, [...new Set(docs.map((d) => d._id))])
  return [...held.values()].reduce((n, h) => n + h.trashIds.length, 0)
}

/** The trash ids of the entries whose document stands live again beside their deletion: the trash does not call them deleted. */
export async function staleTrashIds(db: Db): Promise<Set<string>> {
  return new Set((await allStanding(db, () => true)).map((d) => d.trash._id))
}

export type DeletedHereKeep = 'mine' | 'theirs' | { rev: string } | { merged: string }

/**
 * Resolves a "deleted here, edited by a teammate" conflict, or returns null when `id` is none (the caller then says
 * there is no conflict). 'theirs' (or the live revision) keeps the teammate's edit; 'mine' (or the deletion's
 * revision) deletes it again.
 */
export async function resolveDeletedHere(db: Db, id: string, keep: DeletedHereKeep, actor: string): Promise<{ id: string; rev: string; removed: string[] } | null> {
  const found = (await allStanding(db, [id])).sort((a, b) => b.trash.deletedAt.localeCompare(a.trash.deletedAt))
  const first = found[0]
  if (!first) return null
  const { live, deleted } = first
  if (typeof keep === 'object' && 'merged' in keep) {
    throw AppError.withRef('VALIDATION', `${id} was deleted here and edited by a teammate: keep theirs or mine, there is nothing to merge`, { key: 'sync.deletedHereNoMerge', params: { id } })
  }
  if (typeof keep === 'object' && keep.rev !== live._rev && keep.rev !== deleted._rev) {
    throw AppError.withRef('VALIDATION', `${keep.rev} is not one of the versions of ${id}`, { key: 'sync.unknownRevision', params: { id, rev: keep.rev } })
  }
  const keepLive = keep === 'theirs' || (typeof keep === 'object' && keep.rev === live._rev)
  const subject = { subject: first.trash.target }
  if (keepLive) {
    // The drafts the entries held come back when none stands now: an unsaved edit is never dropped unseen.
    const extras = found.flatMap((f) => f.trash.docs.slice(1))
    const standingNow = extras.length > 0 ? await db.allDocs({ keys: extras.map((d) => d._id) }) : { rows: [] }
    const absent = new Set(standingNow.rows.filter((r) => !('value' in r) || (r.value as { deleted?: boolean }).deleted).map((r) => r.key))
    const revived = [...new Map(extras.filter((d) => absent.has(d._id)).map((d) => [d._id, d])).values()]
    const writes = [
      ...revived,
      ...found.map((f) => ({ _id: f.trash._id, _rev: f.trash._rev, _deleted: true })),
      auditDoc({
        actor,
        action: 'sync.resolve',
        target: id,
        ...subject,
        outcome: 'ok',
        before: { versions: [live._rev, deleted._rev] },
        after: { kept: live._rev, side: 'theirs', trashDropped: found.map((f) => f.trash._id) },
      }),
    ]
    assertBulkOk(await db.bulkDocs(writes as never[]))
    return { id, rev: live._rev, removed: [deleted._rev] }
  }
  // Deleted again: the newest entry keeps the teammate's version in place of the one deleted here.
  const trash = { ...first.trash, docs: [body(live), ...first.trash.docs.slice(1)] }
  const results = await db.bulkDocs([
    { _id: id, _rev: live._rev, _deleted: true },
    trash,
    auditDoc({ actor, action: 'sync.resolve', target: id, ...subject, outcome: 'ok', before: { versions: [live._rev, deleted._rev] }, after: { kept: deleted._rev, side: 'mine', trash: trash._id } }),
  ] as never[])
  assertBulkOk(results)
  return { id, rev: (results[0] as PouchDB.Core.Response).rev, removed: [live._rev] }
}
