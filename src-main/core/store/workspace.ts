import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import PouchDB from 'pouchdb'
import type { BaseDoc, Db } from './documents'
import { runMigrations, type Migration, MIGRATIONS } from './migrations'

/**
 * The workspace: one PouchDB database on LevelDB in the data directory. PouchDB is an existing, proven
 * sync engine, so team sharing is CouchDB replication of this same database (DESIGN: Workspace store).
 */
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
