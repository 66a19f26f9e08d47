import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import PouchDB from 'pouchdb'
import { runMigrations, type Migration, MIGRATIONS } from './migrations'

/**
 * The workspace: one PouchDB database on LevelDB in the data directory. PouchDB is an existing, proven
 * sync engine, so team sharing is CouchDB replication of this same database (DESIGN: Workspace store).
 * Every document carries `kind` and `schemaVersion`; ids are namespaced and stable so replicas merge.
 */
export interface BaseDoc {
  _id: string
  _rev?: string
  kind: string
  schemaVersion: number
}

export type Db = PouchDB.Database<BaseDoc>

export interface Workspace {
  db: Db
  dataDir: string
  close(): Promise<void>
}

export interface OpenOptions {
  migrations?: readonly Migration[]
}

export async function openWorkspace(dataDir: string, options: OpenOptions = {}): Promise<Workspace> {
  await mkdir(dataDir, { recursive: true })
  const location = join(dataDir, 'workspace')
  // auto_compaction keeps the LevelDB files from growing with every revision of a draft or a setting.
  const db = new PouchDB<BaseDoc>(location, { auto_compaction: true })
  await runMigrations(db, options.migrations ?? MIGRATIONS, { backupDir: join(dataDir, 'backups') })
  return {
    db,
    dataDir,
    async close() {
      await db.close()
    },
  }
}

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
