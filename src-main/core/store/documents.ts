/**
 * Every workspace document carries `kind` and `schemaVersion`; ids are namespaced and stable so replicas merge.
 */
export interface BaseDoc {
  _id: string
  _rev?: string
  kind: string
  schemaVersion: number
}

export type Db = PouchDB.Database<BaseDoc>

/** PouchDB rejects with plain objects carrying `status`; a missing document is status 404. */
export function isNotFound(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { status?: unknown }).status === 404
}

export function isConflict(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { status?: unknown }).status === 409
}

/** Reads a document or resolves null when it does not exist. */
export async function getOrNull<T extends BaseDoc>(db: Db, id: string): Promise<(T & { _rev: string }) | null> {
  try {
    return (await db.get(id)) as T & { _rev: string }
  } catch (e) {
    if (isNotFound(e)) return null
    throw e
  }
}

/** Throws when any write of a bulk call failed: a partial success must not be acknowledged as a whole. */
export function assertBulkOk(results: (PouchDB.Core.Response | PouchDB.Core.Error)[]): void {
  const failed = results.filter((r): r is PouchDB.Core.Error => 'error' in r && Boolean(r.error))
  if (failed.length > 0) {
    const first = failed[0]!
    const err = new Error(`${failed.length} write(s) failed: ${first.name ?? ''} ${first.message ?? ''}`.trim())
    Object.assign(err, { status: first.status })
    throw err
  }
}

/** Every document whose id begins with `prefix`, in id order, a page at a time (a fleet's caches do not fit one read). */
export async function* docPages(db: Db, prefix: string, pageSize: number): AsyncGenerator<BaseDoc[], void, undefined> {
  let startkey = prefix
  let skip = 0
  for (;;) {
    const page = await db.allDocs({ include_docs: true, startkey, endkey: `${prefix}\ufff0`, limit: pageSize, skip })
    const docs = page.rows.flatMap((r) => (r.doc ? [r.doc] : []))
    if (docs.length > 0) yield docs
    if (page.rows.length < pageSize) return
    startkey = page.rows[page.rows.length - 1]!.id
    skip = 1
  }
}
