/**
 * Workspace documents of the trash: `trash:<id>` (kind 'trash'), one deleted thing kept whole so that it can come
 * back as it was. It is written in the same bulkDocs call as the deletion and its audit entry, so a deletion the
 * operator saw acknowledged is always in the trash.
 */
import { randomBytes } from 'node:crypto'
import { TRASH_RETENTION_DAYS, type TrashEntry, type TrashItemKind } from '../../../src-shared/models/trash'
import { getOrNull, type BaseDoc, type Db } from './documents'
import { CURRENT_SCHEMA } from './schema'

export const TRASH_PREFIX = 'trash:'
const DAY_MS = 24 * 60 * 60 * 1000

export interface TrashDoc extends BaseDoc {
  kind: 'trash'
  item: TrashItemKind
  target: string
  label: string
  deletedAt: string
  deletedBy: string
  /**
   * The deleted documents, without their revisions: the item first, then what comes back with it (a device's unsaved
   * draft). A profile's secrets are not here: they stay in the vault under the profile's id until the trash is purged.
   */
  docs: BaseDoc[]
}

export function trashDocId(id: string): string {
  return `${TRASH_PREFIX}${id}`
}

/** A live document as the trash keeps it: whole, minus the revision it had. */
function withoutRev(doc: BaseDoc): BaseDoc {
  const { _rev: _r, ...rest } = doc
  return rest
}

export function newTrashDoc(input: { item: TrashItemKind; target: string; label: string; deletedAt: string; deletedBy: string; docs: BaseDoc[] }): TrashDoc {
  return {
    _id: trashDocId(randomBytes(8).toString('hex')),
    kind: 'trash',
    schemaVersion: CURRENT_SCHEMA.trash,
    ...input,
    docs: input.docs.map(withoutRev),
  }
}

export function purgeAt(doc: Pick<TrashDoc, 'deletedAt'>): string {
  return new Date(Date.parse(doc.deletedAt) + TRASH_RETENTION_DAYS * DAY_MS).toISOString()
}

export function toTrashEntry(doc: TrashDoc): TrashEntry {
  return {
    id: doc._id.slice(TRASH_PREFIX.length),
    item: doc.item,
    target: doc.target,
    label: doc.label,
    deletedAt: doc.deletedAt,
    deletedBy: doc.deletedBy,
    purgeAt: purgeAt(doc),
  }
}

export async function listTrashDocs(db: Db): Promise<(TrashDoc & { _rev: string })[]> {
  const page = await db.allDocs({ include_docs: true, startkey: TRASH_PREFIX, endkey: `${TRASH_PREFIX}\ufff0` })
  return page.rows.map((r) => r.doc as unknown as TrashDoc & { _rev: string })
}

export function readTrashDoc(db: Db, id: string): Promise<(TrashDoc & { _rev: string }) | null> {
  return getOrNull<TrashDoc>(db, trashDocId(id))
}
