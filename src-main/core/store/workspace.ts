import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import PouchDB from 'pouchdb'
import type { BaseDoc, Db } from './documents'
import { checkSchema, runMigrations } from './migrations'
import { CURRENT_SCHEMA, MIGRATIONS } from './schema'
import { upgradeOnRead } from './upgrade-on-read'

/**
 * The workspace: one PouchDB database on LevelDB in the data directory. PouchDB is an existing, proven
 * sync engine, so team sharing is CouchDB replication of this same database (DESIGN: Workspace store).
 */
export interface Workspace {
  db: Db
  dataDir: string
  close(): Promise<void>
}

export async function openWorkspace(dataDir: string): Promise<Workspace> {
  checkSchema(CURRENT_SCHEMA, MIGRATIONS)
  await mkdir(dataDir, { recursive: true })
  const location = join(dataDir, 'workspace')
  // auto_compaction keeps the LevelDB files from growing with every revision of a draft or a setting.
  const stored = new PouchDB<BaseDoc>(location, { auto_compaction: true })
  await runMigrations(stored, MIGRATIONS, { backupDir: join(dataDir, 'backups') })
  const db = upgradeOnRead(stored, MIGRATIONS)
  return {
    db,
    dataDir,
    async close() {
      await stored.close()
    },
  }
}
