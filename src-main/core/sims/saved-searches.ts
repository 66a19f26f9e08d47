import type { SavedSearch, SavedSearchInput } from '../../../src-shared/models/sim-inventory'
import type { CallContext } from '../common/call-context'
import { AppError } from '../common/errors'
import { auditDoc } from '../store/audit.store'
import { assertBulkOk, getOrNull, type BaseDoc, type Db } from '../store/documents'
import { CURRENT_SCHEMA } from '../store/schema'

/** A named inventory query, shared with the team like the rest of the workspace. */
interface SearchDoc extends BaseDoc, SavedSearch {
  kind: 'simSearch'
}

const PREFIX = 'simSearch:'
const docId = (id: string): string => `${PREFIX}${id}`

function toSearch(doc: SearchDoc): SavedSearch {
  return { id: doc.id, name: doc.name, query: doc.query, savedAt: doc.savedAt }
}

export async function listSearches(db: Db): Promise<SavedSearch[]> {
  const page = await db.allDocs({ include_docs: true, startkey: PREFIX, endkey: `${PREFIX}\ufff0` })
  return page.rows.map((r) => toSearch(r.doc as unknown as SearchDoc))
}

export async function getSearch(db: Db, id: string): Promise<SavedSearch> {
  const doc = await getOrNull<SearchDoc>(db, docId(id))
  if (!doc) throw AppError.withRef('NOT_FOUND', `There is no saved search ${id}`, { key: 'sims.searchNotFound', params: { id } })
  return toSearch(doc)
}

/** Saves (or replaces) a search, with its audit entry in the same write. */
export async function saveSearch(db: Db, input: SavedSearchInput, ctx: CallContext): Promise<SavedSearch> {
  const old = await getOrNull<SearchDoc>(db, docId(input.id))
  const at = new Date().toISOString()
  const search: SavedSearch = { ...input, savedAt: at }
  assertBulkOk(
    await db.bulkDocs([
      { ...search, _id: docId(input.id), ...(old ? { _rev: old._rev } : {}), kind: 'simSearch', schemaVersion: CURRENT_SCHEMA.simSearch } as SearchDoc,
      auditDoc({ at, actor: ctx.actor, action: 'sims.search.save', target: `search/${input.id}`, subject: input.name, outcome: 'ok', ...(old ? { before: toSearch(old) } : {}), after: search }),
    ]),
  )
  return search
}

export async function removeSearch(db: Db, id: string, ctx: CallContext): Promise<void> {
  const doc = await getOrNull<SearchDoc>(db, docId(id))
  if (!doc) throw AppError.withRef('NOT_FOUND', `There is no saved search ${id}`, { key: 'sims.searchNotFound', params: { id } })
  assertBulkOk(
    await db.bulkDocs([
      { _id: doc._id, _rev: doc._rev, _deleted: true } as unknown as BaseDoc,
      auditDoc({ actor: ctx.actor, action: 'sims.search.remove', target: `search/${id}`, subject: doc.name, outcome: 'ok', before: toSearch(doc) }),
    ]),
  )
}
