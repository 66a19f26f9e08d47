/**
 * The part of PouchDB's API the workspace uses. @types/pouchdb is not used: @types/pouchdb-core declares a
 * global `interface Buffer` that merges with Node's and makes every Buffer unassignable to Uint8Array.
 */
declare namespace PouchDB {
  namespace Core {
    interface Response {
      ok: boolean
      id: string
      rev: string
    }
    interface Error {
      error?: string | boolean
      status?: number
      name?: string
      message?: string
      reason?: string
      id?: string
    }
    type ExistingDocument<T> = T & { _id: string; _rev: string }
    interface AllDocsRow<T> {
      id: string
      key: string
      value: { rev: string; deleted?: boolean }
      doc?: ExistingDocument<T> | null
    }
    interface AllDocsResponse<T> {
      offset: number
      total_rows: number
      rows: AllDocsRow<T>[]
    }
    interface AllDocsKeysRow {
      key: string
      id?: string
      value?: { rev: string; deleted?: boolean }
      error?: string
      doc?: ExistingDocument<object> | null
    }
    interface ChangesResult {
      id: string
      seq: number | string
      deleted?: boolean
      doc?: ExistingDocument<object> & { _deleted?: boolean }
    }
    interface ChangesResponse {
      results: ChangesResult[]
      last_seq: number | string
    }
  }
  interface AllDocsOptions {
    include_docs?: boolean
    startkey?: string
    endkey?: string
    limit?: number
    skip?: number
    descending?: boolean
    /** With include_docs: each document's `_conflicts` (team sync). */
    conflicts?: boolean
  }
  interface DatabaseInfo {
    db_name: string
    doc_count: number
    update_seq: number | string
  }
  interface Database<T extends object = object> {
    get(id: string, options?: { conflicts?: boolean; rev?: string }): Promise<Core.ExistingDocument<T> & { _conflicts?: string[] }>
    /** Every leaf revision with its history (team sync's discard): `{ok: doc}`, or `{missing: rev}` for one not found. */
    get(
      id: string,
      options: { open_revs: 'all'; revs: true },
    ): Promise<({ ok: Core.ExistingDocument<T> & { _deleted?: boolean; _revisions: { start: number; ids: string[] } } } | { missing: string })[]>
    /** Which of the given revisions this database lacks, per document id. */
    revsDiff(revs: Record<string, string[]>): Promise<Record<string, { missing?: string[] }>>
    put(doc: T & { _id: string; _rev?: string }): Promise<Core.Response>
    bulkDocs(docs: (Partial<T> & { _id: string; _rev?: string; _deleted?: boolean })[], options?: { new_edits?: boolean }): Promise<(Core.Response | Core.Error)[]>
    allDocs(options?: AllDocsOptions): Promise<Core.AllDocsResponse<T>>
    allDocs(options: { keys: string[]; include_docs?: boolean; conflicts?: boolean }): Promise<{ rows: Core.AllDocsKeysRow[] }>
    remove(id: string, rev: string): Promise<Core.Response>
    info(): Promise<DatabaseInfo>
    /** The changes feed, one page at a time (never `live` here: PouchDB re-reads the feed for every write it reports). */
    changes(options: { since: number; limit: number; include_docs: boolean; return_docs: boolean }): Promise<Core.ChangesResponse>
    /** The database's own identifier, made when it was created (kept by copies and backups of its folder). */
    id(): Promise<string>
    close(): Promise<void>
    /** Replication both ways (team sync); the handler emits change, paused, active, denied, error and complete. */
    sync(remote: Database, options: object): SyncHandler
    /** One-shot replication one way; the handler emits change, denied, error and complete, and resolves with the counts. */
    replicate: { to(target: Database | string, options?: object): Replication; from(source: Database | string, options?: object): Replication }
  }
  interface Replication extends ReplicationHandler, PromiseLike<ReplicationResult> {}
  interface ReplicationResult {
    docs_read: number
    docs_written: number
    doc_write_failures: number
    last_seq: number | string
  }
  interface ReplicationHandler {
    on(event: 'change' | 'paused' | 'active' | 'denied' | 'error' | 'complete', listener: (value: unknown) => void): ReplicationHandler
    cancel(): void
  }
  /** Both replications of a sync; its own 'paused' event drops the error, so each direction is listened to. */
  interface SyncHandler extends ReplicationHandler {
    push: ReplicationHandler
    pull: ReplicationHandler
  }
  interface Static {
    new <T extends object = object>(
      name: string,
      options?: {
        auto_compaction?: boolean
        prefix?: string
        db?: (location: string) => unknown
        /** HTTP databases (team sync): don't create a missing database; sign in; send requests through this fetch. */
        skip_setup?: boolean
        auth?: { username: string; password: string }
        fetch?: typeof fetch
      },
    ): Database<T>
  }
}

declare module 'pouchdb' {
  const PouchDB: PouchDB.Static
  export default PouchDB
}
